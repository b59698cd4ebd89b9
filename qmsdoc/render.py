"""Markdown and HTML snippets the site shows around and inside documents."""

from __future__ import annotations

import datetime
import functools
import html
import posixpath
from collections.abc import Callable, Iterable

from .approvals import Revision
from .errors import QmsdocError
from .model import DocType, Document, Right
from .publication import DocumentStatus
from .revision_history import HistoryRow

Href = Callable[[str], str]
"""Turns a page's source path into the link to it from the page being written."""


@functools.lru_cache(maxsize=1 << 16)  # every page links to others, and a preview repeats them
def relative_link(target_uri: str, from_uri: str) -> str:
    """A link from one page's source to another's, as MkDocs resolves them."""
    return posixpath.relpath(target_uri, posixpath.dirname(from_uri) or ".")


def clause_anchor(number: str, standard: str | None = None) -> str:
    """The clause matrix's anchor of a clause; ``standard`` (its key, ``24001``) tells the
    standards apart when a manual declares several."""
    prefix = f"gbt{standard}-" if standard else "iso-"
    return prefix + number.replace(".", "-")


def header_card(document: Document, state: str, approved: str,
                effective: datetime.date | None = None, coming: Iterable[Revision] = (),
                next_review: datetime.date | None = None) -> str:
    """The card above each document: number, version, state, dates, owner, approval.

    ``effective`` is the day the revision shown takes effect (by default its
    effective date); ``coming`` are approved revisions that take effect later;
    ``next_review`` is when the text in force is next due for its periodic review.
    """
    cells = [
        ("文件编号", document.number),
        ("版本", str(document.version)),
        ("状态", state),
        ("生效日期", (effective or document.effective_date).isoformat()),
        ("归口部门", document.department),
        ("批准", approved),
    ]
    if next_review is not None:
        cells.append(("下次评审", next_review.isoformat()))
    cells += [("已批准待生效", f"{'作废' if r.snapshot.withdrawn else r.snapshot.version}"
                              f"（{r.effective_from} 起）") for r in coming]
    if document.type is DocType.RECORD_TEMPLATE:
        cells += [("保管部门", document.keeper or ""), ("保管期限", document.retention or "")]
    if document.type is DocType.JOB_RESPONSIBILITY:
        cells += [(f"{right.label}权限", "、".join(t.label for t in document.authority[right]))
                  for right in Right if document.authority.get(right)]
    # No <div> inside the card: Material's search indexer stops excluding an element
    # at the first closing tag of the same name.
    items = "".join(
        f'<span class="qms-card__item"><small>{html.escape(label)}</small>'
        f"<strong>{html.escape(value)}</strong></span>"
        for label, value in cells)
    return (f'<div class="qms-card" data-search-exclude>{items}</div>\n'
            '<p class="qms-print-note" data-search-exclude>本打印件为非受控副本，仅供参考；'
            "现行版本以内网发布的为准。</p>\n")


def preview_note() -> str:
    return ('!!! danger "预览：工作稿"\n'
            "    这是工作区中的文字，包括尚未提交、尚未批准的修改，只供编制和审核时预览；"
            "员工看到的是发布的网站。\n")


def in_review_note(status: DocumentStatus) -> str:
    """Shown when the working text differs from every approved text."""
    published, draft = status.published, status.draft
    assert published is not None and draft is not None
    document = published.snapshot
    pending = f"修订版 {draft.version} " if draft.version != document.version else "修订"
    return (f'!!! warning "修订审批中"\n'
            f"    本文件的{pending}正在审核、批准中。下文是 {published.date.isoformat()} 批准、"
            f"{published.effective_from.isoformat()} 起生效的现行版本 {document.version}，"
            "在修订获批准并生效之前继续有效。\n")


