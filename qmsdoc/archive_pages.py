"""The archive's pages: each approved text and each redline, as static HTML.

A thousand documents have thousands of past texts: MkDocs would render every
one with the whole navigation (tens of milliseconds a page). These pages get a
light template of their own instead — the site's name, a link home, the
theme's compiled style sheet and the site's own, and the text in Material's
``md-typeset`` article — and are written after MkDocs has built the site. They
are not in the navigation nor in the search index: readers reach them from a
document's 修订记录.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .active_content import clean_html
from .archive import IN_FORCE, SUPERSEDED, WITHDRAWN, ArchiveEntry, relative_url
from .errors import QmsdocError
from .forms import write_forms
from .macros import MACRO_RE
from .model import Document
from .printing import PrintHeading, print_head
from .redline import compare_documents
from .render import document_title, header_card
from .revision_history import COMING

if TYPE_CHECKING:
    from .site import SitePlan

Convert = Callable[[str], str]
"""Markdown to HTML, with the site's Markdown extensions."""
PageUrl = Callable[[str], "str | None"]
"""The site address of a MkDocs page, from its source path (``None``: no such page)."""
# Citations wait outside Markdown as plain words: the parser then has no inline HTML to
# carry (a third of its time), and attr_list cannot read a citation as attributes.
_HELD = "qmsdoccitation{}x"
_HELD_RE = re.compile(r"qmsdoccitation([0-9]+)x")


@dataclass(frozen=True)
class Theme:
    """What every archive page shares with the site around it."""

    site_name: str
    stylesheets: tuple[str, ...]  # site addresses


def theme_stylesheets(theme_dirs: Iterable[Path], extra_css: Iterable[str]) -> tuple[str, ...]:
    """Material's compiled style sheet, where MkDocs copies it from the theme's folders into
    the site, then the site's own."""
    for folder in theme_dirs:
        compiled = sorted(path.relative_to(folder).as_posix()
                          for path in (folder / "assets/stylesheets").glob("main.*.min.css"))
        if compiled:
            return (*compiled, *extra_css)
    return tuple(extra_css)


def notice(kind: str, title: str, text: str) -> str:
    """An admonition as Material styles it on screen and in print; ``text`` is HTML."""
    return (f'<div class="admonition {kind} qms-notice" data-search-exclude>'
            f'<p class="admonition-title">{html.escape(title)}</p><p>{text}</p></div>\n')


def link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def obsolete_notice(plan: SitePlan, ended: ArchiveEntry, href: Callable[[str], str]) -> str:
    """On a withdrawn document's page: since when, replaced by what, and its last text."""
    withdrawal = ended.withdrawal
    assert withdrawal is not None
    replaced = withdrawal.snapshot.document.replaced_by if withdrawal.snapshot.document else None
    instead = f"，由{plan.cite_document(replaced, href)}替代" if replaced else ""
    last = link(href(ended.url), f"{ended.version} 版全文")
    text = (html.escape(f"本文件已于 {withdrawal.date} 批准作废，{withdrawal.effective_from} "
                        "起不再执行") + f"{instead}。最后一版（{html.escape(ended.version)}，"
            f"{ended.revision.effective_from} 起生效）的{last}保存在存档中，供查阅。")
    return notice("danger", WITHDRAWN, text)


def write_archive(plan: SitePlan, site_dir: Path, convert: Convert, page_url: PageUrl,
                  theme: Theme) -> int:
    """Write the archive, and the record templates' forms as PDF, into the site MkDocs is
    building; returns how many pages and forms."""
    return ArchiveWriter(plan, site_dir, convert, page_url, theme).write() + write_forms(
        plan, site_dir)


