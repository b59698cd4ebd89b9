"""Generated registers: master list, clause coverage, responsibilities, records.

Generated from the approved metadata on every build, never maintained by hand.
The tables are written as HTML: with a thousand documents they are large, and
Markdown would parse every cell again. Their pages are left out of the search
index — each document is found by its own page.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .checks.coverage import Coverage, coverage_of
from .clauses import Standard
from .copies import recall_list
from .model import DocType, Document, Manual
from .pending import InReview, ReviewDue, pending_work
from .publication import DocumentStatus
from .render import Href, clause_anchor
from .wayfinding import FEED_FILE, RECENT_DAYS, RECENT_URI, recent_revisions, recent_rows

if TYPE_CHECKING:
    from .site import SitePlan

MASTER_LIST_URI = "registers/master-list.md"
COVERAGE_URI = "registers/clause-coverage.md"
RESPONSIBILITY_URI = "registers/responsibility-matrix.md"
RECORDS_URI = "registers/records-register.md"
PENDING_URI = "registers/pending-work.md"
DEPARTMENTS_DIR = "departments"
COPIES_URI = "registers/controlled-copies.md"
# Printed across the sheet: a column per role, or six columns and more with long remarks. The other
# registers have four or five short columns and fit an upright A4 page.
PRINTED_LANDSCAPE = frozenset({MASTER_LIST_URI, RESPONSIBILITY_URI, PENDING_URI, COPIES_URI})
GENERATED_NOTE = "> 本页根据各文件已批准的元数据在每次发布时自动生成，请勿手工修改。\n"
COPIES_NOTE = ("> 本页根据 git 中的受控文件发放回收登记（由 qmsdoc issue、qmsdoc recall 写入）"
               "在每次发布时自动生成，请勿手工修改。\n")
FRONT_MATTER = "---\nsearch:\n  exclude: true\n---\n\n"

Render = Callable[["SitePlan", Href], str]


def pages() -> Iterator[tuple[str, str, Render]]:
    """(src_uri, title, render) of every generated page."""
    yield MASTER_LIST_URI, "现行有效文件目录", master_list
    yield COVERAGE_URI, "条款覆盖矩阵", clause_coverage
    yield RESPONSIBILITY_URI, "职责分配矩阵", responsibility_matrix
    yield RECORDS_URI, "记录清单", records_register
    yield PENDING_URI, "待办事项", pending_work_page
    yield COPIES_URI, "受控文件发放回收登记", controlled_copies_page
    yield RECENT_URI, "最近修订", recent_revisions_page


def department_pages(plan: SitePlan) -> list[tuple[str, str, Render]]:
    """(src_uri, title, render) of a page per department (归口部门) with documents in force."""
    def render(department: str) -> Render:
        return lambda plan, href: department_page(plan, href, department)

    names = sorted({d.department for d in _in_force(plan)})
    return [(f"{DEPARTMENTS_DIR}/{name.replace('/', '-')}.md", name, render(name)) for name in names]


def _in_force(plan: SitePlan, *types: DocType) -> list[Document]:
    documents = [s.published_document for s in plan.gate.published()]
    return sorted((d for d in documents if not types or d.type in types), key=lambda d: d.number)


def _effective_from(status: DocumentStatus) -> datetime.date:
    assert status.published is not None
    return status.published.effective_from


def _remarks(plan: SitePlan, href: Href, status: DocumentStatus) -> str:
    """What is about to change: revisions approved to take effect later, a revision in review."""
    number = status.working.number
    remarks = []
    for revision in status.coming:
        if revision.snapshot.withdrawn:
            remarks.append(html.escape(f"{revision.effective_from} 起作废"))
            continue
        text = f"{revision.snapshot.version} 版 {revision.effective_from} 起生效"
        remarks.append(_link(plan, href, number, text, plan.revision_uri(revision)))
    if status.pending and status.draft is not None:
        remarks.append(html.escape(f"修订版 {status.draft.version} 审批中"))
    return "；".join(remarks)


def _link(plan: SitePlan, href: Href, number: str, text: str | None = None,
          page_uri: str | None = None) -> str:
    uri = page_uri or plan.uri_of(number)
    label = html.escape(text or number)
    return f'<a href="{html.escape(href(uri))}">{label}</a>' if uri else label


def html_table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table; cells are HTML already (escape text with ``html.escape``)."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<div class="md-typeset__table"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>\n")


def stub(title: str) -> str:
    """What MkDocs reads for a generated page: its title, and no place in search.

    The body is rendered when the page is built, once links can be resolved.
    """
    return f"{FRONT_MATTER}# {title}\n"


def _page(title: str, *parts: str, note: str = GENERATED_NOTE) -> str:
    return "\n".join([f"# {title}\n", note, *parts])


def master_list(plan: SitePlan, href: Href) -> str:
    """现行有效文件目录, grouped by type, then the withdrawn documents."""
    parts = []
    for doc_type in DocType:
        rows = []
        for document in _in_force(plan, doc_type):
            status = plan.gate.statuses[document.number]
            rows.append([_link(plan, href, document.number),
                         *map(html.escape, (document.title, str(document.version),
                                            _effective_from(status).isoformat(),
                                            document.department)),
                         _remarks(plan, href, status)])
        if rows:
            parts += [f"## {doc_type.label}\n", html_table(
                ["文件编号", "文件名称", "版本", "生效日期", "归口部门", "备注"], rows)]
    upcoming = [(status, status.coming[0]) for status in plan.gate.statuses.values()
                if status.published is None and status.coming]
    if upcoming:
        rows = [[_link(plan, href, status.working.number, page_uri=plan.revision_uri(revision)),
                 *map(html.escape, (status.working.title, str(revision.snapshot.version),
                                    revision.effective_from.isoformat(), revision.date.isoformat()))]
                for status, revision in sorted(upcoming, key=lambda u: u[0].working.number)]
        parts += ["## 已批准待生效的新文件\n", "这些文件已经批准，到生效日期才开始执行。\n",
                  html_table(["文件编号", "文件名称", "版本", "生效日期", "批准日期"], rows)]
    withdrawn = sorted((s for s in plan.gate.statuses.values() if s.withdrawn and s.published),
                       key=lambda s: s.working.number)
    if withdrawn:
        rows = []
        for status in withdrawn:
            document = status.published_document
            replacement = document.replaced_by
            rows.append([_link(plan, href, document.number,
                               page_uri=plan.home_uri(document.number)),
                         *map(html.escape, (document.title, str(document.version),
                                            _effective_from(status).isoformat())),
                         _link(plan, href, replacement) if replacement else "—"])
        parts += ["## 已作废文件\n", "已作废文件不再执行。其页面保留作废说明和修订记录，"
                  "历次版本的全文在存档中，供查阅。\n",
                  html_table(["文件编号", "文件名称", "最后版本", "作废日期", "替代文件"], rows)]
    return _page("现行有效文件目录", *parts)


def clause_coverage(plan: SitePlan, href: Href) -> str:
    """条款覆盖矩阵: every requirement clause, the documents addressing it, or its exclusion;
    one section per declared standard when the manual declares several."""
    catalogue = plan.gate.clauses
    published = _in_force(plan)
    coverages = coverage_of(Manual(published), frozenset(d.number for d in published), catalogue)
    if not catalogue.several:
        standard = catalogue.standards[0]
        return _page("条款覆盖矩阵",
                     f"{standard.label} 第 4–10 章各条款由哪些现行文件实施，或在质量手册中删减。\n",
                     _coveragehtml_table(plan, href, standard, coverages[standard.national], None))
    parts = [f"{catalogue.standard} 第 4–10 章各条款由哪些现行文件实施，或在质量手册中删减。\n"]
    for standard in catalogue.standards:
        parts += [f"## {standard.national} {standard.title}\n",
                  _coveragehtml_table(plan, href, standard, coverages[standard.national],
                                  standard.key)]
    return _page("条款覆盖矩阵", *parts)


def _coveragehtml_table(plan: SitePlan, href: Href, standard: Standard, coverage: Coverage,
                    qualifier: str | None) -> str:
    rows = []

    def walk(parent: str | None, depth: int) -> None:
        for clause in standard.children(parent):
            if not clause.is_requirement:
                continue
            status = coverage.status(standard, clause.number)
            exclusion = coverage.excluded.get(clause.number)
            if exclusion:
                shown = html.escape(f"删减：{exclusion.justification}")
            else:
                shown = "、".join(_link(plan, href, d.number)
                                 for d in coverage.addressed_by.get(clause.number, [])) or (
                    "（见上级条款）" if status == "addressed" else "")
            label = {"addressed": "已覆盖", "excluded": "删减", "open": "未覆盖"}[status]
            title = clause.title_zh or "（段落）"
            anchor = clause_anchor(clause.number, qualifier)
            rows.append([f'<span id="{anchor}"></span>{clause.number}',
                         "　" * depth + html.escape(title), shown, label])
            walk(clause.number, depth + 1)

    walk(None, 0)
    return html_table(["条款", "标题", "实施文件 / 删减理由", "状态"], rows)


def responsibility_matrix(plan: SitePlan, href: Href) -> str:
    """职责分配矩阵: procedures and work instructions × roles."""
    responsibilities = [d for d in _in_force(plan, DocType.JOB_RESPONSIBILITY) if d.role]
    header = ["文件", "归口部门"] + [_link(plan, href, d.number, d.role) for d in responsibilities]
    rows = [
        [_link(plan, href, d.number, f"{d.number} {d.title}"), html.escape(d.department)]
        + ["●" if r.role in d.roles else "" for r in responsibilities]
        for d in _in_force(plan, DocType.QUALITY_MANUAL, DocType.PROCEDURE,
                           DocType.WORK_INSTRUCTION)
    ]
    return _page("职责分配矩阵",
                 "● 表示该岗位在该文件规定的工作中承担职责。岗位名称链接到其岗位职责。\n",
                 html_table(header, rows))


def records_register(plan: SitePlan, href: Href) -> str:
    """记录清单: each record template, who produces it, keeps it, and for how long."""
    producers = _in_force(plan, DocType.PROCEDURE, DocType.WORK_INSTRUCTION)
    rows = [
        [_link(plan, href, template.number), html.escape(template.title),
         "、".join(_link(plan, href, d.number) for d in producers if template.number in d.records),
         html.escape(template.keeper or ""), html.escape(template.retention or "")]
        for template in _in_force(plan, DocType.RECORD_TEMPLATE)
    ]
    return _page("记录清单", html_table(["记录编号", "记录名称", "产生于", "保管部门", "保管期限"], rows))


def pending_work_page(plan: SitePlan, href: Href) -> str:
    """待办事项: what staff may see of the work waiting (documents, versions, dates, roles)."""
    work = pending_work(plan.gate)
    day = work.day

    def due_rows(items: tuple[ReviewDue, ...], overdue: bool) -> list[list[str]]:
        return [[_link(plan, href, r.number), *map(html.escape, (
            r.title, r.version, r.last_reviewed.isoformat(), r.due.isoformat(),
            f"逾期 {(day - r.due).days} 天" if overdue else f"还有 {(r.due - day).days} 天"))]
            for r in items]

    def progress(item: InReview) -> str:
        done = [f"已{s.meaning.label}（{s.role}）" for s in item.signoffs
                if s.problem is None and s.role]
        needed = [f"待{step.meaning.label}（{'、'.join(step.roles) or '无有权岗位'}）"
                  for step in item.needs]
        return html.escape("；".join(done + needed))

    sections = [
        ("定期评审已逾期", "这些文件超过评审周期仍未评审，请有审核权限的岗位尽快评审。",
         ["文件编号", "文件名称", "版本", "上次审核或批准", "应评审日期", "逾期"],
         due_rows(work.overdue, True)),
        ("审批中的修订", "下列修订尚未批准；批准并生效前，网站继续发布现行版本。",
         ["文件编号", "文件名称", "版本", "状态", "拟生效日期", "审批进度"],
         [[_link(plan, href, r.number), *map(html.escape, (
             r.title, f"{r.approved_version} → {r.version}" if r.approved_version
             else f"{r.version}（新文件）", r.state, r.planned_effective.isoformat())),
           progress(r)] for r in work.in_review]),
        ("已批准待生效", "这些修订已经批准，到生效日期起执行。",
         ["文件编号", "文件名称", "版本", "批准日期", "生效日期", "距生效"],
         [[_link(plan, href, c.number), *map(html.escape, (
             c.title, "作废" if c.withdrawal else c.version, c.approved_on.isoformat(),
             c.effective_from.isoformat(), f"{(c.effective_from - day).days} 天"))]
          for c in work.coming]),
        (f"定期评审 {(work.horizon - day).days} 天内到期", "请在应评审日期前完成评审。",
         ["文件编号", "文件名称", "版本", "上次审核或批准", "应评审日期", "剩余"],
         due_rows(work.due_soon, False)),
    ]
    parts = [f"截至 {day}：等待评审、审核、批准的文件和即将生效的修订。"
             "编制人不能审核或批准自己编制的修订。\n"]
    for title, intro, header, rows in sections:
        parts.append(f"## {title}\n")
        parts += [f"共 {len(rows)} 项。{intro}\n", html_table(header, rows)] if rows else ["无。\n"]
    return _page("待办事项", *parts)


def controlled_copies_page(plan: SitePlan, href: Href) -> str:
    """受控文件发放回收登记: copies in circulation by document, then the copies due for recall."""
    gate, day = plan.gate, plan.gate.day
    copies = gate.copies.copies if gate.copies else ()
    due = recall_list(gate.copies, gate.statuses, day) if gate.copies else []
    due_numbers = {d.copy.number for d in due}
    circulating = sorted((c for c in copies if c.in_circulation(day)),
                         key=lambda c: (c.document, c.version, c.number))
    rows = [[_link(plan, href, c.document), *map(html.escape, (
        str(c.version), c.number, c.holder, c.issued_on.isoformat(), c.issued_by,
        "应收回" if c.number in due_numbers else "现行"))] for c in circulating]
    recall_rows = [[_link(plan, href, d.copy.document), *map(html.escape, (
        str(d.copy.version), d.now, d.copy.number, d.copy.holder, d.since.isoformat(),
        f"{d.days_due(day)} 天"))] for d in due]
    recalled = sorted((c for c in copies if c.recalled_by_day(day)),
                      key=lambda c: (c.recalled_on, c.number))
    done_rows = [[_link(plan, href, c.document), *map(html.escape, (
        str(c.version), c.number, c.holder, str(c.recalled_on), c.recalled_by or "",
        c.outcome.label if c.outcome else ""))] for c in recalled]
    parts = [f"截至 {day}。受控本由文件管理员用 qmsdoc issue 发放、qmsdoc recall 登记收回，"
             "登记保存在 git 中；新版生效或文件作废后，旧版受控本应及时收回。\n"]
    for title, header, table in (
            ("在用的受控本", ["文件编号", "版本", "发放号", "持有人", "发放日期", "发放人", "状态"], rows),
            ("应收回的受控本", ["文件编号", "旧版本", "现行", "发放号", "持有人", "应收回自", "已逾"],
             recall_rows),
            ("已收回的受控本", ["文件编号", "版本", "发放号", "持有人", "收回日期", "收回人", "处置"],
             done_rows)):
        parts.append(f"## {title}\n")
        parts += [f"共 {len(table)} 份。\n", html_table(header, table)] if table else ["无。\n"]
    return _page("受控文件发放回收登记", *parts, note=COPIES_NOTE)


def recent_revisions_page(plan: SitePlan, href: Href) -> str:
    """最近修订: revisions approved to take effect, then those in effect lately, newest first."""
    revisions = recent_revisions(plan)
    header = ["文件编号", "文件名称", "版本", "生效日期", "批准日期", "修订说明"]
    parts = [f"截至 {plan.gate.day}：已批准待生效的修订，和最近 {RECENT_DAYS} 天内生效的修订，"
             f'新的在前。也可以用阅读器订阅<a href="{html.escape(href(FEED_FILE))}">新生效修订的'
             "订阅源（Atom）</a>。\n"]
    for title, rows in (("已批准待生效", [r for r in revisions if r.coming]),
                        (f"最近 {RECENT_DAYS} 天内生效", [r for r in revisions if not r.coming])):
        parts.append(f"## {title}\n")
        parts += [f"共 {len(rows)} 项。\n", html_table(header, recent_rows(plan, href, rows))] \
            if rows else ["无。\n"]
    return _page("最近修订", *parts)


def department_page(plan: SitePlan, href: Href, department: str) -> str:
    """A department's page: the documents in force it is responsible for (归口), by type."""
    parts = [f"{department}归口管理的现行有效文件。各岗位执行哪些文件，见各岗位职责页面。\n"]
    for doc_type in DocType:
        rows = [[_link(plan, href, d.number), *map(html.escape, (
            d.title, str(d.version), _effective_from(plan.gate.statuses[d.number]).isoformat())),
            _remarks(plan, href, plan.gate.statuses[d.number])]
            for d in _in_force(plan, doc_type) if d.department == department]
        if rows:
            parts += [f"## {doc_type.label}\n",
                      html_table(["文件编号", "文件名称", "版本", "生效日期", "备注"], rows)]
    return _page(department, *parts)
