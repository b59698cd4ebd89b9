"""Approvals read from git: every rule with a case that passes and one that fails.

Each test drives a real repository: 李文管 writes, 陈代表 reviews, 王局长 approves.
"""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

from qmsdoc.publication import DocumentStatus
from qmsdoc.site import SitePlan

from .conftest import ManualRepo, mini_manual, new_repo, register_text

QP01 = "procedures/qp-01.md"


def status(repo: ManualRepo, number: str = "QP-01", strict: bool = False) -> DocumentStatus:
    return repo.gate(strict).statuses[number]


def revise(repo: ManualRepo, new_text: str = "文件管理员维护受控文件，每年清点一次。",
           version: str = "A/1", state: str = "in_review", person: str = "李文管",
           date: str = "2024-05-06") -> str:
    """李文管 (or another person) commits a content change to QP-01."""
    repo.edit(QP01, "文件管理员维护受控文件。", new_text)
    repo.edit(QP01, "version: A/0", f"version: {version}")
    repo.edit(QP01, "effective_date: '2024-03-01'", "effective_date: '2024-06-20'")
    repo.edit(QP01, "state: effective", f"state: {state}")
    return repo.commit("Revise QP-01", person=person, date=date, paths=(QP01,))


def test_an_approved_manual_passes_and_publishes_every_document(approved_repo: ManualRepo) -> None:
    gate = approved_repo.gate()
    assert gate.findings == []
    assert sorted(s.working.number for s in gate.published()) == [
        "JR-01", "JR-02", "JR-03", "QM-01", "QP-01", "QR-01-01"]
    published = gate.statuses["QP-01"].published
    assert published is not None
    assert published.approval.person is not None and published.approval.person.name == "王局长"
    assert [r.person.name for r in published.reviews if r.person] == ["陈代表"]
    assert published.authors == frozenset({("李文管", "li@example.gov.cn")})


def test_approve_records_the_approval_in_the_document_and_commits_with_a_trailer(
        draft_repo: ManualRepo) -> None:
    draft_repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    result = draft_repo.approve("QP-01", person="陈代表", date="2024-02-19", review=True)
    assert result.exit_code == 0, result.output
    assert "已记录审核：QP-01" in result.output
    text = draft_repo.read(QP01)
    assert ("  approvals:\n    - meaning: review\n      name: 陈代表\n"
            "      email: chen@example.gov.cn\n") in text
    assert "      role: 管理者代表\n      date: 2024-02-19\n" in text
    assert "state: in_review" in text
    message = draft_repo.git("log", "-1", "--format=%an|%B")
    assert message.startswith("陈代表|审核 QP-01 A/0")
    assert "Reviewed-by: 陈代表 <chen@example.gov.cn>" in message
    result = draft_repo.approve("QP-01", person="王局长", date="2024-02-20")
    assert result.exit_code == 0, result.output
    assert "state: effective" in draft_repo.read(QP01)
    assert "Approved-by: 王局长 <wang@example.gov.cn>" in draft_repo.git("log", "-1", "--format=%B")
    assert status(draft_repo).in_force


def test_recording_an_approval_changes_nothing_that_was_approved(approved_repo: ManualRepo) -> None:
    before = approved_repo.git("show", "HEAD~4:procedures/qp-01.md")  # as 李文管 wrote it
    after = approved_repo.read(QP01)
    strip = [line for line in after.split("\n") if line.startswith(("  approvals", "    -", "      "))]
    rest = [line for line in after.split("\n") if line not in strip]
    assert "\n".join(rest).rstrip() == before.replace("state: in_review", "state: effective").rstrip()


def test_edit_after_approval_is_shown_as_in_review_and_fails_strict(approved_repo: ManualRepo) -> None:
    approved_repo.edit(QP01, "文件管理员维护受控文件。", "任何人都可以改文件。")
    sha = approved_repo.commit("Quick fix", person="陈代表", date="2024-03-05", paths=(QP01,))
    finding = next(f for f in approved_repo.gate().findings if f.rule == "approval.unapproved-change")
    assert finding.severity.value == "warning"
    assert f"提交 {sha[:8]}（陈代表，2024-03-05）" in finding.message
    assert "网站继续显示 2024-02-20 批准的 A/0 版" in finding.message
    strict = next(f for f in approved_repo.gate(strict=True).findings
                  if f.rule == "approval.unapproved-change")
    assert strict.is_error and "陈代表" in strict.message and sha[:8] in strict.message
    assert strict.path == QP01


