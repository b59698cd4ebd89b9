"""What every check receives: the loaded manual and what it is checked against."""

from __future__ import annotations

from dataclasses import dataclass

from ..clauses import ClauseCatalogue
from ..model import Manual, State


@dataclass(frozen=True)
class CheckContext:
    manual: Manual
    clauses: ClauseCatalogue
    in_force: frozenset[str]
    """Numbers of the documents in force: what an effective document may cite."""
    unreadable: frozenset[str] = frozenset()
    """Numbers of files whose metadata could not be read (already reported)."""
    setting_up: bool = False
    """The system is being set up (declared, or no quality manual approved yet): coverage
    gaps are warnings, so a manual can be built up document by document."""


def in_force_by_state(manual: Manual) -> frozenset[str]:
    """Documents in force judged by their ``state`` alone (no git history)."""
    return frozenset(d.number for d in manual if d.state is State.EFFECTIVE)
