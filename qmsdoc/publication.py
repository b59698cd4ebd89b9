"""What each document publishes on a given day, and what differs from it.

The revision in force on a day D is the last revision approved by D whose
effective date is on or before D; a withdrawal (作废) takes effect on its own
effective date in the same way. A revision approved with a later effective
date is 已批准待生效 until then, and the one before it stays in force.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .approvals import Approvals, Identity, Judged, Revision
from .errors import QmsdocError
from .findings import Finding, Severity
from .history import Commit
from .model import Document, Right, State
from .snapshots import Snapshot

DATE_VARIABLE = "QMSDOC_DATE"


def publication_day(value: str | None = None) -> datetime.date:
    """The day a build publishes for: ``value``, else ``QMSDOC_DATE``, else today."""
    value = value or os.environ.get(DATE_VARIABLE)
    if not value:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise QmsdocError(f"发布日期 {value!r} 格式不对（{DATE_VARIABLE} 或 --date）："
                          "写作 年-月-日，例如 2026-12-01") from None


@dataclass(frozen=True)
class DocumentStatus:
    """One controlled document on the publication day: the working text, and the
    revisions in force and to come."""

    working: Document
    approvals: Approvals
    day: datetime.date
    later_commits: tuple[Commit, ...]
    """Commits that changed the content after the latest approval (all content
    changes when nothing was ever approved)."""
    uncommitted: bool
    authors: frozenset[Identity]
    """Who wrote the working text: nobody among them may review or approve it."""
    past: bool = False
    """The file's history goes on after the publication day: its status is judged from
    its text as it was that day, not from the working text (a view of the past)."""
    text_then: Snapshot | None = None
    """In a view of the past: the text as the last commit on or before the day left it
    (``None`` when the file did not exist yet)."""

    @functools.cached_property
    def draft(self) -> Snapshot | None:
        """The text being written or reviewed on the publication day: the working text,
        or in a view of the past the text as it was that day (the working text and its
        uncommitted changes are of today, not of that day)."""
        return self.text_then if self.past else Snapshot.of(self.working)

    @functools.cached_property
    def approved(self) -> tuple[Revision, ...]:
        """The revisions approved by the publication day, in the order of approval."""
        return tuple(r for r in self.approvals.revisions if r.date <= self.day)

    @functools.cached_property
    def published(self) -> Revision | None:
        """The revision in force on the publication day (a withdrawal included)."""
        return next((r for r in reversed(self.approved) if r.effective_from <= self.day), None)

    @property
    def coming(self) -> tuple[Revision, ...]:
        """Approved revisions that take effect after the publication day (已批准待生效)."""
        start = 0 if self.published is None else self.approved.index(self.published) + 1
        return tuple(r for r in self.approved[start:] if r.effective_from > self.day)

    @property
    def latest(self) -> Revision | None:
        """The last revision approved, in force or not."""
        return self.approved[-1] if self.approved else None

    @property
    def published_document(self) -> Document:
        """The document in force, parsed (the gate has checked that it parses)."""
        assert self.published is not None and self.published.snapshot.document is not None
        return self.published.snapshot.document

    @property
    def pending(self) -> bool:
        """The text of the day is not an approved text (a revision in progress)."""
        draft = self.draft
        return draft is not None and (self.latest is None
                                      or self.latest.snapshot.fingerprint != draft.fingerprint)

    @property
    def in_force(self) -> bool:
        return self.published is not None and not self.published.snapshot.withdrawn

    @property
    def withdrawn(self) -> bool:
        return self.published is not None and self.published.snapshot.withdrawn

    def last_reviewed(self) -> datetime.date | None:
        """The latest valid review or approval of the text in force."""
        if self.published is None:
            return None
        fingerprint = self.published.snapshot.fingerprint
        return max(j.on for j in self.approvals.judged
                   if j.valid and j.evidence.snapshot.fingerprint == fingerprint
                   and j.on <= self.day)

    def next_review_due(self) -> datetime.date | None:
        """When the text in force must next be reviewed (定期评审), if it is in force."""
        last = self.last_reviewed()
        if last is None or not self.in_force:
            return None
        return add_months(last, self.working.review_interval)

    @functools.cached_property
    def periodic_reviews(self) -> tuple[tuple[Revision, Judged], ...]:
        """Reviews of a text after it was approved (定期评审, "reviewed, no change"), by the
        publication day, each with the revision reviewed, oldest first."""
        revisions = {r.snapshot.fingerprint: r for r in self.approved}
        reviews = []
        for judged in self.approvals.judged:
            revision = revisions.get(judged.evidence.snapshot.fingerprint)
            if (revision is not None and judged.valid and judged.evidence.meaning is Right.REVIEW
                    and judged.evidence.index > revision.approval.evidence.index
                    and judged.on <= self.day):
                reviews.append((revision, judged))
        return tuple(reviews)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or the month's last day when it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def later_commits(approvals: Approvals, authoring: tuple[tuple[int, Commit], ...],
                  day: datetime.date) -> tuple[Commit, ...]:
    """Commits that changed the content after the latest revision approved by ``day``."""
    approved = {r.snapshot.fingerprint for r in approvals.revisions if r.date <= day}
    approved_at = max((j.evidence.index for j in approvals.judged
                       if j.valid and j.evidence.meaning is Right.APPROVE and j.on <= day
                       and j.evidence.snapshot.fingerprint in approved), default=-1)
    return tuple(commit for index, commit in authoring if index > approved_at)


def coming_changes(status: DocumentStatus) -> tuple[tuple[int, str], ...]:
    """(ordinal of the day, what happens) of each approved change still to take effect."""
    number = status.working.number
    return tuple((r.effective_from.toordinal(),
                  f"{number} {'作废' if r.snapshot.withdrawn else f'{r.snapshot.version} 版生效'}")
                 for r in status.coming)


def next_change(coming: Iterable[tuple[int, str]]) -> tuple[datetime.date, list[str]] | None:
    """The next day the published site changes, and what takes effect that day, from each
    document's :func:`coming_changes`."""
    changes = list(coming)
    if not changes:
        return None
    day = min(when for when, _ in changes)
    return datetime.date.fromordinal(day), [what for when, what in sorted(
        changes, key=lambda c: c[1].partition(" ")[0]) if when == day]


