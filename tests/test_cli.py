"""The qmsdoc command: exact output, JSON, exit codes, and no tracebacks for bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from qmsdoc.cli import cli
from qmsdoc.rules import RULES

from .conftest import ManualRepo

PACKAGE = Path(__file__).resolve().parent.parent / "qmsdoc"


def test_check_passes_on_an_approved_manual(approved_repo: ManualRepo) -> None:
    result = approved_repo.qmsdoc("check", "--date", "2024-06-01")
    assert (result.exit_code, result.output) == (0, "检查通过：没有发现问题。\n")


def test_check_lists_findings_and_exits_1(approved_repo: ManualRepo) -> None:
    approved_repo.edit("procedures/qp-01.md", "related: [QM-01]", "related: [QM-09]")
    approved_repo.commit("Break a reference", date="2024-03-01")
    result = approved_repo.qmsdoc("check", "--date", "2024-06-01")
    assert result.exit_code == 1
    assert ("procedures/qp-01.md:12: 错误：引用的文件 QM-09 不存在 [reference.unknown-document]\n"
            "    修改方法：检查编号是否写错。最接近的是 QM-01。如果该文件尚未编写，请先把它加入仓库\n"
            ) in result.output
    assert result.output.endswith("共 1 个错误、2 个警告。\n")


def test_check_json_for_machines(approved_repo: ManualRepo) -> None:
    approved_repo.edit("procedures/qp-01.md", "related: [QM-01]", "related: [QM-09]")
    approved_repo.commit("Break a reference", date="2024-03-01")
    result = approved_repo.qmsdoc("check", "--json", "--date", "2024-06-01")
    assert result.exit_code == 1
    findings = json.loads(result.output)
    error = next(f for f in findings if f["severity"] == "error")
    assert error == {
        "rule": "reference.unknown-document", "severity": "error", "file": "procedures/qp-01.md",
        "line": 12, "document": "QP-01", "message": "引用的文件 QM-09 不存在",
        "hint": "检查编号是否写错。最接近的是 QM-01。如果该文件尚未编写，请先把它加入仓库"}


def test_strict_turns_unapproved_text_into_an_error(approved_repo: ManualRepo) -> None:
    approved_repo.edit("procedures/qp-01.md", "维护受控文件。", "维护受控文件，按月备份。")
    approved_repo.commit("Edit", date="2024-03-01")
    assert approved_repo.qmsdoc("check", "--date", "2024-06-01").exit_code == 0
    assert approved_repo.qmsdoc("check", "--strict", "--date", "2024-06-01").exit_code == 1


def test_outside_a_manual_the_command_explains_and_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert "qmsdoc.yml 不存在" in result.output
    assert "Traceback" not in result.output


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "qmsdoc.yml").write_text("organisation: 测试局\ndocument_folders: [docs]\n")
    result = CliRunner().invoke(cli, ["check", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "不是 git 仓库" in result.output


def test_a_broken_configuration_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "qmsdoc.yml").write_text("organisation: 测试局\ndocument_folders: docs\n")
    result = CliRunner().invoke(cli, ["check", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert "qmsdoc.yml 的 document_folders 有误" in result.output


def test_people_lists_roles_and_rights_from_the_job_responsibilities(
        approved_repo: ManualRepo) -> None:
    result = approved_repo.qmsdoc("people", "--json")
    assert result.exit_code == 0
    people = {p["name"]: p for p in json.loads(result.output)}
    wang = people["王局长"]["roles"][0]
    assert wang["role"] == "局长" and wang["source"] == "JR-01"
    assert "procedure" in wang["approve"] and wang["review"] == []
    text = approved_repo.qmsdoc("people").output
    assert "王局长（办公室）wang@example.gov.cn\n  局长（2020-01-01 起，依据 JR-01）\n    批准：" in text


def test_history_shows_every_approved_revision(approved_repo: ManualRepo) -> None:
    approved_repo.edit("procedures/qp-01.md", "维护受控文件。", "维护受控文件，按月备份。")
    approved_repo.edit("procedures/qp-01.md", "version: A/0", "version: A/1")
    approved_repo.edit("procedures/qp-01.md", "effective_date: '2024-03-01'", "effective_date: '2024-04-15'")
    approved_repo.edit("procedures/qp-01.md", "change_summary: 首次发布", "change_summary: 增加备份要求")
    approved_repo.commit("Revise", date="2024-04-01")
    approved_repo.approve_all(["QP-01"], date="2024-04-10")
    result = approved_repo.qmsdoc("history", "QP-01", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)["revisions"]
    assert [(r["version"], r["status"], r["change_summary"]) for r in rows] == [
        ("A/1", "现行有效", "增加备份要求"), ("A/0", "已被替代", "首次发布")]
    assert rows[0]["written_by"] == ["李文管"]
    assert rows[0]["reviewed_by"] == ["陈代表（管理者代表）"]
    assert rows[0]["approved_by"] == "王局长（局长）"
    assert rows[0]["approved_on"] == "2024-04-10"
    assert re.fullmatch(r"[0-9a-f]{8}", rows[0]["commit"])
    text = approved_repo.qmsdoc("history", "QP-01").output
    assert text.splitlines()[1].startswith("A/1  现行有效  生效 2024-04-15  批准 2024-04-10  提交 ")


def test_history_of_an_unknown_document(approved_repo: ManualRepo) -> None:
    result = approved_repo.qmsdoc("history", "QP-99")
    assert result.exit_code == 2 and "没有编号为 QP-99 的受控文件" in result.output


def test_approve_has_no_way_to_act_as_someone_else() -> None:
    options = {o for p in cli.commands["approve"].params for o in getattr(p, "opts", [])}
    assert options == {"--root", "--review", "--role", "numbers"}


def test_every_rule_the_code_reports_is_documented() -> None:
    used = set()
    for file in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r'"((?:schema|frontmatter|file|template|document|reference|record|'
                               r'role|clause|coverage|approval|history|version|review|people|'
                               r'config|governance|page|content)\.[a-z-]+)"',
                               file.read_text(encoding="utf-8")))
    used = {rule for rule in used if not rule.endswith(".yml")}
    schema_rules = {f"schema.{s}" for s in ("missing-field", "unknown-field", "not-allowed",
                                            "bad-format", "wrong-type", "invalid")}
    assert used | schema_rules <= set(RULES)
    listing = CliRunner().invoke(cli, ["rules"]).output
    assert all(rule in listing for rule in RULES)


def test_the_readme_explains_every_rule() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in readme] == []