class ArchiveWriter:
    """Writes the archive of a built site into its folder."""

    def __init__(self, plan: SitePlan, site_dir: Path, convert: Convert, page_url: PageUrl,
                 theme: Theme) -> None:
        self.plan = plan
        self.site_dir = site_dir
        self.convert = convert
        self.page_url = page_url
        self.theme = theme
        self._folders: set[str] = set()

    def write(self) -> int:
        """Every archived text (those to come are MkDocs pages already) and every redline."""
        entries = [e for number in self.plan.gate.statuses for e in self.plan.archive(number)]
        repository = self.plan.gate.repository
        repository.read_blobs(e.revision.snapshot.blob for e in entries)
        by_revision = {id(e.revision): e for e in entries}
        written = 0
        for entry in entries:
            document = entry.revision.snapshot.document
            if document is None:
                continue  # the gate reports a text that does not parse
            if entry.state != COMING:
                self._write(entry.url, self.text_page(entry, document))
                written += 1
            previous = by_revision.get(id(entry.previous)) if entry.previous else None
            if previous is not None and previous.revision.snapshot.document is not None:
                self._write(entry.redline_url or "", self.redline_page(
                    previous, entry, previous.revision.snapshot.document, document))
                written += 1
        repository.forget_blobs()
        return written

    def _write(self, url: str, page: str) -> None:
        """One page (``index.html`` for an address ending in ``/``), with few system calls:
        there are thousands."""
        folder, name = os.path.split(os.path.join(self.site_dir, url))
        try:
            if folder not in self._folders:
                os.makedirs(folder, exist_ok=True)  # a revision to come has its folder already
                self._folders.add(folder)
            with open(os.path.join(folder, name or "index.html"), "wb") as file:
                file.write(page.encode("utf-8"))
        except OSError as error:
            raise QmsdocError(f"存档页面 {url} 写不进 {self.site_dir}：{error.strerror}。"
                              "请检查磁盘空间和目录权限后重新生成（已发布的网站保持不变）") from None

    def _href(self, from_url: str) -> Callable[[str], str]:
        """Links from an archive page: to MkDocs pages by source path, to others by address."""
        root = relative_url("", from_url)

        def href(target: str) -> str:
            url = self.page_url(target) if target.endswith(".md") else target
            return root + url if url is not None else target
        return href

    def _home(self, number: str, href: Callable[[str], str]) -> str:
        uri = self.plan.home_uri(number)
        return link(href(uri), "本文件的页面") if uri else "本文件的页面"

    def text_page(self, entry: ArchiveEntry, document: Document) -> str:
        """An approved text as it was approved, with its state on the publication day."""
        href = self._href(entry.url)
        revision = entry.revision
        body = self._convert(document.body, href)
        card = header_card(document, entry.state,
                           f"{revision.approval.display_name} {revision.date}",
                           revision.effective_from)
        title = f"{document_title(document)}（{entry.version}）"
        article = (f"<h1>{html.escape(title)}</h1>\n{card}{self.text_notice(entry, href)}"
                   f"{body}")
        state = "" if entry.state == IN_FORCE else f"（{entry.state}）"
        return self._page(title, entry.url, article,
                          self._heading(document, f"{entry.version}{state}"))

    def _heading(self, document: Document, version: str) -> PrintHeading:
        return PrintHeading(self.plan.gate.settings.organisation, document_title(document), version)

    def _convert(self, markdown: str, href: Callable[[str], str]) -> str:
        """The body as HTML, with its citations linked from this page."""
        citations: list[str] = []

        def hold(macro: re.Match[str]) -> str:
            citations.append(self.plan.cite(macro, href))
            return _HELD.format(len(citations) - 1)

        converted = self.convert(MACRO_RE.sub(hold, markdown))
        return _HELD_RE.sub(lambda held: citations[int(held.group(1))], converted)

    def text_notice(self, entry: ArchiveEntry, href: Callable[[str], str]) -> str:
        revision = entry.revision
        approved = (f"这是 {revision.date} 批准、{revision.effective_from} 起生效的 "
                    f"{entry.version} 版")
        redline = (f"与上一版的对照：{link(href(entry.redline_url), '修订对照')}。"
                   if entry.redline_url else "")
        home = self._home(entry.number, href)
        if entry.state == IN_FORCE:
            return notice("success", IN_FORCE,
                          html.escape(f"{approved}，现行有效。") + f"请以{home}为准。{redline}")
        if entry.state == SUPERSEDED and entry.successor is not None:
            successor = entry.successor
            text = (html.escape(f"{approved}，有效至 {entry.in_force_until}；"
                                f"{successor.revision.effective_from} 起被")
                    + link(href(successor.url), f"{successor.version} 版")
                    + f"替代，不再执行。现状见{home}。{redline}")
            return notice("warning", SUPERSEDED, text)
        assert entry.state == WITHDRAWN and entry.withdrawal is not None
        withdrawal = entry.withdrawal
        replaced = withdrawal.snapshot.document.replaced_by if withdrawal.snapshot.document else None
        instead = f"，由{self.plan.cite_document(replaced, href)}替代" if replaced else ""
        text = (html.escape(f"{approved}，是本文件的最后一版。本文件已于 {withdrawal.date} "
                            f"批准作废，{withdrawal.effective_from} 起不再执行")
                + f"{instead}。见{home}。{redline}")
        return notice("danger", WITHDRAWN, text)

    def redline_page(self, old: ArchiveEntry, new: ArchiveEntry, old_document: Document,
                     new_document: Document) -> str:
        """What changed from one approved text to the next: metadata, then the body."""
        url = new.redline_url or ""
        href = self._href(url)
        redline = compare_documents(old_document, new_document)
        title = f"{document_title(new_document)}：{old.version} → {new.version} 修订对照"
        target = new.src_uri if new.state == COMING else new.url
        text = (f"对照 {link(href(old.url), f'{old.version} 版')}（{old.revision.date} 批准，"
                f"{html.escape(old.state)}）与 {link(href(target), f'{new.version} 版')}"
                f"（{new.revision.date} 批准，{html.escape(new.state)}）。"
                '<ins class="qms-ins">新增的文字</ins>加下划线，'
                '<del class="qms-del">删除的文字</del>加删除线；↵ 表示换行。'
                f"修订说明：{html.escape(new_document.change_summary)}")
        article = (f"<h1>{html.escape(title)}</h1>\n{notice('info', '修订对照', text)}"
                   f"{redline.html()}")
        return self._page(title, url, article, self._heading(
            new_document, f"{old.version} → {new.version} 修订对照"))

    def _page(self, title: str, url: str, article: str, heading: PrintHeading) -> str:
        """The light template: site name and home link, the theme's styles, the article."""
        root = relative_url("", url)
        styles = "".join(f'<link rel="stylesheet" href="{html.escape(root + s)}">'
                         for s in self.theme.stylesheets)
        name = html.escape(self.theme.site_name)
        return (
            '<!doctype html>\n<html lang="zh"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(title)} - {name}</title>{styles}{print_head(heading)}</head>\n"
            '<body dir="ltr" class="qms-archive">'
            '<header class="md-header md-header--shadow"><nav class="md-header__inner md-grid">'
            f'<a class="md-header__title qms-archive__home" href="{root}">{name}</a>'
            f'<a class="qms-archive__home" href="{root}">返回首页</a></nav></header>\n'
            '<div class="md-container"><main class="md-main"><div class="md-main__inner md-grid">'
            '<div class="md-content"><article class="md-content__inner md-typeset">'
            f"{clean_html(article)}</article></div></div></main></div></body></html>\n")
