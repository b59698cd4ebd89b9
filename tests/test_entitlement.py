"""Authority as the job responsibilities stated it when each approval was given.

Each test drives a real repository: 李文管 writes, 陈代表 reviews, 王局长 approves.
"""

from __future__ import annotations

from qmsdoc.gate import GateResult
from qmsdoc.model import DocType, Right

from .conftest import ManualRepo, register_text

QP01 = "procedures/qp-01.md"
JR01 = "responsibilities/jr-01.md"
JR02 = "responsibilities/jr-02.md"
JR03 = "responsibilities/jr-03.md"


def revise_qp01(repo: ManualRepo, date: str) -> None:
    repo.edit(QP01, "文件管理员维护受控文件。", "文件管理员维护受控文件，每年清点一次。")
    repo.edit(QP01, "version: A/0", "version: A/1")
    repo.edit(QP01, "effective_date: '2024-03-01'", "effective_date: '2024-06-20'")
    repo.edit(QP01, "state: effective", "state: in_review")
    repo.commit("Revise QP-01", paths=(QP01,), date=date)


def revise_authority(repo: ManualRepo, path: str, old: str, new: str, date: str) -> None:
    """李文管 commits a new version of a job responsibility's authority."""
    repo.edit(path, old, new)
    repo.edit(path, "version: A/0", "version: A/1")
    repo.edit(path, "effective_date: '2024-03-01'", "effective_date: '2024-06-20'")
    repo.edit(path, "state: effective", "state: in_review")
    repo.commit("Revise authority", paths=(path,), date=date)


def problems_of(gate: GateResult, number: str) -> set[str]:
    return {f.rule for f in gate.findings if f.document == number and f.is_error}


def test_withdrawing_a_right_leaves_the_approvals_given_under_it_valid(
        approved_repo: ManualRepo) -> None:
    # 局长 loses the right to approve procedures; QP-01 was approved before that.
    revise_authority(approved_repo, JR01, "quality_manual, procedure,", "quality_manual,",
                     date="2024-04-01")
    approved_repo.approve_all(["JR-01"], date="2024-04-10")
    gate = approved_repo.gate()
    assert gate.errors == []
    published = gate.statuses["QP-01"].published
    assert published is not None and published.approval.evidence.date.isoformat() == "2024-02-20"
    assert DocType.PROCEDURE not in gate.authorities.grants["局长"][Right.APPROVE]
    # The right is gone for approvals from then on.
    revise_qp01(approved_repo, date="2024-05-01")
    approved_repo.approve("QP-01", person="陈代表", date="2024-05-02", review=True)
    refused = approved_repo.approve("QP-01", person="王局长", date="2024-05-03")
    assert refused.exit_code == 1 and "无权批准程序文件" in refused.output


def test_granting_a_right_does_not_validate_an_earlier_approval(approved_repo: ManualRepo) -> None:
    revise_qp01(approved_repo, date="2024-05-01")
    approved_repo.trailer_commit("Approved-by: 陈代表 <chen@example.gov.cn>",
                                 person="陈代表", date="2024-05-09")
    # Afterwards 管理者代表 is given the right to approve procedures, properly.
    revise_authority(approved_repo, JR02, "review: [", "approve: [procedure]\n    review: [",
                     date="2024-06-01")
    approved_repo.approve_all(["JR-02"], date="2024-06-10")
    gate = approved_repo.gate()
    assert problems_of(gate, "JR-02") == set()
    assert "approval.not-entitled" in problems_of(gate, "QP-01")
    published = gate.statuses["QP-01"].published
    assert published is not None and str(published.snapshot.version) == "A/0"


def test_a_new_job_responsibility_cannot_grant_the_right_to_approve_itself(
        approved_repo: ManualRepo) -> None:
    text = approved_repo.read(JR02).replace("JR-02", "JR-04").replace("管理者代表", "副局长")
    text = text.replace("review: [", "approve: [job_responsibility, procedure]\n    review: [")
    approved_repo.write("responsibilities/jr-04.md", text.replace("state: effective",
                                                                   "state: in_review"))
    roles = {"陈代表": [{"role": "管理者代表", "from": "2020-01-01"},
                        {"role": "副局长", "from": "2024-03-01"}]}
    approved_repo.write("people.yml", register_text(roles=roles))
    approved_repo.commit("Add the deputy director", date="2024-03-01")
    refused = approved_repo.approve("JR-04", person="陈代表", date="2024-03-05")
    assert refused.exit_code == 1 and "无权批准岗位职责" in refused.output
    approved_repo.trailer_commit("Approved-by: 陈代表 <chen@example.gov.cn>", person="陈代表",
                                 date="2024-03-05", path="responsibilities/jr-04.md")
    assert "approval.not-entitled" in problems_of(approved_repo.gate(), "JR-04")


def test_a_right_granted_by_an_invalid_approval_grants_nothing(approved_repo: ManualRepo) -> None:
    settings = approved_repo.read("qmsdoc.yml")
    approved_repo.write("qmsdoc.yml", settings.replace("require_review: true",
                                                       "require_review: false"))
    # 陈代表 grants her role the right to approve job responsibilities: not entitled.
    revise_authority(approved_repo, JR02, "review: [",
                     "approve: [job_responsibility]\n    review: [", date="2024-04-01")
    approved_repo.trailer_commit("Approved-by: 陈代表 <chen@example.gov.cn>", person="陈代表",
                                 date="2024-04-02", path=JR02)
    # Then uses that right to let 文件管理员 approve procedures.
    revise_authority(approved_repo, JR03, "write: [", "approve: [procedure]\n    write: [",
                     date="2024-04-05")
    approved_repo.trailer_commit("Approved-by: 陈代表 <chen@example.gov.cn>", person="陈代表",
                                 date="2024-04-06", path=JR03)
    gate = approved_repo.gate()
    assert "approval.not-entitled" in problems_of(gate, "JR-02")
    assert "approval.not-entitled" in problems_of(gate, "JR-03")
    assert DocType.PROCEDURE not in gate.authorities.grants["文件管理员"].get(Right.APPROVE, ())


def test_the_first_edition_can_be_reviewed_and_approved_as_a_whole(draft_repo: ManualRepo) -> None:
    draft_repo.approve_all(["JR-01", "JR-02", "JR-03", "QM-01", "QP-01", "QR-01-01"],
                           date="2024-02-10")
    assert draft_repo.gate().findings == []


def test_nothing_is_published_on_authority_no_approved_job_responsibility_states(
        draft_repo: ManualRepo) -> None:
    draft_repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-05")
    found = [f for f in draft_repo.gate().findings if f.rule == "approval.authority-not-approved"]
    assert len(found) == 1 and found[0].is_error and "QP-01" in found[0].message
    # Approving the job responsibilities confirms the authority the first edition was approved on.
    draft_repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    assert draft_repo.gate().findings == []