def publication_findings(status: DocumentStatus, strict: bool) -> Iterator[Finding]:
    """Unapproved text: never shown as effective, and an error on release branches.

    In a view of the past the working text came later: nothing is said about it.
    """
    if status.past:
        return
    working = status.working
    latest = status.latest
    if latest is None:
        if working.state is State.EFFECTIVE and not status.approvals.findings:
            yield Finding(
                "approval.missing", Severity.ERROR, working.path, working.line_of("state"),
                f"{working.label} 标为现行有效（effective），但 git 历史中没有它的有效批准",
                "把 state 改为 in_review 并提交，再由有权限的人用 qmsdoc approve 审核、批准",
                working.number)
        return
    if not status.pending:
        return
    declared = working.state in (State.DRAFT, State.IN_REVIEW)
    if declared and not strict:
        return
    changes = [c.describe() for c in status.later_commits]
    if status.uncommitted:
        changes.append("工作区中未提交的修改")
    by = "；".join(changes) or "批准后的修改"
    shown = (f"{status.published.date} 批准的 {status.published.snapshot.version} 版"
             if status.published else "已批准的版本")
    if strict:
        yield Finding(
            "approval.unapproved-change", Severity.ERROR, working.path, working.line_of("version"),
            f"{working.label} 的内容与已批准的文本不同（{by}）；发布分支上不允许未批准的内容",
            "完成审核、批准（qmsdoc approve）后再发布；若是误改，撤销这些修改", working.number)
    else:
        yield Finding(
            "approval.unapproved-change", Severity.WARNING, working.path,
            working.line_of("version"),
            f"{working.label} 批准后又被修改（{by}）；网站继续显示 {shown}，并注明修订审批中",
            "如果是正式修订：把 state 改为 in_review，提高版本号，再审核、批准；"
            "如果是误改：撤销这些修改", working.number)
