"""待办事项: revisions in review and what each still needs, revisions approved but not
yet in force, and periodic reviews due or overdue, as of the publication day.

What a revision still needs follows the rules the approvals are judged by: a
valid review of this exact text by someone entitled to review its type who did
not write it (when reviews are required), then an approval by someone entitled
to approve it who neither wrote nor reviewed it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from .approvals import Judged
from .gate import GateResult
from .model import Right, State
from .people import Register
from .publication import DocumentStatus

REVIEW_HORIZON_DAYS = 30


@dataclass(frozen=True)
class Step:
    """A step a revision still needs: review or approval, and who may take it."""

    meaning: Right
    roles: tuple[str, ...]
    """The roles whose job responsibility grants this right for the document's type."""
    holders: tuple[tuple[str, str], ...]
    """(person, role) of everyone holding such a role today who may take the step."""

    @property
    def who_not(self) -> str:
        """Who may not take the step, whatever their role."""
        return "编制人" if self.meaning is Right.REVIEW else "编制人和审核人"

    def describe(self) -> str:
        if not self.roles:
            return f"{self.meaning.label}：没有任何岗位职责授予这项权限，请先修订岗位职责"
        people = "、".join(f"{name}（{role}）" for name, role in self.holders) or "无"
        return (f"{self.meaning.label}：有权的岗位 {'、'.join(self.roles)}；"
                f"今天在任、可以{self.meaning.label}的人 {people}（{self.who_not}除外）")

    def to_json(self) -> dict[str, Any]:
        return {"meaning": self.meaning.label, "roles": list(self.roles),
                "people": [{"name": name, "role": role} for name, role in self.holders]}


@dataclass(frozen=True)
class Signoff:
    """A review or approval recorded for the text in review."""

    meaning: Right
    name: str
    role: str | None
    on: datetime.date
    commit: str
    problem: str | None  # why it does not count (rule and reason), None when it counts

    def describe(self) -> str:
        who = f"{self.name}（{self.role}）" if self.role else self.name
        text = f"{self.meaning.label}：{who} {self.on}，提交 {self.commit}"
        return text + (f"，无效：{self.problem}" if self.problem else "")

    def to_json(self) -> dict[str, Any]:
        return {"meaning": self.meaning.label, "name": self.name, "role": self.role,
                "date": self.on.isoformat(), "commit": self.commit, "valid": self.problem is None,
                "problem": self.problem}


@dataclass(frozen=True)
class InReview:
    """A working text that is not an approved text."""

    number: str
    title: str
    version: str
    approved_version: str | None  # the last approved, ``None`` for a new document
    state: str
    planned_effective: datetime.date
    authors: tuple[str, ...]
    uncommitted: bool
    signoffs: tuple[Signoff, ...]
    needs: tuple[Step, ...]

    @property
    def reviewed(self) -> bool:
        return any(s.meaning is Right.REVIEW and s.problem is None for s in self.signoffs)

    def to_json(self) -> dict[str, Any]:
        return {"document": self.number, "title": self.title, "version": self.version,
                "approved_version": self.approved_version, "state": self.state,
                "planned_effective_date": self.planned_effective.isoformat(),
                "authors": list(self.authors), "uncommitted": self.uncommitted,
                "signoffs": [s.to_json() for s in self.signoffs],
                "needs": [step.to_json() for step in self.needs]}


@dataclass(frozen=True)
class Coming:
    """An approved revision (or withdrawal) that takes effect after the publication day."""

    number: str
    title: str
    version: str
    withdrawal: bool
    approved_on: datetime.date
    effective_from: datetime.date

    def to_json(self) -> dict[str, Any]:
        return {"document": self.number, "title": self.title, "version": self.version,
                "withdrawal": self.withdrawal, "approved_on": self.approved_on.isoformat(),
                "effective_date": self.effective_from.isoformat()}


@dataclass(frozen=True)
class ReviewDue:
    """A text in force whose periodic review (定期评审) is due soon or overdue."""

    number: str
    title: str
    version: str
    last_reviewed: datetime.date
    due: datetime.date

    def to_json(self) -> dict[str, Any]:
        return {"document": self.number, "title": self.title, "version": self.version,
                "last_reviewed": self.last_reviewed.isoformat(), "due": self.due.isoformat()}


@dataclass(frozen=True)
class PendingWork:
    day: datetime.date
    horizon: datetime.date  # reviews due up to this day are listed as coming up
    overdue: tuple[ReviewDue, ...]
    in_review: tuple[InReview, ...]
    coming: tuple[Coming, ...]
    due_soon: tuple[ReviewDue, ...]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "reviews_due_by": self.horizon.isoformat(),
                "overdue_reviews": [r.to_json() for r in self.overdue],
                "in_review": [r.to_json() for r in self.in_review],
                "coming_into_force": [c.to_json() for c in self.coming],
                "reviews_due": [r.to_json() for r in self.due_soon]}


