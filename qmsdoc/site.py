"""The staff site's plan: which pages exist, with what text, in which navigation.

Only documents in force are published, each with its last approved text,
taken from git; a withdrawn document keeps its page with a 作废 notice, and
every approved text is in the archive (:mod:`qmsdoc.archive`). The plan knows
nothing of MkDocs: the hook turns it into MkDocs files and navigation, and
calls back for citations and decorations.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import PurePosixPath
from typing import Any

from . import registers
from .approvals import Revision
from .archive import WITHDRAWN, ArchiveEntry, archive_entries, relative_url
from .archive_pages import link, obsolete_notice
from .assets import Assets, Reference, committed_assets, references, working_assets
from .errors import QmsdocError
from .findings import Finding
from .forms import form_link
from .gate import GateResult
from .macros import MACRO_RE
from .model import DocType, Document, State
from .printing import PrintHeading, with_print_head
from .publication import DocumentStatus
from .render import (
    Href,
    clause_anchor,
    coming_note,
    document_title,
    header_card,
    history_table,
    in_review_note,
    not_yet_in_force_note,
    preview_note,
    relative_link,
)
from .revision_history import COMING, HistoryRow, history_rows
from .wayfinding import RoleDuties, duties_by_role, duties_html

SERIES_ABOVE = 50
"""A type with more documents than this is listed by series (QR-05-01, QR-05-02 → QR-05)."""
CARD_MARKER = "<!-- qmsdoc:card -->"
HISTORY_MARKER = "<!-- qmsdoc:history -->"
NOTICE_MARKER = "<!-- qmsdoc:notice -->"
DUTIES_MARKER = "<!-- qmsdoc:duties -->"


@dataclass(frozen=True)
class SitePage:
    src_uri: str
    title: str
    markdown: str
    number: str | None = None  # controlled documents only
    revision: Revision | None = None
    """For the page of an approved revision not yet in force; ``None`` on a document's page."""
    obsolete: bool = False
    """The page a withdrawn document keeps: its 作废 notice and revision history."""

    @property
    def hidden(self) -> bool:
        """Neither in the navigation nor in search: reached from the pages that link to it."""
        return self.revision is not None or self.obsolete


@lru_cache(maxsize=1 << 14)
def page_url(src_uri: str) -> str:
    """A page's site address with directory URLs, as MkDocs gives it: ``a/b.md`` -> ``a/b/``."""
    path = PurePosixPath(src_uri)
    parent = "" if path.parent == PurePosixPath(".") else f"{path.parent.as_posix()}/"
    return parent if path.stem in ("index", "README") else f"{parent}{path.stem}/"