def coming_note(revision: Revision, status: DocumentStatus, link: str | None) -> str:
    """On a document's page: a revision (or the withdrawal) approved to take effect later."""
    current = status.published.snapshot.version if status.published else None
    snapshot = revision.snapshot
    if snapshot.withdrawn:
        replaced = status.working.replaced_by
        instead = f"，由 {replaced} 替代" if replaced else ""
        return (f'!!! info "已批准作废，尚未生效"\n'
                f"    本文件已于 {revision.date} 批准作废，{revision.effective_from} 起不再有效"
                f"{instead}。在此之前请继续执行下文的现行版本 {current}。\n")
    read = f"[阅读 {snapshot.version} 版全文]({link})" if link else ""
    return (f'!!! info "新版本已批准待生效"\n'
            f"    本文件的 {snapshot.version} 版已于 {revision.date} 批准，"
            f"{revision.effective_from} 起生效；在此之前请继续执行下文的现行版本 {current}。{read}\n")


def not_yet_in_force_note(revision: Revision, status: DocumentStatus, current: str | None) -> str:
    """On the page of an approved revision that does not yet apply."""
    published = status.published
    now = (f"在此之前现行有效的是 [{published.snapshot.version} 版]({current})。"
           if published and current else "在此之前本文件尚未生效。")
    return (f'!!! warning "尚未生效"\n'
            f"    这是 {revision.date} 批准、{revision.effective_from} 起生效的 "
            f"{revision.snapshot.version} 版，现在还不能执行。{now}\n")


def history_table(rows: list[HistoryRow], links: Callable[
        [HistoryRow], tuple[str | None, str | None]] | None = None) -> str:
    """修订记录 as HTML: it is generated, so Markdown has nothing to parse in it.

    ``links`` gives each row's links to its text in the archive and to its
    redline against the text before (either may be ``None``).
    """
    header = ("版本", "状态", "生效日期", "修订说明", "编制", "审核", "批准", "提交", "对照")
    body = []
    for row in rows:
        text, redline = links(row) if links else (None, None)
        approved = f"{row.approved_by} {row.approved_on}" if row.approved_on else "—"
        version = (f'<a href="{html.escape(text)}">{html.escape(row.version)}</a>' if text
                   else html.escape(row.version))
        cells = [row.status,
                 row.effective_date.isoformat() if row.effective_date else "—",
                 row.change_summary, "、".join(row.written_by) or "—",
                 "、".join(row.reviewed_by) or "—", approved]
        commit = f"<code>{html.escape(row.commit)}</code>" if row.commit else "—"
        compare = f'<a href="{html.escape(redline)}">修订对照</a>' if redline else "—"
        body.append(f"<tr><td>{version}</td>"
                    + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
                    + f"<td>{commit}</td><td>{compare}</td></tr>")
    head = "".join(f"<th>{label}</th>" for label in header)
    return ('<div class="qms-history" data-search-exclude><table>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>\n")


def document_title(document: Document) -> str:
    return f"{document.number} {document.title}"


NOT_FOUND_HEADING = "<h1>404 - Not found</h1>"
NOT_FOUND = (
    "<h1>404 - 找不到页面</h1>\n"
    "<p>您要打开的页面不存在：地址可能输错了，或者链接已经失效。</p>\n"
    "<p>请用上方的导航或搜索查找现行有效的文件，或查阅“文件目录与矩阵”中的现行有效文件目录。"
    "已作废的文件在原地址注明作废；各文件的历次版本可从其“修订记录”进入存档查阅。</p>\n")


def not_found_page(page: str) -> str:
    """The theme's 404 page (Material's, in English) with its text in Chinese."""
    if NOT_FOUND_HEADING not in page:
        raise QmsdocError(f"主题的 404 页面中没有 {NOT_FOUND_HEADING}，无法换成中文：主题版本与"
                          "qmsdoc 不符。请安装 pyproject.toml 中固定版本的 mkdocs-material")
    return page.replace(NOT_FOUND_HEADING, NOT_FOUND, 1)
