"""Dates: what is in force on a day, and which commit dates history can vouch for.

A revision takes effect on its effective date, not when it is approved; nothing
takes effect before it is approved; and a commit cannot be dated before the
history it was made on top of.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import yaml

from qmsdoc.approve import record_approval
from qmsdoc.loader import parse_document
from qmsdoc.site import SitePlan

from .conftest import PEOPLE, ManualRepo, mini_manual, new_repo, register_text

QP01 = "procedures/qp-01.md"
QP02 = "procedures/qp-02.md"
DAY = datetime.date
JRS = ["responsibilities/jr-01.md", "responsibilities/jr-02.md", "responsibilities/jr-03.md"]
OTHERS = ["docs/manual/qm-01.md", QP01, "records_templates/qr-01-01.md"]


def revise(repo: ManualRepo, effective: str, date: str = "2024-05-06") -> None:
    """李文管 writes A/1 of QP-01, to take effect on ``effective``."""
    repo.edit(QP01, "文件管理员维护受控文件。", "文件管理员维护受控文件，每年清点一次。")
    repo.edit(QP01, "version: A/0", "version: A/1")
    repo.edit(QP01, "state: effective", "state: in_review")
    repo.edit(QP01, "effective_date: '2024-03-01'", f"effective_date: '{effective}'")
    repo.commit("Revise QP-01", date=date, paths=(QP01,))


def rules(repo: ManualRepo, today: DAY, strict: bool = False) -> set[str]:
    return {f.rule for f in repo.gate(strict, today).findings if f.is_error}


# --- effective dates ---------------------------------------------------------------------------

def test_a_revision_approved_for_a_later_date_leaves_the_one_in_force_until_then(
        approved_repo: ManualRepo) -> None:
    revise(approved_repo, effective="2024-08-01")
    approved_repo.approve_all(["QP-01"], date="2024-06-10")
    before = approved_repo.gate(strict=True, today=DAY(2024, 7, 31))
    assert before.errors == []  # approved: nothing unapproved on a release branch
    status = before.statuses["QP-01"]
    assert status.published is not None and str(status.published.snapshot.version) == "A/0"
    assert [str(r.snapshot.version) for r in status.coming] == ["A/1"]
    assert status.in_force and not status.pending
    assert before.next_change() == (DAY(2024, 8, 1), ["QP-01 A/1 版生效"])
    after = approved_repo.gate(strict=True, today=DAY(2024, 8, 1)).statuses["QP-01"]
    assert after.published is not None and str(after.published.snapshot.version) == "A/1"
    assert after.coming == ()


def test_the_site_shows_the_revision_in_force_and_announces_the_coming_one(
        approved_repo: ManualRepo) -> None:
    revise(approved_repo, effective="2024-08-01")
    approved_repo.approve_all(["QP-01"], date="2024-06-10")
    plan = SitePlan(approved_repo.gate(today=DAY(2024, 7, 1)), "docs")
    page = plan.documents["QP-01"]
    assert "每年清点一次" not in page.markdown  # the text in force is A/0
    coming = plan.page_at("archive/QP-01/A-1.md")
    assert coming is not None and "每年清点一次" in coming.markdown
    assert coming.title == "QP-01 文件控制程序（A/1，待生效）"
    decorated = plan.decorate_html(page, plan.decorate_markdown(page, "正文"))
    assert '!!! info "新版本已批准待生效"' in decorated
    assert "A/1 版已于 2024-06-10 批准，2024-08-01 起生效；在此之前请继续执行下文的现行版本 A/0" \
        in decorated
    assert "[阅读 A/1 版全文](../archive/QP-01/A-1.md)" in decorated
    assert "<small>已批准待生效</small><strong>A/1（2024-08-01 起）</strong>" in decorated
    assert ('<td><a href="../../archive/QP-01/A-1/">A/1</a></td><td>已批准待生效</td>'
            "<td>2024-08-01</td>") in decorated
    assert '<td><a href="../../archive/QP-01/A-0/">A/0</a></td><td>现行有效</td>' in decorated
    assert '<a href="../../archive/QP-01/A-1/redline.html">修订对照</a>' in decorated
    on_coming = plan.decorate_html(coming, plan.decorate_markdown(coming, "正文"))
    assert '!!! warning "尚未生效"' in on_coming and "[A/0 版](../../procedures/qp-01.md)" in on_coming
    assert "<small>状态</small><strong>已批准待生效</strong>" in on_coming
    master = plan.register_markdown("registers/master-list.md", lambda uri: uri)
    assert master is not None and "A/1 版 2024-08-01 起生效" in master


def test_check_names_the_next_day_the_site_changes(approved_repo: ManualRepo) -> None:
    revise(approved_repo, effective="2024-08-01")
    approved_repo.approve_all(["QP-01"], date="2024-06-10")
    result = approved_repo.qmsdoc("check", "--date", "2024-07-01")
    assert result.exit_code == 0, result.output
    assert "网站下一次变化：2024-08-01（QP-01 A/1 版生效）" in result.output
    history = approved_repo.qmsdoc("history", "QP-01", "--json", "--date", "2024-07-01")
    rows = json.loads(history.output)["revisions"]
    assert [(r["version"], r["status"]) for r in rows] == [("A/1", "已批准待生效"), ("A/0", "现行有效")]


def test_qmsdoc_date_sets_the_publication_day(approved_repo: ManualRepo) -> None:
    revise(approved_repo, effective="2024-08-01")
    approved_repo.approve_all(["QP-01"], date="2024-06-10")
    result = approved_repo.runner.invoke(
        __import__("qmsdoc.cli").cli.cli, ["history", "QP-01", "--json", "--root",
                                           str(approved_repo.root)],
        env={**approved_repo.env("李文管", "2024-06-11"), "QMSDOC_DATE": "2024-08-02"})
    rows = json.loads(result.output)["revisions"]
    assert [(r["version"], r["status"]) for r in rows] == [("A/1", "现行有效"), ("A/0", "已被替代")]
    wrong = approved_repo.runner.invoke(
        __import__("qmsdoc.cli").cli.cli, ["check", "--root", str(approved_repo.root)],
        env={**approved_repo.env("李文管", "2024-06-11"), "QMSDOC_DATE": "2024-13-01"})
    assert wrong.exit_code == 2 and "写作 年-月-日" in wrong.output


def test_a_withdrawal_takes_effect_on_its_own_date(approved_repo: ManualRepo) -> None:
    text = approved_repo.read(QP01).replace("QP-01", "QP-02").replace("文件控制程序", "档案管理程序")
    approved_repo.write(QP02, text.replace("state: effective", "state: in_review").replace(
        "records: [QR-01-01]", "records: []"))
    approved_repo.commit("Add QP-02", date="2024-02-21", paths=(QP02,))
    approved_repo.approve_all(["QP-02"], date="2024-02-25")
    approved_repo.edit(QP02, "state: effective", "state: obsolete")
    approved_repo.edit(QP02, "effective_date: '2024-03-01'", "effective_date: '2024-09-01'")
    approved_repo.edit(QP02, "change_summary: 首次发布", "change_summary: 不再单独规定，本程序作废")
    approved_repo.commit("Withdraw QP-02", date="2024-06-01", paths=(QP02,))
    approved_repo.approve_all(["QP-02"], date="2024-06-10")
    status = approved_repo.gate(today=DAY(2024, 8, 31)).statuses["QP-02"]
    assert status.in_force and not status.withdrawn
    assert [r.snapshot.withdrawn for r in status.coming] == [True]
    plan = SitePlan(approved_repo.gate(today=DAY(2024, 8, 31)), "docs")
    page = plan.documents["QP-02"]
    assert "2024-09-01 起不再有效" in plan.decorate_markdown(page, "正文")
    assert approved_repo.gate(today=DAY(2024, 9, 1)).statuses["QP-02"].withdrawn


def test_nothing_takes_effect_before_it_is_approved(approved_repo: ManualRepo) -> None:
    revise(approved_repo, effective="2024-05-01")
    approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    refused = approved_repo.approve("QP-01", person="王局长", date="2024-05-09")
    assert refused.exit_code == 1
    assert "写明 2024-05-01 生效，早于批准日期" in refused.output
    assert "把 effective_date 改为 2024-05-09 或以后的日期" in refused.output
    # An approval by hand (a merge request, say) does not count either.
    approved_repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>",
                                 person="王局长", date="2024-05-09")
    gate = approved_repo.gate()
    finding = next(f for f in gate.findings if f.rule == "approval.effective-before-approval")
    assert finding.is_error and finding.path == QP01
    published = gate.statuses["QP-01"].published
    assert published is not None and str(published.snapshot.version) == "A/0"


# --- commit dates ------------------------------------------------------------------------------

def repo_with_term_ending(tmp_path: Path) -> ManualRepo:
    """陈代表 is 管理者代表 until 2024-03-31; the manual is approved in February 2024."""
    roles = {"陈代表": [{"role": "管理者代表", "from": "2020-01-01", "to": "2024-03-31"}]}
    repo = new_repo(tmp_path / "r", mini_manual(), register=register_text(roles=roles))
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return repo


def test_a_backdated_review_is_judged_at_the_date_history_proves(tmp_path: Path) -> None:
    repo = repo_with_term_ending(tmp_path)
    revise(repo, effective="2024-06-20", date="2024-05-06")
    # After the end of the term, 陈代表 reviews with the clock set back to when he held the role.
    repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>", person="陈代表",
                        date="2024-03-15")
    gate = repo.gate()
    order = [f for f in gate.findings if f.rule == "history.date-order"]
    assert len(order) == 1 and order[0].is_error and order[0].path == QP01
    assert "2024-03-15 10:00 早于它之前的提交（2024-05-06 10:00）" in order[0].message
    held = next(f for f in gate.findings if f.rule == "approval.role-not-held")
    assert "2024-05-06 当天此人不担任" in held.message


def test_approve_refuses_a_backdated_review(tmp_path: Path) -> None:
    repo = repo_with_term_ending(tmp_path)
    revise(repo, effective="2024-06-20", date="2024-05-06")
    refused = repo.approve("QP-01", person="陈代表", date="2024-03-15", review=True)
    assert refused.exit_code == 1
    assert "您的提交日期 2024-03-15 10:00 早于仓库中已有提交的日期 2024-05-06 10:00" in refused.output
    assert "Reviewed-by" not in repo.git("log", "-1", "--format=%B")


def test_an_approval_dated_in_the_future_does_not_count_yet(approved_repo: ManualRepo) -> None:
    revise(approved_repo, effective="2099-06-01")
    approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    approved_repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>",
                                 person="王局长", date="2099-05-09")
    gate = approved_repo.gate(today=DAY(2024, 7, 1))
    future = next(f for f in gate.findings if f.rule == "history.future-date")
    assert future.is_error and "2099-05-09 10:00 晚于现在" in future.message
    assert gate.statuses["QP-01"].latest is not None
    assert str(gate.statuses["QP-01"].latest.snapshot.version) == "A/0"


def test_a_backdated_commit_without_approval_is_a_warning(approved_repo: ManualRepo) -> None:
    approved_repo.edit(QP01, "文件管理员维护受控文件。", "文件管理员维护受控文件，每年清点一次。")
    approved_repo.edit(QP01, "state: effective", "state: in_review")
    approved_repo.commit("Revise", date="2023-01-01", paths=(QP01,))
    found = [f for f in approved_repo.gate().findings if f.rule == "history.date-order"]
    assert len(found) == 1 and not found[0].is_error


def enter_approval(repo: ManualRepo, paths: list[str], person: str, date: str,
                   review: bool) -> None:
    """Record an approval from a paper record afterwards, as ``qmsdoc approve`` writes it."""
    meaning = "review" if review else "approve"
    email, role = PEOPLE[person]
    for path in paths:
        text = repo.read(path)
        fingerprint = parse_document(path, text).document.fingerprint  # type: ignore[union-attr]
        record = {"meaning": meaning, "name": person, "email": email, "role": role,
                  "date": date, "fingerprint": fingerprint}
        repo.write(path, record_approval(text, record, fingerprint, not review))
    trailer = "Reviewed-by" if review else "Approved-by"
    repo.commit(f"Enter the {meaning} of {date}", person=person, date=date, paths=tuple(paths),
                trailers=(f"{trailer}: {person} <{email}>",))


def backfilled_repo(tmp_path: Path) -> tuple[ManualRepo, str]:
    """A manual adopted on 2024-06-01 whose approvals of February were entered afterwards."""
    repo = new_repo(tmp_path / "r", mini_manual())
    repo.commit("Adopt qmsdoc", date="2024-06-01")  # the documents, written down in June
    for paths, date in ((JRS, "2024-02-10"), (OTHERS, "2024-02-20")):
        enter_approval(repo, paths, "陈代表", date, review=True)
        enter_approval(repo, paths, "王局长", date, review=False)
    return repo, repo.git("rev-parse", "HEAD").strip()


def declare_backfill(repo: ManualRepo, last: str, approver: str | None) -> None:
    repo.git("checkout", "-q", "-b", "backfill", date="2024-06-05")
    settings = yaml.safe_load(repo.read("qmsdoc.yml"))
    settings["history_backfilled_until"] = last
    repo.write("qmsdoc.yml", yaml.safe_dump(settings, allow_unicode=True, sort_keys=False))
    repo.commit("Declare the backfilled history", date="2024-06-05", paths=("qmsdoc.yml",))
    repo.git("checkout", "-q", "main", date="2024-06-05")
    trailer = f"\n\nApproved-by: {approver}" if approver else ""
    repo.git("merge", "-q", "--no-ff", "backfill", "-m", "Merge branch 'backfill'" + trailer,
             person="王局长", date="2024-06-06")


def test_backfilled_history_must_be_declared(tmp_path: Path) -> None:
    repo, _ = backfilled_repo(tmp_path)
    assert "history.date-order" in rules(repo, DAY(2024, 7, 1))


def test_declared_and_approved_backfilled_history_is_taken_at_its_dates(tmp_path: Path) -> None:
    repo, last = backfilled_repo(tmp_path)
    declare_backfill(repo, last, "王局长 <wang@example.gov.cn>")
    gate = repo.gate(strict=True)
    assert gate.findings == []
    assert gate.statuses["QP-01"].published is not None
    assert gate.statuses["QP-01"].published.date == DAY(2024, 2, 20)


def test_an_unapproved_backfill_declaration_changes_nothing(tmp_path: Path) -> None:
    repo, last = backfilled_repo(tmp_path)
    declare_backfill(repo, last, approver=None)
    assert "history.date-order" in rules(repo, DAY(2024, 7, 1))


def test_a_backfill_declaration_must_name_a_commit_of_the_history(tmp_path: Path) -> None:
    repo, _ = backfilled_repo(tmp_path)
    declare_backfill(repo, "abcdef1234", "王局长 <wang@example.gov.cn>")
    assert "config.unknown-commit" in rules(repo, DAY(2024, 7, 1))
