"""Periodic reviews ("reviewed, no change") in 修订记录, on the site and on the card."""

from __future__ import annotations

import datetime
import json

from qmsdoc.revision_history import history_rows
from qmsdoc.site import SitePlan

from .conftest import ManualRepo
from .test_published_input import build, published, site_repo  # noqa: F401 - a fixture

LATER = datetime.date(2025, 3, 1)


def review_qp01(repo: ManualRepo) -> None:
    result = repo.approve("QP-01", person="陈代表", date="2025-01-15", review=True)
    assert result.exit_code == 0, result.output


def test_a_periodic_review_is_a_row_of_the_revision_history(approved_repo: ManualRepo) -> None:
    review_qp01(approved_repo)
    gate = approved_repo.gate(today=LATER)
    rows = history_rows(gate.statuses["QP-01"], gate.register)
    assert [(r.version, r.status) for r in rows] == [("A/0", "定期评审"), ("A/0", "现行有效")]
    review = rows[0]
    assert review.change_summary == "定期评审，内容无修改"
    assert review.reviewed_by == ("陈代表（管理者代表） 2025-01-15",)
    assert review.reviewed_on == datetime.date(2025, 1, 15) and review.commit
    assert review.approved_by == "" and review.written_by == ()
    # Not yet reviewed on an earlier publication day.
    early = approved_repo.gate(today=datetime.date(2025, 1, 1))
    assert [r.status for r in history_rows(early.statuses["QP-01"], early.register)] == ["现行有效"]


def test_qmsdoc_history_shows_the_periodic_review(approved_repo: ManualRepo) -> None:
    review_qp01(approved_repo)
    text = approved_repo.qmsdoc("history", "QP-01", "--date", "2025-03-01")
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[1].startswith("A/0  定期评审  提交 ")
    assert lines[2] == "    定期评审，内容无修改  审核：陈代表（管理者代表） 2025-01-15"
    data = json.loads(approved_repo.qmsdoc("history", "QP-01", "--json", "--date",
                                           "2025-03-01").output)
    first = data["revisions"][0]
    assert first["status"] == "定期评审" and first["periodic_review"] is True
    assert first["reviewed_on"] == "2025-01-15"
    assert data["revisions"][1]["periodic_review"] is False


def test_the_card_shows_the_next_review_after_a_periodic_review(approved_repo: ManualRepo) -> None:
    review_qp01(approved_repo)
    plan = SitePlan(approved_repo.gate(today=LATER), "docs")
    page = plan.documents["QP-01"]
    html = plan.decorate_html(page, plan.decorate_markdown(page, "正文"))
    assert "<small>下次评审</small><strong>2026-01-15</strong>" in html
    other = plan.documents["QR-01-01"]
    html = plan.decorate_html(other, plan.decorate_markdown(other, "正文"))
    assert "<small>下次评审</small><strong>2025-02-20</strong>" in html  # approved 2024-02-20


def test_the_site_history_table_lists_the_periodic_review(site_repo: ManualRepo) -> None:  # noqa: F811
    review_qp01(site_repo)
    result = build(site_repo, QMSDOC_DATE="2025-03-01")
    assert result.returncode == 0, result.stderr
    page = published(site_repo, "procedures/qp-01/index.html")
    history = page[page.index('class="qms-history"'):]
    rows = history.split("<tr>")[2:]
    assert len(rows) == 2
    assert "<td>定期评审</td>" in rows[0] and "<td>定期评审，内容无修改</td>" in rows[0]
    assert "陈代表（管理者代表） 2025-01-15" in rows[0]
    assert "<td>现行有效</td>" in rows[1]
    assert "<small>下次评审</small><strong>2026-01-15</strong>" in page
