"""Hostile or broken files: one finding (or one clear message) each, never a crash or a hang."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qmsdoc.cli import cli
from qmsdoc.loader import parse_document, read_revision
from qmsdoc.people import parse_register

from .conftest import ManualRepo
from .test_schema import GOOD

QP01 = "procedures/qp-01.md"


def errors(repo: ManualRepo, *args: str) -> list[dict[str, Any]]:
    """The errors ``qmsdoc check --json`` reports, after making sure nothing crashed."""
    result = repo.qmsdoc("check", "--json", "--date", "2024-06-01", *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return [f for f in json.loads(result.output) if f["severity"] == "error"]


def line_of(text: str, fragment: str) -> int:
    return text[:text.index(fragment)].count("\n") + 1


def test_a_list_nested_ten_thousand_deep_is_one_finding(approved_repo: ManualRepo) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    approved_repo.edit(QP01, "related: [QM-01]", f"related: {deep}")
    found = errors(approved_repo)
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [
        ("frontmatter.too-deep", QP01, line_of(approved_repo.read(QP01), "related:"))]
    assert "嵌套超过 32 层" in found[0]["message"]


def test_deep_nesting_in_block_style_is_found_where_it_passes_the_limit() -> None:
    lines = ["  related:"] + [" " * (2 * level + 2) + "-" for level in range(1, 40)]
    text = GOOD.replace("  related: [QM-01]", "\n".join(lines))
    [finding] = parse_document("procedures/qp-05.md", text).findings
    assert finding.rule == "frontmatter.too-deep"
    # The document and qms are levels 1 and 2; each "-" line opens one more list.
    assert finding.line == line_of(text, "  related:") + 31


def billion_laughs() -> str:
    """Nine levels of nine aliases each: 9**9 (387 million) values once expanded."""
    rows = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 9)}]" for n in range(1, 9)]
    return "\n".join(rows) + "\n"


def test_an_alias_bomb_is_one_finding_at_the_alias_that_passes_the_limit(
        approved_repo: ManualRepo) -> None:
    approved_repo.edit(QP01, "---\nqms:", "---\n" + billion_laughs() + "qms:")
    found = errors(approved_repo)
    text = approved_repo.read(QP01)
    # Values repeated so far: lol1 9 x 10, lol2 9 x 91, lol3 9 x 820, then lol4's second *lol3
    # brings the total past 10,000.
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [
        ("frontmatter.too-many-aliases", QP01, line_of(text, "lol4:"))]


def test_an_anchor_reused_within_the_limit_still_reads() -> None:
    text = """people:
  - name: 甲
    emails: [jia@example.gov.cn]
    department: 办公室
    roles: &reviewers [{role: 内审员, from: "2024-01-01"}]
  - name: 乙
    emails: [yi@example.gov.cn]
    department: 办公室
    roles: *reviewers
