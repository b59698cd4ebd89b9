"""qmsdoc status and the pending-work page: what is waiting, and on whom."""

from __future__ import annotations

import datetime
import json
import re

from qmsdoc import registers
from qmsdoc.model import Right
from qmsdoc.pending import pending_work
from qmsdoc.site import SitePlan

from .conftest import ManualRepo
from .test_approvals import QP01, revise
from .test_published_input import build, published, site_repo  # noqa: F401 - a fixture

QR = "records_templates/qr-01-01.md"


def coming_revision(repo: ManualRepo) -> None:
    """QR-01-01 A/1, approved on 2024-06-01 to take effect on 2024-09-01."""
    repo.edit(QR, "version: A/0", "version: A/1")
    repo.edit(QR, "effective_date: '2024-03-01'", "effective_date: '2024-09-01'")
    repo.edit(QR, "state: effective", "state: in_review")
    repo.edit(QR, "| 日期 | 文件 |", "| 日期 | 文件 | 份数 |")
    repo.edit(QR, "| --- | --- |", "| --- | --- | --- |")
    repo.commit("Revise QR-01-01", date="2024-05-20", paths=(QR,))
    repo.approve_all(["QR-01-01"], date="2024-06-01")


def test_status_lists_a_revision_in_review_with_what_it_needs(approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    work = pending_work(approved_repo.gate())
    [item] = work.in_review
    assert (item.number, item.version, item.approved_version, item.state) == (
        "QP-01", "A/1", "A/0", "审批中")
    assert item.authors == ("李文管",) and item.signoffs == ()
    review, approval = item.needs
    assert (review.meaning, review.roles, review.holders) == (
        Right.REVIEW, ("管理者代表",), (("陈代表", "管理者代表"),))
    assert (approval.meaning, approval.roles, approval.holders) == (
        Right.APPROVE, ("局长",), (("王局长", "局长"),))

    approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    review_commit = approved_repo.git("rev-parse", "--short=8", "HEAD").strip()
    result = approved_repo.qmsdoc("status", "--date", "2024-07-01")
    assert result.exit_code == 0, result.output
    block = result.output[result.output.index("审批中的修订（1）"):]
    assert block.splitlines()[1:5] == [
        "  QP-01《文件控制程序》A/0 → A/1  审批中  拟 2024-06-20 生效",
        "      编制：李文管",
        f"      已有审核：陈代表（管理者代表） 2024-05-08，提交 {review_commit}",
        "      尚需批准：有权的岗位 局长；今天在任、可以批准的人 王局长（局长）（编制人和审核人除外）",
    ]


def test_an_author_is_not_offered_as_a_reviewer(approved_repo: ManualRepo) -> None:
    # 陈代表 edits the revision too: nobody else holds 管理者代表, so nobody may review it.
    revise(approved_repo)
    approved_repo.edit(QP01, "每年清点一次", "每半年清点一次")
    approved_repo.commit("Tighten", person="陈代表", date="2024-05-07", paths=(QP01,))
    review = pending_work(approved_repo.gate()).in_review[0].needs[0]
    assert review.meaning is Right.REVIEW and review.holders == ()
    assert "今天在任、可以审核的人 无（编制人除外）" in review.describe()


def test_status_lists_a_coming_revision_and_reviews_due(approved_repo: ManualRepo) -> None:
    coming_revision(approved_repo)
    work = pending_work(approved_repo.gate(today=datetime.date(2024, 7, 1)))
    [coming] = work.coming
    assert (coming.number, coming.version, coming.approved_on, coming.effective_from) == (
        "QR-01-01", "A/1", datetime.date(2024, 6, 1), datetime.date(2024, 9, 1))
    assert work.in_review == () and work.overdue == () and work.due_soon == ()

    # Approved 2024-02-10/20 with a 12-month interval: due 2025-02-10/20.
    data = json.loads(approved_repo.qmsdoc("status", "--json", "--date", "2025-02-15").output)
    assert [(r["document"], r["due"]) for r in data["overdue_reviews"]] == [
        ("JR-01", "2025-02-10"), ("JR-02", "2025-02-10"), ("JR-03", "2025-02-10")]
    assert [(r["document"], r["due"]) for r in data["reviews_due"]] == [
        ("QM-01", "2025-02-20"), ("QP-01", "2025-02-20")]  # QR-01-01 A/1: approved 2024-06-01
    text = approved_repo.qmsdoc("status", "--date", "2025-02-15").output
    assert ("  JR-01《局长岗位职责》A/0  应于 2025-02-10 前评审，已逾期 5 天"
            "（上次审核或批准 2024-02-10）") in text
    assert text.index("定期评审已逾期") < text.index("审批中的修订") < text.index("已批准待生效")


def test_the_pending_work_page_is_built_for_staff(site_repo: ManualRepo) -> None:  # noqa: F811
    revise(site_repo)
    site_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    result = build(site_repo, QMSDOC_DATE="2025-02-15")
    assert result.returncode == 0, result.stderr
    page = published(site_repo, "registers/pending-work/index.html")
    assert "待办事项" in page
    assert ("<td>A/0 → A/1</td><td>审批中</td><td>2024-06-20</td>"
            "<td>已审核（管理者代表）；待批准（局长）</td>") in page
    assert "<td>2025-02-10</td><td>逾期 5 天</td>" in page
    assert "李文管" not in page and "陈代表" not in page  # no names
    assert not re.search(r"\w@\w", page)  # no e-mails (the print style's @page is not one)
    assert "待办事项" in published(site_repo, "index.html")  # in the navigation


def test_the_page_is_one_of_the_generated_registers(approved_repo: ManualRepo) -> None:
    assert ("registers/pending-work.md", "待办事项") in [
        (uri, title) for uri, title, _ in registers.pages()]
    plan = SitePlan(approved_repo.gate(), "docs")
    text = plan.register_markdown("registers/pending-work.md", lambda uri: uri)
    assert text is not None and text.count("无。") == 4
