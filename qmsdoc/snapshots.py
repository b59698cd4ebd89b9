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

from .derived_cache import Facts
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
    """Past versions: each text fingerprinted once, its facts read once.

    With the repository's derived cache, what earlier runs derived from a blob
    is taken from there, and only blobs not derived before are read from git.
    """

    def __init__(self, repository: GitRepository, shas: Iterable[str],
                 working: Iterable[Document]) -> None:
        self.repository = repository
        self._cache = repository.derived
        self._fingerprints: dict[str, str] = {}
        self._snapshots: dict[tuple[str, str], Snapshot | None] = {}
        # The working text is usually the last approved one: parse it once, not twice.
        self._parsed: dict[tuple[str, str], Document | None] = {
            (d.fingerprint, d.path): d for d in working}
        self.read(shas)

    def read(self, shas: Iterable[str]) -> None:
        """Read in one batch the texts of those blobs that were not derived before."""
        cache = self._cache
        self.repository.read_blobs(
            shas if cache is None else
            (sha for sha in shas if cache.fingerprint(sha) is None or cache.facts(sha) is None))

    def _text(self, sha: str) -> str:
        return normalise(self.repository.blob_text(sha))

    def fingerprint(self, sha: str) -> str:
        if sha not in self._fingerprints:
            known = self._cache.fingerprint(sha) if self._cache else None
            if known is None:
                text = self._text(sha)
                known = fingerprint(text)
                if self._cache:  # and what the next run may want from this blob, while here
                    self._cache.keep_fingerprint(sha, known)
                    self._cache.keep_facts(sha, _facts(plain_fields(text, FACTS)))
            self._fingerprints[sha] = known
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
            document = self._cache.document(snapshot.blob, snapshot.path) if self._cache else None
            if document is None:
                document = read_revision(snapshot.path, self._text(snapshot.blob))
                self._keep_document(snapshot.blob, snapshot.path, document)
            self._parsed[key] = document
        return self._parsed[key]

    def _read(self, sha: str, path: str, text_fingerprint: str) -> Snapshot | None:
        facts = self._known_facts(sha, path, text_fingerprint)
        if facts is None:
            facts = self._facts_of_text(sha, path, text_fingerprint)
        return None if facts is None else Snapshot(path, sha, text_fingerprint, *facts,
                                                   source=self)

    def _known_facts(self, sha: str, path: str, text_fingerprint: str) -> Facts | None:
        """A blob's facts as :meth:`_facts_of_text` would give them, from what was derived
        before; ``None`` if that is not enough (then the text is read)."""
        known = self._cache.facts(sha) if self._cache else None
        if known is None:
            return None
        if known[0] is not None:
            return known[0]
        key = (text_fingerprint, path)  # not plain: the document, as _facts_of_text finds it
        document = self._parsed.get(key) or (
            self._cache.document(sha, path) if self._cache else None)
        if document is None:
            return None
        self._parsed[key] = document
        return _document_facts(document)

    def _facts_of_text(self, sha: str, path: str, text_fingerprint: str) -> Facts | None:
        """The facts of a blob's text: plain fields, or else what the YAML parser reads
        (of a text already parsed that differs only in approval records or state, as
        the fingerprint does: that one's)."""
        facts = _facts(plain_fields(self._text(sha), FACTS))
        self._keep_facts(sha, facts)
        if facts is not None:
            return facts
        key = (text_fingerprint, path)
        document = self._parsed.get(key)
        if document is None:
            document = read_revision(path, self._text(sha))
            self._keep_document(sha, path, document)
        if document is None:
            return None
        self._parsed[key] = document
        return _document_facts(document)

    def _keep_facts(self, sha: str, facts: Facts | None) -> None:
        if self._cache:
            self._cache.keep_facts(sha, facts)

    def _keep_document(self, sha: str, path: str, document: Document | None) -> None:
        if self._cache and document is not None:
            self._cache.keep_document(sha, path, document)


def _document_facts(document: Document) -> Facts:
    return (document.number, document.type, document.version, document.state,
            document.effective_date, document.change_summary)


def _facts(values: dict[str, str] | None) -> Facts | None:
    if values is None:
        return None
    try:
        return (values["number"], DocType.from_key(values["type"]),
                Version.parse(values["version"]), State.from_key(values["state"]),
                datetime.date.fromisoformat(values["effective_date"]), values["change_summary"])
    except (StopIteration, ValueError):
        return None