def pending_work(gate: GateResult, horizon_days: int = REVIEW_HORIZON_DAYS) -> PendingWork:
    """Everything waiting on someone, most urgent first within each group."""
    day = gate.day
    horizon = day + datetime.timedelta(days=horizon_days)
    statuses = sorted(gate.statuses.values(), key=lambda s: s.working.number)
    in_review = sorted((_in_review(s, gate) for s in statuses if s.pending),
                       key=lambda r: (r.planned_effective, r.number))
    coming = sorted((Coming(s.working.number, s.working.title, str(r.snapshot.version),
                            r.snapshot.withdrawn, r.date, r.effective_from)
                     for s in statuses for r in s.coming),
                    key=lambda c: (c.effective_from, c.number))
    due = sorted((r for r in map(_review_due, statuses) if r and r.due <= horizon),
                 key=lambda r: (r.due, r.number))
    return PendingWork(day, horizon, tuple(r for r in due if r.due < day), tuple(in_review),
                       tuple(coming), tuple(r for r in due if r.due >= day))


def _review_due(status: DocumentStatus) -> ReviewDue | None:
    due, last = status.next_review_due(), status.last_reviewed()
    if due is None or last is None or status.published is None:
        return None
    return ReviewDue(status.working.number, status.working.title,
                     str(status.published.snapshot.version), last, due)


def _in_review(status: DocumentStatus, gate: GateResult) -> InReview:
    working = status.working
    fingerprint = working.fingerprint
    recorded = [j for j in status.approvals.judged
                if j.evidence.snapshot.fingerprint == fingerprint and j.on <= gate.day]
    reviewers = {j.person.name for j in recorded
                 if j.valid and j.person and j.evidence.meaning is Right.REVIEW}
    authors = {person.name if (person := gate.register.by_email(email)) else name
               for name, email in status.authors}
    needs = []
    if gate.settings.require_review and not reviewers:
        needs.append(_step(gate, status, Right.REVIEW, authors))
    needs.append(_step(gate, status, Right.APPROVE, authors | reviewers))
    latest = status.latest
    state = ("作废" if working.state is State.OBSOLETE else working.state.label)
    return InReview(working.number, working.title, str(working.version),
                    str(latest.snapshot.version) if latest else None, state,
                    working.effective_date, tuple(sorted(authors)), status.uncommitted,
                    tuple(_signoff(j) for j in recorded), tuple(needs))


def _step(gate: GateResult, status: DocumentStatus, meaning: Right, excluded: set[str]) -> Step:
    roles = tuple(gate.authorities.roles_with(meaning, status.working.type))
    return Step(meaning, roles, _holders(gate.register, roles, gate.day, excluded))


def _holders(register: Register, roles: tuple[str, ...], day: datetime.date,
             excluded: set[str]) -> tuple[tuple[str, str], ...]:
    holders = [(person, held) for person, held in register.holders(roles, day)
               if person.name not in excluded]
    return tuple((person.name, role) for role in roles for person, held in holders if role in held)


def _signoff(judged: Judged) -> Signoff:
    problem = "；".join(f"{message} [{rule}]" for rule, message, _ in judged.problems) or None
    return Signoff(judged.evidence.meaning, judged.display_name, judged.role, judged.on,
                   judged.evidence.commit.short, problem)


def pending_text(work: PendingWork) -> str:
    """``qmsdoc status`` for a terminal: grouped, most urgent first."""
    lines = [f"待办事项（{work.day}）"]

    def group(title: str, items: list[list[str]]) -> None:
        lines.extend(["", f"{title}（{len(items)}）"])
        for item in items:
            lines.append(f"  {item[0]}")
            lines.extend(f"      {detail}" for detail in item[1:])
        if not items:
            lines.append("  无")

    group("定期评审已逾期", [[f"{r.number}《{r.title}》{r.version}  应于 {r.due} 前评审，"
                       f"已逾期 {(work.day - r.due).days} 天（上次审核或批准 {r.last_reviewed}）"]
                      for r in work.overdue])
    group("审批中的修订", [_in_review_lines(r) for r in work.in_review])
    group("已批准待生效", [[f"{c.number}《{c.title}》{'作废' if c.withdrawal else c.version}  "
                      f"{c.effective_from} 起生效（{c.approved_on} 批准，还有 "
                      f"{(c.effective_from - work.day).days} 天）"] for c in work.coming])
    group(f"定期评审 {(work.horizon - work.day).days} 天内到期",
          [[f"{r.number}《{r.title}》{r.version}  应于 {r.due} 前评审"
            f"（还有 {(r.due - work.day).days} 天；上次审核或批准 {r.last_reviewed}）"]
           for r in work.due_soon])
    return "\n".join(lines)


def _in_review_lines(item: InReview) -> list[str]:
    change = f"{item.approved_version} → {item.version}" if item.approved_version else (
        f"{item.version}（新文件）")
    lines = [f"{item.number}《{item.title}》{change}  {item.state}  拟 {item.planned_effective} 生效"
             + ("  （有未提交的修改）" if item.uncommitted else ""),
             f"编制：{'、'.join(item.authors) or '—'}"]
    lines += [f"已有{s.describe()}" for s in item.signoffs]
    lines += [f"尚需{step.describe()}" for step in item.needs]
    return lines
