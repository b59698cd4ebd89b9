"""The HTML and CSS WeasyPrint lays out: one document, or the book of the manual.

Every document is a ``<section>`` on pages named after it, whose header and
footer carry the document's own values: a running header set with
``string-set`` on the body leaves later pages empty in WeasyPrint, named pages
do not.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from .active_content import clean_html
from .gate import GateResult
from .macros import MACRO_RE
from .model import State
from .pdf_markdown import markdown_converter
from .publication import DocumentStatus
from .render import document_title, header_card, history_table
from .revision_history import history_rows

# Citations wait outside Markdown as plain words, as on the archive's pages.
_HELD = "qmsdoccitation{}x"
_HELD_RE = re.compile(r"qmsdoccitation([0-9]+)x")
BOOK_TITLE = "质量管理体系文件汇编"
FONTS = '"Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", sans-serif'

STYLE = """
@page { size: A4; margin: 24mm 18mm 22mm 18mm;
  @top-left { font-size: 8.5pt; color: #444; vertical-align: bottom; padding-bottom: 3mm; }
  @top-right { font-size: 8.5pt; color: #444; vertical-align: bottom; padding-bottom: 3mm; }
  @bottom-left { font-size: 8.5pt; color: #444; vertical-align: top; padding-top: 3mm; }
  @bottom-right { font-size: 8.5pt; color: #444; vertical-align: top; padding-top: 3mm;
                  content: "第 " counter(page) " 页 共 " counter(pages) " 页"; } }
@page cover { @top-left { content: none; } @top-right { content: none; } }
html { font-family: FONTS; font-size: 10.5pt; line-height: 1.6; color: #111; }
h1 { font-size: 17pt; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; }
h3, h4, h5, h6 { font-size: 11pt; margin: 4mm 0 1.5mm; }
h1, h2, h3, h4, h5, h6 { break-after: avoid; }
p, li { orphans: 2; widows: 2; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 9.5pt; }
th, td { border: 0.5pt solid #888; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
a { color: inherit; text-decoration: none; }
code { font-size: 9pt; }
.headerlink { display: none; }
.qms-card { display: flex; flex-wrap: wrap; border: 0.8pt solid #555; padding: 2mm;
            margin-bottom: 5mm; break-inside: avoid; }
.qms-card__item { width: 33%; padding: 1mm 2mm; box-sizing: border-box; }
.qms-card__item small { display: block; color: #555; font-size: 8pt; }
.qms-card__item strong { font-size: 9.5pt; }
.qms-print-note { display: none; }
.qms-history table { font-size: 8pt; }
.admonition { border-left: 2pt solid #888; padding: 1mm 3mm; margin: 3mm 0; }
.admonition-title { font-weight: bold; margin: 0; }
.qms-doc + .qms-doc, .qms-contents + .qms-doc { break-before: page; }
.qms-cover { page: cover; text-align: center; padding-top: 70mm; break-after: page; }
.qms-cover .qms-organisation { font-size: 20pt; font-weight: bold; bookmark-level: none; }
.qms-cover .qms-book-title { font-size: 26pt; margin: 12mm 0; bookmark-level: none; }
.qms-cover p { font-size: 12pt; }
.qms-contents ol { list-style: none; padding: 0; }
.qms-contents li { margin: 1mm 0; }
.qms-contents a::after { content: leader('.') target-counter(attr(href), page); }
""".replace("FONTS", FONTS)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return '"' + " ".join(escaped.split()) + '"'


def document_html(gate: GateResult, status: DocumentStatus, marking: str) -> str:
    """One document on pages of its own."""
    return _page(document_title(status.published_document),
                 [_section(gate, status, 0, marking, lambda number: None)])


def form_html(gate: GateResult, status: DocumentStatus) -> str:
    """A record template's form alone, for the site's 打印用表格."""
    document = status.published_document
    keeping = f"保管部门 {document.keeper or '—'} 保管期限 {document.retention or '—'}"
    return _page(document_title(document),
                 [_section(gate, status, 0, f"记录表格 {keeping}", lambda number: None, form=True)])


def book_html(gate: GateResult, statuses: Sequence[DocumentStatus], marking: str) -> str:
    """Cover, contents, then every document; citations of documents in the book link there."""
    included = {status.working.number for status in statuses}

    def anchor(number: str) -> str | None:
        return f"#{_anchor(number)}" if number in included else None

    organisation = gate.settings.organisation
    cover = (f'<div class="qms-cover"><p class="qms-organisation">{html.escape(organisation)}</p>'
             f'<p class="qms-book-title">{BOOK_TITLE}</p>'
             f"<p>共 {len(statuses)} 份现行有效文件（{html.escape(str(gate.day))}）</p>"
             f"<p>{html.escape(marking)}</p></div>")
    entries = "".join(
        f'<li><a href="#{_anchor(s.working.number)}">'
        f"{html.escape(document_title(s.published_document))}"
        f"（{html.escape(str(s.published_document.version))}）</a></li>" for s in statuses)
    contents = f'<div class="qms-contents"><h1>目录</h1><ol>{entries}</ol></div>'
    pages = (f"<style>@page {{ @top-left {{ content: {css_string(organisation)}; }}"
             f" @top-right {{ content: {css_string(BOOK_TITLE)}; }}"
             f" @bottom-left {{ content: {css_string(marking)}; }} }}</style>")
    sections = [_section(gate, status, index, marking, anchor)
                for index, status in enumerate(statuses)]
    return _page(f"{organisation} 质量管理体系文件", [pages, cover, contents, *sections])


def _anchor(number: str) -> str:
    return "doc-" + re.sub(r"[^A-Za-z0-9_-]", "_", number)


def _page(title: str, parts: list[str]) -> str:
    return ('<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")


def _section(gate: GateResult, status: DocumentStatus, index: int, marking: str,
             anchor: Callable[[str], str | None], form: bool = False) -> str:
    """A document with its card and 修订记录 (a ``form``: its body alone), and the header
    and footer of its pages."""
    document = status.published_document
    published = status.published
    assert published is not None
    page = f"doc{index}"
    identity = f"{document_title(document)} 版本 {document.version}"
    header = (f"@page {page} {{ @top-left {{ content: {css_string(gate.settings.organisation)}; }}"
              f" @top-right {{ content: {css_string(identity)}; }}"
              f" @bottom-left {{ content: {css_string(marking)}; }} }}")
    title = f"<h1>{html.escape(document_title(document))}</h1>"
    body = _body(gate, document.body, anchor)
    if form:
        article = clean_html(title + body)
    else:
        card = header_card(document, State.EFFECTIVE.label,
                           f"{published.approval.display_name} {published.date}",
                           published.effective_from, status.coming, status.next_review_due())
        history = history_table(history_rows(status, gate.register))
        article = clean_html(f"{title}{card}{body}<h2>修订记录</h2>{history}")
    return (f"<style>{header}</style>"
            f'<section class="qms-doc" id="{_anchor(document.number)}" style="page: {page}">'
            f"{article}</section>")


def _body(gate: GateResult, markdown: str, anchor: Callable[[str], str | None]) -> str:
    """The Markdown body as HTML, with its citations as plain text (or links in the book)."""
    citations: list[str] = []

    def hold(macro: re.Match[str]) -> str:
        citations.append(_cite(gate, macro.group(1), macro.group(3).strip(), anchor))
        return _HELD.format(len(citations) - 1)

    converted = markdown_converter(gate.settings)(MACRO_RE.sub(hold, markdown))
    return _HELD_RE.sub(lambda held: citations[int(held.group(1))], converted)


def _cite(gate: GateResult, kind: str, target: str, anchor: Callable[[str], str | None]) -> str:
    if kind == "clause":
        return html.escape(gate.clauses.heading(target))
    status = gate.statuses.get(target)
    if status is None:
        return html.escape(f"{target}（不存在）")
    if not status.in_force:
        state = "已作废" if status.withdrawn else "未生效"
        return html.escape(f"《{status.working.title}》（{target}，{state}）")
    document = status.published_document
    text = html.escape(f"《{document.title}》（{target}，{document.version}）")
    href = anchor(target)
    return f'<a href="{href}">{text}</a>' if href else text
