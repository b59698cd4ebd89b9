"""Each record template's form as a PDF on its site page, to print and fill in.

The staff build writes ``<template page>/QR-xx-yy_A-0.pdf`` beside the page
(in the archive's forked job, in parallel with MkDocs) and the page links to it
(:func:`form_link`). Laying a form out takes a third of a second, turning it into
HTML a millisecond: the PDFs are kept in a cache folder beside the site, named by
a fingerprint of their HTML (approved text, citations, organisation, style) and
of the WeasyPrint version, and copied into every build; a form is laid out again
only when that changes. Forms no longer published are dropped from the cache.
"""

from __future__ import annotations

import hashlib
import html
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import QmsdocError
from .model import DocType
from .pdf import pdf_name
from .pdf_html import form_html
from .pdf_render import render_pdf
from .publication import DocumentStatus

if TYPE_CHECKING:
    from .site import SitePlan

CACHE_FOLDER = ".qmsdoc-forms-cache"
_FORMAT = "qmsdoc-form/1"  # change it when a form's layout changes in qmsdoc's own code


def templates(plan: SitePlan) -> list[DocumentStatus]:
    """The record templates in force with a page on the site."""
    return [plan.gate.statuses[number] for number in sorted(plan.documents)
            if plan.gate.statuses[number].working.type is DocType.RECORD_TEMPLATE]


def form_link(status: DocumentStatus) -> str:
    """The paragraph under a template's card: a link to its form beside the page."""
    name = pdf_name(status)
    return (f'<p class="qms-form" data-search-exclude>打印用表格：<a href="{html.escape(name)}">'
            f"{html.escape(name)}</a>（PDF，空白表格，打印后填写）</p>\n")


def write_forms(plan: SitePlan, site_dir: Path) -> int:
    """Every template's form into the site being built; returns how many."""
    from .site import page_url

    cache = site_dir.parent / CACHE_FOLDER
    kept: set[Path] = set()
    try:
        cache.mkdir(exist_ok=True)
        for status in templates(plan):
            form = form_html(plan.gate, status)
            cached = cache / f"{_fingerprint(form)}.pdf"
            if not cached.is_file():
                partial = cached.with_suffix(".tmp")
                partial.write_bytes(render_pdf(form))
                partial.replace(cached)
            kept.add(cached)
            folder = site_dir / page_url(plan.documents[status.working.number].src_uri)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cached, folder / pdf_name(status))
        for stale in set(cache.iterdir()) - kept:
            stale.unlink()
    except OSError as error:
        raise QmsdocError(f"记录表格的 PDF 写不进 {error.filename or site_dir}：{error.strerror}。"
                          "请检查磁盘空间和目录权限后重新生成（已发布的网站保持不变）") from None
    return len(kept)


def _fingerprint(form: str) -> str:
    """The form's HTML and the layout engine's version, hashed with separators."""
    try:
        engine = version("weasyprint")
    except PackageNotFoundError:
        raise QmsdocError("生成记录表格的 PDF 需要 WeasyPrint：运行 make setup（或 pip install "
                          "'qmsdoc[site,pdf]'）后重新生成网站") from None
    digest = hashlib.sha256(f"{_FORMAT}\nweasyprint={engine}\n{len(form)}:".encode())
    digest.update(form.encode())
    return digest.hexdigest()
