"""A manual grows step by step: approving a document depends only on that document."""

from __future__ import annotations

from pathlib import Path

from .conftest import ManualRepo, front, meta, mini_manual, new_repo


def gap_repo(root: Path) -> ManualRepo:
    """The mini manual approved, but nothing in force addresses clause 9 (绩效评价)."""
    files = mini_manual()
    files["docs/manual/qm-01.md"] = files["docs/manual/qm-01.md"].replace("'9', ", "")
    assert "'9'" not in files["docs/manual/qm-01.md"]
    repo = new_repo(root, files)
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return repo


def procedure(number: str, title: str, **extra: object) -> str:
    fields = {"state": "in_review", "effective_date": "2024-04-01", "related": ["QM-01"],
              "roles": ["文件管理员"], "clauses": ["9.2"], **extra}
    return front(meta(number, title, "procedure", **fields), "## 1 目的\n\n规定内部审核。")


def review_and_approve(repo: ManualRepo, number: str, day: int = 10) -> tuple[str, str]:
    reviewed = repo.approve(number, person="陈代表", date=f"2024-03-{day}", review=True)
    approved = repo.approve(number, person="王局长", date=f"2024-03-{day + 1}")
    return reviewed.output, approved.output


def test_coverage_gaps_do_not_block_a_new_procedure_or_a_quality_manual_revision(
        tmp_path: Path) -> None:
    repo = gap_repo(tmp_path / "repo")
    assert "coverage.clause-not-addressed" in repo.rules()  # after the manual's first approval
    repo.write("procedures/qp-02.md", procedure("QP-02", "内部审核程序"))
    repo.edit("docs/manual/qm-01.md", "version: A/0", "version: A/1")
    repo.edit("docs/manual/qm-01.md", "effective_date: '2024-03-01'", "effective_date: '2024-04-01'")
    repo.commit("Add QP-02, revise the manual", date="2024-03-01")
    for number, day in (("QP-02", 10), ("QM-01", 20)):
        reviewed, approved = review_and_approve(repo, number, day)
        assert reviewed.startswith("已记录审核") and approved.startswith("已记录批准"), (
            reviewed + approved)


def test_an_unrelated_broken_document_does_not_block_approving_another(tmp_path: Path) -> None:
    repo = gap_repo(tmp_path / "repo")
    repo.write("procedures/qp-02.md", procedure("QP-02", "内部审核程序"))
    repo.write("procedures/qp-03.md", procedure("QP-03", "管理评审程序", clauses=["9.7"],
                                                related=["QM-09"]))
    repo.commit("Add QP-02 and a broken QP-03", date="2024-03-01")
    broken = {f.rule for f in repo.gate().errors if f.document == "QP-03"}
    assert {"clause.unknown", "reference.unknown-document"} <= broken
    reviewed, approved = review_and_approve(repo, "QP-02")
    assert approved.startswith("已记录批准"), reviewed + approved
    refused = repo.approve("QP-03", person="陈代表", date="2024-03-20", review=True)
    assert refused.exit_code == 1
    assert "QP-03" in refused.output and "9.7" in refused.output and "QM-09" in refused.output


def test_the_documents_own_error_still_refuses(tmp_path: Path) -> None:
    repo = gap_repo(tmp_path / "repo")
    repo.write("procedures/qp-02.md", procedure("QP-02", "内部审核程序", roles=["内审员"]))
    repo.commit("Add QP-02 naming a role without responsibilities", date="2024-03-01")
    refused = repo.approve("QP-02", person="陈代表", date="2024-03-10", review=True)
    assert refused.exit_code == 1
    assert "还有错误" in refused.output and "内审员" in refused.output
    assert "[role.no-responsibility]" in refused.output
    assert "coverage" not in refused.output


def coverage_severities(repo: ManualRepo) -> set[tuple[str, str]]:
    return {(f.rule, f.severity.name) for f in repo.gate().findings
            if f.rule.startswith("coverage.")}


def test_coverage_gaps_are_warnings_until_the_quality_manual_is_first_approved(
        tmp_path: Path) -> None:
    files = mini_manual()
    files["docs/manual/qm-01.md"] = files["docs/manual/qm-01.md"].replace("'9', ", "")
    repo = new_repo(tmp_path / "repo", files)
    repo.commit("Add the first edition", date="2024-02-01")
    assert coverage_severities(repo) == {("coverage.no-quality-manual", "WARNING")}
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    assert coverage_severities(repo) == {("coverage.clause-not-addressed", "ERROR")}


def test_setting_up_declared_in_the_settings_keeps_gaps_warnings_once_approved(
        tmp_path: Path) -> None:
    repo = gap_repo(tmp_path / "repo")
    repo.write("qmsdoc.yml", repo.read("qmsdoc.yml") + "setting_up: true\n")
    repo.commit("Declare the system being set up", paths=("qmsdoc.yml",), date="2024-03-01")
    # Not approved yet: a change that loosens the checks waits for its approval.
    assert coverage_severities(repo) == {("coverage.clause-not-addressed", "ERROR")}
    repo.edit("qmsdoc.yml", "setting_up: true", "setting_up: yes")
    repo.commit("Declare it again, approved", paths=("qmsdoc.yml",), date="2024-03-02",
                trailers=("Approved-by: 王局长 <wang@example.gov.cn>",))
    found = [f for f in repo.gate().findings if f.rule == "coverage.clause-not-addressed"]
    assert [f.severity.name for f in found] == ["WARNING"]
    assert "体系建立期间" in found[0].message and "9" in found[0].message
