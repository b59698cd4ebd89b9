"""``qmsdoc check`` judges again exactly what git cannot prove unchanged.

Each test drives a real repository through a change and compares what the check
reports with a full run of the gate without any cache, finding for finding; and
it watches how the check got there: a full run of the gate (``FULL``), the
documents that changed judged again alone (``PART``), or the findings kept
from before (``KEPT``).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from qmsdoc import check_cache, history_cache, load_settings, run_gate
from qmsdoc.check_state import CheckState
from qmsdoc.findings import Finding
from qmsdoc.gate import GateResult

from .conftest import ManualRepo, new_repo
from .test_copies import issuing_manual

TODAY = datetime.date(2024, 7, 1)
FULL, PART, KEPT = "full", "part", "kept"


class Checks:
    """Runs ``check`` as the CLI does, and tells how each run judged history."""

    def __init__(self, repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.repo, self.monkeypatch, self.how = repo, monkeypatch, KEPT
        real_gate, real_rejudge = check_cache.run_gate, check_cache.rejudge
        self.findings: list[Finding] = []

        def gate(*args: object, **kwargs: object) -> GateResult:
            self.how = FULL
            return real_gate(*args, **kwargs)  # type: ignore[arg-type]

        def rejudge(state: CheckState, *args: object) -> tuple[list[Finding], CheckState] | None:
            done = real_rejudge(state, *args)  # type: ignore[arg-type]
            if done is not None and done[1] is not state:
                self.how = PART
            return done

        monkeypatch.setattr(check_cache, "run_gate", gate)
        monkeypatch.setattr(check_cache, "rejudge", rejudge)

    def run(self, *, strict: bool = False, today: datetime.date = TODAY) -> str:
        """Check, assert the outcome is a full run's; how history was judged."""
        self.how = KEPT
        outcome = check_cache.check(load_settings(self.repo.root), strict=strict, today=today)
        with self.monkeypatch.context() as patch:
            patch.setenv(history_cache.DISABLE, "1")
            full = run_gate(load_settings(self.repo.root), strict=strict, today=today)
        assert outcome.findings == full.findings
        assert outcome.next_change == full.next_change()
        self.findings = outcome.findings
        return self.how


def commit_outside_the_manual(repo: ManualRepo, text: str, date: str) -> None:
    repo.write("README.md", f"# {text}\n")
    repo.commit(f"README: {text}", date=date)


