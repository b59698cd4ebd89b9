"""How staff find what concerns them: their role's documents and records, what changed lately.

A job responsibility lists the documents its role follows (every document in
force that names the role in its ``roles``) and the records the role keeps:
the record templates those documents produce. The keeper of a record template
is a department, not a role, so it does not decide which role keeps a record.
"""

from __future__ import annotations

import datetime
import html
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .model import DocType, Document
from .render import Href, document_title

if TYPE_CHECKING:
    from .site import SitePlan

RECENT_URI = "registers/recent-revisions.md"
RECENT_DAYS = 90
FEED_FILE = "feed.xml"
ATOM = "http://www.w3.org/2005/Atom"
CHINA = datetime.timezone(datetime.timedelta(hours=8))
FOLLOWED = (DocType.QUALITY_MANUAL, DocType.PROCEDURE, DocType.WORK_INSTRUCTION)


@dataclass(frozen=True)
class RoleDuties:
    """What a role follows and keeps, among the documents in force."""

    documents: tuple[Document, ...]
    records: tuple[Document, ...]


def duties_by_role(plan: SitePlan) -> dict[str, RoleDuties]:
    """What each role named in a document in force follows and keeps."""
    in_force = sorted((s.published_document for s in plan.gate.published()),
                      key=lambda d: d.number)
    templates = {d.number: d for d in in_force if d.type is DocType.RECORD_TEMPLATE}
    followed: dict[str, list[Document]] = {}
    for document in in_force:
        if document.type in FOLLOWED:
            for role in dict.fromkeys(document.roles):
                followed.setdefault(role, []).append(document)
    duties = {}
    for role, documents in followed.items():
        produced = {number for d in documents for number in d.records}
        duties[role] = RoleDuties(tuple(documents), tuple(
            templates[number] for number in sorted(produced) if number in templates))
    return duties


def _document_link(plan: SitePlan, document: Document, link_to: Href) -> str:
    uri = plan.uri_of(document.number)
    text = html.escape(document_title(document))
    return f'<a href="{html.escape(link_to(uri))}">{text}</a>' if uri else text


def duties_html(plan: SitePlan, role: str, link_to: Href) -> str:
    """The two lists under a job responsibility, as HTML (generated, so not for search)."""
    duties = plan.duties.get(role, RoleDuties((), ()))
    documents = "".join(
        f"<li>{_document_link(plan, d, link_to)}（{html.escape(d.type.label)}，"
        f"{html.escape(str(d.version))}）</li>" for d in duties.documents)
    records = "".join(
        f"<li>{_document_link(plan, d, link_to)}（保管部门：{html.escape(d.keeper or '—')}，"
        f"保管期限：{html.escape(d.retention or '—')}）</li>" for d in duties.records)
    none = "<p>无。</p>"
    return (f'<div class="qms-duties" data-search-exclude>'
            f"<p>本岗位（{html.escape(role)}）执行的现行文件：</p>"
            f"{f'<ul>{documents}</ul>' if documents else none}"
            "<p>本岗位按上述文件填写、保存的记录：</p>"
            f"{f'<ul>{records}</ul>' if records else none}</div>\n")


@dataclass(frozen=True)
class RecentRevision:
    """An approved revision (or withdrawal) that took effect lately or is about to."""

    number: str
    title: str
    version: str  # "作废" for a withdrawal
    effective_from: datetime.date
    approved_on: datetime.date
    change_summary: str
    page_uri: str | None  # the page to read it on
    coming: bool
    withdrawn: bool
    key: str  # stable identity of the approved text, for the feed

    @property
    def heading(self) -> str:
        if self.withdrawn:
            return f"{self.number} {self.title}（{self.effective_from} 起作废）"
        return f"{self.number} {self.title} {self.version}（{self.effective_from} 起生效）"


def recent_revisions(plan: SitePlan, days: int = RECENT_DAYS) -> list[RecentRevision]:
    """Revisions in effect within the last ``days`` days and those approved to take effect
    later, newest first."""
    day = plan.gate.day
    since = day - datetime.timedelta(days=days)
    recent = []
    for number, status in plan.gate.statuses.items():
        for revision in status.approved:
            coming = revision in status.coming
            if not coming and not since < revision.effective_from <= day:
                continue
            snapshot = revision.snapshot
            document = snapshot.document
            title = document.title if document else status.working.title
            recent.append(RecentRevision(
                number, title, "作废" if snapshot.withdrawn else str(snapshot.version),
                revision.effective_from, revision.date,
                document.change_summary if document else snapshot.change_summary,
                plan.revision_uri(revision) if coming else plan.home_uri(number),
                coming, snapshot.withdrawn, f"{number}\0{snapshot.version}\0{revision.blob}"))
    return sorted(recent, key=lambda r: (r.effective_from, r.approved_on, r.number), reverse=True)


def recent_rows(plan: SitePlan, href: Href, revisions: list[RecentRevision]) -> list[list[str]]:
    def read(r: RecentRevision) -> str:
        return f'<a href="{html.escape(href(r.page_uri))}">{html.escape(r.number)}</a>' \
            if r.page_uri else html.escape(r.number)

    return [[read(r), *map(html.escape, (r.title, r.version, r.effective_from.isoformat(),
                                         r.approved_on.isoformat(), r.change_summary))]
            for r in revisions]


def _page_url(src_uri: str) -> str:
    from .site import page_url  # the site module imports this one

    return page_url(src_uri)


def atom_feed(plan: SitePlan, days: int = RECENT_DAYS) -> str:
    """An Atom feed of the revisions that took effect in the last ``days`` days.

    Links are relative to the feed, which lives at the site's root; ids are
    derived from the approved texts, so a reader never sees an entry twice.
    """
    ET.register_namespace("", ATOM)
    entries = [r for r in recent_revisions(plan, days) if not r.coming]
    organisation = plan.gate.settings.organisation
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", f"{organisation} 最近生效的文件修订")
    _text(feed, "id", _urn(f"feed\0{organisation}"))
    newest = entries[0].effective_from if entries else plan.gate.day
    _text(feed, "updated", _timestamp(newest))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", organisation)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=_page_url(RECENT_URI))
    for revision in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", revision.heading)
        _text(entry, "id", _urn(revision.key))
        _text(entry, "updated", _timestamp(revision.effective_from))
        if revision.page_uri:
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate",
                          href=_page_url(revision.page_uri))
        _text(entry, "summary", f"{revision.approved_on} 批准。"
                                f"修订说明：{revision.change_summary or '—'}")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def write_feed(site_dir: Path, plan: SitePlan) -> None:
    (site_dir / FEED_FILE).write_text(atom_feed(plan), encoding="utf-8")


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text


def _urn(key: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"qmsdoc:{key}").urn


def _timestamp(day: datetime.date) -> str:
    return datetime.datetime.combine(day, datetime.time(), CHINA).isoformat()

