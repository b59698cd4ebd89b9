"""What a page of the site says on paper: running header and footer, page size, print date.

Every printed page carries the organisation, the document's number, title and
version, 非受控副本 with the day it was printed, and 第 X 页 共 Y 页. Browsers
(Chromium ≥ 131) draw these in the margin boxes of an ``@page`` rule, written
into each page with the page's own values. The day of printing is not known when
the site is built, and CSS has no clock: a tiny script qmsdoc writes into the
page (never content's) sets it, and without scripts the footer leaves a blank to
fill in by hand.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from importlib import resources

from .errors import QmsdocError

UNCONTROLLED = "非受控副本 打印日期 "
DATE_BLANK = "____年__月__日"
# Sets --qms-printed to today's date ("2026-12-01", the reader's own clock) on load and
# again just before printing, for a page left open overnight. No network, no other effect.
PRINT_DATE_SCRIPT = (
    "<script>(function(){function d(){var t=new Date(),p=function(n){return(n<10?'0':'')+n};"
    "document.documentElement.style.setProperty('--qms-printed','\"'+t.getFullYear()+'-'"
    "+p(t.getMonth()+1)+'-'+p(t.getDate())+'\"')}d();addEventListener('beforeprint',d)})()"
    "</script>")


@dataclass(frozen=True)
class PrintHeading:
    """The values a printed page repeats on every sheet."""

    organisation: str
    title: str  # "QP-05 内部审核程序", or the page's title
    version: str | None = None  # "A/1", "A/0（已被替代）"; None: not a controlled document
    landscape: bool = False  # wide registers


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: quotes, backslashes, control characters and ``<``
    (which could end the <style> element) written as hexadecimal escapes."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>' or ord(c) < 0x20 or ord(c) == 0x7f
                      else c for c in text)
    return f'"{escaped}"'


def page_rule(heading: PrintHeading) -> str:
    """The ``@page`` rule: A4 (landscape for wide registers), header and footer."""
    right = heading.title + (f"　版本 {heading.version}" if heading.version else "")
    size = "A4 landscape" if heading.landscape else "A4"
    box = "font-size:8pt;color:#333;font-family:sans-serif"
    return (
        f"@page{{size:{size};margin:20mm 15mm 18mm;"
        f"@top-left{{content:{css_string(heading.organisation)};{box}}}"
        f"@top-right{{content:{css_string(right)};{box}}}"
        f"@bottom-left{{content:{css_string(UNCONTROLLED)} var(--qms-printed,"
        f"{css_string(DATE_BLANK)});{box}}}"
        f'@bottom-right{{content:"第 " counter(page) " 页 共 " counter(pages) " 页";{box}}}}}')


def print_head(heading: PrintHeading) -> str:
    """The elements a page's <head> needs to print as a controlled site's page."""
    return f"<style>{page_rule(heading)}\n{_print_css()}</style>{PRINT_DATE_SCRIPT}"


def with_print_head(page: str, heading: PrintHeading) -> str:
    """A finished HTML page with :func:`print_head` at the end of its <head>.

    Apply it after ``clean_html`` (which removes every style and script from a
    page's body): these are qmsdoc's, written around the content, not in it.
    """
    at = page.find("</head>")
    if at < 0:
        raise QmsdocError(f"页面《{html.unescape(heading.title)}》没有 </head>，无法加入打印页眉页脚："
                          "主题版本与 qmsdoc 不符。请安装 pyproject.toml 中固定版本的 mkdocs-material")
    return page[:at] + print_head(heading) + page[at:]


@functools.cache
def _print_css() -> str:
    """The print layout shared by every page (qmsdoc/data/print.css), without comments."""
    text = resources.files("qmsdoc").joinpath("data/print.css").read_text(encoding="utf-8")
    return " ".join(re.sub(r"/\*.*?\*/", "", text, flags=re.S).split())
