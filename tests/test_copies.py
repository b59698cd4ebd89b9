"""Controlled copies: issue, a new revision taking effect, the recall list, recall; the
register's checks; the right to issue; the site page. Real git repositories, real PDFs."""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import pytest

from .conftest import ALL_TYPES, PROJECT, ManualRepo, front, meta, mini_manual, new_repo
from .test_published_input import HOME, SITE_SETTINGS, build, published

ISSUING = front(meta("JR-03", "文件管理员岗位职责", "job_responsibility", role="文件管理员",
                     authority={"write": ALL_TYPES, "issue": ALL_TYPES}),
                "## 1 职责\n\n文件管理员的职责。")


def issuing_manual() -> dict[str, str]:
    """The mini manual, with 文件管理员 entitled to issue every type of document."""
    return {**mini_manual(), "responsibilities/jr-03.md": ISSUING}


@pytest.fixture
def repo(tmp_path: Path) -> ManualRepo:
    repo = new_repo(tmp_path / "repo", issuing_manual())
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return repo


def revise_qp01(repo: ManualRepo, effective: str, approved: str) -> None:
    """QP-01 A/1, written by 李文管, reviewed and approved, to take effect on ``effective``."""
    repo.edit("procedures/qp-01.md", "version: A/0", "version: A/1")
    repo.edit("procedures/qp-01.md", "state: effective", "state: in_review")
    repo.edit("procedures/qp-01.md", "effective_date: '2024-03-01'", f"effective_date: '{effective}'")
    repo.edit("procedures/qp-01.md", "change_summary: 首次发布", "change_summary: 增加受控本发放要求")
    repo.edit("procedures/qp-01.md", "文件管理员维护受控文件。", "文件管理员维护受控文件，发放受控本。")
    repo.commit("QP-01 A/1", date=approved)
    repo.approve_all(["QP-01"], date=approved)


