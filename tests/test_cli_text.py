"""The command line speaks Chinese: click's own texts, and document numbers in any case."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import click
from click.testing import CliRunner

from qmsdoc import cli_text
from qmsdoc.cli import cli

from .conftest import ManualRepo

QP01 = "procedures/qp-01.md"
REPOSITORY = Path(__file__).resolve().parent.parent

# Words the help may contain: command names, formats and names that stay as they are.
ALLOWED_WORDS = {
    "cli", "qmsdoc", "approve", "audit", "build", "check", "diff", "history", "init", "issue", "new",
    "pdf", "people",
    "publish", "recall", "review", "rules", "status", "verify", "git", "HEAD", "site", "yml",
    "QMSDOC_DATE", "JSON", "HTML", "Markdown", "PDF", "CSV", "csv", "UTF", "BOM", "Excel", "WPS",
    "Debian", "fonts", "noto", "cjk", "authority", "QP", "A", "x", "xxx", "procedure",
    "import", "Word", "docx", "GB", "T",  # GB/T: the national standard code
}


def english_words(text: str) -> set[str]:
    """Latin words in the text that are not option names or allowed names."""
    return set(re.findall(r"[A-Za-z][A-Za-z_]*", re.sub(r"--[a-z-]+", "", text))) - ALLOWED_WORDS


def test_the_main_help_is_chinese() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert result.output.startswith("用法：cli [选项] 命令 [参数]...\n")
    assert "\n选项：\n  --version  显示版本号并退出。\n  --help     显示帮助并退出。\n" in result.output
    assert "\n命令：\n  approve  " in result.output
    assert english_words(result.output) == set()


def test_every_command_help_is_chinese() -> None:
    for name in cli.commands:
        output = CliRunner().invoke(cli, [name, "--help"]).output
        assert output.startswith(f"用法：cli {name} [选项]"), output
        assert english_words(output) == set(), (name, output)


def test_help_columns_line_up_with_chinese_option_values() -> None:
    output = CliRunner().invoke(cli, ["history", "--help"]).output
    assert "  --root 目录  仓库根目录" in output
    assert "  --json       以 JSON 输出\n" in output  # 目录 takes four columns, like 4 letters


def test_the_version_is_chinese() -> None:
    assert re.fullmatch(r"cli 版本 \S+\n", CliRunner().invoke(cli, ["--version"]).output)


def test_usage_errors_are_chinese() -> None:
    missing = CliRunner().invoke(cli, ["history"])
    assert missing.exit_code == 2
    assert missing.output == ("用法：cli history [选项] 文件编号\n运行 'cli history --help' 查看用法。\n\n"
                              "错误：缺少参数 '文件编号'.\n")
    unknown = CliRunner().invoke(cli, ["check", "--jsn"])
    assert unknown.output.endswith("错误：没有选项 '--jsn'。 您是不是要写 '--json'？\n")
    invalid = CliRunner().invoke(cli, ["status", "--days", "x"])
    assert invalid.output.endswith("错误：'--days' 的取值无效：'x' 不是数字。\n")
    no_command = CliRunner().invoke(cli, ["chek"])
    assert no_command.output.endswith("错误：没有命令 'chek'。 您是不是要写 'check'？\n")
    for result in (missing, unknown, invalid, no_command):
        assert english_words(result.output.replace("chek", "")) == set(), result.output


def test_every_translated_text_is_one_click_uses() -> None:
    """After a click upgrade, a reworded text would show in English: this test says which."""
    msgids = {"required"}  # click marks it where it is used: _(extra["required"])
    plurals: set[tuple[str, str]] = set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str)]
            if node.func.id == "_" and texts:
                msgids.add(texts[0])
            elif node.func.id == "ngettext" and len(texts) == 2:
                plurals.add((texts[0], texts[1]))
    assert 'extra["required"] = "required"' in Path(click.core.__file__).read_text(encoding="utf-8")
    assert set(cli_text.TEXTS) - msgids == set()
    assert set(cli_text.PLURALS) - plurals == set()


def test_numbers_and_versions_in_lower_case(approved_repo: ManualRepo) -> None:
    approved_repo.edit(QP01, "维护受控文件。", "维护受控文件，按月备份。")
    approved_repo.edit(QP01, "version: A/0", "version: A/1")
    approved_repo.edit(QP01, "effective_date: '2024-03-01'", "effective_date: '2024-04-15'")
    approved_repo.edit(QP01, "change_summary: 首次发布", "change_summary: 增加备份要求")
    approved_repo.commit("Revise", date="2024-04-01")
    review = approved_repo.approve("qp-01", person="陈代表", date="2024-04-09", review=True)
    assert review.exit_code == 0, review.output
    assert review.output.startswith("已记录审核：QP-01（提交 ")
    approval = approved_repo.approve("qp-01", person="王局长", date="2024-04-10")
    assert approval.exit_code == 0, approval.output
    assert approved_repo.git("log", "-1", "--format=%s").startswith("批准 QP-01 A/1")

    history = approved_repo.qmsdoc("history", "qp-01")
    assert history.exit_code == 0, history.output
    assert history.output.splitlines()[1].startswith("A/1  现行有效  生效 2024-04-15")

    diff = approved_repo.qmsdoc("diff", " qp-01", "a/0", "a/1", "--no-color")
    assert diff.exit_code == 0, diff.output
    assert "A/0 版（2024-02-20 批准） → A/1 版（2024-04-10 批准）" in diff.output
    assert "{+，按月备份+}" in diff.output


def test_make_help_lists_every_target_in_chinese() -> None:
    makefile = REPOSITORY / "Makefile"
    phony = re.search(r"^\.PHONY: (.*)$", makefile.read_text(encoding="utf-8"), re.M)
    assert phony is not None
    listing = subprocess.run(["make", "-s", "-f", str(makefile), "help"], cwd=REPOSITORY,
                             capture_output=True, text=True, check=True).stdout
    described = dict(re.findall(r"^  make (\S+) +(.+)$", listing, re.M))
    assert set(described) == set(phony.group(1).split())
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in described.values()), listing


def test_the_readme_first_screen_says_how_to_install_and_look_at_the_site() -> None:
    first_screen = (REPOSITORY / "README.md").read_text(encoding="utf-8").split("\n## ")[0]
    assert "PIP_INDEX_URL" in first_screen
    assert "make view" in first_screen and "http://127.0.0.1:8000/" in first_screen
    assert "make help" in first_screen
