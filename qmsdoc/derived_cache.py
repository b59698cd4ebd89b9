"""A persistent cache of what qmsdoc derives from texts, keyed by the texts' own ids.

Most of a check's time goes into reading texts that did not change since the
last run: the YAML front matter of every working file, and the fingerprint
and facts of every approved revision in history. Each of these is a function
of one text (and, for a document, its path), so a run keeps them for the next
one under the text's id:

- per working file, ``(path, SHA-256 of its bytes)``: what
  :func:`~qmsdoc.loader.parse_document` made of it (document, findings with
  their lines, the number it claims), in the file ``parsed``;
- per git blob id: its fingerprint, and the facts a snapshot needs (number,
  type, version, state, effective date, change summary) as its plain fields
  give them, or that it has no such plain fields (in one flat tuple: a large
  history has tens of thousands of them);
- per git blob id and path: the document parsed from that blob (these two in
  the file ``derived``).

A blob id or a hash of the bytes fixes the text, so an entry can only be
wrong if the code that derived it differs: the cache's key includes a hash of
qmsdoc's own files, and a cache made by any other code (or format) is not
used. The files hold plain data only (tuples, strings, numbers; no objects),
are checked and replaced whole as :mod:`.history_cache` does, and live next to
it in the git folder.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from .findings import Finding, Severity
from .history_cache import CacheFile, code_key
from .model import (
    ApprovalRecord,
    Citation,
    DocType,
    Document,
    Exclusion,
    Right,
    State,
    Version,
)

_PARSED_FILE, _HISTORY_FILE = "parsed", "derived"
Facts = tuple[str, DocType, Version, State, datetime.date, str]
"""number, type, version, state, effective date, change summary."""


class DerivedCache:
    """One repository's derived results, in two files read on first use and written by
    :meth:`save`: the working files' (every check reads them) and history's (a check
    that does not read history never loads them).

    Working-file entries not used in a run are dropped when the file is written
    (an edited file leaves its old entry behind); history entries are kept, as
    history keeps its blobs. A working-file entry, once used, is held as the
    document it gives (not twice: as plain data and as the document). A run that
    adds a few entries writes only those (see :class:`~.history_cache.CacheFile`).
    """

    def __init__(self, folder: Path | None) -> None:
        """``folder``: where the cache files are; ``None``: this run's results only."""
        self._folder = folder
        self._files: dict[tuple[str, str], tuple[Any, ...]] | None = None
        self._used_files: dict[tuple[str, str], tuple[Document | None, tuple[Finding, ...],
                                                      str | None]] = {}
        self._history: tuple[dict[str, tuple[Any, ...]],
                             dict[tuple[str, str], tuple[Any, ...]]] | None = None
        self._stores: dict[str, CacheFile] = {}
        self._added_files: set[tuple[str, str]] = set()
        self._added_history: tuple[dict[str, tuple[Any, ...]],
                                   dict[tuple[str, str], tuple[Any, ...]]] = ({}, {})

    def parsed(self, path: str, digest: str) -> tuple[Document | None, list[Finding],
                                                      str | None] | None:
        """What parsing the file at ``path`` with these bytes gave, if known."""
        key = (path, digest)
        if key not in self._used_files:
            plain = self._parsed_files().pop(key, None)
            if plain is None:
                return None
            document, findings, claimed = plain
            self._used_files[key] = (None if document is None else _document(document),
                                     tuple(finding_from_plain(f) for f in findings), claimed)
        document, findings, claimed = self._used_files[key]
        return document, list(findings), claimed

    def keep_parsed(self, path: str, digest: str, document: Document | None,
                    findings: list[Finding], claimed: str | None) -> None:
        self._used_files[(path, digest)] = (document, tuple(findings), claimed)
        self._added_files.add((path, digest))

    def parsed_files(self) -> list[tuple[str, str]]:
        """(path, SHA-256 of the bytes) of every working file parsed in this run."""
        return sorted(self._used_files)

    def fingerprint(self, sha: str) -> str | None:
        entry = self._blobs().get(sha)
        return None if entry is None else cast(str, entry[0])

    def facts(self, sha: str) -> tuple[Facts | None] | None:
        """A blob's plain facts if known, in a 1-tuple: ``(None,)`` is "not plain fields"."""
        entry = self._blobs().get(sha)
        if entry is None:
            return None
        return (_facts(entry[1:]) if len(entry) > 1 else None,)

    def keep_blob(self, sha: str, fingerprint: str, facts: Facts | None) -> None:
        entry = (fingerprint, *(() if facts is None else _plain_facts(facts)))
        self._blobs()[sha] = self._added_history[0][sha] = entry

    def document(self, sha: str, path: str) -> Document | None:
        """The document parsed from blob ``sha`` at ``path``, if known (and usable)."""
        entry = self._documents().get((sha, path))
        return None if entry is None else _document(entry)

    def keep_document(self, sha: str, path: str, document: Document) -> None:
        self._documents()[(sha, path)] = self._added_history[1][(sha, path)] = (
            _plain_document(document))

    def save(self) -> None:
        if self._folder is None:
            return
        added = self._added_files
        if added and self._store(_PARSED_FILE, 1).keep(
                lambda: ({key: self._plain_file(key) for key in added},), len(added),
                lambda: (((key, self._plain_file(key)) for key in self._used_files),)):
            added.clear()
        history, (blobs, documents) = self._history, self._added_history
        if history is not None and (blobs or documents) and self._store(_HISTORY_FILE, 2).keep(
                lambda: self._added_history, len(blobs) + len(documents),
                lambda: (history[0].items(), history[1].items())):
            self._added_history = ({}, {})

    def _plain_file(self, key: tuple[str, str]) -> tuple[Any, ...]:
        document, findings, claimed = self._used_files[key]
        return (None if document is None else _plain_document(document),
                tuple(plain_finding(f) for f in findings), claimed)

    def _parsed_files(self) -> dict[tuple[str, str], tuple[Any, ...]]:
        if self._files is None:
            stored = self._read(_PARSED_FILE, 1)
            self._files = stored[0] if stored else {}
        return self._files

    def _blobs(self) -> dict[str, tuple[Any, ...]]:
        return self._history_tables()[0]

    def _documents(self) -> dict[tuple[str, str], tuple[Any, ...]]:
        return self._history_tables()[1]

    def _history_tables(self) -> tuple[dict[str, tuple[Any, ...]],
                                       dict[tuple[str, str], tuple[Any, ...]]]:
        if self._history is None:
            stored = self._read(_HISTORY_FILE, 2)
            # None kept: what this run adds is the whole (one table in memory, not two)
            self._history = (stored[0], stored[1]) if stored else self._added_history
        return self._history

    def _read(self, name: str, tables: int) -> tuple[dict[Any, Any], ...] | None:
        return None if self._folder is None else self._store(name, tables).read()

    def _store(self, name: str, tables: int) -> CacheFile:
        assert self._folder is not None
        if name not in self._stores:
            self._stores[name] = CacheFile(self._folder / name, code_key(), tables)
        return self._stores[name]


