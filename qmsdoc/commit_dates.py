"""Commit dates, as far as history can vouch for them.

Git records whatever date the committer types (``GIT_COMMITTER_DATE``), signed
or not. What history does prove is order: a commit was made after each of its
ancestors. So a commit is judged — the roles its people held, whether an
approval came before the revision's effective date — at its own date or at the
latest date among its ancestors, whichever is later. A commit dated before one
of its ancestors, or after the moment of the check, is reported: an error when
it records an approval or review or changes a governing file, where the date
decides something; a warning for any other change to the manual.

A department that moves to qmsdoc may enter its earlier history afterwards
(补录), with the dates of its paper records. The settings may name the last
commit of that history (``history_backfilled_until``): that commit and its
ancestors are taken at their own dates and not reported.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .findings import Finding, Severity
from .history import Commit

SKEW = datetime.timedelta(minutes=10)
"""How far clocks of different machines may disagree before a date counts as wrong."""

@dataclass(frozen=True)
class CommitDates:
    """The date each commit is judged at.

    Dates are kept as POSIX times, each with the commit it comes from: a float
    and a string per commit, which also spares the garbage collector ten
    thousand tuples in a large history.
    """

    dates: dict[str, datetime.datetime]
    """Every commit's own date."""
    latest: dict[str, str]
    """Per commit, the commit with the latest date among itself and its ancestors."""
    before: dict[str, str | None]
    """Per commit, the commit with the latest date among its ancestors (``None``: none)."""
    stamps: dict[str, float]
    """Per commit, the POSIX time of its own date."""
    backfilled: frozenset[str]

    @classmethod
    def read(cls, commits: Iterable[Commit], backfilled_until: str | None = None) -> CommitDates:
        """From every commit, oldest first (parents before children)."""
        ordered = list(commits)
        dates = {commit.sha: commit.date for commit in ordered}
        stamps = {sha: date.timestamp() for sha, date in dates.items()}
        latest: dict[str, str] = {}
        before: dict[str, str | None] = {}
        for commit in ordered:
            before[commit.sha] = earlier = _latest(latest, stamps, commit)
            latest[commit.sha] = commit.sha if earlier is None or (
                stamps[commit.sha] >= stamps[earlier]) else earlier
        backfilled: set[str] = set()
        last = [sha for sha in dates if sha.startswith(backfilled_until)] if backfilled_until else []
        if len(last) == 1:  # an abbreviated commit id must name one commit
            backfilled.add(last[0])
            for commit in reversed(ordered):  # children before parents
                if commit.sha in backfilled:
                    backfilled.update(commit.parents)
        return cls(dates, latest, before, stamps, frozenset(backfilled))

    @classmethod
    def resumed(cls, known: dict[str, tuple[datetime.datetime, str | None]],
                dated: dict[str, datetime.datetime], backfilled: Iterable[str],
                head: tuple[str, str], commits: list[Commit]) -> CommitDates:
        """The dates of some commits, as :meth:`read` found them, and of the commits made
        since, oldest first: ``known`` gives a commit's date and the commit before it (see
        :attr:`before`), ``dated`` the dates of those; ``head``: the last commit read then,
        and the commit with the latest date among it and its ancestors (dated too)."""
        dates = {**dated, **{sha: date for sha, (date, _) in known.items()}}
        before = {sha: earlier for sha, (_, earlier) in known.items()}
        dates.update((commit.sha, commit.date) for commit in commits)
        stamps = {sha: date.timestamp() for sha, date in dates.items()}
        latest_of = dict([head])
        for commit in commits:
            before[commit.sha] = earlier = _latest(latest_of, stamps, commit)
            latest_of[commit.sha] = commit.sha if earlier is None or (
                stamps[commit.sha] >= stamps[earlier]) else earlier
        return cls(dates, latest_of, before, stamps, frozenset(backfilled))

    def latest_before(self, commit: Commit) -> datetime.datetime | None:
        """The latest date among the commit's ancestors (``None``: it has none)."""
        before = self._before(commit)
        return self.dates[before] if before else None

    def judged(self, commit: Commit) -> datetime.datetime:
        """The date to judge a commit at: never earlier than any of its ancestors."""
        before = self._before(commit)
        if commit.sha in self.backfilled or before is None:
            return commit.date
        stamp = self.stamps[commit.sha] if commit.sha in self.stamps else commit.date.timestamp()
        return commit.date if stamp >= self.stamps[before] else self.dates[before]

    def _before(self, commit: Commit) -> str | None:
        if commit.sha in self.before:
            return self.before[commit.sha]
        return _latest(self.latest, self.stamps, commit)  # a commit not yet made

    def misdated(self, commits: Iterable[Commit], now: datetime.datetime
                 ) -> Iterator[tuple[Commit, datetime.datetime | None]]:
        """Commits dated before an ancestor (with that ancestor's date) or in the future (None)."""
        skew, late = SKEW.total_seconds(), now.timestamp() + SKEW.total_seconds()
        for commit in commits:
            if commit.sha in self.backfilled:
                continue
            before = self.before[commit.sha]
            stamp = self.stamps[commit.sha]
            if before is not None and stamp < self.stamps[before] - skew:
                yield commit, self.dates[before]
            elif stamp > late:
                yield commit, None

    def findings(self, commits: Iterable[Commit], touched: Callable[[list[str]], dict[str, list[str]]],
                 decisive: Callable[[Commit], bool], now: datetime.datetime
                 ) -> Iterator[Finding]:
        """Commits of the manual dated before an ancestor, or in the future.

        ``touched`` gives, for some commits, the controlled or governing files each
        changed (a commit is reported only if there is one); ``decisive`` tells
        whether its date decides something (an approval, a review, a governing change).
        """
        misdated = list(self.misdated(commits, now))
        paths = touched([commit.sha for commit, _ in misdated]) if misdated else {}
        for commit, before in misdated:
            if not paths.get(commit.sha):
                continue
            path = paths[commit.sha][0]
            severity = Severity.ERROR if decisive(commit) else Severity.WARNING
            where = f"提交 {commit.short}（{commit.author_name}，“{commit.subject}”）"
            if before is not None:
                yield Finding(
                    "history.date-order", severity, path, None,
                    f"{where}的日期 {_when(commit.date)} 早于它之前的提交（{_when(before)}）："
                    "git 日期可由提交人随意填写，qmsdoc 按不早于前序提交的日期 "
                    f"{before.date()} 判定此提交",
                    "用正确的日期重新提交（不要设置 GIT_COMMITTER_DATE），或核对提交人电脑的时钟；"
                    "若是启用 qmsdoc 前补录的历史，在 qmsdoc.yml 的 history_backfilled_until "
                    "中写明补录的最后一个提交，并经批准")
            else:
                yield Finding(
                    "history.future-date", severity, path, None,
                    f"{where}的日期 {_when(commit.date)} 晚于现在（{_when(now)}）："
                    "这一日期之前，此提交中的审批不算数",
                    "核对提交人电脑的时钟，用正确的日期重新提交")


def _latest(latest: dict[str, str], stamps: dict[str, float], commit: Commit) -> str | None:
    """The commit with the latest date among the ancestors of ``commit`` (``None``: none)."""
    candidates = [latest[parent] for parent in commit.parents if parent in latest]
    return max(candidates, key=stamps.__getitem__) if candidates else None


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