@pytest.fixture
def checks(approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> Checks:
    return Checks(approved_repo, monkeypatch)


def test_history_is_read_once_while_nothing_changes(checks: Checks) -> None:
    assert checks.run() == FULL
    assert checks.run() == KEPT
    assert checks.run(strict=True) == FULL  # other options: other findings
    assert checks.run(strict=True) == KEPT


def test_commits_outside_the_manual_need_no_history(checks: Checks) -> None:
    repo = checks.repo
    checks.run()
    commit_outside_the_manual(repo, "质量手册仓库", "2024-03-01")
    assert checks.run() == KEPT
    repo.write("src/tool.py", "print('x')\n")
    repo.commit("Add a tool", date="2024-03-02")
    commit_outside_the_manual(repo, "质量手册仓库（修订）", "2024-03-03")
    assert checks.run() == KEPT


def test_site_pages_are_checked_again_at_every_commit(checks: Checks) -> None:
    """A page is published as committed: its findings are fresh, history is not read."""
    repo = checks.repo
    checks.run()
    repo.write("docs/notice.md", '# 通知\n\n见 {{ doc("QP-99") }}。\n')
    repo.commit("Add a notice citing a document that does not exist", date="2024-03-01")
    assert checks.run() == KEPT  # and the finding is there, as in a full run
    repo.write("docs/notice.md", '# 通知\n\n见 {{ doc("QP-01") }}。\n')
    assert checks.run() == KEPT  # an uncommitted page: reported as such


@pytest.mark.parametrize(("change", "how"), [
    ("commit a document", PART), ("edit a document", PART), ("edit people.yml", FULL),
    ("add a hook", FULL), ("edit the settings", FULL), ("edit a job responsibility", FULL)])
def test_a_change_history_is_read_for_is_judged_again(checks: Checks, change: str,
                                                      how: str) -> None:
    repo = checks.repo
    checks.run()
    if change == "commit a document":
        repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
        repo.commit("Edit QP-01", date="2024-03-01")
    elif change == "edit a document":
        repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    elif change == "edit people.yml":
        repo.write("people.yml", repo.read("people.yml") + "\n# 新增注释\n")
    elif change == "add a hook":
        repo.write("hooks/extra.py", "print('not approved')\n")
    elif change == "edit the settings":
        repo.write("qmsdoc.yml", repo.read("qmsdoc.yml").replace(
            "reissue_after: 5", "reissue_after: 3"))
    else:
        repo.write("responsibilities/jr-01.md", repo.read("responsibilities/jr-01.md") + "\n补充一句。\n")
    assert checks.run() == how
    assert checks.run() == KEPT


def test_another_day_reads_history_again(checks: Checks) -> None:
    checks.run()
    assert checks.run(today=datetime.date(2024, 7, 2)) == FULL


def test_a_history_moved_back_or_merged_is_read_again(checks: Checks) -> None:
    repo = checks.repo
    checks.run()
    commit_outside_the_manual(repo, "质量手册仓库", "2024-03-01")
    assert checks.run() == KEPT
    repo.git("reset", "-q", "--hard", "HEAD~1")  # back at the commit the findings were kept at
    assert checks.run() == KEPT
    repo.git("commit", "-q", "--amend", "-m", "Reworded", date="2024-02-21")
    assert checks.run() == FULL  # the same files, but the kept commit is not in this history
    repo.git("checkout", "-q", "-b", "side")
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    repo.commit("Edit QP-01 on a side branch", date="2024-03-02")
    repo.git("checkout", "-q", "main")
    commit_outside_the_manual(repo, "质量手册仓库", "2024-03-03")
    assert checks.run() == KEPT  # the README commit is outside the manual: findings kept
    repo.git("merge", "-q", "--no-ff", "side", "-m", "Merge side", date="2024-03-04")
    assert checks.run() == FULL  # the merge brings a document's change


def test_findings_that_time_may_take_back_are_never_kept(checks: Checks) -> None:
    repo = checks.repo
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    repo.commit("Edit QP-01, dated in the future", date="2099-01-01")
    assert checks.run() == FULL
    assert checks.run() == FULL


def revise_qp_01(repo: ManualRepo, version: str, effective: str) -> None:
    """A new revision of QP-01 put in review, taking effect on ``effective``."""
    text = repo.read("procedures/qp-01.md")
    text = text.replace("state: effective", "state: in_review")
    text = re.sub(r"version: \S+", f"version: {version}", text)
    text = re.sub(r"effective_date: \S+", f"effective_date: '{effective}'", text)
    repo.write("procedures/qp-01.md", text + f"\n修订为 {version}。\n")


def test_a_revision_written_reviewed_and_approved_is_judged_alone(checks: Checks) -> None:
    """Each step of a revision after the first check judges only QP-01, as a full run would:
    the edit (pending, unapproved text), the review, the approval, taking effect later."""
    repo = checks.repo
    assert checks.run() == FULL
    revise_qp_01(repo, "A/1", "2024-08-01")
    assert checks.run() == PART  # uncommitted
    repo.commit("Revise QP-01", date="2024-03-01")
    assert checks.run() == PART
    for meaning, person in (("review", "陈代表"), ("approve", "王局长")):
        result = repo.approve("QP-01", person=person, date="2024-03-05",
                              review=meaning == "review")
        assert result.exit_code == 0, result.output
        assert checks.run() == PART
    assert checks.run(today=datetime.date(2024, 8, 1)) == FULL  # another day
    assert checks.run(today=datetime.date(2024, 8, 1)) == KEPT


def test_approvals_that_do_not_count_are_found_as_in_a_full_run(checks: Checks) -> None:
    """An approval by someone not entitled, and one's own text approved: judged again alone."""
    repo = checks.repo
    checks.run()
    revise_qp_01(repo, "A/1", "2024-03-10")
    repo.commit("Revise QP-01", person="陈代表", date="2024-03-01")
    repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>",
                        "Approved-by: 李文管 <li@example.gov.cn>", person="李文管",
                        date="2024-03-02")
    assert checks.run() == PART
    assert {"approval.not-entitled", "approval.self-approval"} <= {f.rule for f in checks.findings}


