"""What each document publishes: its last approved revision, and what differs."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from .approvals import Approvals, Identity, Revision
from .findings import Finding, Severity
from .history import Commit
from .model import Document, Right, State


@dataclass(frozen=True)
class DocumentStatus:
    """One controlled document: the working text, and the revision in force."""

    working: Document
    approvals: Approvals
    later_commits: tuple[Commit, ...]
    """Commits that changed the content after the approval of the revision in force
    (all content changes when nothing was ever approved)."""
    uncommitted: bool
    authors: frozenset[Identity]
    """Who wrote the working text: nobody among them may review or approve it."""

    @property
    def published(self) -> Revision | None:
        return self.approvals.published

    @property
    def published_document(self) -> Document:
        """The document in force, parsed (the gate has checked that it parses)."""
        assert self.published is not None and self.published.snapshot.document is not None
        return self.published.snapshot.document

    @property
    def pending(self) -> bool:
        """The working text is not the text in force (a revision in progress)."""
        return self.published is None or (
            self.published.snapshot.fingerprint != self.working.fingerprint)

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
        return max(j.evidence.date for j in self.approvals.judged
                   if j.valid and j.evidence.snapshot.fingerprint == fingerprint)


def later_commits(approvals: Approvals, authoring: tuple[tuple[int, Commit], ...]) -> tuple[
        Commit, ...]:
    """Commits that changed the content after the revision in force was approved."""
    published = approvals.published
    if published is None:
        return tuple(commit for _, commit in authoring)
    approved_at = max(j.evidence.index for j in approvals.judged
                      if j.valid and j.evidence.meaning is Right.APPROVE
                      and j.evidence.snapshot.fingerprint == published.snapshot.fingerprint)
    return tuple(commit for index, commit in authoring if index > approved_at)


def publication_findings(status: DocumentStatus, strict: bool) -> Iterator[Finding]:
    """Unapproved text: never shown as effective, and an error on release branches."""
    working = status.working
    published = status.published
    if published is None:
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
    in_force = f"{published.date} 批准的 {published.snapshot.version} 版"
    if strict:
        yield Finding(
            "approval.unapproved-change", Severity.ERROR, working.path, working.line_of("version"),
            f"{working.label} 的内容与已批准的文本不同（{by}）；发布分支上不允许未批准的内容",
            "完成审核、批准（qmsdoc approve）后再发布；若是误改，撤销这些修改", working.number)
    else:
        yield Finding(
            "approval.unapproved-change", Severity.WARNING, working.path,
            working.line_of("version"),
            f"{working.label} 批准后又被修改（{by}）；网站继续显示 {in_force}，并注明修订审批中",
            "如果是正式修订：把 state 改为 in_review，提高版本号，再审核、批准；"
            "如果是误改：撤销这些修改", working.number)