def test_published_text_comes_from_the_approved_commit_while_a_revision_is_in_review(
        approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    gate = approved_repo.gate()
    assert not gate.errors
    plan = SitePlan(gate, "docs")
    page = plan.documents["QP-01"]
    assert page.src_uri == "procedures/qp-01.md"
    assert "文件管理员维护受控文件。" in page.markdown
    assert "每年清点一次" not in page.markdown
    decorated = plan.decorate_html(page, plan.decorate_markdown(page, "正文"))
    assert '!!! warning "修订审批中"' in decorated
    assert "修订版 A/1 正在审核、批准中" in decorated
    assert "<td>A/1</td><td>审批中</td>" in decorated  # not approved: nothing to link yet
    assert '<td><a href="../../archive/QP-01/A-0/">A/0</a></td><td>现行有效</td>' in decorated
    # Strict mode (release branches) refuses the unapproved revision.
    assert "approval.unapproved-change" in approved_repo.rules(strict=True)


def test_a_revision_approved_properly_becomes_the_published_text(approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    approved_repo.approve_all(["QP-01"], date="2024-05-20")
    gate = approved_repo.gate()
    assert gate.findings == []
    page = SitePlan(gate, "docs").documents["QP-01"]
    assert "每年清点一次" in page.markdown
    versions = [str(r.snapshot.version) for r in gate.statuses["QP-01"].approvals.revisions]
    assert versions == ["A/0", "A/1"]


def test_self_approval_is_refused_and_detected(approved_repo: ManualRepo) -> None:
    revise(approved_repo, person="陈代表")
    refused = approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    assert refused.exit_code == 1
    assert "陈代表 审核了自己编制的修订" in refused.output
    # Forged with a hand-written trailer, the gate still finds it.
    approved_repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>",
                                 person="陈代表", date="2024-05-08")
    assert "approval.self-approval" in approved_repo.rules()


def test_an_approval_commit_that_also_changes_the_text_makes_its_author_an_author(
        approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    approved_repo.edit(QP01, "每年清点一次", "每半年清点一次")
    approved_repo.commit("Approve", person="王局长", date="2024-05-09", paths=(QP01,),
                         trailers=("Approved-by: 王局长 <wang@example.gov.cn>",))
    found = approved_repo.rules()
    assert "approval.self-approval" in found


def test_an_unentitled_approver_is_refused_and_detected(approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    refused = approved_repo.approve("QP-01", person="陈代表", date="2024-05-09")
    assert refused.exit_code == 1
    assert "无权批准程序文件" in refused.output and "局长（JR-01）" in refused.output
    approved_repo.trailer_commit("Approved-by: 陈代表 <chen@example.gov.cn>",
                                 person="陈代表", date="2024-05-09")
    gate = approved_repo.gate()
    finding = next(f for f in gate.findings if f.rule == "approval.not-entitled")
    assert finding.is_error
    assert "有权批准程序文件的岗位：局长（JR-01）" in finding.hint
    assert "每年清点一次" not in SitePlan(gate, "docs").documents["QP-01"].markdown


def test_an_approver_must_hold_the_role_on_the_approval_date(tmp_path: Path) -> None:
    roles = {"王局长": [{"role": "局长", "from": "2024-02-15"}]}
    repo = new_repo(tmp_path / "r", mini_manual(), register=register_text(roles=roles))
    repo.commit("Add", date="2024-02-01")
    repo.approve("JR-01", "JR-02", "JR-03", person="陈代表", date="2024-02-05", review=True)
    repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>", person="王局长",
                        date="2024-02-10", path="responsibilities/jr-01.md")
    gate = repo.gate()
    finding = next(f for f in gate.findings if f.rule == "approval.role-not-held")
    assert "的批准岗位职责无效：2024-02-10 当天此人不担任有权批准的岗位（局长）" in finding.message
    # The same approval after taking office is valid.
    result = repo.approve("JR-01", "JR-02", "JR-03", person="王局长", date="2024-02-16")
    assert result.exit_code == 0, result.output
    assert "approval.role-not-held" not in repo.rules()


def test_forged_front_matter_without_an_approving_commit(draft_repo: ManualRepo) -> None:
    draft_repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    fingerprint = status(draft_repo).working.fingerprint
    draft_repo.edit(QP01, "state: in_review", "state: effective")
    draft_repo.edit(QP01, "  clauses:", (
        "  approvals:\n  - {meaning: approve, name: 王局长, email: wang@example.gov.cn, role: 局长,"
        f" date: '2024-02-20', fingerprint: '{fingerprint}'}}\n  clauses:"))
    draft_repo.commit("Record approval", person="李文管", date="2024-02-20")
    found = draft_repo.gate().findings
    forged = next(f for f in found if f.rule == "approval.no-evidence")
    assert forged.path == QP01 and forged.line is not None
    assert "找不到对应的审批提交" in forged.message
    assert "approval.missing" in {f.rule for f in found}
    assert not status(draft_repo).in_force


def test_an_approval_needs_a_review_first(draft_repo: ManualRepo) -> None:
    draft_repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    refused = draft_repo.approve("QP-01", person="王局长", date="2024-02-20")
    assert refused.exit_code == 1 and "还没有经过他人有效审核" in refused.output
    draft_repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>",
                              person="王局长", date="2024-02-20")
    assert "approval.not-reviewed" in draft_repo.rules()


def test_version_must_be_raised_and_never_go_down(approved_repo: ManualRepo) -> None:
    revise(approved_repo, version="A/0")
    finding = next(f for f in approved_repo.gate().findings if f.rule == "version.not-raised")
    assert "没有高于最新批准的 A/0" in finding.message and "A/1 或 B/0" in finding.hint
    refused = approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    assert refused.exit_code == 1 and "没有高于已批准的 A/0" in refused.output
    approved_repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>", person="陈代表",
                                 date="2024-05-08")
    approved_repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>",
                                 person="王局长", date="2024-05-09")
    assert "version.not-raised" in approved_repo.rules()


