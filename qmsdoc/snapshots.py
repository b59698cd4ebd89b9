"""Past revisions: a document's text in one commit, read as cheaply as history allows.

Checking approvals needs, for every approved revision, its fingerprint and a
few facts (number, type, version, state, dates); only the revision in force
needs the whole document. A :class:`Snapshot` holds the facts and parses the
document on first use.
"""

from __future__ import annotations

import datetime
import functools
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

from .derived_cache import DerivedCache, Facts
from .errors import QmsdocError
from .frontmatter import normalise
from .history import GitRepository, signed_blobs
from .loader import read_revision
from .model import DocType, Document, State, Version
from .textual import fingerprint, plain_fields

_DERIVE_BATCH = 2_000
_AHEAD_BATCH = 500  # blobs derived together while the log is read (a git process each time)
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

    What was derived from a blob, in this run or (with the repository's cache)
    an earlier one, is taken from the derived cache; only blobs not derived
    before are read from git.
    """

    def __init__(self, repository: GitRepository, shas: Iterable[str],
                 working: Iterable[Document]) -> None:
        self.repository = repository
        self._cache = repository.derived
        self._snapshots: dict[tuple[str, str], Snapshot | None] = {}
        # The working text is usually the last approved one: parse it once, not twice.
        self._parsed: dict[tuple[str, str], Document | None] = {
            (d.fingerprint, d.path): d for d in working}
        derive(repository, shas)

    def read(self, shas: Iterable[str]) -> None:
        """Read in one batch the texts of blobs whose documents will be wanted."""
        self.repository.read_blobs(shas)

    def _text(self, sha: str) -> str:
        return normalise(self.repository.blob_text(sha))

    def fingerprint(self, sha: str) -> str:
        return self._cache.fingerprint(sha) or _derive_text(self._cache, sha, self._text(sha))[0]

    def snapshot(self, sha: str, path: str) -> Snapshot | None:
        """Texts that differ only in approval records are the same snapshot."""
        key = (self.fingerprint(sha), path)
        if key not in self._snapshots:
            self._snapshots[key] = self._read(sha, path, key[0])
        return self._snapshots[key]

    def document(self, snapshot: Snapshot) -> Document | None:
        key = (snapshot.fingerprint, snapshot.path)
        if key not in self._parsed:
            self._parsed[key] = self._cache.document(snapshot.blob, snapshot.path) or (
                self._parse(snapshot.blob, snapshot.path))
        return self._parsed[key]

    def _read(self, sha: str, path: str, text_fingerprint: str) -> Snapshot | None:
        facts = self._plain_facts(sha)
        if facts is None:  # not plain fields: what the YAML parser reads
            facts = self._parsed_facts(sha, path, text_fingerprint)
        return None if facts is None else Snapshot(path, sha, text_fingerprint, *facts,
                                                   source=self)

    def _plain_facts(self, sha: str) -> Facts | None:
        known = self._cache.facts(sha)
        return _derive_text(self._cache, sha, self._text(sha))[1] if known is None else known[0]

    def _parsed_facts(self, sha: str, path: str, text_fingerprint: str) -> Facts | None:
        """The facts of the document parsed from a blob (or from a text already parsed
        that differs only in approval records or state, as the fingerprint does)."""
        key = (text_fingerprint, path)
        document = self._parsed.get(key) or self._cache.document(sha, path) or (
            self._parse(sha, path))
        if document is None:
            return None
        self._parsed[key] = document
        return _document_facts(document)

    def _parse(self, sha: str, path: str) -> Document | None:
        document = read_revision(path, self._text(sha))
        if document is not None:
            self._cache.keep_document(sha, path, document)
        return document


def derive(repository: GitRepository, shas: Iterable[str]) -> None:
    """Derive what is wanted of many blobs not derived before, read from git in batches and
    let go of: a large history's approved texts run to hundreds of megabytes."""
    cache = repository.derived
    wanted = [sha for sha in dict.fromkeys(shas) if cache.fingerprint(sha) is None]
    for start in range(0, len(wanted), _DERIVE_BATCH):
        batch = repository.blob_bytes(wanted[start:start + _DERIVE_BATCH])
        for sha, content in batch.items():
            _derive_text(cache, sha, normalise(content.decode("utf-8", errors="replace")))


def _derive_text(cache: DerivedCache, sha: str, text: str) -> tuple[str, Facts | None]:
    """A blob's fingerprint and plain facts, kept in the derived cache."""
    derived = fingerprint(text), _facts(plain_fields(text, FACTS))
    cache.keep_blob(sha, *derived)
    return derived


def derive_while_reading(repository: GitRepository, reading: Future[Any],
                         folders: Sequence[str]) -> None:
    """While another thread reads the whole log (``reading``), derive the texts its records
    sign as reviewed or approved, as they arrive.

    In a large history git's pass takes most of a cold check and Python would wait for
    it. What is derived here goes to the derived cache, where the check finds it (the
    exact set it needs is known only once the whole log is read: these are about the
    same texts). Whatever is left when git is done, or fails here, is derived then.
    """
    seen, wanted = 0, []
    prefixes = tuple(f"{folder.rstrip('/')}/" for folder in folders)
    while not reading.done():
        arriving = repository.arriving
        if len(arriving) > seen:
            wanted += [sha for record in arriving[seen:] for sha in signed_blobs(record, prefixes)]
            seen = len(arriving)
        if len(wanted) < _AHEAD_BATCH:
            wait([reading], timeout=0.05)
            continue
        try:
            derive(repository, wanted)
        except QmsdocError:  # a blob git cannot give: the check says so when it needs it
            return
        wanted = []


def _document_facts(document: Document) -> Facts:
    return (document.number, document.type, document.version, document.state,
            document.effective_date, document.change_summary)


def _facts(values: dict[str, str] | None) -> Facts | None:
    if values is None:
        return None
    try:
        # interned: a large history has a hundred thousand revisions of a few thousand
        # numbers, and each revision's summary is in every text of it (written, reviewed,
        # approved)
        return (sys.intern(values["number"]), DocType.from_key(values["type"]),
                Version.parse(values["version"]), State.from_key(values["state"]),
                datetime.date.fromisoformat(values["effective_date"]),
                sys.intern(values["change_summary"]))
    except (StopIteration, ValueError):
        return None
