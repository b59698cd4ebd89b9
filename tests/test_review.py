"""``qmsdoc review``: the report a document controller reads on a merge request.

Each test builds a real repository: the mini manual approved on ``main``, then a
branch that revises, renames, withdraws, adds and deletes documents and changes
the people register, as its people would. The report is read as printed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from qmsdoc.findings import Finding, Severity
from qmsdoc.review_base import compare_findings

from .conftest import ManualRepo, front, meta

DAY = "2024-07-01"
QP_02 = front(meta("QP-02", "临时检查程序", "procedure", related=["QP-01"], roles=["文件管理员"],
                   clauses=["7.5"], effective_date="2024-03-10"), "## 1 目的\n\n规定临时检查的做法。")
WI_01_01 = front(meta("WI-01-01", "文件归档作业指导书", "work_instruction", version="A/0",
                      state="in_review", related=["QP-01"], roles=["文件管理员"],
                      records=["QR-01-01"], clauses=["7.5.3"]),
                 "## 1 步骤\n\n文件管理员每月归档。")


@pytest.fixture
def branch_repo(approved_repo: ManualRepo) -> ManualRepo:
    """``main``: the mini manual and QP-02, approved. Branch ``revise``: a merge request
    that revises QP-01 (reviewed by 陈代表), edits QM-01 without a new version, renames
    QR-01-01, withdraws QP-02 (still cited by QM-01), adds WI-01-01 and registers a person."""
    repo = approved_repo
    repo.write("procedures/qp-02.md", QP_02.replace("state: effective", "state: in_review"))
    repo.commit("Add QP-02", date="2024-03-01")
    repo.approve_all(["QP-02"], date="2024-03-05")
    repo.edit("docs/manual/qm-01.md", "related: [QP-01]", "related: [QP-01, QP-02]")
    repo.edit("docs/manual/qm-01.md", "version: A/0", "version: A/1")
    repo.edit("docs/manual/qm-01.md", "state: effective", "state: in_review")
    repo.edit("docs/manual/qm-01.md", "effective_date: '2024-03-01'",
              "effective_date: '2024-03-10'")
    repo.commit("Cite QP-02 in QM-01", date="2024-03-06")
    repo.approve_all(["QM-01"], date="2024-03-08")
    repo.git("checkout", "-q", "-b", "revise")

    repo.edit("procedures/qp-01.md", "version: A/0", "version: A/1")
    repo.edit("procedures/qp-01.md", "state: effective", "state: in_review")
    repo.edit("procedures/qp-01.md", "change_summary: 首次发布", "change_summary: 增加电子文件的控制")
    repo.edit("procedures/qp-01.md", "effective_date: '2024-03-01'",
              "effective_date: '2024-08-01'")
    repo.edit("procedures/qp-01.md", "文件管理员维护受控文件。", "文件管理员维护纸质和电子受控文件。")
    repo.edit("docs/manual/qm-01.md", "本手册描述本局如何工作", "本手册说明本局如何工作")
    repo.git("mv", "records_templates/qr-01-01.md", "records_templates/qr-01-01-dispatch.md")
    repo.edit("procedures/qp-02.md", "state: effective", "state: obsolete")
    repo.edit("procedures/qp-02.md", "effective_date: '2024-03-10'",
              "effective_date: '2024-08-01'\n  replaced_by: QP-01")
    repo.write("procedures/wi-01-01.md", WI_01_01)
    register = yaml.safe_load(repo.read("people.yml"))
    register["people"].append({"name": "赵新", "emails": ["zhao@example.gov.cn"],
                               "department": "办公室",
                               "roles": [{"role": "文件管理员", "from": "2024-06-01"}]})
    repo.write("people.yml", yaml.safe_dump(register, allow_unicode=True, sort_keys=False))
    repo.commit("Revise QP-01, withdraw QP-02, add WI-01-01", date="2024-06-10")
    result = repo.approve("QP-01", person="陈代表", date="2024-06-12", review=True)
    assert result.exit_code == 0, result.output
    return repo


def review(repo: ManualRepo, *args: str, exit_code: int = 0) -> str:
    result = repo.qmsdoc("review", *args, "--date", DAY)
    assert result.exit_code == exit_code, result.output
    return result.output


def review_json(repo: ManualRepo, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(review(repo, *args, "--json"))
    return data


def by_number(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["number"]: d for d in data["documents"]}


def section(report: str, heading: str) -> str:
    """One ``## heading`` section of the Markdown report."""
    start = report.index(f"\n## {heading}")
    end = report.find("\n## ", start + 1)
    return report[start:end if end > 0 else None]