def test_commits_dated_out_of_order_are_reported_as_in_a_full_run(checks: Checks) -> None:
    """The dates of new commits are judged from the latest date of the history before them."""
    repo = checks.repo
    checks.run()
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    repo.commit("Edit QP-01 with the clock wrong", date="2023-12-01")  # before the approvals
    assert checks.run() == PART
    assert "history.date-order" in {f.rule for f in checks.findings}
    repo.edit("records_templates/qr-01-01.md", "| 日期 |", "| 登记日期 |")
    repo.commit("Edit QR-01-01", date="2024-03-01")
    repo.edit("procedures/qp-01.md", "首次发布。", "首次发布")
    repo.commit("Edit QP-01 with the clock wrong again", date="2024-02-01")
    assert checks.run() == PART  # two commits, two documents, in one check


@pytest.mark.parametrize("change", ["add", "rename", "remove"])
def test_documents_added_renamed_or_removed_are_checked_in_full(checks: Checks,
                                                                 change: str) -> None:
    repo = checks.repo
    checks.run()
    if change == "add":
        repo.write("procedures/qp-02.md", repo.read("procedures/qp-01.md").replace(
            "QP-01", "QP-02"))
    elif change == "rename":
        repo.git("mv", "procedures/qp-01.md", "procedures/qp-01-document-control.md")
    else:
        repo.git("rm", "-q", "records_templates/qr-01-01.md")
    repo.commit(f"{change} a document", date="2024-03-01")
    assert checks.run() == FULL
    repo.edit("docs/manual/qm-01.md", "本手册", "这本手册")
    repo.commit("Edit QM-01", date="2024-03-02")
    assert checks.run() == PART


def test_a_view_of_the_past_is_judged_alone_as_well(checks: Checks) -> None:
    """Commits after the day judged: each document's text as it was that day."""
    repo = checks.repo
    day = datetime.date(2024, 2, 25)
    assert checks.run(today=day) == FULL
    revise_qp_01(repo, "A/1", "2024-03-10")
    repo.commit("Revise QP-01", date="2024-03-01")
    repo.approve_all(["QP-01"], date="2024-03-05")
    assert checks.run(today=day) == PART


def test_a_damaged_state_is_never_used(checks: Checks) -> None:
    repo = checks.repo
    checks.run()
    state = repo.root / ".git" / history_cache.FOLDER / "check"
    content = bytearray(state.read_bytes())
    content[-5] ^= 0xFF
    state.write_bytes(bytes(content))
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    repo.commit("Edit QP-01", date="2024-03-01")
    assert checks.run() == FULL


def test_with_copies_issued_a_changed_document_is_checked_in_full(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The register of controlled copies is judged against every document and the whole
    history: with copies issued, a document's change is checked in full; nothing new, kept."""
    repo = new_repo(tmp_path / "repo", issuing_manual())
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    result = repo.qmsdoc("issue", "QP-01", "--to", "政务服务中心窗口", "--output",
                         str(tmp_path / "pdf"), date="2024-03-05")
    assert result.exit_code == 0, result.output
    checks = Checks(repo, monkeypatch)
    assert checks.run() == FULL
    assert checks.run() == KEPT
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    repo.commit("Edit QP-01", date="2024-03-06")
    assert checks.run() == FULL
