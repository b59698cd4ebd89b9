"""The build manifest: what each page of a published site is, and a hash of it as written.

Every build writes ``qmsdoc-manifest.json`` into the site: the day it publishes for,
the day it was built, the commit it was built from, and for every HTML file its
SHA-256 and, for a controlled document, the number, version, approving commit and
content fingerprint of the text it shows. ``qmsdoc verify`` (:mod:`qmsdoc.verify`)
re-derives all of it from git and names every page that differs.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .errors import QmsdocError
from .gate import GateResult
from .site import SitePage, SitePlan

MANIFEST_FILE = "qmsdoc-manifest.json"
FORMAT = 1
_COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class DocumentEntry:
    """The approved text a page shows."""

    number: str
    version: str
    commit: str  # the approving commit, in full
    fingerprint: str

    def to_json(self) -> dict[str, str]:
        return {"number": self.number, "version": self.version, "commit": self.commit,
                "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class PageEntry:
    path: str  # POSIX path of the HTML file inside the site
    sha256: str
    document: DocumentEntry | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "sha256": self.sha256}
        if self.document is not None:
            entry["document"] = self.document.to_json()
        return entry


@dataclass(frozen=True)
class Manifest:
    day: datetime.date  # the publication day (QMSDOC_DATE / --date)
    built_on: datetime.date  # the day of the build: with ``day``, decides past, current, preview
    commit: str  # HEAD when the site was built
    generator: str  # qmsdoc's version: another version may write other HTML
    pages: dict[str, PageEntry]

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "generator": self.generator, "day": self.day.isoformat(),
                "built_on": self.built_on.isoformat(), "commit": self.commit,
                "pages": [self.pages[path].to_json() for path in sorted(self.pages)]}


def generator() -> str:
    return f"qmsdoc {version('qmsdoc')}"


def document_entry(page: SitePage, plan: SitePlan) -> DocumentEntry | None:
    """What a page of a controlled document shows, if it is one."""
    if page.number is None:
        return None
    revision = page.revision or plan.gate.statuses[page.number].published
    if revision is None:  # the authors' preview: no approved text
        return None
    return DocumentEntry(page.number, str(revision.snapshot.version),
                         revision.approval.evidence.commit.sha, revision.snapshot.fingerprint)


def _archive_documents(plan: SitePlan) -> dict[str, DocumentEntry]:
    """The text each archive page shows (a redline: the newer of its two texts)."""
    documents = {}
    for number in plan.gate.statuses:
        for entry in plan.archive(number):
            snapshot = entry.revision.snapshot
            shown = DocumentEntry(number, str(snapshot.version),
                                  entry.revision.approval.evidence.commit.sha, snapshot.fingerprint)
            documents[f"{entry.url}index.html"] = shown
            if entry.redline_url:
                documents[entry.redline_url] = shown
    return documents


def page_hashes(site_dir: Path) -> dict[str, str]:
    """SHA-256 of every HTML file of a site, by POSIX path inside it."""
    return {path.relative_to(site_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(site_dir.rglob("*.html")) if path.is_file()}


def write_manifest(site_dir: Path, plan: SitePlan, written: Mapping[str, str]) -> Manifest:
    """Hash every HTML file now in ``site_dir`` and write the manifest beside them.

    ``written`` maps each page MkDocs wrote (path in the site) to its source path;
    call this last, once nothing changes the pages any more.
    """
    gate: GateResult = plan.gate
    documents = {}
    for path, src_uri in written.items():
        page = plan.page_at(src_uri)
        entry = document_entry(page, plan) if page else None
        if entry is not None:
            documents[path] = entry
    documents.update(_archive_documents(plan))
    pages = {path: PageEntry(path, digest, documents.get(path))
             for path, digest in page_hashes(site_dir).items()}
    manifest = Manifest(gate.day, gate.built_on, gate.repository.run("rev-parse", "HEAD").strip(),
                        generator(), pages)
    text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=1) + "\n"
    (site_dir / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return manifest


def read_manifest(site_dir: Path) -> Manifest:
    """The manifest of a built site; :class:`ManifestError` when it is missing or malformed."""
    path = site_dir / MANIFEST_FILE
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ManifestError(f"网站目录中没有构建清单 {MANIFEST_FILE}") from None
    except (OSError, ValueError) as error:
        raise ManifestError(f"构建清单 {MANIFEST_FILE} 无法读取或不是正确的 JSON（{error}）") from None
    try:
        if data["format"] != FORMAT:
            raise ManifestError(f"构建清单的格式版本 {data['format']!r} 不认识（应为 {FORMAT}）")
        pages = {}
        for item in data["pages"]:
            document = item.get("document")
            entry = PageEntry(_text(item["path"]), _text(item["sha256"]), None if document is None
                              else DocumentEntry(*(_text(document[key]) for key in (
                                  "number", "version", "commit", "fingerprint"))))
            pages[entry.path] = entry
        commit = _text(data["commit"])
        if not _COMMIT.fullmatch(commit):
            raise ValueError(f"提交号 {commit!r} 不是 40 位十六进制数")
        return Manifest(datetime.date.fromisoformat(data["day"]),
                        datetime.date.fromisoformat(data["built_on"]), commit,
                        _text(data["generator"]), pages)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ManifestError(f"构建清单 {MANIFEST_FILE} 的内容不完整或格式不对（{error!r}）") from None


class ManifestError(QmsdocError):
    """The manifest is missing or malformed: nothing can be verified against it."""


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"应为文字，实为 {value!r}")
    return value
