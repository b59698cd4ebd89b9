"""``qmsdoc init`` and ``qmsdoc new``: a new department starts its manual from zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qmsdoc.cli import cli
from qmsdoc.frontmatter import load_yaml

from .conftest import PROJECT, ManualRepo

QMSDOC = str(Path(sys.executable).with_name("qmsdoc"))


def init(tmp_path: Path, *extra: str) -> tuple[ManualRepo, str]:
    root = tmp_path / "manual"
    repo = ManualRepo(root)
    result = repo.runner.invoke(
        cli,
        ["init", str(root), "--org", "测试市测试局", "--name", "王局长",
         "--email", "wang@example.gov.cn", "--effective-date", "2024-01-05", *extra],
        env=repo.env("李文管", "2024-01-05"))  # the document controller sets it up
    if result.exit_code == 0:
        return repo, result.output
    return repo, f"exit {result.exit_code}: {result.output}{result.exception!r}"


def build(repo: ManualRepo, date: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QMSDOC, "build", "--date", date], cwd=repo.root, capture_output=True,
                          text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


@pytest.fixture
def started(tmp_path: Path) -> ManualRepo:
    repo, output = init(tmp_path)
    assert "已在" in output, output
    return repo


def test_init_writes_a_committed_manual_in_review(started: ManualRepo) -> None:
    assert started.git("status", "--porcelain") == ""
    tracked = set(started.git("ls-files").split())
    assert {"qmsdoc.yml", "people.yml", "mkdocs.yml", "hooks/qmsdoc_mkdocs.py", "docs/index.md",
            "docs/stylesheets/qmsdoc.css", "Makefile", "README.md", ".gitignore",
            "docs/manual/qm-01.md", "responsibilities/jr-01.md",
            "responsibilities/jr-02.md"} <= tracked
    people = yaml.safe_load(started.read("people.yml"))["people"]
    assert people == [{"name": "王局长", "emails": ["wang@example.gov.cn"], "department": "局领导",
                       "roles": [{"role": "局长", "from": "2024-01-05"}]}]
    assert "site_name: 测试市测试局 质量管理体系文件" in started.read("mkdocs.yml")
    jr02 = load_yaml(started.read("responsibilities/jr-02.md").split("---")[1]).data["qms"]
    assert (jr02["role"], jr02["state"], jr02["authority"]["issue"][0]) == (
        "文件管理员", "in_review", "quality_manual")
    # The hook and the style sheet shipped with the package are the project's own.
    for shipped in ("hooks/qmsdoc_mkdocs.py", "hooks/qmsdoc_macros.py",
                    "docs/stylesheets/qmsdoc.css"):
        assert started.read(shipped) == (PROJECT / shipped).read_text("utf-8"), shipped


def test_a_new_manual_passes_the_gate_and_builds_a_site(started: ManualRepo) -> None:
    result = started.qmsdoc("check", date="2024-01-06")
    assert result.exit_code == 0, result.output
    assert "共 0 个错误" in result.output
    built = build(started, "2024-01-06")
    assert built.returncode == 0, built.stderr
    home = (started.root / "site/index.html").read_text("utf-8")
    assert "测试市测试局质量管理体系文件" in home
    assert "最近 90 天没有生效的修订" in home  # the home page's macro, rendered
    assert (started.root / "site/registers/master-list/index.html").is_file()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "old.txt").write_text("x")
    _, output = init(tmp_path)
    assert output.startswith("exit 2")
    assert "不是空目录" in output


def test_new_writes_a_procedure_with_its_sections(started: ManualRepo) -> None:
    result = started.qmsdoc("new", "程序文件", "--number", "qp-01", "--title", "文件控制程序",
                            "--department", "办公室", "--effective-date", "2024-01-08")
    assert result.exit_code == 0, result.output
    assert "已新建 procedures/qp-01.md" in result.output
    text = started.read("procedures/qp-01.md")
    meta = load_yaml(text.split("---")[1]).data["qms"]
    assert (meta["number"], meta["version"], meta["state"], meta["effective_date"]) == (
        "QP-01", "A/0", "in_review", "2024-01-08")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## 1 目的", "## 2 适用范围", "## 3 职责", "## 4 工作程序",
                        "## 5 相关文件", "## 6 记录"]


@pytest.mark.parametrize(("args", "message"), [
    (("流程", "--number", "QP-02"), "没有“流程”这种文件类型"),
    (("procedure", "--number", "QP-2"), "编号 QP-2 不符合程序文件的编号规则：应写作 QP-05"),
    (("岗位职责", "--number", "JR-01"), "编号 JR-01 已被使用（responsibilities/jr-01.md）"),
    (("外来文件", "--number", "EX-01"), "把 docs/external 加入 document_folders"),
])
def test_new_refuses_in_chinese(started: ManualRepo, args: tuple[str, ...], message: str) -> None:
    result = started.qmsdoc("new", *args, "--title", "某文件")
    assert result.exit_code == 2
    assert message in result.output


def register_first_people(repo: ManualRepo) -> None:
    """The document controller adds the first people; the director named in the first register
    approves that under the job responsibilities proposed (none is approved yet)."""
    repo.git("checkout", "-q", "-b", "people", date="2024-01-06")
    people = yaml.safe_load(repo.read("people.yml"))
    people["people"] += [
        {"name": "陈代表", "emails": ["chen@example.gov.cn"], "department": "局领导",
         "roles": [{"role": "管理者代表", "from": "2024-01-05"}]},
        {"name": "李文管", "emails": ["li@example.gov.cn"], "department": "办公室",
         "roles": [{"role": "文件管理员", "from": "2024-01-05"}]}]
    repo.write("people.yml", yaml.safe_dump(people, allow_unicode=True, sort_keys=False))
    repo.commit("登记管理者代表和文件管理员", person="李文管", date="2024-01-06")
    repo.git("checkout", "-q", "main", date="2024-01-06")
    repo.git("merge", "-q", "--no-ff", "people", "-m",
             "合并人员名册的修改\n\nApproved-by: 王局长 <wang@example.gov.cn>",
             person="王局长", date="2024-01-07")


def test_a_new_department_grows_its_manual_and_publishes(started: ManualRepo) -> None:
    repo = started
    register_first_people(repo)
    for new in (("岗位职责", "--number", "JR-03", "--title", "管理者代表岗位职责"),
                ("procedure", "--number", "QP-01", "--title", "文件控制程序")):
        assert repo.qmsdoc("new", *new, "--effective-date", "2024-01-20").exit_code == 0
    repo.edit("responsibilities/jr-03.md", "role: （岗位名称）\n  authority: {}",
              "role: 管理者代表\n  authority:\n    review: [quality_manual, procedure, "
              "job_responsibility]")
    repo.edit("procedures/qp-01.md", "## 1 目的\n\n（待编写）", "## 1 目的\n\n规定文件的控制方法。")
    for jr in ("jr-01", "jr-02"):  # the writer sets the date of effect before approval
        repo.edit(f"responsibilities/{jr}.md", "effective_date: 2024-01-05",
                  "effective_date: 2024-01-20")
    repo.commit("起草岗位职责和文件控制程序", person="李文管", date="2024-01-10")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-01-20")
    repo.approve_all(["QP-01"], date="2024-01-20")
    result = repo.qmsdoc("check", "--date", "2024-02-01")
    assert result.exit_code == 0, result.output
    built = build(repo, "2024-02-01")
    assert built.returncode == 0, built.stderr
    page = (repo.root / "site/procedures/qp-01/index.html").read_text("utf-8")
    assert "规定文件的控制方法。" in page
