"""Checks over the whole manual: small pure functions that yield findings.

Each check takes a :class:`CheckContext` and never raises for bad content,
never writes files and never reads globals. ``run_checks`` collects every
finding so a document controller can fix them all in one pass.
"""

from __future__ import annotations

from ..findings import Finding
from . import coverage, references
from .context import CheckContext, in_force_by_state

__all__ = ["CheckContext", "in_force_by_state", "run_checks"]


def run_checks(context: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    for check in (*references.CHECKS, *coverage.CHECKS):
        findings.extend(check(context))
    return findings