class SitePlan:
    """The pages of the staff site; with ``preview``, of the authors' preview instead.

    The staff site shows the approved text of each document in force and, for
    everything else in the docs folder, its committed content (``site_files``).
    The preview (``mkdocs serve``) shows every document as it is in the working
    tree, drafts included, each marked as a working text.
    """

    def __init__(self, gate: GateResult, docs_dir: str, preview: bool = False) -> None:
        self.gate = gate
        self.preview = preview
        self.docs_dir = PurePosixPath(docs_dir)
        self._uri = {number: self._src_uri(s.working.path) for number, s in gate.statuses.items()}
        self.documents: dict[str, SitePage] = {}
        shown = list(gate.statuses.values()) if preview else gate.published()
        self._archive = {} if preview else {
            number: archive_entries(status) for number, status in gate.statuses.items()}
        coming = [e for entries in self._archive.values() for e in entries if e.state == COMING]
        if not preview:
            gate.repository.read_blobs([*(s.published.blob for s in shown if s.published),
                                        *(e.revision.blob for e in coming)])
        for status in shown:
            number = status.working.number
            self.documents[number] = SitePage(self._uri[number],
                                              document_title(self._shown(number)),
                                              self._text(status), number)
        self.revisions = [
            SitePage(e.src_uri,
                     f"{document_title(e.revision.snapshot.document)}（{e.version}，待生效）",
                     gate.repository.blob_text(e.revision.blob), e.number, e.revision)
            for e in coming if e.revision.snapshot.document is not None]
        self._last_texts = self._withdrawn_last_texts()
        self.obsolete = {
            number: SitePage(self._uri[number], f"{document_title(last)}（已作废）", "",
                             number, obsolete=True)
            for number, last in self._last_texts.items()}
        self._pages_by_uri = {page.src_uri: page for page in (
            *self.documents.values(), *self.revisions, *self.obsolete.values())}
        self.site_files = {} if preview else self._committed_site_files()
        generated = [*registers.pages(), *registers.department_pages(self)]
        self._registers = {uri: render for uri, _, render in generated}
        self._register_titles = {uri: title for uri, title, _ in generated}
        self.generated = [SitePage(uri, title, registers.stub(title))
                          for uri, title, _ in generated]

    def _withdrawn_last_texts(self) -> dict[str, Document]:
        """Each withdrawn document's last text, whose page keeps the document's address."""
        last = {}
        for number, entries in self._archive.items():
            ended = next((e for e in entries if e.state == WITHDRAWN), None)
            if ended is not None and ended.revision.snapshot.document is not None:
                last[number] = ended.revision.snapshot.document
        return last

    def archive(self, number: str) -> list[ArchiveEntry]:
        """The approved texts of a document in the archive, oldest first (none in preview)."""
        return self._archive.get(number, [])

    def home_uri(self, number: str) -> str | None:
        """The page that says what a document is now: in force, withdrawn, or to come."""
        page = (self.documents.get(number) or self.obsolete.get(number)
                or self.coming_page(number))
        return page.src_uri if page else None

    def _committed_site_files(self) -> dict[str, bytes]:
        """Source path in the site -> content, for every committed site page and file."""
        blobs = {self._src_uri(path): sha for path, sha in self.gate.pages.blobs.items()
                 if PurePosixPath(path).is_relative_to(self.docs_dir)}
        contents = self.gate.repository.blob_bytes(blobs.values())
        return {uri: contents[sha] for uri, sha in blobs.items()}

    def assets(self) -> Assets:
        """The images and attachments the published texts link to, as their approving commits
        hold them (:mod:`qmsdoc.assets`); in preview, as the working tree holds them."""
        taken = {*self._pages_by_uri, *self.site_files, *(p.src_uri for p in self.generated)}
        if self.preview:  # files in the docs folder reach the preview through MkDocs itself
            refs = [ref for page in self.documents.values() for ref in self._references(page)[0]
                    if not PurePosixPath(ref.path).is_relative_to(self.docs_dir)]
            return working_assets(self.gate.settings.root, refs, taken)
        wanted: dict[str, list[Reference]] = {}
        outside = []
        for page in [*self.documents.values(), *self.revisions]:
            refs, findings = self._references(page)
            outside += findings
            if refs:
                commit = self._revision_of(page).approval.evidence.commit.sha
                wanted.setdefault(commit, []).extend(refs)
        assets = committed_assets(self.gate.repository, wanted, taken)
        assets.findings[:0] = outside
        return assets

    def published_assets(self) -> list[tuple[str, bytes]]:
        """(source path in the site, content) of each file to publish beside the pages.

        Raises :class:`QmsdocError` listing what stops one from being published.
        """
        assets = self.assets()
        if assets.findings:
            listed = "\n".join(f.format() for f in assets.findings)
            raise QmsdocError(f"已批准的文件引用的图片或附件有 {len(assets.findings)} 个问题，"
                              f"网站没有生成：\n{listed}")
        return assets.files

    def _references(self, page: SitePage) -> tuple[list[Reference], list[Finding]]:
        path = (self.gate.statuses[page.number or ""].working.path if self.preview
                else self._revision_of(page).snapshot.path)
        return references(page.markdown, page.src_uri, path, page.number)

    def _revision_of(self, page: SitePage) -> Revision:
        """The approved revision whose text a document's page (or a revision's page) shows."""
        revision = page.revision or self.gate.statuses[page.number or ""].published
        assert revision is not None
        return revision

    def _shown(self, number: str) -> Document:
        """The document whose text and metadata the page shows."""
        status = self.gate.statuses[number]
        return status.working if self.preview else status.published_document

    def _text(self, status: DocumentStatus) -> str:
        if self.preview:
            return (self.gate.settings.root / status.working.path).read_text(encoding="utf-8")
        assert status.published is not None
        return self.gate.repository.blob_text(status.published.blob)

    def _src_uri(self, path: str) -> str:
        """Where a document lives in the site: under the docs folder, or as in the repo."""
        pure = PurePosixPath(path)
        if pure.is_relative_to(self.docs_dir):
            return pure.relative_to(self.docs_dir).as_posix()
        return pure.as_posix()

    @cached_property
    def duties(self) -> dict[str, RoleDuties]:
        """What each role follows and keeps (listed on its job responsibility's page)."""
        return duties_by_role(self)

    def controlled_uris(self) -> set[str]:
        """Every controlled document's place, published or not."""
        return set(self._uri.values())

    def pages(self) -> list[SitePage]:
        return [*self.documents.values(), *self.revisions, *self.obsolete.values(),
                *self.generated]

    def register_markdown(self, src_uri: str, href: Href) -> str | None:
        """The body of a generated register page, or ``None`` for any other page."""
        render = self._registers.get(src_uri)
        return render(self, href) if render else None

    def page_at(self, src_uri: str) -> SitePage | None:
        """The controlled document (or revision to come) published at a page, if any."""
        return self._pages_by_uri.get(src_uri)

    def uri_of(self, number: str) -> str | None:
        page = self.documents.get(number)
        return page.src_uri if page else None

    def coming_page(self, number: str) -> SitePage | None:
        """The page of the next revision of a document to take effect, if it has one."""
        return next((p for p in self.revisions if p.number == number), None)

    def cite_document(self, number: str, href: Href) -> str:
        """``{{ doc("QP-05") }}``: title, number and version in force, as a link."""
        status = self.gate.statuses.get(number)
        if status is None:
            return html.escape(f"{number}（不存在）")
        coming = self.coming_page(number)
        if number not in self.documents and coming and coming.revision:
            revision = coming.revision
            text = (f"《{status.working.title}》（{number}，{revision.snapshot.version}，"
                    f"{revision.effective_from} 起生效）")
            return f'<a href="{html.escape(href(coming.src_uri))}">{html.escape(text)}</a>'
        if number not in self.documents:
            state = "已作废" if status.withdrawn else "未生效"
            text = f"《{status.working.title}》（{number}，{state}）"
            page = self.obsolete.get(number)
            return link(href(page.src_uri), text) if page else html.escape(text)
        document = self._shown(number)
        text = f"《{document.title}》（{number}，{document.version}）"
        return f'<a href="{html.escape(href(self._uri[number]))}">{html.escape(text)}</a>'

    def cite_clause(self, number: str, href: Href) -> str:
        """``{{ clause("9.2") }}``: the clause with its Chinese heading, linked to the matrix."""
        anchor = clause_anchor(*self.gate.clauses.anchor_of(number))
        target = f"{href(registers.COVERAGE_URI)}#{anchor}"
        text = self.gate.clauses.heading(number)
        return f'<a href="{html.escape(target)}">{html.escape(text)}</a>'

    def expand_macros(self, markdown: str, from_uri: str, href: Href | None = None) -> str:
        """Replace ``{{ doc(..) }}`` and ``{{ clause(..) }}`` with their citations.

        The gate has already refused every other template syntax, so no
        template engine is needed to render a page. ``href`` turns a page's
        source path into the link to it (by default the relative source path);
        the links are written as HTML, so the Markdown parser has nothing to do.
        """
        link = href or (lambda target: relative_link(target, from_uri))
        return MACRO_RE.sub(lambda match: self.cite(match, link), markdown)

    def cite(self, macro: re.Match[str], href: Href) -> str:
        """The citation of one ``{{ doc(..) }}`` or ``{{ clause(..) }}`` (``MACRO_RE``'s match)."""
        kind, target = macro.group(1), macro.group(3).strip()
        if kind == "doc":
            return self.cite_document(target, href)
        return self.cite_clause(target, href)

    def decorate_markdown(self, page: SitePage, markdown: str) -> str:
        """Title and notices before the text, the revision history heading after it.

        The card and the history table are generated HTML: they are put in
        place of the two markers by :meth:`decorate_html` in the finished page,
        so neither the Markdown parser nor the search indexer walks them.
        """
        assert page.number is not None
        status = self.gate.statuses[page.number]
        document = self._document_of(page)
        parts = [f"# {html.escape(document_title(document))}\n", CARD_MARKER + "\n"]
        if page.obsolete:
            return "\n".join([*parts, NOTICE_MARKER + "\n", "## 修订记录\n",
                              HISTORY_MARKER + "\n"])
        if self.preview:
            parts.append(preview_note())
        elif page.revision is not None:
            current = self.documents.get(page.number)
            link = relative_link(current.src_uri, page.src_uri) if current else None
            parts.append(not_yet_in_force_note(page.revision, status, link))
        else:
            parts += [coming_note(revision, status,
                                  self._revision_link(revision, page.src_uri))
                      for revision in status.coming]
            if status.pending:
                parts.append(in_review_note(status))
        parts.append(markdown.strip("\n") + "\n")
        if document.type is DocType.JOB_RESPONSIBILITY and document.role:
            parts += ["## 执行的文件和保管的记录\n", DUTIES_MARKER + "\n"]
        parts += ["## 修订记录\n", HISTORY_MARKER + "\n"]
        return "\n".join(parts)

    def revision_uri(self, revision: Revision) -> str | None:
        """Where an approved revision that is not yet in force can be read, if anywhere."""
        return next((p.src_uri for p in self.revisions if p.revision is revision), None)

    def _revision_link(self, revision: Revision, from_uri: str) -> str | None:
        uri = self.revision_uri(revision)
        return relative_link(uri, from_uri) if uri else None

    def _document_of(self, page: SitePage) -> Document:
        if page.revision is not None:
            assert page.revision.snapshot.document is not None
            return page.revision.snapshot.document
        assert page.number is not None
        if page.obsolete:
            return self._last_texts[page.number]
        return self._shown(page.number)

    def decorate_html(self, page: SitePage, html: str, href: Href | None = None) -> str:
        """The card, notice and revision history in place of their markers.

        ``href`` turns a MkDocs page's source path, or any other page's site
        address, into the link to it (by default: as MkDocs links with
        directory URLs).
        """
        assert page.number is not None
        link_to = href or (lambda target: relative_url(
            page_url(target) if target.endswith(".md") else target, page_url(page.src_uri)))
        status = self.gate.statuses[page.number]
        entries = self.archive(page.number)
        ended = next((e for e in entries if e.state == WITHDRAWN), None) if page.obsolete else None
        shown = page.revision or (ended.revision if ended else status.published)
        approved = f"{shown.approval.display_name} {shown.date}" if shown else "—"
        effective = shown.effective_from if shown else None
        if self.preview:
            state = status.working.state.label + ("（未批准）" if status.pending else "")
            if status.pending:
                approved, effective = "—", None
        elif page.revision is not None:
            state = COMING
        else:
            state = (State.OBSOLETE if status.withdrawn else State.EFFECTIVE).label
        on_its_page = not self.preview and page.revision is None
        coming = status.coming if on_its_page else ()
        next_review = status.next_review_due() if on_its_page else None
        card = header_card(self._document_of(page), state, approved, effective, coming,
                           next_review)
        if on_its_page and not page.obsolete and status.working.type is DocType.RECORD_TEMPLATE:
            card += form_link(status)  # written beside the page by the archive's job
        rows = history_rows(status, self.gate.register)
        by_revision = {id(e.revision): e for e in entries}

        def links(row: HistoryRow) -> tuple[str | None, str | None]:
            entry = by_revision.get(id(row.revision))
            if entry is None:
                return None, None
            text = link_to(entry.src_uri if entry.state == COMING else entry.url)
            return text, link_to(entry.redline_url) if entry.redline_url else None

        if ended is not None:
            html = html.replace(NOTICE_MARKER, obsolete_notice(self, ended, link_to), 1)
        role = self._document_of(page).role
        if role and DUTIES_MARKER in html:
            html = html.replace(DUTIES_MARKER, duties_html(self, role, link_to), 1)
        return html.replace(CARD_MARKER, card, 1).replace(
            HISTORY_MARKER, history_table(rows, links), 1)

    def print_heading(self, src_uri: str, title: str) -> PrintHeading:
        """What every printed sheet of a page repeats: a document's number, title and version
        (and state, when it is not the text in force), or the page's ``title``."""
        organisation = self.gate.settings.organisation
        page = self.page_at(src_uri)
        if page is None:
            title = self._register_titles.get(src_uri, title)
            return PrintHeading(organisation, title,
                                landscape=src_uri in registers.PRINTED_LANDSCAPE)
        document = self._document_of(page)
        state = ("（工作稿）" if self.preview else "（待生效）" if page.revision is not None
                 else "（已作废）" if page.obsolete else "")
        return PrintHeading(organisation, document_title(document), f"{document.version}{state}")

    def print_ready(self, src_uri: str, title: str, page: str) -> str:
        """A finished page with its print header and footer (:mod:`qmsdoc.printing`)."""
        return with_print_head(page, self.print_heading(src_uri, title))

    def nav(self, other_pages: list[str]) -> list[Any]:
        """Navigation by document type, then the generated registers."""
        nav: list[Any] = [{"首页": "index.md"}] if "index.md" in other_pages else []
        nav += [page for page in other_pages if page != "index.md"]
        for doc_type in DocType:
            pages = [page for page in sorted(self.documents.values(), key=lambda p: p.number or "")
                     if self.gate.statuses[page.number or ""].working.type is doc_type]
            if pages:
                nav.append({doc_type.label: series_nav(pages)})
        departments = f"{registers.DEPARTMENTS_DIR}/"
        nav.append({"文件目录与矩阵": [{page.title: page.src_uri} for page in self.generated
                                 if not page.src_uri.startswith(departments)]})
        by_department = [{page.title: page.src_uri} for page in self.generated
                         if page.src_uri.startswith(departments)]
        if by_department:
            nav.append({"归口部门": by_department})
        return nav


def series_nav(pages: list[SitePage]) -> list[Any]:
    """A type's navigation: its documents, in series when there are many.

    With the theme's navigation.prune a page carries only its own series expanded, the
    other series as one link each: a build renders every page's navigation, so a flat
    list of thousands of documents would cost thousands of entries per page.
    """
    series: dict[str, list[dict[str, str]]] = {}
    for page in pages:
        number = page.number or ""
        prefix = number.rsplit("-", 1)[0] if number.count("-") > 1 else number
        series.setdefault(prefix, []).append({html.escape(page.title): page.src_uri})
    entries = [entry for members in series.values() for entry in members]
    if len(entries) <= SERIES_ABOVE or len(series) == len(entries):
        return entries
    return [{f"{prefix} 系列": members} if len(members) > 1 else members[0]
            for prefix, members in series.items()]