def test_the_summary_table_names_each_change_its_version_check_and_approval(
        branch_repo: ManualRepo) -> None:
    report = review(branch_repo)
    assert report.startswith("# 受控文件修改审查报告\n")
    assert "比较：main 与 HEAD 的合并基点" in report
    summary = section(report, "概要")
    assert "| 文件 | 修改 | 版本 | 版本检查 | 审批状态 | 新增问题 |" in summary
    rows = {line.split(" | ")[0].lstrip("| "): line for line in summary.splitlines()
            if line.startswith("| ") and "《" in line}
    assert set(rows) == {"QM-01《质量手册》", "QP-01《文件控制程序》", "QP-02《临时检查程序》",
                         "QR-01-01《文件发放登记表》", "WI-01-01《文件归档作业指导书》"}
    assert "| 修订 | A/1 | 错误 | 待审核、批准 |" in rows["QM-01《质量手册》"]
    assert "| 修订 | A/0 → A/1 | 正确 | 已审核，待批准 | 0 |" in rows["QP-01《文件控制程序》"]
    assert "| 作废 | A/0 | 正确 | 待审核、批准 |" in rows["QP-02《临时检查程序》"]
    assert "| 改名 | A/0 | 正确 | 已批准 | 0 |" in rows["QR-01-01《文件发放登记表》"]
    assert "| 新增 | — → A/0 | 正确 | 待审核、批准 | 0 |" in rows["WI-01-01《文件归档作业指导书》"]
    assert "- 受控设置：人员名册未批准" in summary


def test_a_revision_shows_its_versions_redline_and_who_still_must_approve(
        branch_repo: ManualRepo) -> None:
    qp01 = section(review(branch_repo), "QP-01《文件控制程序》（修订）")
    assert "- 版本：A/0 → A/1；版本检查：正确，A/0 → A/1（修改）" in qp01
    assert "- 修订说明：增加电子文件的控制" in qp01
    assert "- 审核：陈代表（管理者代表），2024-06-12，提交 " in qp01
    assert "- 还需要：批准" in qp01
    assert "- 可批准的岗位：局长；可批准的人：王局长（局长）" in qp01
    assert "- 不能审核或批准（编制人）：李文管" in qp01
    assert "- 引用本文件的文件：QM-01《质量手册》、QP-02《临时检查程序》、QR-01-01《文件发放登记表》" \
        in qp01
    assert "- 涉及的岗位：文件管理员" in qp01 and "- 产生的记录：QR-01-01" in qp01
    assert "- 涉及的条款：7.5" in qp01
    assert "- 生效后随之变化的登记页：现行有效文件目录" in qp01
    redline = qp01[qp01.index("### 修订对照"):]
    assert "修订说明" in redline and "生效日期" in redline
    assert "文件管理员维护<ins>纸质和电子</ins>受控文件。" in redline

    data = by_number(review_json(branch_repo))["QP-01"]
    assert data["old"]["version"] == "A/0" and data["new"]["version"] == "A/1"
    assert data["version_check"]["verdict"] == "ok"
    assert data["approval"]["outstanding"] == ["approve"]
    assert [s["name"] for s in data["approval"]["signoffs"] if s["valid"]] == ["陈代表"]
    assert data["approval"]["candidates"] == [
        {"right": "approve", "roles": ["局长"], "people": ["王局长（局长）"]}]
    assert {f["name"] for f in data["redline"]["fields"]} >= {
        "version", "change_summary", "effective_date"}


