"""The site as of another day than today: a view of the past, or a preview.

``QMSDOC_DATE=2025-06-01 make site`` builds the manual as it was in force that
day. Staff must never take such a site for the current one, so every HTML page
of it (documents, registers, home page, 404, any page another step writes)
carries a notice at the top, on screen and in print.
"""

from __future__ import annotations

import datetime
import html
import re
from pathlib import Path

MARK = "qms-view"  # class of the notice; also how a page already marked is recognised
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
# Inline style: the notice needs no style sheet, and prints (browsers drop backgrounds in print).
_STYLE = ("margin:0;padding:.6em 1em;border:3px solid #b71c1c;background:#fff3e0;"
          "color:#b71c1c;font-weight:bold;text-align:center;font-size:.9rem")


def view_notice(day: datetime.date, built_on: datetime.date) -> str | None:
    """The notice a site built on ``built_on`` for ``day`` carries (``None``: the current site)."""
    if day < built_on:
        text = f"历史视图：本网站显示 {day.isoformat()} 当天现行有效的文件，不是现行版本。"
    elif day > built_on:
        text = (f"预览：本网站显示 {day.isoformat()} 起将现行有效的文件（按 {built_on.isoformat()} "
                "已批准的内容），不是现行版本。")
    else:
        return None
    return f'<div class="{MARK}" role="note" data-search-exclude style="{_STYLE}">{html.escape(text)}</div>'


def mark_page(page: str, notice: str) -> str:
    """The page with the notice first thing in its body (or first of all, without a body)."""
    if f'class="{MARK}"' in page:
        return page
    body = _BODY.search(page)
    at = body.end() if body else 0
    return page[:at] + notice + page[at:]


def mark_site(site_dir: Path, notice: str | None) -> None:
    """Put the notice on every HTML page of a built site (nothing for the current site)."""
    if notice is None:
        return
    for path in sorted(site_dir.rglob("*.html")):
        if path.is_file() and not path.is_symlink():
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            path.write_text(mark_page(text, notice), encoding="utf-8", errors="surrogateescape")
