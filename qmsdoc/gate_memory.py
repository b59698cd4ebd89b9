"""A preview's gate judges again only the documents whose working text changed.

`mkdocs serve` runs the gate after every save. While the commit checked out,
the settings, the governed files, the job responsibilities and the day stay as
they were (:func:`~.check_state.working_inputs`), history decides the same of
every approval: the governing files in force, the authorities, the commit dates
and each document's evidence. A save then changes only what is judged of the
documents whose working files changed (their bytes, or whether git sees them as
changed), which the gate judges again with its own code; the checks across
documents, the site pages and the register of copies run whole, as always.
Anything else is a full run.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from .check_state import working_inputs
from .config import Settings
from .gate import Judgement, WorkingTree, judge_documents, reviewed_blobs
from .history import GitRepository
from .snapshots import Blobs


class Look(NamedTuple):
    """This run's working tree, as the memory compares it with the last run's."""

    key: str
    """:func:`~.check_state.working_inputs`, and whether the run publishes."""
    files: dict[str, tuple[str, bool]]
    """Per document path: SHA-256 of the working file, whether it has uncommitted changes."""


@dataclass
class GateMemory:
    """What the last run of the gate in this process judged, and of which working tree."""

    head: str = ""
    seen: Look | None = None
    judgement: Judgement | None = None

    def may_apply(self, head: str) -> bool:
        """Whether history can be as it was: the same commit is checked out."""
        return self.judgement is not None and bool(head) and head == self.head

    @staticmethod
    def look(settings: Settings, repository: GitRepository, working: WorkingTree,
             day: datetime.date, built_on: datetime.date, publishing: bool) -> Look:
        digests = dict(repository.derived.parsed_files())
        return Look(working_inputs(settings, working, digests, day, built_on) + str(publishing),
                    {d.path: (digests.get(d.path, ""), d.path in working.uncommitted)
                     for d in working.loaded.manual})

    def recall(self, head: str, look: Look, repository: GitRepository, working: WorkingTree,
               day: datetime.date) -> Judgement | None:
        """What history decides of ``working``, or ``None`` when a full run is needed."""
        kept, before = self.judgement, self.seen
        if kept is None or before is None or not self.may_apply(head) or look.key != before.key:
            return None
        manual = working.loaded.manual  # the same paths, numbers, types and job responsibilities
        changed = [d for d in manual if look.files[d.path] != before.files[d.path]]
        events = {d.path: kept.history.events.get(d.path, []) for d in changed}
        blobs = Blobs(repository, reviewed_blobs(events), manual)
        again = {status.working.path: (status, found) for status, found in judge_documents(
            changed, kept.history, blobs, kept.evidence, kept.judging, day, working)}
        judged = [again.get(status.working.path, (status, found)) for status, found in kept.judged]
        return kept._replace(judged=judged)

    def keep(self, head: str, look: Look, judgement: Judgement) -> None:
        self.head, self.seen, self.judgement = head, look, judgement
