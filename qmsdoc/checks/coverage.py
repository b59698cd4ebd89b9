"""Clauses of the declared standards: every cited clause exists, every requirement is covered."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..clauses import ClauseCatalogue, ClauseProblem, Standard
from ..findings import Finding, Severity
from ..model import DocType, Document, Exclusion, Manual
from .context import CheckContext


def unknown_clauses(context: CheckContext) -> Iterator[Finding]:
    """Every clause a document names exists in a standard the manual declares.

    With several standards declared, a reference names its standard by its national number.
    Bad: ``clauses: ["7.6"]`` or ``{{ clause("9.4") }}`` (there is no such clause);
    ``"13485:8.5.2"`` (ISO 13485 is not declared); ``"8.2"`` when GB/T 19001 and
    GB/T 24001 are both declared (which 8.2?).
    Good: ``clauses: ["7.5"]``; ``"24001:8.2"`` (应急准备和响应).
    """
    for document in context.manual:
        named = [(c, document.line_of("clauses")) for c in document.clauses]
        named += [(e.clause, e.line) for e in document.exclusions]
        named += [(c.target, c.line) for c in document.citations if c.kind == "clause"]
        for reference, line in named:
            found = context.clauses.resolve(reference)
            if isinstance(found, ClauseProblem):
                yield Finding(found.rule, Severity.ERROR, document.path, line, found.message,
                              found.hint, document.number)


@dataclass(frozen=True)
class Coverage:
    """Which documents in force address each clause, and which clauses are excluded."""

    addressed_by: dict[str, list[Document]]
    excluded: dict[str, Exclusion]

    def status(self, catalogue: Standard, number: str) -> str:
        """``addressed``, ``excluded`` or ``open`` — a clause counts through its ancestors."""
        for ancestor in catalogue.ancestors(number):
            if ancestor in self.excluded:
                return "excluded"
            if self.addressed_by.get(ancestor):
                return "addressed"
        children = catalogue.children(number)
        if children and all(self.status(catalogue, c.number) != "open" for c in children):
            return "addressed"
        return "open"


def coverage_of(manual: Manual, in_force: frozenset[str],
                catalogue: ClauseCatalogue) -> dict[str, Coverage]:
    """Each declared standard's coverage (by national number); unresolvable references,
    reported by ``unknown_clauses``, cover nothing."""
    addressed: dict[str, dict[str, list[Document]]] = {s.national: {} for s in catalogue.standards}
    excluded: dict[str, dict[str, Exclusion]] = {s.national: {} for s in catalogue.standards}
    for document in manual:
        if document.number not in in_force:
            continue
        for reference in document.clauses:
            found = catalogue.resolve(reference)
            if not isinstance(found, ClauseProblem):
                addressed[found[0].national].setdefault(found[1], []).append(document)
        for exclusion in document.exclusions:
            found = catalogue.resolve(exclusion.clause)
            if not isinstance(found, ClauseProblem):
                excluded[found[0].national][found[1]] = exclusion
    return {s.national: Coverage(addressed[s.national], excluded[s.national])
            for s in catalogue.standards}


def _open_clauses(catalogue: Standard, coverage: Coverage,
                  parent: str | None) -> Iterator[str]:
    """The highest clauses that nothing covers (a whole open subtree is named once)."""
    for clause in catalogue.children(parent):
        if not clause.is_requirement or coverage.status(catalogue, clause.number) != "open":
            continue
        if any(coverage.status(catalogue, c.number) != "open"
               for c in catalogue.children(clause.number)):
            yield from _open_clauses(catalogue, coverage, clause.number)
        else:
            yield clause.number


def requirements_covered(context: CheckContext) -> Iterator[Finding]:
    """Every requirement clause of sections 4–10 of each declared standard is addressed or
    justifiably excluded.

    A document in force addresses a clause by listing it (or a parent) under
    ``clauses``; the quality manual excludes one under ``exclusions`` with a
    written justification.
    Bad: no document in force lists 9.2 (内部审核) and the manual does not exclude it.
    Good: QP-05 lists ``clauses: ["9.2"]``.
    Not judged while a document's metadata cannot be read: it may address the clause.
    While the system is being set up (``setting_up: true``, or before the quality
    manual is first approved) gaps are warnings: a manual is built up step by step.
    """
    if context.unreadable:
        return
    severity = Severity.WARNING if context.setting_up else Severity.ERROR
    stage = ("（体系建立期间仅作警告：质量手册首次批准后即为错误，除非 qmsdoc.yml 设置"
             " setting_up: true）" if context.setting_up else "")
    manuals = [d for d in context.manual.of_type(DocType.QUALITY_MANUAL)
               if d.number in context.in_force]
    if not manuals:
        yield Finding("coverage.no-quality-manual", severity, "qmsdoc.yml", None,
                      f"没有现行有效的质量手册，无法确认条款覆盖与删减{stage}",
                      "在 document_folders 中加入质量手册（type: quality_manual）并使之生效")
        return
    manual = manuals[0]
    catalogue = context.clauses
    coverages = coverage_of(context.manual, context.in_force, catalogue)
    for standard in catalogue.standards:
        written = f'"{standard.key}:条款号"' if catalogue.several else "条款号"
        for number in _open_clauses(standard, coverages[standard.national], None):
            yield Finding(
                "coverage.clause-not-addressed", severity, manual.path,
                manual.line_of("clauses"),
                f"条款 {catalogue.heading_in(standard, number)} 没有任何现行有效文件涉及，"
                f"也没有删减说明{stage}",
                f"在实施该条款的文件的 clauses 中列出它（写作 {written}）；如确实不适用，"
                "在质量手册的 exclusions 中写明删减理由", manual.number)


def exclusions_not_addressed(context: CheckContext) -> Iterator[Finding]:
    """A clause the manual excludes is not at the same time addressed by a document.

    Bad: the manual excludes 8.3 while QP-10 lists ``clauses: ["8.3"]``.
    Good: either the exclusion or the clause in QP-10 is removed.
    """
    catalogue = context.clauses
    coverages = coverage_of(context.manual, context.in_force, catalogue)
    for standard in catalogue.standards:
        coverage = coverages[standard.national]
        for number in coverage.excluded:
            for document in coverage.addressed_by.get(number, []):
                yield Finding(
                    "coverage.excluded-but-addressed", Severity.WARNING, document.path,
                    document.line_of("clauses"),
                    f"条款 {catalogue.heading_in(standard, number)} 已在质量手册中删减，"
                    "但本文件声称涉及它",
                    "删除本文件 clauses 中的该条款，或取消质量手册中的删减", document.number)


CHECKS = (unknown_clauses, requirements_covered, exclusions_not_addressed)
