"""``qmsdoc check`` reads history again exactly when git cannot prove nothing new is in it.

Each test drives a real repository through a change and compares what the check
reports with a full run of the gate without any cache; and it watches whether
the check read history (ran the gate) or used the findings kept from before.
"""

from __future__ import annotations

import datetime

import pytest

from qmsdoc import check_cache, history_cache, load_settings, run_gate
from qmsdoc.gate import GateResult

from .conftest import ManualRepo

TODAY = datetime.date(2024, 7, 1)


class Checks:
    """Runs ``check`` as the CLI does, and tells whether each run read history."""

    def __init__(self, repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.repo, self.monkeypatch, self.read_history = repo, monkeypatch, False
        real = check_cache.run_gate

        def gate(*args: object, **kwargs: object) -> GateResult:
            self.read_history = True
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(check_cache, "run_gate", gate)

    def run(self, *, strict: bool = False, today: datetime.date = TODAY) -> bool:
        """Check, assert the outcome is a full run's; whether history was read."""
        self.read_history = False
        outcome = check_cache.check(load_settings(self.repo.root), strict=strict, today=today)
        with self.monkeypatch.context() as patch:
            patch.setenv(history_cache.DISABLE, "1")
            full = run_gate(load_settings(self.repo.root), strict=strict, today=today)
        assert outcome.findings == full.findings
        assert outcome.next_change == full.next_change()
        return self.read_history


def commit_outside_the_manual(repo: ManualRepo, text: str, date: str) -> None:
    repo.write("README.md", f"# {text}\n")
    repo.commit(f"README: {text}", date=date)


@pytest.fixture
def checks(approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> Checks:
    return Checks(approved_repo, monkeypatch)


def test_history_is_read_once_while_nothing_changes(checks: Checks) -> None:
    assert checks.run()
    assert not checks.run()
    assert checks.run(strict=True)  # other options: other findings
    assert not checks.run(strict=True)


def test_commits_outside_the_manual_need_no_history(checks: Checks) -> None:
    repo = checks.repo
    checks.run()
    commit_outside_the_manual(repo, "质量手册仓库", "2024-03-01")
    assert not checks.run()
    repo.write("src/tool.py", "print('x')\n")
    repo.commit("Add a tool", date="2024-03-02")
    commit_outside_the_manual(repo, "质量手册仓库（修订）", "2024-03-03")
    assert not checks.run()


def test_site_pages_are_checked_again_at_every_commit(checks: Checks) -> None:
    """A page is published as committed: its findings are fresh, history is not read."""
    repo = checks.repo
    checks.run()
    repo.write("docs/notice.md", '# 通知\n\n见 {{ doc("QP-99") }}。\n')
    repo.commit("Add a notice citing a document that does not exist", date="2024-03-01")
    assert not checks.run()  # and the finding is there, as in a full run
    repo.write("docs/notice.md", '# 通知\n\n见 {{ doc("QP-01") }}。\n')
    assert not checks.run()  # an uncommitted page: reported as such


@pytest.mark.parametrize("change", ["commit a document", "edit a document", "edit people.yml",
                                    "add a hook", "edit the settings"])
def test_a_change_history_is_read_for_reads_it_again(checks: Checks, change: str) -> None:
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
    else:
        repo.write("qmsdoc.yml", repo.read("qmsdoc.yml").replace(
            "reissue_after: 5", "reissue_after: 3"))
    assert checks.run()
    assert not checks.run()


def test_another_day_reads_history_again(checks: Checks) -> None:
    checks.run()
    assert checks.run(today=datetime.date(2024, 7, 2))


def test_a_history_moved_back_or_merged_is_read_again(checks: Checks) -> None:
    repo = checks.repo
    checks.run()
    commit_outside_the_manual(repo, "质量手册仓库", "2024-03-01")
    assert not checks.run()
    repo.git("reset", "-q", "--hard", "HEAD~1")  # back at the commit the findings were kept at
    assert not checks.run()
    repo.git("commit", "-q", "--amend", "-m", "Reworded", date="2024-02-21")
    assert checks.run()  # the same files, but the kept commit is not in this history
    repo.git("checkout", "-q", "-b", "side")
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    repo.commit("Edit QP-01 on a side branch", date="2024-03-02")
    repo.git("checkout", "-q", "main")
    commit_outside_the_manual(repo, "质量手册仓库", "2024-03-03")
    assert not checks.run()  # the README commit is outside the manual: findings kept
    repo.git("merge", "-q", "--no-ff", "side", "-m", "Merge side", date="2024-03-04")
    assert checks.run()  # the merge brings a document's change


def test_findings_that_time_may_take_back_are_never_kept(checks: Checks) -> None:
    repo = checks.repo
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    repo.commit("Edit QP-01, dated in the future", date="2099-01-01")
    assert checks.run()
    assert checks.run()