"""
    register, found = parse_register(text, "people.yml")
    assert found == []
    assert [person.roles_on(datetime.date(2024, 6, 1)) for person in register.people] == [
        ["内审员"], ["内审员"]]


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    text = GOOD.replace("  related: [QM-01]", "  related: &loop [QM-01, *loop]")
    [finding] = parse_document("procedures/qp-05.md", text).findings
    assert (finding.rule, finding.line) == ("frontmatter.invalid-yaml", 12)


def test_a_huge_document_is_one_finding_and_is_not_parsed(approved_repo: ManualRepo) -> None:
    padding = "很长的正文。\n" * 200_000  # 3.8 MiB
    approved_repo.edit(QP01, "维护受控文件。", "维护受控文件。\n" + padding)
    found = errors(approved_repo)
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [("file.too-large", QP01, 1)]
    assert "MiB" in found[0]["message"]
    # QM-01 and QR-01-01 cite QP-01: its number is still read from the top of the file.


def test_a_huge_text_in_history_is_not_parsed() -> None:
    huge = GOOD + "很长的正文。\n" * 200_000
    assert parse_document("procedures/qp-05.md", GOOD).document is not None
    assert read_revision("procedures/qp-05.md", huge) is None


def test_a_huge_register_is_one_finding(approved_repo: ManualRepo) -> None:
    register = approved_repo.read("people.yml")
    approved_repo.write("people.yml", register + "# 备注\n" * 300_000)
    found = errors(approved_repo)
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [("people.invalid", "people.yml", 1)]
    assert "超过上限 1 MiB" in found[0]["message"]


@pytest.mark.parametrize(("old", "new"), [
    ("number: QP-05", "number: QP-0５"),  # a full-width digit
    ("number: QP-05", "number: QP-١٥"),  # Arabic-Indic digits
    ("version: A/0", "version: A/１"),
    ('clauses: ["9.2"]', 'clauses: ["9.２"]'),
    ("effective_date: 2024-03-01", "effective_date: ２０２４-03-01"),
])
def test_numbers_are_written_in_ascii_digits(old: str, new: str) -> None:
    text = GOOD.replace(old, new)
    found = parse_document("procedures/qp-05.md", text).findings
    assert [(f.rule, f.line) for f in found] == [("schema.bad-format", line_of(text, new))]


def test_a_number_in_full_width_digits_is_one_finding_that_says_so(
        approved_repo: ManualRepo) -> None:
    approved_repo.edit(QP01, "number: QP-01", "number: QP-0１")
    found = errors(approved_repo)
    # Its citations and its record are not reported: the document still claims QP-01.
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [("schema.bad-format", QP01, 3)]
    assert found[0]["hint"].startswith("其中有全角或其他文字的数字，请改用半角数字 0–9。")


def test_a_number_in_other_digits_does_not_escape_the_duplicate_check(
        approved_repo: ManualRepo) -> None:
    copy = approved_repo.read(QP01).replace("number: QP-01", "number: QP-0１")
    approved_repo.write("procedures/qp-01-copy.md", copy)
    found = errors(approved_repo)
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [
        ("schema.bad-format", "procedures/qp-01-copy.md", line_of(copy, "number:"))]


def test_an_unclosed_quote_in_the_sample_is_one_finding_where_the_quote_opens(
        sample_clone: Path, tmp_path: Path) -> None:
    root = tmp_path / "sample"
    shutil.copytree(sample_clone, root, symlinks=True)
    path = root / "procedures/qp-06.md"
    text = path.read_text(encoding="utf-8")
    assert "\n  title: 管理评审程序\n" in text
    path.write_text(text.replace("\n  title: 管理评审程序\n", '\n  title: "管理评审程序\n'),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--json", "--root", str(root)])
    found = [f for f in json.loads(result.output) if f["severity"] == "error"]
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [
        ("frontmatter.invalid-yaml", "procedures/qp-06.md", 4)]
    assert "引号没有闭合" in found[0]["message"]


@pytest.mark.parametrize(("old", "new", "setting", "value"), [
    ("document_folders: [docs/manual,", "document_folders: [../,", "document_folders", "../"),
    ("document_folders: [docs/manual,", "document_folders: [/etc,", "document_folders", "/etc"),
    ("pages_folder: docs", "pages_folder: docs/../..", "pages_folder", "docs/../.."),
    ("people: people.yml", "people: /etc/passwd", "people", "/etc/passwd"),
])
def test_settings_must_not_point_outside_the_repository(
        draft_repo: ManualRepo, old: str, new: str, setting: str, value: str) -> None:
    draft_repo.edit("qmsdoc.yml", old, new)
    result = draft_repo.qmsdoc("check")
    assert result.exit_code == 2
    assert f"qmsdoc.yml 的 {setting} 有误（第 " in result.output
    assert repr(value) in result.output and "请写相对于仓库根目录的路径" in result.output


def test_a_folder_linked_outside_the_repository_is_refused(draft_repo: ManualRepo,
                                                            tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(draft_repo.root / "procedures", outside)
    (draft_repo.root / "linked").symlink_to(outside)
    draft_repo.edit("qmsdoc.yml", "document_folders: [docs/manual,", "document_folders: [linked,")
    result = draft_repo.qmsdoc("check")
    assert result.exit_code == 2
    assert ("qmsdoc.yml 的 document_folders 有误（第 2 行）：'linked' 经符号链接指向了仓库以外"
            in result.output)


FOLDERS_LINE = "qmsdoc.yml 第 2 行（设置 document_folders）"


@pytest.mark.parametrize(("broken", "expected"), [
    ("document_folders: [docs/manual, procedures\n", FOLDERS_LINE),
    ("document_folders: " + "[" * 10_000 + "]" * 10_000 + "\n", FOLDERS_LINE),
    ("document_folders: [docs]\nreissue_after: 五\n", "qmsdoc.yml 的 reissue_after 有误（第 3 行）"),
    ("document_folder: [docs]\n", "qmsdoc.yml 的 document_folder 有误（第 2 行）：没有这个设置。"
                                  "是不是要写 document_folders？"),
])
def test_a_broken_configuration_names_the_line_and_the_setting(
        tmp_path: Path, broken: str, expected: str) -> None:
    (tmp_path / "qmsdoc.yml").write_text("organisation: 测试局\n" + broken, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--root", str(tmp_path)])
    assert result.exit_code == 2, result.exception
    assert expected in result.output


def run_qmsdoc(repo: ManualRepo, *args: str, stdout: Any = subprocess.PIPE, before: str = ""
               ) -> subprocess.CompletedProcess[str]:
    """``qmsdoc`` in its own process, as a build runs it; ``before``: code run first."""
    return subprocess.run(
        [sys.executable, "-c", f"{before}from qmsdoc.cli import main; main()", *args,
         "--root", str(repo.root)],
        stdout=stdout, stderr=subprocess.PIPE, text=True, env=repo.env("李文管", "2024-06-01"),
        check=False)


def test_the_command_ends_with_its_status_its_whole_output_and_its_exit_handlers(
        approved_repo: ManualRepo) -> None:
    """The process ends without taking its objects apart: nothing else may be lost."""
    approved_repo.edit("procedures/qp-01.md", "related: [QM-01]", "related: [QM-09]")
    approved_repo.commit("Break a reference", date="2024-03-01")
    done = run_qmsdoc(approved_repo, "check", "--json", before=(
        "import atexit, sys; sys.stderr = open(2, 'w', buffering=1 << 20, closefd=False); "
        "atexit.register(lambda: print('exit handler ran', file=sys.stderr)); "))
    assert done.returncode == 1, done.stderr
    assert done.stderr == "exit handler ran\n"
    in_process = approved_repo.qmsdoc("check", "--json", date="2024-06-01")
    assert json.loads(done.stdout) == json.loads(in_process.output)  # all of it, flushed


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_a_message_not_a_traceback(approved_repo: ManualRepo) -> None:
    with open("/dev/full", "w") as full:  # every write fails: no space left on device
        done = run_qmsdoc(approved_repo, "check", stdout=full)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("qmsdoc：读写文件时磁盘已满，命令没有完成：腾出磁盘空间后重新运行")


def test_a_file_that_vanished_is_a_message_naming_it(approved_repo: ManualRepo) -> None:
    (approved_repo.root / "procedures/qp-09.md").symlink_to("qp-09-moved.md")
    done = run_qmsdoc(approved_repo, "check")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "procedures/qp-09.md 时文件或目录不存在" in done.stderr


def test_a_register_not_in_utf8_is_a_finding(approved_repo: ManualRepo) -> None:
    register = approved_repo.read("people.yml")
    (approved_repo.root / "people.yml").write_bytes(register.encode("gb18030"))
    result = approved_repo.qmsdoc("check")
    assert isinstance(result.exception, SystemExit)  # an exit code, not a crash
    assert "people.yml: 错误：人员名册不是 UTF-8 编码 [people.invalid]" in result.output