def recall_json(repo: ManualRepo, day: str) -> list[dict[str, object]]:
    result = repo.qmsdoc("recall", "--json", "--date", day, date=day)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def pdf_pages(file: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(file), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_issue_then_a_new_revision_then_recall(repo: ManualRepo, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    result = repo.qmsdoc("issue", "QP-01", "--to", "政务服务中心窗口", "--copies", "2",
                         "--output", str(out), date="2024-03-05")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("已发放 QP-01 A/0 受控本 2 份，持有人 政务服务中心窗口（提交 ")
    assert "QP-01-A0-001" in result.output and "QP-01-A0-002" in result.output
    log = repo.git("log", "-1", "--format=%an|%s")
    assert log == "李文管|发放 QP-01 A/0 受控本 2 份：QP-01-A0-001、QP-01-A0-002\n"
    register = repo.read("copies.yml")
    assert "  - number: QP-01-A0-002\n    document: QP-01\n    version: A/0\n" in register
    assert "holder: 政务服务中心窗口\n    issued_on: 2024-03-05\n    issued_by: 李文管\n" in register
    for number in ("QP-01-A0-001", "QP-01-A0-002"):
        pages = pdf_pages(out / f"{number}.pdf")
        assert pages and all(f"受控本 发放号 {number}" in page and "政务服务中心窗口" in page
                             for page in pages)
    assert recall_json(repo, "2024-03-10") == []

    revise_qp01(repo, effective="2024-05-01", approved="2024-04-10")
    assert recall_json(repo, "2024-04-30") == []  # approved, not yet in effect
    due = recall_json(repo, "2024-05-03")
    assert [(d["copy"], d["version"], d["in_force"], d["holder"], d["due_since"], d["days_due"])
            for d in due] == [
        ("QP-01-A0-001", "A/0", "A/1", "政务服务中心窗口", "2024-05-01", 2),
        ("QP-01-A0-002", "A/0", "A/1", "政务服务中心窗口", "2024-05-01", 2)]
    text = repo.qmsdoc("recall", "--date", "2024-05-03", date="2024-05-03").output
    assert ("QP-01-A0-001  QP-01 A/0（现行 A/1）  持有人 政务服务中心窗口  "
            "自 2024-05-01 起应收回（2 天）") in text
    overdue = [f for f in repo.gate(today=datetime.date(2024, 5, 20)).findings
               if f.rule == "copies.recall-overdue"]
    assert [f.line for f in overdue] == [4, 10] and not overdue[0].is_error
    assert "19 天仍未收回" in overdue[0].message

    done = repo.qmsdoc("recall", "--done", "QP-01-A0-001", date="2024-05-21")
    assert done.exit_code == 0, done.output
    assert "已登记收回 QP-01-A0-001（QP-01 A/0，持有人 政务服务中心窗口），收回销毁" in done.output
    kept = repo.qmsdoc("recall", "--done", "QP-01-A0-002", "--kept", date="2024-05-21")
    assert kept.exit_code == 0, kept.output
    assert repo.git("log", "-1", "--format=%an|%s") == (
        "李文管|收回 QP-01 A/0 受控本 QP-01-A0-002（作废留存）\n")
    assert recall_json(repo, "2024-05-22") == []
    assert "    recalled_on: 2024-05-21\n    recalled_by: 李文管\n    outcome: kept\n" in repo.read(
        "copies.yml")
    again = repo.qmsdoc("recall", "--done", "QP-01-A0-002", date="2024-05-22")
    assert again.exit_code == 1 and "已于 2024-05-21 由 李文管 收回" in again.output
    findings = repo.gate(today=datetime.date(2024, 5, 22)).findings
    assert [f for f in findings if f.rule.startswith("copies.")] == []
    # The next copy of the new version starts its own numbering.
    more = repo.qmsdoc("issue", "QP-01", "--to", "办公室", "--output", str(out), date="2024-05-22")
    assert more.exit_code == 0 and "QP-01-A1-001" in more.output


def test_a_withdrawal_makes_the_copies_due(repo: ManualRepo, tmp_path: Path) -> None:
    assert repo.qmsdoc("issue", "QR-01-01", "--to", "张三", "--output", str(tmp_path),
                       date="2024-03-05").exit_code == 0
    repo.edit("records_templates/qr-01-01.md", "state: effective", "state: obsolete")
    repo.edit("records_templates/qr-01-01.md", "effective_date: '2024-03-01'",
              "effective_date: '2024-06-01'")
    repo.commit("Withdraw QR-01-01", date="2024-04-01")
    repo.approve_all(["QR-01-01"], date="2024-04-10")
    due = recall_json(repo, "2024-06-02")
    assert [(d["copy"], d["in_force"], d["due_since"]) for d in due] == [
        ("QR-01-01-A0-001", "已作废", "2024-06-01")]


def test_only_a_role_entitled_to_issue_may_issue_or_recall(repo: ManualRepo, tmp_path: Path
                                                           ) -> None:
    refused = repo.qmsdoc("issue", "QP-01", "--to", "窗口", "--output", str(tmp_path),
                          person="陈代表", date="2024-03-05")
    assert refused.exit_code == 1
    assert ("未发放：陈代表 今天（2024-03-05）担任的岗位（管理者代表）没有程序文件的发放权限，"
            "不能发放受控本。有此权限的岗位：文件管理员") in refused.output
    assert not (repo.root / "copies.yml").exists() and not list(tmp_path.glob("*.pdf"))
    assert repo.qmsdoc("issue", "QP-01", "--to", "窗口", "--output", str(tmp_path),
                       date="2024-03-05").exit_code == 0
    recall = repo.qmsdoc("recall", "--done", "QP-01-A0-001", person="王局长", date="2024-03-06")
    assert recall.exit_code == 1 and "王局长 今天（2024-03-06）担任的岗位（局长）没有" in recall.output


def test_without_the_right_in_the_job_responsibilities_nobody_issues(
        approved_repo: ManualRepo, tmp_path: Path) -> None:
    refused = approved_repo.qmsdoc("issue", "QP-01", "--to", "窗口", "--output", str(tmp_path),
                                   date="2024-03-05")
    assert refused.exit_code == 1
    assert "有此权限的岗位：无（须在岗位职责的 authority 中写 issue）" in refused.output


def test_only_documents_in_force_are_issued(repo: ManualRepo, tmp_path: Path) -> None:
    repo.write("procedures/qp-02.md", front(meta(
        "QP-02", "记录控制程序", "procedure", state="in_review", related=["QM-01"]), "## 1 目的"))
    repo.edit("records_templates/qr-01-01.md", "state: effective", "state: obsolete")
    repo.edit("records_templates/qr-01-01.md", "effective_date: '2024-03-01'",
              "effective_date: '2024-03-02'")
    repo.commit("Draft QP-02, withdraw QR-01-01", date="2024-03-01")
    repo.approve_all(["QR-01-01"], date="2024-03-02")
    result = repo.qmsdoc("issue", "QP-02", "--to", "窗口", "--output", str(tmp_path),
                         date="2024-03-05")
    assert result.exit_code == 1 and "QP-02《记录控制程序》 还没有现行有效的版本" in result.output
    result = repo.qmsdoc("issue", "QR-01-01", "--to", "窗口", "--output", str(tmp_path),
                         date="2024-03-05")
    assert result.exit_code == 1 and "QR-01-01《文件发放登记表》 已作废：只能发放现行有效的文件" in (
        result.output)
    missing = repo.qmsdoc("issue", "QP-09", "--to", "窗口", date="2024-03-05")
    assert missing.exit_code == 1 and "没有编号为 QP-09 的受控文件" in missing.output


BROKEN = """copies:
  - number: QP-01-A0-001
    document: QP-01
    version: A/0
    holder: 窗口
    issued_on: 2024-03-05
    issued_by: 李文管
  - number: QP-01-A0-001
    document: QP-01
    version: A/0
    holder: 办公室
    issued_on: 2024-03-05
    issued_by: 李文管
  - number: QP-07-A0-001
    document: QP-07
    version: A/0
    holder: 办公室
    issued_on: 2024-03-05
    issued_by: 李文管
  - number: QP-01-B0-001
    document: QP-01
    version: B/0
    holder: 办公室
    issued_on: 2024-03-05
    issued_by: 李文管
"""


def test_register_errors_name_the_line(repo: ManualRepo) -> None:
    repo.write("copies.yml", BROKEN)
    repo.commit("Register by hand", date="2024-03-05")
    found = sorted((f.line, f.rule, f.message) for f in repo.gate().findings
                   if f.rule.startswith("copies."))
    assert found == [
        (8, "copies.duplicate-number", "发放号 QP-01-A0-001 登记了两次（第一次在第 2 行）"),
        (15, "copies.unknown-document", "发放号 QP-07-A0-001 登记的文件 QP-07 不存在"),
        (22, "copies.unknown-document",
         "发放号 QP-01-B0-001 登记的 QP-01《文件控制程序》 B/0 版从未批准过"),
    ]
    assert all(f.is_error for f in repo.gate().findings if f.rule.startswith("copies."))


@pytest.mark.parametrize(("text", "line", "message"), [
    ("copies:\n  - number: QP-01-A0-001\n    document: QP-01\n    version: A/0\n"
     "    holder: 窗口\n    issued_on: 2024-13-05\n    issued_by: 李文管\n", 6,
     "第 1 个条目的 issued_on（发放日期）的值 '2024-13-05' 不对"),
    ("copies:\n  - number: QP-01-A0-001\n    document: QP-01\n    version: A/0\n"
     "    holder: 窗口\n    issued_on: 2024-03-05\n    issued_by: 李文管\n"
     "    recalled_on: 2024-04-01\n", 2, "第 1 个条目写了收回信息，但缺少 recalled_by、outcome"),
    ("copies:\n  - number: QP-01-A0-001\n    document: QP-01\n    version: A/0\n"
     "    issued_on: 2024-03-05\n    issued_by: 李文管\n    holdr: 窗口\n", 2,
     "第 1 个条目缺少 holder（持有人）"),
    ("copies:\n  - number: QP-01-A0-001\n    document: QP-01\n    version: A/0\n"
     "    holder: 窗口: 二楼\n", 5,
     "发放回收登记无法读取：这里不能出现冒号；值里含有冒号时，请给整个值加英文引号"),
    ("copies:\n  - number: QP-01-A1-001\n    document: QP-01\n    version: A/0\n"
     "    holder: 窗口\n    issued_on: 2024-03-05\n    issued_by: 李文管\n", 2,
     "发放号 QP-01-A1-001 与登记的文件 QP-01 A/0 不符"),
])
def test_a_malformed_register_is_reported_in_chinese_with_its_line(
        repo: ManualRepo, text: str, line: int, message: str) -> None:
    repo.write("copies.yml", text)
    repo.commit("Register by hand", date="2024-03-05")
    found = [f for f in repo.gate().findings if f.rule == "copies.invalid"]
    assert (line, message) in [(f.line, f.message) for f in found]
    refused = repo.qmsdoc("issue", "QP-01", "--to", "窗口", date="2024-03-06")
    assert refused.exit_code == 1 and "发放回收登记 copies.yml 有错误，请先改正" in refused.output


ENTRY = ("copies:\n  - number: QP-01-A0-001\n    document: QP-01\n    version: A/0\n"
         "    holder: 窗口\n    issued_on: 2024-03-05\n    issued_by: {name}\n")


def test_an_entry_counts_only_from_an_entitled_author(repo: ManualRepo) -> None:
    repo.write("copies.yml", ENTRY.format(name="陈代表"))
    repo.commit("Issue by hand", person="陈代表", date="2024-03-05")
    found = [f for f in repo.gate().findings if f.rule == "copies.not-entitled"]
    assert [(f.line, f.is_error) for f in found] == [(2, True)]
    assert "陈代表 在 2024-03-05 担任的岗位（管理者代表）没有程序文件的发放权限" in found[0].message
    repo.write("copies.yml", ENTRY.format(name="陈代表"))
    repo.commit("Write 陈代表's name", person="李文管", date="2024-03-06")  # no change: still his
    repo.write("copies.yml", ENTRY.format(name="李文管"))
    repo.commit("Claim it", person="陈代表", date="2024-03-06")
    found = [f for f in repo.gate().findings if f.rule == "copies.not-entitled"]
    assert "登记的发放人是 李文管，提交人却是 陈代表" in found[0].message
    repo.write("copies.yml", ENTRY.format(name="王局长"))
    found = {f.rule: f for f in repo.gate().findings if f.rule.startswith("copies.")}
    assert set(found) == {"copies.uncommitted"} and not found["copies.uncommitted"].is_error
    assert "copies.uncommitted" in repo.rules(strict=True)


def test_the_site_publishes_the_register_of_copies(tmp_path: Path) -> None:
    files = {**issuing_manual(), "mkdocs.yml": SITE_SETTINGS, "docs/index.md": HOME,
             "hooks/qmsdoc_mkdocs.py": (PROJECT / "hooks/qmsdoc_mkdocs.py").read_text("utf-8")}
    repo = new_repo(tmp_path / "repo", files)
    repo.commit("Add the first edition and the site", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    for holder in ("政务服务中心窗口", "办公室"):
        assert repo.qmsdoc("issue", "QP-01", "--to", holder, "--output", str(tmp_path / "pdf"),
                           date="2024-03-05").exit_code == 0
    assert repo.qmsdoc("issue", "QR-01-01", "--to", "张三", "--output", str(tmp_path / "pdf"),
                       date="2024-03-05").exit_code == 0
    revise_qp01(repo, effective="2024-05-01", approved="2024-04-10")
    assert repo.qmsdoc("recall", "--done", "QP-01-A0-002", "--kept", date="2024-05-02").exit_code == 0
    result = build(repo, QMSDOC_DATE="2024-05-10")
    assert result.returncode == 0, result.stderr
    page = published(repo, "registers/controlled-copies/index.html")
    assert "<h1" in page and "受控文件发放回收登记" in page
    assert "本页根据 git 中的受控文件发放回收登记" in page and "已批准的元数据" not in page
    circulating, due, recalled = (page.split(f'{title}<')[1].split("</table>")[0] for title in
                                  ("在用的受控本", "应收回的受控本", "已收回的受控本"))
    assert "QR-01-01-A0-001" in circulating and "张三" in circulating and "现行" in circulating
    assert ("<td>A/0</td><td>A/1</td><td>QP-01-A0-001</td><td>政务服务中心窗口</td>"
            "<td>2024-05-01</td><td>9 天</td>") in due
    assert "QP-01-A0-002" in recalled and "作废留存" in recalled and "QP-01-A0-002" not in due
    assert 'href="../../procedures/qp-01/"' in due
    assert "受控文件发放回收登记" in published(repo, "index.html")  # in the navigation
