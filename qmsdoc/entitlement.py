"""Which authorities judge an approval: the job responsibilities as approved before it.

The rights to review and approve come from the job responsibilities (岗位职责),
and those are revised over time. Each approval is judged under the texts whose
approval came before it in history: a later revision neither grants a right
retroactively nor takes away one held when the approval was given. A revision
of a job responsibility is judged the same way, under the approved texts
before it, so no revision can grant the right to approve itself.

Setting the system up is the exception: the first edition is reviewed and
approved as a whole. Up to and including the commit that first approves job
responsibilities, documents are judged under the texts that commit approves
(before it exists: the texts proposed), and the job responsibilities
themselves under the texts proposed then. The gate does not publish anything
on authority that no approved job responsibility states.

Only valid approvals of job responsibilities state authority, and their
validity depends on the authority before them: :func:`settle_timeline` judges
them until no more drop out.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable

from .approvals import Evidence, FileEvidence, Judge, approve_revisions
from .model import DocType, Document, Right
from .people import Authorities


class AuthorityTimeline:
    """The authorities in force at each point of history."""

    def __init__(self, proposed: Iterable[Document], approvals: Iterable[Evidence]) -> None:
        self._proposed = {d.number: d for d in proposed}
        self._approvals = sorted(approvals, key=lambda e: e.commit.sequence)
        self._sequences = [e.commit.sequence for e in self._approvals]
        self._after: dict[int, Authorities] = {}

    @property
    def approvals(self) -> tuple[Evidence, ...]:
        return tuple(self._approvals)

    @property
    def current(self) -> Authorities:
        """The authorities now: every approval so far counts."""
        return self._after_first(len(self._approvals))

    @classmethod
    def claimed(cls, responsibilities: Iterable[tuple[Document, FileEvidence]]
                ) -> AuthorityTimeline:
        """The timeline of every approval git records, before any is judged."""
        files = list(responsibilities)
        return cls((document for document, _ in files),
                   (e for _, file in files for e in file.evidence
                    if e.meaning is Right.APPROVE and e.snapshot.document is not None))

    def at(self, sequence: int) -> Authorities:
        """The authorities stated by the approvals before this point of history.

        Before the first approval of a job responsibility, the ones the first approval
        approves (until then: as proposed), as for documents: otherwise the people
        register of a new manual could never name anyone else.
        """
        count = bisect.bisect_left(self._sequences, sequence)
        return self._after_first(count) if count else self._first_approved

    def for_evidence(self, evidence: Evidence) -> Authorities:
        """The authorities an approval or review is judged under."""
        sequence, snapshot = evidence.commit.sequence, evidence.snapshot
        responsibility = snapshot.document if snapshot.type is DocType.JOB_RESPONSIBILITY else None
        if self._sequences and sequence > self._sequences[0]:
            return self._after_first(bisect.bisect_left(self._sequences, sequence))
        if responsibility is None:
            return self._first_approved
        # A job responsibility: the others as proposed then, itself as it stands in the evidence.
        texts = {**self._proposed, **self._first_texts, responsibility.number: responsibility}
        return Authorities.from_documents(texts.values())

    @property
    def set_up(self) -> bool:
        """Whether any job responsibility has been approved."""
        return bool(self._sequences)

    @functools.cached_property
    def _first_texts(self) -> dict[str, Document]:
        """The job responsibilities the first approval commit approves (until then: proposed)."""
        if not self._sequences:
            return dict(self._proposed)
        return {e.snapshot.number: e.snapshot.document for e in self._approvals
                if e.commit.sequence == self._sequences[0] and e.snapshot.document}

    @functools.cached_property
    def _first_approved(self) -> Authorities:
        return Authorities.from_documents(self._first_texts.values())

    def _after_first(self, count: int) -> Authorities:
        """The authorities the first ``count`` approvals state (each replacing its predecessor)."""
        if count not in self._after:
            latest = {e.snapshot.number: e.snapshot.document for e in self._approvals[:count]}
            self._after[count] = Authorities.from_documents(d for d in latest.values() if d)
        return self._after[count]


def settle_timeline(responsibilities: Iterable[tuple[Document, FileEvidence]],
                    judge_with: Callable[[AuthorityTimeline], Judge]) -> AuthorityTimeline:
    """The timeline built from the job responsibilities' valid approvals.

    Starts from every approval git records and judges them under the timeline
    they make; an invalid one is dropped, which may invalidate later ones that
    relied on it, until the set no longer shrinks.
    """
    files = list(responsibilities)
    proposed = [document for document, _ in files]
    counted = list(AuthorityTimeline.claimed(files).approvals)
    while True:
        timeline = AuthorityTimeline(proposed, counted)
        judge = judge_with(timeline)
        valid = {id(j.evidence) for document, file in files
                 for j in approve_revisions(file, judge, document.approvals, document.path,
                                            document.number).judged
                 if j.valid and j.evidence.meaning is Right.APPROVE}
        still = [e for e in counted if id(e) in valid]
        if len(still) == len(counted):
            return timeline
        counted = still
