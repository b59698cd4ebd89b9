"""Active content in every text the staff site shows: documents and their metadata.

Each document is checked as written (so that its author hears of a problem
before anyone approves it) and, where they differ, as approved for the site:
the revision in force and those approved to take effect later. A problem in an
approved text stops the build: only a new, approved revision can mend it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from .active_content import find_active_content, may_be_active
from .findings import Finding
from .model import Document
from .publication import DocumentStatus

DISPLAYED_FIELDS = ("title", "department", "change_summary", "role", "retention", "keeper",
                    "issuer", "reference")
"""Metadata the site shows as text (cards, registers, revision history)."""


def published_content_findings(status: DocumentStatus) -> Iterator[Finding]:
    working = status.working
    yield from document_findings(working)
    for revision in (status.published, *status.coming):
        approved = revision.snapshot.document if revision else None
        if revision is None or approved is None or revision.snapshot.withdrawn or (
                revision.snapshot.fingerprint == working.fingerprint):
            continue
        label = (f"{revision.date} 批准的 {revision.snapshot.version} 版"
                 f"（{revision.approval.evidence.commit.describe()}）中")
        for finding in document_findings(approved):
            yield dataclasses.replace(finding, path=working.path, line=None,
                                      message=f"{label}{finding.message}")


def document_findings(document: Document) -> list[Finding]:
    """Active content in a document's body and in the metadata the site shows."""
    found = find_active_content(document.path, document.body, document.body_line,
                                document.number)
    shown = [(getattr(document, name), document.line_of(name)) for name in DISPLAYED_FIELDS]
    shown += [(exclusion.justification, exclusion.line) for exclusion in document.exclusions]
    if may_be_active("\n".join(value for value, _ in shown if value)):  # mostly not: done
        for value, line in shown:
            if value:
                found += find_active_content(document.path, value, line, document.number)
    return found
