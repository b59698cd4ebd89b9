"""Changes to the people register and the settings need an approval too.

Each test drives a real repository: 李文管 writes, 陈代表 reviews, 王局长 approves
(王局长's job responsibility may approve job responsibilities, so also these files).
"""

from __future__ import annotations

import yaml

from qmsdoc.findings import Finding

from .conftest import ManualRepo

NEW_DIRECTOR = {"name": "刘新", "emails": ["liu@example.gov.cn"], "department": "局领导",
                "roles": [{"role": "局长", "from": "2024-05-01"}]}


def add_person(repo: ManualRepo, person: dict[str, object], *, by: str = "李文管",
               date: str = "2024-04-20", trailers: tuple[str, ...] = ()) -> None:
    register = yaml.safe_load(repo.read("people.yml"))
    register["people"].append(person)
    repo.write("people.yml", yaml.safe_dump(register, allow_unicode=True, sort_keys=False))
    repo.commit("Register a person", person=by, date=date, paths=("people.yml",),
                trailers=trailers)


def merge(repo: ManualRepo, branch: str, approver: str, date: str) -> None:
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", branch, "-m",
             f"Merge branch '{branch}' into 'main'\n\nApproved-by: {approver}",
             person="张合并", date=date)


def findings(repo: ManualRepo, rule: str, strict: bool = False) -> list[Finding]:
    return [f for f in repo.gate(strict).findings if f.rule == rule]


def test_a_register_change_approved_in_a_merge_request_takes_effect(
        approved_repo: ManualRepo) -> None:
    approved_repo.git("checkout", "-q", "-b", "register")
    add_person(approved_repo, NEW_DIRECTOR)
    merge(approved_repo, "register", "王局长 <wang@example.gov.cn>", date="2024-04-25")
    gate = approved_repo.gate(strict=True)
    assert gate.findings == []
    assert gate.register.by_email("liu@example.gov.cn") is not None


def test_an_unapproved_register_change_is_not_in_force(approved_repo: ManualRepo) -> None:
    promoted = {"name": "李副", "emails": ["li2@example.gov.cn"], "department": "办公室",
                "roles": [{"role": "局长", "from": "2024-01-01"}]}
    add_person(approved_repo, promoted)
    warning = findings(approved_repo, "governance.unapproved-change")
    assert len(warning) == 1 and not warning[0].is_error
    assert warning[0].path == "people.yml"
    assert "人员名册在批准后又被修改（提交" in warning[0].message and "李文管" in warning[0].message
    assert "Approved-by" in warning[0].hint
    assert approved_repo.gate().register.by_email("li2@example.gov.cn") is None
    assert findings(approved_repo, "governance.unapproved-change", strict=True)[0].is_error


def test_an_uncommitted_register_change_is_not_in_force(approved_repo: ManualRepo) -> None:
    approved_repo.edit("people.yml", "from: '2020-01-01'", "from: '2019-01-01'")
    warning = findings(approved_repo, "governance.unapproved-change")
    assert len(warning) == 1 and "人员名册有未提交的修改" in warning[0].message


def test_nobody_approves_their_own_register_change(approved_repo: ManualRepo) -> None:
    add_person(approved_repo, NEW_DIRECTOR, by="王局长",
               trailers=("Approved-by: 王局长 <wang@example.gov.cn>",))
    rejected = findings(approved_repo, "governance.invalid-approval")
    assert [f.is_error for f in rejected] == [True]
    assert "王局长 批准了自己对人员名册所做的修改" in rejected[0].message
    assert approved_repo.gate().register.by_email("liu@example.gov.cn") is None


def test_a_register_change_needs_a_role_that_may_approve_job_responsibilities(
        approved_repo: ManualRepo) -> None:
    approved_repo.git("checkout", "-q", "-b", "register")
    add_person(approved_repo, NEW_DIRECTOR)
    merge(approved_repo, "register", "陈代表 <chen@example.gov.cn>", date="2024-04-25")
    rejected = findings(approved_repo, "governance.invalid-approval")
    assert len(rejected) == 1
    assert "陈代表" in rejected[0].message and "不能批准岗位职责" in rejected[0].message
    assert "局长" in rejected[0].hint