def test_version_going_down(approved_repo: ManualRepo) -> None:
    revise(approved_repo, version="B/0")
    approved_repo.approve_all(["QP-01"], date="2024-05-20")
    approved_repo.edit(QP01, "每年清点一次", "每季度清点一次")
    approved_repo.edit(QP01, "version: B/0", "version: A/5")
    approved_repo.commit("Revise", paths=(QP01,), date="2024-06-01")
    approved_repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>",
                                 person="陈代表", date="2024-06-02")
    approved_repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>",
                                 person="王局长", date="2024-06-03")
    finding = next(f for f in approved_repo.gate().findings if f.rule == "version.decreased")
    assert finding.is_error and finding.message == "版本号倒退：B/0 之后批准的修订是 A/5"


def test_reissue_is_suggested_after_five_amendments(approved_repo: ManualRepo) -> None:
    revise(approved_repo, version="A/5")
    approved_repo.approve_all(["QP-01"], date="2024-05-20")
    found = {f.rule: f for f in approved_repo.gate().findings}
    assert "version.reissue-suggested" in found and "B/0" in found["version.reissue-suggested"].hint
    assert found["version.skipped"].message == "版本号从 A/0 跳到了 A/5"


def test_a_shallow_clone_cannot_be_trusted(approved_repo: ManualRepo, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{approved_repo.root}",
                    str(clone)], check=True)
    shallow = ManualRepo(clone)
    finding = next(f for f in shallow.gate().findings if f.rule == "history.shallow")
    assert finding.is_error and "git fetch --unshallow" in finding.hint
    full = tmp_path / "full"
    subprocess.run(["git", "clone", "-q", f"file://{approved_repo.root}", str(full)], check=True)
    assert ManualRepo(full).gate().findings == []


def test_an_untracked_document(approved_repo: ManualRepo) -> None:
    approved_repo.write("procedures/qp-02.md", approved_repo.read(QP01).replace("QP-01", "QP-02"))
    finding = next(f for f in approved_repo.gate().findings if f.rule == "history.untracked")
    assert finding.path == "procedures/qp-02.md"
    assert finding.hint == "运行 git add procedures/qp-02.md 并提交"


def test_uncommitted_changes_fail_strict_mode_only(approved_repo: ManualRepo) -> None:
    approved_repo.edit(QP01, "文件管理员维护受控文件。", "未提交的修改。")
    assert "history.uncommitted" not in approved_repo.rules()
    assert {"history.uncommitted", "approval.unapproved-change"} <= approved_repo.rules(strict=True)
    refused = approved_repo.approve("QP-01", person="陈代表", date="2024-05-08", review=True)
    assert refused.exit_code == 1 and "有未提交的修改" in refused.output