def test_content_changed_without_a_new_version_is_wrong(branch_repo: ManualRepo) -> None:
    qm01 = section(review(branch_repo), "QM-01《质量手册》（修订）")
    assert "版本检查：错误，内容有修改，但版本仍是已批准的 A/1：应改为 A/2 或 B/0" in qm01
    assert "### 新增问题" in qm01
    assert r"\[approval.unapproved-change\]" in qm01


def test_a_withdrawal_shows_what_still_cites_it_and_the_findings_it_brings(
        branch_repo: ManualRepo) -> None:
    report = review(branch_repo)
    qp02 = section(report, "QP-02《临时检查程序》（作废）")
    assert "版本检查：正确，作废 A/0 版（作废不必提高版本号）" in qp02
    assert "- 引用本文件的文件：QM-01《质量手册》" in qp02
    assert "- 生效后随之变化的登记页：现行有效文件目录、条款覆盖矩阵、职责分配矩阵" in qp02
    # QM-01, in force, still cites the withdrawn QP-02: a finding the change brings.
    introduced = review_json(branch_repo)["introduced"]
    cited = [f for f in introduced if f["rule"] == "reference.not-in-force"]
    assert cited and cited[0]["file"] == "docs/manual/qm-01.md" and "QP-02" in cited[0]["message"]


def test_a_rename_keeps_its_findings_matched_and_a_new_document_needs_review(
        branch_repo: ManualRepo) -> None:
    data = by_number(review_json(branch_repo))
    renamed = data["QR-01-01"]
    assert renamed["changes"] == ["renamed"]
    assert renamed["old_path"] == "records_templates/qr-01-01.md"
    assert renamed["new_path"] == "records_templates/qr-01-01-dispatch.md"
    assert renamed["approval"]["state"] == "已批准" and renamed["introduced"] == []
    added = data["WI-01-01"]
    assert added["changes"] == ["added"] and added["old"] is None
    assert added["version_check"]["message"] == "首次发布，A/0"
    assert added["approval"]["outstanding"] == ["review", "approve"]
    assert added["approval"]["candidates"][0] == {
        "right": "review", "roles": ["管理者代表"], "people": ["陈代表（管理者代表）"]}
    assert added["impact"]["registers"] == ["现行有效文件目录", "条款覆盖矩阵", "职责分配矩阵",
                                             "记录清单"]


def test_a_change_to_the_people_register_is_shown_with_its_diff_and_approval(
        branch_repo: ManualRepo) -> None:
    governed = section(review(branch_repo), "受控设置的修改")
    assert "### 人员名册" in governed
    assert "- 修改：M people.yml" in governed
    assert "- 状态：未批准。人员名册在批准后又被修改（提交" in governed
    assert "- 可批准的人：王局长（局长）" in governed
    assert "- 修改人：李文管" in governed
    assert "```diff\n" in governed and "+- name: 赵新" in governed
    # Approved in the merge request's own merge commit, it counts.
    branch_repo.git("checkout", "-q", "-b", "approved", "main")
    branch_repo.git("merge", "-q", "--no-ff", "revise", "-m",
                    "Merge branch 'revise'\n\nApproved-by: 王局长 <wang@example.gov.cn>",
                    person="王局长", date="2024-06-20")
    data = review_json(branch_repo, "main")
    assert data["governed"][0]["approved"] is True


