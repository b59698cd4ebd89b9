"""A preview's gate judges again only the documents whose working text changed.

Each test runs the gate as `mkdocs serve` does (one memory across the runs of a
preview), changes the repository, and compares every run with a run of the gate
without memory or cache: the same findings and the same status of every document.
It also watches how the run judged history: all of it (``FULL``) or only the
documents that changed (``PART``).
"""

from __future__ import annotations

import datetime

import pytest

from qmsdoc import gate, history_cache, load_settings, run_gate
from qmsdoc.gate_memory import GateMemory

from .conftest import ManualRepo
from .test_check_cache import revise_qp_01

TODAY = datetime.date(2024, 7, 1)
FULL, PART = "full", "part"


class PreviewGate:
    """The gate of one preview, run after each change."""

    def __init__(self, repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.repo, self.monkeypatch = repo, monkeypatch
        self.memory, self.how = GateMemory(), PART
        self.rejudged: list[str] = []
        real_history, real_judge = gate.judge_history, gate.judge_documents

        def judge_history(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.how = FULL
            return real_history(*args, **kwargs)

        def judge_documents(documents, *args, **kwargs):  # type: ignore[no-untyped-def]
            documents = list(documents)
            self.rejudged += [d.number for d in documents]
            return real_judge(documents, *args, **kwargs)

        monkeypatch.setattr(gate, "judge_history", judge_history)
        monkeypatch.setattr("qmsdoc.gate_memory.judge_documents", judge_documents)

    def run(self, today: datetime.date = TODAY) -> str:
        """Run the preview's gate, assert it is what a full run finds; how it judged."""
        self.how, self.rejudged = PART, []
        result = run_gate(load_settings(self.repo.root), today=today, memory=self.memory)
        how = self.how
        with self.monkeypatch.context() as patch:
            patch.setenv(history_cache.DISABLE, "1")
            full = run_gate(load_settings(self.repo.root), today=today)
        assert result.findings == full.findings
        # Each status as its text: a past version's snapshot is equal only to itself.
        assert repr(result.statuses) == repr(full.statuses)
        return how


@pytest.fixture
def preview(approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> PreviewGate:
    return PreviewGate(approved_repo, monkeypatch)


def test_a_saved_document_is_the_only_one_judged_again(preview: PreviewGate) -> None:
    repo = preview.repo
    assert preview.run() == FULL
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
    assert preview.run() == PART
    assert preview.rejudged == ["QP-01"]
    assert preview.run() == PART  # saved again unchanged: nothing to judge
    assert preview.rejudged == []
    revise_qp_01(repo, "A/1", "2024-08-01")  # a new revision written: pending approval
    assert preview.run() == PART
    assert preview.rejudged == ["QP-01"]
    repo.git("checkout", "--", "procedures/qp-01.md")  # the edit taken back
    assert preview.run() == PART
    assert preview.rejudged == ["QP-01"]


@pytest.mark.parametrize("change", [
    "commit", "edit a job responsibility", "edit people.yml", "edit the settings", "add a document",
    "another day"])
def test_anything_else_judges_history_again(preview: PreviewGate, change: str) -> None:
    repo = preview.repo
    preview.run()
    today = TODAY
    if change == "commit":
        repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")
        repo.commit("Edit QP-01", date="2024-03-01")
    elif change == "edit a job responsibility":
        repo.write("responsibilities/jr-01.md",
                   repo.read("responsibilities/jr-01.md") + "\n补充一句。\n")
    elif change == "edit people.yml":
        repo.write("people.yml", repo.read("people.yml") + "\n# 新增注释\n")
    elif change == "edit the settings":
        repo.write("qmsdoc.yml", repo.read("qmsdoc.yml").replace(
            "reissue_after: 5", "reissue_after: 3"))
    elif change == "add a document":
        repo.write("procedures/qp-09.md", repo.read("procedures/qp-01.md").replace(
            "QP-01", "QP-09"))
    else:
        today = datetime.date(2024, 7, 2)
    assert preview.run(today) == FULL
    assert preview.run(today) == PART
    assert preview.rejudged == []