def test_a_renamed_document_keeps_its_history(approved_repo: ManualRepo) -> None:
    approved_repo.git("mv", QP01, "procedures/qp-01-document-control.md")
    approved_repo.commit("Rename", date="2024-03-01")
    gate = approved_repo.gate()
    assert gate.findings == []
    moved = gate.statuses["QP-01"]
    assert moved.working.path == "procedures/qp-01-document-control.md"
    assert moved.in_force and moved.published is not None
    assert moved.published.snapshot.path == QP01  # approved under its old name
    assert SitePlan(gate, "docs").documents["QP-01"].src_uri == "procedures/qp-01-document-control.md"


def test_gitlab_merge_commits_carry_the_approvals(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", mini_manual())
    repo.commit("Add", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.git("checkout", "-q", "-b", "qp-01")
    repo.edit(QP01, "文件管理员维护受控文件。", "文件管理员维护受控文件，按月备份。")
    repo.commit("Revise QP-01", date="2024-02-12", paths=(QP01,))
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "qp-01", "-m",
             "Merge branch 'qp-01' into 'main'\n\nReviewed-by: 陈代表 <chen@example.gov.cn>\n"
             "Approved-by: 王局长 <wang@example.gov.cn>", person="张合并", date="2024-02-15")
    gate = repo.gate()
    published = gate.statuses["QP-01"].published
    assert published is not None and published.approval.evidence.commit.is_merge
    assert published.authors == frozenset({("李文管", "li@example.gov.cn")})
    assert "approval.self-approval" not in {f.rule for f in gate.findings}


def test_a_job_responsibility_cannot_grant_the_right_to_approve_itself(
        approved_repo: ManualRepo) -> None:
    path = "responsibilities/jr-02.md"
    approved_repo.edit(path, "review: [", "approve: [job_responsibility]\n    review: [")
    approved_repo.edit(path, "version: A/0", "version: A/1")
    approved_repo.commit("Grant", paths=(path,), date="2024-04-01")
    approved_repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>",
                                 "Approved-by: 陈代表 <chen@example.gov.cn>",
                                 person="陈代表", date="2024-04-02", path=path)
    assert "approval.not-entitled" in approved_repo.rules()


def test_unknown_approver(approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    approved_repo.trailer_commit("Approved-by: 路人 <passer@example.org>",
                                 person="路人", date="2024-05-09")
    finding = next(f for f in approved_repo.gate().findings if f.rule == "approval.unknown-person")
    assert "路人 <passer@example.org> 不在人员名册中" in finding.message
    refused = approved_repo.approve("QP-01", person="路人", date="2024-05-09")
    assert refused.exit_code == 1 and "不在人员名册" in refused.output


def test_an_effective_document_without_any_approval(draft_repo: ManualRepo) -> None:
    draft_repo.edit(QP01, "state: in_review", "state: effective")
    draft_repo.commit("Mark effective", date="2024-02-02")
    finding = next(f for f in draft_repo.gate().findings if f.rule == "approval.missing")
    assert finding.path == QP01 and finding.line == 7


def test_periodic_review_keeps_a_document_current(approved_repo: ManualRepo) -> None:
    late = datetime.date(2025, 6, 1)
    found = [f for f in approved_repo.gate(today=late).findings if f.rule == "review.overdue"]
    assert {f.document for f in found} == {"JR-01", "JR-02", "JR-03", "QM-01", "QP-01", "QR-01-01"}
    result = approved_repo.approve("QP-01", person="陈代表", date="2025-05-20", review=True)
    assert result.exit_code == 0, result.output
    found = [f for f in approved_repo.gate(today=late).findings if f.rule == "review.overdue"]
    assert "QP-01" not in {f.document for f in found}


def test_the_authors_preview_shows_the_working_text_of_every_document(
        approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    approved_repo.write("procedures/qp-02.md", approved_repo.read(QP01).replace(
        "QP-01", "QP-02").replace("state: in_review", "state: draft"))
    approved_repo.commit("Draft QP-02", date="2024-05-07")
    gate = approved_repo.gate()
    preview = SitePlan(gate, "docs", preview=True)
    assert "每年清点一次" in preview.documents["QP-01"].markdown
    assert "QP-02" in preview.documents  # drafts too
    working = preview.documents["QP-01"]
    page = preview.decorate_html(working, preview.decorate_markdown(working, "正文"))
    assert "预览：工作稿" in page and "审批中（未批准）" in page
    assert "QP-02" not in SitePlan(gate, "docs").documents  # never on the staff site
