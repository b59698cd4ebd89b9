"""修订记录: one row per approved revision and per periodic review, plus the revision in review."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .approvals import Identity, Judged, Revision
from .model import Right, State
from .people import Register
from .publication import DocumentStatus


@dataclass(frozen=True)
class HistoryRow:
    version: str
    effective_date: datetime.date | None
    change_summary: str
    written_by: tuple[str, ...]
    reviewed_by: tuple[str, ...]
    approved_by: str
    approved_on: datetime.date | None
    commit: str
    status: str  # 现行有效, 已批准待生效, 已被替代, 已作废, 审批中, 定期评审
    reviewed_on: datetime.date | None = None
    """The day of a periodic review (定期评审); ``None`` on the other rows."""
    revision: Revision | None = field(default=None, compare=False, repr=False)
    """The approved revision of the row (``None``: the revision in review, a periodic review)."""

    @property
    def periodic_review(self) -> bool:
        return self.reviewed_on is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "change_summary": self.change_summary,
            "written_by": list(self.written_by),
            "reviewed_by": list(self.reviewed_by),
            "approved_by": self.approved_by,
            "approved_on": self.approved_on.isoformat() if self.approved_on else None,
            "commit": self.commit,
            "status": self.status,
            "periodic_review": self.periodic_review,
            "reviewed_on": self.reviewed_on.isoformat() if self.reviewed_on else None,
        }


def _names(identities: frozenset[Identity], register: Register) -> tuple[str, ...]:
    names = set()
    for name, email in identities:
        person = register.by_email(email)
        names.add(person.name if person else name)
    return tuple(sorted(names))


def _with_role(name: str, role: str | None) -> str:
    return f"{name}（{role}）" if role else name


COMING = "已批准待生效"
PERIODIC_REVIEW = "定期评审"
PERIODIC_REVIEW_SUMMARY = "定期评审，内容无修改"


def history_rows(status: DocumentStatus, register: Register) -> list[HistoryRow]:
    """Newest first, as a revision table is read: what was approved by the publication day,
    and the periodic reviews of approved texts, each where it happened in the file's history."""
    placed = [(r.approval.evidence.index, _row(r, register, _state(r, status)))
              for r in status.approved]
    placed += [(review.evidence.index, _periodic_row(revision, review))
               for revision, review in status.periodic_reviews]
    rows = [row for _, row in sorted(placed, key=lambda p: p[0])]
    draft = status.draft
    if status.pending and draft is not None:
        authors = {(c.author_name, c.author_email) for c in status.later_commits}
        pending_reviews = tuple(
            _with_role(j.display_name, j.role) for j in status.approvals.judged
            if j.valid and j.evidence.snapshot.fingerprint == draft.fingerprint
            and j.evidence.meaning is Right.REVIEW and j.on <= status.day)
        label = State.DRAFT.label if draft.state is State.DRAFT else State.IN_REVIEW.label
        rows.append(HistoryRow(str(draft.version), draft.effective_date,
                               draft.change_summary, _names(frozenset(authors), register),
                               pending_reviews, "", None, "", label))
    rows.reverse()
    return rows


def _state(revision: Revision, status: DocumentStatus) -> str:
    if revision in status.coming:
        return COMING
    if revision is not status.published:
        return "已被替代"
    return State.OBSOLETE.label if revision.snapshot.withdrawn else State.EFFECTIVE.label


def _row(revision: Revision, register: Register, state: str) -> HistoryRow:
    snapshot = revision.snapshot
    return HistoryRow(
        version=str(snapshot.version),
        effective_date=revision.effective_from,
        change_summary=snapshot.change_summary,
        written_by=_names(revision.authors, register),
        reviewed_by=tuple(_with_role(r.display_name, r.role) for r in revision.reviews),
        approved_by=_with_role(revision.approval.display_name, revision.approval.role),
        approved_on=revision.date,
        commit=revision.approval.evidence.commit.short,
        status=state,
        revision=revision,
    )


def _periodic_row(revision: Revision, review: Judged) -> HistoryRow:
    """A review of an approved text that changed nothing: who, in which role, and when.

    The day travels with the reviewer (the table has no column of its own for it).
    """
    return HistoryRow(
        version=str(revision.snapshot.version), effective_date=None,
        change_summary=PERIODIC_REVIEW_SUMMARY, written_by=(),
        reviewed_by=(f"{_with_role(review.display_name, review.role)} {review.on}",),
        approved_by="", approved_on=None, commit=review.evidence.commit.short,
        status=PERIODIC_REVIEW, reviewed_on=review.on)
