"""The staff site's plan: which pages exist, with what text, in which navigation.

Only documents in force are published, each with its last approved text,
taken from git. The plan knows nothing of MkDocs: the hook turns it into
MkDocs files and navigation, and calls back for citations and decorations.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from . import registers
from .gate import GateResult
from .loader import MACRO_RE
from .model import DocType, Document, State
from .publication import DocumentStatus
from .render import (
    Href,
    clause_anchor,
    document_title,
    header_card,
    history_table,
    in_review_note,
    preview_note,
    relative_link,
)
from .revision_history import history_rows

CARD_MARKER = "<!-- qmsdoc:card -->"
HISTORY_MARKER = "<!-- qmsdoc:history -->"


@dataclass(frozen=True)
class SitePage:
    src_uri: str
    title: str
    markdown: str
    number: str | None = None  # controlled documents only


class SitePlan:
    """The pages of the staff site; with ``preview``, of the authors' preview instead.

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
        if not preview:
            gate.repository.read_blobs(s.published.blob for s in shown if s.published)
        for status in shown:
            number = status.working.number
            self.documents[number] = SitePage(self._uri[number],
                                              document_title(self._shown(number)),
                                              self._text(status), number)
        self._numbers_by_uri = {page.src_uri: number for number, page in self.documents.items()}
        self._registers = {uri: render for uri, _, render in registers.pages()}
        self.generated = [SitePage(uri, title, registers.stub(title))
                          for uri, title, _ in registers.pages()]

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

    def controlled_uris(self) -> set[str]:
        """Every controlled document's place, published or not."""
        return set(self._uri.values())

    def pages(self) -> list[SitePage]:
        return [*self.documents.values(), *self.generated]

    def register_markdown(self, src_uri: str, href: Href) -> str | None:
        """The body of a generated register page, or ``None`` for any other page."""
        render = self._registers.get(src_uri)
        return render(self, href) if render else None

    def number_at(self, src_uri: str) -> str | None:
        """The controlled document published at a page, if any."""
        return self._numbers_by_uri.get(src_uri)

    def uri_of(self, number: str) -> str | None:
        page = self.documents.get(number)
        return page.src_uri if page else None

    def cite_document(self, number: str, href: Href) -> str:
        """``{{ doc("QP-05") }}``: title, number and version in force, as a link."""
        status = self.gate.statuses.get(number)
        if status is None:
            return f"{number}（不存在）"
        if number not in self.documents:
            state = "已作废" if status.withdrawn else "未生效"
            return f"《{status.working.title}》（{number}，{state}）"
        document = self._shown(number)
        text = f"《{document.title}》（{number}，{document.version}）"
        return f'<a href="{html.escape(href(self._uri[number]))}">{html.escape(text)}</a>'

    def cite_clause(self, number: str, href: Href) -> str:
        """``{{ clause("9.2") }}``: the clause with its Chinese heading, linked to the matrix."""
        target = f"{href(registers.COVERAGE_URI)}#{clause_anchor(number)}"
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

        def cite(match: re.Match[str]) -> str:
            kind, target = match.group(1), match.group(3).strip()
            if kind == "doc":
                return self.cite_document(target, link)
            return self.cite_clause(target, link)

        return MACRO_RE.sub(cite, markdown)

    def decorate_markdown(self, number: str, markdown: str) -> str:
        """Title and in-review note before the text, the revision history heading after it.

        The card and the history table are generated HTML: they are put in
        place of the two markers by :meth:`decorate_html` in the finished page,
        so neither the Markdown parser nor the search indexer walks them.
        """
        status = self.gate.statuses[number]
        parts = [f"# {self._shown(number).title}\n", CARD_MARKER + "\n"]
        if self.preview:
            parts.append(preview_note())
        elif status.pending:
            parts.append(in_review_note(status))
        parts += [markdown.strip("\n") + "\n", "## 修订记录\n", HISTORY_MARKER + "\n"]
        return "\n".join(parts)

    def decorate_html(self, number: str, html: str) -> str:
        status = self.gate.statuses[number]
        published = status.published
        approved = f"{published.approval.display_name} {published.date}" if published else "—"
        if self.preview:
            state = status.working.state.label + ("（未批准）" if status.pending else "")
            if status.pending:
                approved = "—"
        else:
            state = (State.OBSOLETE if status.withdrawn else State.EFFECTIVE).label
        card = header_card(self._shown(number), state, approved)
        rows = history_rows(status, self.gate.register)
        return html.replace(CARD_MARKER, card, 1).replace(HISTORY_MARKER, history_table(rows), 1)

    def nav(self, other_pages: list[str]) -> list[Any]:
        """Navigation by document type, then the generated registers."""
        nav: list[Any] = [{"首页": "index.md"}] if "index.md" in other_pages else []
        nav += [page for page in other_pages if page != "index.md"]
        for doc_type in DocType:
            entries = [{page.title: page.src_uri} for page in sorted(
                self.documents.values(), key=lambda p: p.number or "")
                if self.gate.statuses[page.number or ""].working.type is doc_type]
            if entries:
                nav.append({doc_type.label: entries})
        nav.append({"文件目录与矩阵": [{page.title: page.src_uri} for page in self.generated]})
        return nav
