"""Past revisions: a document's text in one commit, read as cheaply as history allows.

Checking approvals needs, for every approved revision, its fingerprint and a
few facts (number, type, version, state, dates); only the revision in force
needs the whole document. A :class:`Snapshot` holds the facts and parses the
document on first use.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from .frontmatter import normalise
from .history import GitRepository
from .loader import read_revision
from .model import DocType, Document, State, Version
from .textual import fingerprint, plain_fields

FACTS = ("number", "type", "version", "state", "effective_date", "change_summary")


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A document as it was in one commit."""

    path: str
    blob: str
    fingerprint: str
    number: str
    type: DocType
    version: Version
    state: State
    effective_date: datetime.date
    change_summary: str
    source: Blobs | None = field(repr=False)

    @classmethod
    def of(cls, document: Document) -> Snapshot:
        """The snapshot of a document already parsed (the working text)."""
        snapshot = cls(document.path, "", document.fingerprint, document.number, document.type,
                       document.version, document.state, document.effective_date,
                       document.change_summary, source=None)
        snapshot.__dict__["document"] = document  # the cached_property's value, known already
        return snapshot

    @functools.cached_property
    def document(self) -> Document | None:
        """The whole document, parsed on first use; ``None`` if its metadata is invalid."""
        return self.source.document(self) if self.source else None

    @property
    def withdrawn(self) -> bool:
        return self.state is State.OBSOLETE


class Blobs:
    """Past versions read in one batch: each text fingerprinted once, its facts read once."""

    def __init__(self, repository: GitRepository, shas: Iterable[str],
                 working: Iterable[Document]) -> None:
        self.repository = repository
        repository.read_blobs(shas)
        self._fingerprints: dict[str, str] = {}
        self._snapshots: dict[tuple[str, str], Snapshot | None] = {}
        # The working text is usually the last approved one: parse it once, not twice.
        self._parsed: dict[tuple[str, str], Document | None] = {
            (d.fingerprint, d.path): d for d in working}

    def _text(self, sha: str) -> str:
        return normalise(self.repository.blob_text(sha))

    def fingerprint(self, sha: str) -> str:
        if sha not in self._fingerprints:
            self._fingerprints[sha] = fingerprint(self._text(sha))
        return self._fingerprints[sha]

    def snapshot(self, sha: str, path: str) -> Snapshot | None:
        """Texts that differ only in approval records are the same snapshot."""
        key = (self.fingerprint(sha), path)
        if key not in self._snapshots:
            self._snapshots[key] = self._read(sha, path, key[0])
        return self._snapshots[key]

    def document(self, snapshot: Snapshot) -> Document | None:
        key = (snapshot.fingerprint, snapshot.path)
        if key not in self._parsed:
            self._parsed[key] = read_revision(snapshot.path, self._text(snapshot.blob))
        return self._parsed[key]

    def _read(self, sha: str, path: str, text_fingerprint: str) -> Snapshot | None:
        facts = _facts(plain_fields(self._text(sha), FACTS))
        if facts is None:  # not plain text: ask the YAML parser
            key = (text_fingerprint, path)
            document = self._parsed.get(key) or read_revision(path, self._text(sha))
            if document is None:
                return None
            self._parsed[key] = document
            facts = (document.number, document.type, document.version, document.state,
                     document.effective_date, document.change_summary)
        return Snapshot(path, sha, text_fingerprint, *facts, source=self)


def _facts(values: dict[str, str] | None) -> tuple[
        str, DocType, Version, State, datetime.date, str] | None:
    if values is None:
        return None
    try:
        return (values["number"], DocType.from_key(values["type"]),
                Version.parse(values["version"]), State.from_key(values["state"]),
                datetime.date.fromisoformat(values["effective_date"]), values["change_summary"])
    except (StopIteration, ValueError):
        return None