def _plain_facts(facts: Facts) -> tuple[Any, ...]:
    number, doc_type, version, state, effective, summary = facts
    return (number, doc_type.name, version.edition, version.amendment, state.name,
            effective.toordinal(), summary)


def _facts(plain: tuple[Any, ...]) -> Facts:
    number, doc_type, edition, amendment, state, effective, summary = plain
    return (number, DocType[doc_type], Version(edition, amendment), State[state],
            datetime.date.fromordinal(effective), summary)


def plain_finding(finding: Finding) -> tuple[Any, ...]:
    return (finding.rule, finding.severity.value, finding.path, finding.line, finding.message,
            finding.hint, finding.document)


def finding_from_plain(plain: tuple[Any, ...]) -> Finding:
    rule, severity, path, line, message, hint, document = plain
    return Finding(rule, Severity(severity), path, line, message, hint, document)


def _plain_document(d: Document) -> tuple[Any, ...]:
    """The document as plain data, its body a copy: pickling a str leaves a UTF-8 copy
    of it cached inside the str, which for the working text would live as long as it."""
    return (
        d.path, d.number, d.title, d.type.name, (d.version.edition, d.version.amendment),
        d.state.name, d.department, d.effective_date.isoformat(), d.review_interval,
        d.fingerprint, d.body.encode().decode(), d.body_line, d.clauses, d.related, d.records, d.roles,
        d.change_summary,
        tuple((a.meaning.name, a.name, a.email, a.role, a.date.isoformat(), a.fingerprint, a.line)
              for a in d.approvals),
        d.role, tuple((right.name, tuple(t.name for t in types))
                      for right, types in d.authority.items()),
        d.retention, d.keeper,
        tuple((e.clause, e.justification, e.line) for e in d.exclusions),
        d.issuer, d.reference, d.replaced_by,
        tuple((c.kind, c.target, c.line) for c in d.citations),
        dict(d.field_lines),
    )


def _document(plain: tuple[Any, ...]) -> Document:
    (path, number, title, doc_type, version, state, department, effective, review_interval,
     fingerprint, body, body_line, clauses, related, records, roles, change_summary,
     approvals, role, authority, retention, keeper, exclusions, issuer, reference,
     replaced_by, citations, field_lines) = plain
    return Document(
        path=path, number=number, title=title, type=DocType[doc_type], version=Version(*version),
        state=State[state], department=department,
        effective_date=datetime.date.fromisoformat(effective), review_interval=review_interval,
        fingerprint=fingerprint, body=body, body_line=body_line, clauses=clauses,
        related=related, records=records, roles=roles, change_summary=change_summary,
        approvals=tuple(
            ApprovalRecord(Right[meaning], name, email, role_name,
                           datetime.date.fromisoformat(date), approved, line)
            for meaning, name, email, role_name, date, approved, line in approvals),
        role=role,
        authority=_authority(authority), retention=retention, keeper=keeper,
        exclusions=tuple(Exclusion(*e) for e in exclusions), issuer=issuer,
        reference=reference, replaced_by=replaced_by,
        citations=tuple(Citation(*c) for c in citations), field_lines=field_lines)


def _authority(plain: tuple[tuple[str, tuple[str, ...]], ...]) -> Mapping[
        Right, tuple[DocType, ...]]:
    return {Right[right]: tuple(DocType[t] for t in types) for right, types in plain}
