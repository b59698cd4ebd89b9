"""The macros site pages call, bound to the build's plan.

What a page may call, and how, is decided in ``macros``; these functions
produce the HTML that each call stands for. mkdocs-macros calls them while it
renders a site page; the links are made from the page being rendered.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import QmsdocError
from .macros import MacroCall, argument_problems, doc_type
from .registers import html_table
from .render import Href
from .wayfinding import RECENT_DAYS, recent_revisions, recent_rows

if TYPE_CHECKING:
    from .site import SitePlan


def site_macros(plan: SitePlan, page_href: Callable[[], Href]) -> dict[str, Callable[..., str]]:
    """The macros by name; ``page_href`` gives the link maker of the page being rendered."""

    def doc(number: str) -> str:
        return plan.cite_document(number, page_href())

    def clause(ref: str) -> str:
        return plan.cite_clause(ref, page_href())

    def documents(type: str | None = None, department: str | None = None,
                  role: str | None = None) -> str:
        call = MacroCall("documents", {k: v for k, v in (
            ("type", type), ("department", department), ("role", role)) if v is not None})
        _check(plan, call)
        return document_list(plan, page_href(), type, department, role)

    def recent(days: int = RECENT_DAYS) -> str:
        _check(plan, MacroCall("recent_revisions", {"days": days}))
        return revision_list(plan, page_href(), days)

    return {"doc": doc, "clause": clause, "documents": documents, "recent_revisions": recent}


def _check(plan: SitePlan, call: MacroCall) -> None:
    """The gate has checked every committed page; a preview may show one it has not."""
    problems = list(argument_problems(call, plan.gate.manual))
    if problems:
        raise QmsdocError(f"宏 {call.name} 的参数有误：{'；'.join(problems)}")


def document_list(plan: SitePlan, href: Href, kind: str | None, department: str | None,
                  role: str | None) -> str:
    """The documents in force of a type, department or role, as a table."""
    wanted = doc_type(kind) if kind else None
    rows = []
    for status in sorted(plan.gate.published(), key=lambda s: s.working.number):
        document = status.published_document
        if (wanted and document.type is not wanted or department and document.department
                != department or role and role not in document.roles):
            continue
        assert status.published is not None
        uri = plan.uri_of(document.number)
        number = html.escape(document.number)
        rows.append([f'<a href="{html.escape(href(uri))}">{number}</a>' if uri else number,
                     *map(html.escape, (document.title, str(document.version),
                                        status.published.effective_from.isoformat(),
                                        document.department))])
    if not rows:
        return "<p>没有符合条件的现行文件。</p>\n"
    return html_table(["文件编号", "文件名称", "版本", "生效日期", "归口部门"], rows)


def revision_list(plan: SitePlan, href: Href, days: int) -> str:
    """Revisions approved to take effect, and those in effect in the last ``days`` days."""
    revisions = recent_revisions(plan, days)
    if not revisions:
        return f"<p>最近 {days} 天没有生效的修订，也没有待生效的修订。</p>\n"
    return html_table(["文件编号", "文件名称", "版本", "生效日期", "批准日期", "修订说明"],
                      recent_rows(plan, href, revisions))
