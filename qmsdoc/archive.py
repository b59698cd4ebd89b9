"""The archive: every approved text of every document at a stable address.

Each approved revision of a document's text (a withdrawal is not a text of its
own) is readable at ``archive/<NUMBER>/<A-0>/``, with a redline against the
text before it at ``archive/<NUMBER>/<A-1>/redline.html``. This module says which
revisions the archive holds and what each one's state was on the publication
day; :mod:`qmsdoc.archive_pages` writes the pages.
"""

from __future__ import annotations

import datetime
import posixpath
from dataclasses import dataclass

from .approvals import Revision
from .model import State
from .publication import DocumentStatus
from .revision_history import COMING

IN_FORCE = "现行有效"
SUPERSEDED = "已被替代"
WITHDRAWN = State.OBSOLETE.label  # 已作废
ARCHIVE = "archive"


@dataclass(frozen=True)
class ArchiveEntry:
    """One approved text of a document and its place in the document's history."""

    number: str
    revision: Revision
    slug: str  # the version as a path segment: A/0 -> A-0
    state: str  # IN_FORCE, SUPERSEDED, WITHDRAWN or COMING
    previous: Revision | None = None  # the text before it, which the redline compares with
    successor: ArchiveEntry | None = None  # the text that replaced it (SUPERSEDED)
    withdrawal: Revision | None = None  # the withdrawal that ended it (WITHDRAWN)

    @property
    def url(self) -> str:
        """Where the text is read, relative to the site's root."""
        return f"{ARCHIVE}/{self.number}/{self.slug}/"

    @property
    def src_uri(self) -> str:
        """The MkDocs source path of the same address (a revision to come is a MkDocs page)."""
        return f"{ARCHIVE}/{self.number}/{self.slug}.md"

    @property
    def redline_url(self) -> str | None:
        """The redline against the text before, a file beside the text: no folder to make."""
        return f"{self.url}redline.html" if self.previous else None

    @property
    def version(self) -> str:
        return str(self.revision.snapshot.version)

    @property
    def in_force_until(self) -> datetime.date | None:
        """The last day this text was in force, once another text or a withdrawal ended it."""
        end = self.successor.revision if self.successor else self.withdrawal
        return end.effective_from - datetime.timedelta(days=1) if end else None


def archive_entries(status: DocumentStatus) -> list[ArchiveEntry]:
    """The texts approved by the publication day, oldest first, each with its state then."""
    texts = [r for r in status.approved if not r.snapshot.withdrawn]
    slugs = _slugs(texts)
    coming = set(map(id, status.coming))
    published = status.published
    withdrawal = published if published is not None and published.snapshot.withdrawn else None
    # The text a withdrawal ended: the last one approved before the withdrawal.
    ended = next((r for r in reversed(texts) if withdrawal is not None
                  and status.approved.index(r) < status.approved.index(withdrawal)), None)
    entries: list[ArchiveEntry] = []
    successor: ArchiveEntry | None = None
    for position in reversed(range(len(texts))):  # newest first: each knows its successor
        revision = texts[position]
        if id(revision) in coming:
            state = COMING
        elif revision is published:
            state = IN_FORCE
        elif revision is ended:
            state = WITHDRAWN
        else:
            state = SUPERSEDED
        entry = ArchiveEntry(
            status.working.number, revision, slugs[position], state,
            previous=texts[position - 1] if position else None,
            successor=successor if state == SUPERSEDED else None,
            withdrawal=withdrawal if state == WITHDRAWN else None)
        entries.append(entry)
        if state != COMING:
            successor = entry
    entries.reverse()
    return entries


def _slugs(texts: list[Revision]) -> list[str]:
    """Each text's version as a path segment; a version approved twice gets ``-2``, ``-3``.

    Given oldest first, so that a later text never moves an earlier one's address.
    """
    slugs: list[str] = []
    for revision in texts:
        slug = base = str(revision.snapshot.version).replace("/", "-")
        count = 1
        while slug in slugs:
            count += 1
            slug = f"{base}-{count}"
        slugs.append(slug)
    return slugs


def relative_url(target: str, from_url: str) -> str:
    """A link from the page at site address ``from_url`` to site address ``target``."""
    base = from_url if from_url.endswith("/") else posixpath.dirname(from_url) + "/"
    relative = posixpath.relpath(target.rstrip("/") or ".", base.rstrip("/") or ".")
    if target.endswith("/") or not target:
        return "./" if relative == "." else relative + "/"
    return relative