def test_a_new_person_cannot_approve_their_own_registration(approved_repo: ManualRepo) -> None:
    approved_repo.git("checkout", "-q", "-b", "register")
    add_person(approved_repo, NEW_DIRECTOR)
    merge(approved_repo, "register", "刘新 <liu@example.gov.cn>", date="2024-05-02")
    rejected = findings(approved_repo, "governance.invalid-approval")
    assert len(rejected) == 1 and "不在修改前的人员名册中" in rejected[0].message


def test_a_later_approval_supersedes_a_rejected_one(approved_repo: ManualRepo) -> None:
    approved_repo.git("checkout", "-q", "-b", "register")
    add_person(approved_repo, NEW_DIRECTOR)
    merge(approved_repo, "register", "陈代表 <chen@example.gov.cn>", date="2024-04-25")
    approved_repo.edit("people.yml", "局领导", "局领导班子")
    approved_repo.commit("Rename the department", paths=("people.yml",), date="2024-04-26",
                         trailers=("Approved-by: 王局长 <wang@example.gov.cn>",))
    gate = approved_repo.gate()
    assert gate.errors == []
    assert [f.rule for f in gate.findings] == ["governance.invalid-approval"]
    assert gate.register.by_email("liu@example.gov.cn") is not None


def test_deleting_and_restoring_the_register_is_a_change(approved_repo: ManualRepo) -> None:
    original = approved_repo.read("people.yml")
    approved_repo.git("rm", "-q", "people.yml")
    approved_repo.commit("Remove the register", date="2024-04-01")
    approved_repo.write("people.yml", original.replace("2020-01-01", "2019-01-01"))
    approved_repo.commit("Restore the register", paths=("people.yml",), date="2024-04-02")
    assert len(findings(approved_repo, "governance.unapproved-change")) == 1


def test_settings_changed_without_approval_only_tighten(approved_repo: ManualRepo) -> None:
    approved_repo.edit("qmsdoc.yml", "require_review: true", "require_review: false")
    approved_repo.commit("Skip reviews", paths=("qmsdoc.yml",), date="2024-04-01")
    gate = approved_repo.gate()
    assert gate.settings.require_review is True
    assert [f.path for f in gate.findings if f.rule == "governance.unapproved-change"] == [
        "qmsdoc.yml"]
    approved_repo.edit("qmsdoc.yml", "require_signatures: false", "require_signatures: true")
    assert approved_repo.gate().settings.require_signatures is True


def test_an_unapproved_merge_of_approved_changes_is_named(approved_repo: ManualRepo) -> None:
    """Two changes, each approved on its own branch, merged together without an approval:
    nobody approved the text they make together."""
    def approved_branch(name: str, change: str) -> None:
        approved_repo.git("checkout", "-q", "-b", name, "main")
        approved_repo.git("checkout", "-q", "-b", f"{name}-side")
        register = yaml.safe_load(approved_repo.read("people.yml"))
        if change == "person":
            register["people"].append(NEW_DIRECTOR)
        else:
            register["people"][0]["department"] = "局办公室"
        approved_repo.write("people.yml", yaml.safe_dump(register, allow_unicode=True,
                                                         sort_keys=False))
        approved_repo.commit(f"Change the register: {change}", date="2024-04-20",
                             paths=("people.yml",))
        approved_repo.git("checkout", "-q", name)
        approved_repo.git("merge", "-q", "--no-ff", f"{name}-side", "-m",
                          "Merge\n\nApproved-by: 王局长 <wang@example.gov.cn>",
                          person="王局长", date="2024-04-21")

    approved_branch("first", "person")
    approved_branch("second", "department")
    approved_repo.git("checkout", "-q", "main")
    for branch in ("first", "second"):
        approved_repo.git("merge", "-q", "--no-ff", branch, "-m", f"Merge branch '{branch}'",
                          person="张合并", date="2024-04-26")
    warning = findings(approved_repo, "governance.unapproved-change")
    assert len(warning) == 1, warning
    assert "人员名册在批准后又被修改（提交" in warning[0].message and "张合并" in warning[0].message
    assert "未提交" not in warning[0].message