def test_deleting_a_controlled_document_is_wrong_and_fixing_a_finding_is_shown(
        approved_repo: ManualRepo) -> None:
    repo = approved_repo
    repo.write("procedures/wi-01-01.md", WI_01_01.replace('"7.5.3"', '"99.1"')
               .replace("- 7.5.3", "- '99.1'").replace("7.5.3", "99.1"))
    repo.commit("Draft WI-01-01", date="2024-03-01")
    repo.git("checkout", "-q", "-b", "fix")
    repo.edit("procedures/wi-01-01.md", "99.1", "7.5.3")
    repo.git("rm", "-q", "records_templates/qr-01-01.md")
    repo.commit("Fix WI-01-01, delete QR-01-01", date="2024-03-10")
    data = review_json(repo)
    fixed = [f for f in data["fixed"] if f["rule"] == "clause.unknown"]
    assert fixed and fixed[0]["document"] == "WI-01-01"
    deleted = by_number(data)["QR-01-01"]
    assert deleted["changes"] == ["deleted"] and deleted["approval"] is None
    assert deleted["version_check"]["verdict"] == "wrong"
    assert "受控文件被删除" in deleted["version_check"]["message"]
    assert {f["rule"] for f in data["introduced"]} >= {"reference.unknown-document"}


def test_html_is_a_standalone_escaped_page(branch_repo: ManualRepo) -> None:
    branch_repo.edit("procedures/wi-01-01.md", "title: 文件归档作业指导书",
                     "title: 归档<b>说明</b>[点此](http://x.example)")
    branch_repo.commit("Retitle WI-01-01", date="2024-06-15")
    page = review(branch_repo, "--html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page
    assert "归档&lt;b&gt;说明&lt;/b&gt;[点此](http://x.example)" in page
    assert "<h2>QP-01《文件控制程序》（修订）</h2>" in page
    markdown = review(branch_repo)
    assert r"归档&lt;b&gt;说明&lt;/b&gt;\[点此\]\(http://x.example\)" in markdown


def test_without_a_main_branch_the_command_says_what_to_do(branch_repo: ManualRepo) -> None:
    branch_repo.git("branch", "-m", "main", "trunk")
    result = branch_repo.qmsdoc("review")
    assert result.exit_code == 2
    assert "找不到主分支（main、master、origin/main、origin/HEAD 都不存在）" in result.output
    assert "qmsdoc review origin/main" in result.output
    assert "| QP-01《文件控制程序》 |" in review(branch_repo, "trunk")
    unknown = branch_repo.qmsdoc("review", "no-such-branch")
    assert unknown.exit_code == 2 and "找不到 no-such-branch" in unknown.output


def test_findings_are_matched_without_lines_commit_ids_or_renamed_paths() -> None:
    def finding(path: str, line: int, message: str, rule: str = "approval.missing") -> Finding:
        return Finding(rule, Severity.ERROR, path, line, message, "", "QP-01")

    base = [finding("a/qp-01.md", 3, "提交 1a2b3c4d 的批准无效（a/qp-01.md）"),
            finding("a/qp-01.md", 9, "旧问题", "clause.unknown")]
    head = [finding("b/qp-01.md", 7, "提交 9f8e7d6c 的批准无效（b/qp-01.md）"),
            finding("b/qp-01.md", 8, "新问题", "clause.unknown")]
    changes = compare_findings(base, head, {"a/qp-01.md": "b/qp-01.md"})
    assert [f.message for f in changes.introduced] == ["新问题"]
    assert [(f.path, f.message) for f in changes.fixed] == [("b/qp-01.md", "旧问题")]


def test_when_the_gate_cannot_run_at_the_base_the_report_says_why(
        approved_repo: ManualRepo) -> None:
    settings = approved_repo.read("qmsdoc.yml")
    approved_repo.write("qmsdoc.yml", settings + "reissue_aftr: 3\n")
    approved_repo.commit("Misspell a setting", paths=("qmsdoc.yml",), date="2024-03-01")
    approved_repo.git("checkout", "-q", "-b", "fix")
    approved_repo.write("qmsdoc.yml", settings)
    approved_repo.commit("Fix the setting", paths=("qmsdoc.yml",), date="2024-03-02")
    report = review(approved_repo)
    assert "> 在比较起点 " in report
    assert "上无法运行检查：qmsdoc.yml 的 reissue\\_aftr 有误" in report
    assert "下面的“新增问题”列出 HEAD 上的全部问题" in report
    data = review_json(approved_repo)
    assert data["base_problem"].startswith("在比较起点 ")
    assert [g["path"] for g in data["governed"]] == ["qmsdoc.yml"]
