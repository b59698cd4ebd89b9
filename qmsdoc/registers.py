"""Generated registers: master list, clause coverage, responsibilities, records.

Generated from the approved metadata on every build, never maintained by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .checks.coverage import coverage_of
from .model import DocType, Document, Manual
from .render import clause_anchor, relative_link

if TYPE_CHECKING:
    from .site import SitePlan

MASTER_LIST_URI = "registers/master-list.md"
COVERAGE_URI = "registers/clause-coverage.md"
RESPONSIBILITY_URI = "registers/responsibility-matrix.md"
RECORDS_URI = "registers/records-register.md"
GENERATED_NOTE = "> 本页根据各文件已批准的元数据在每次发布时自动生成，请勿手工修改。\n"


def pages(plan: SitePlan) -> Iterator[tuple[str, str, str]]:
    """(src_uri, title, markdown) of every generated page."""
    yield MASTER_LIST_URI, "现行有效文件目录", master_list(plan)
    yield COVERAGE_URI, "条款覆盖矩阵", clause_coverage(plan)
    yield RESPONSIBILITY_URI, "职责分配矩阵", responsibility_matrix(plan)
    yield RECORDS_URI, "记录清单", records_register(plan)


def _in_force(plan: SitePlan, *types: DocType) -> list[Document]:
    documents = [s.published_document for s in plan.gate.published()]
    return sorted((d for d in documents if not types or d.type in types), key=lambda d: d.number)


def _link(plan: SitePlan, document: Document, from_uri: str, text: str | None = None) -> str:
    uri = plan.uri_of(document.number)
    label = text or document.number
    return f"[{label}]({relative_link(uri, from_uri)})" if uri else label


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def master_list(plan: SitePlan) -> str:
    """现行有效文件目录, grouped by type, then the withdrawn documents."""
    parts = ["# 现行有效文件目录\n", GENERATED_NOTE]
    for doc_type in DocType:
        rows = []
        for document in _in_force(plan, doc_type):
            status = plan.gate.statuses[document.number]
            note = f"修订版 {status.working.version} 审批中" if status.pending else ""
            rows.append([_link(plan, document, MASTER_LIST_URI), document.title,
                         str(document.version), document.effective_date.isoformat(),
                         document.department, note])
        if rows:
            parts += [f"## {doc_type.label}\n", _table(
                ["文件编号", "文件名称", "版本", "生效日期", "归口部门", "备注"], rows)]
    withdrawn = [s for s in plan.gate.statuses.values() if s.withdrawn and s.published]
    if withdrawn:
        rows = []
        for status in sorted(withdrawn, key=lambda s: s.working.number):
            document = status.published_document
            replacement = plan.gate.statuses.get(document.replaced_by or "")
            rows.append([document.number, document.title, str(document.version),
                         status.published.date.isoformat(),  # type: ignore[union-attr]
                         _link(plan, replacement.working, MASTER_LIST_URI) if replacement else "—"])
        parts += ["## 已作废文件\n", "已作废文件不再发布，其历次版本保存在 git 历史中，供审核查阅。\n",
                  _table(["文件编号", "文件名称", "最后版本", "批准作废日期", "替代文件"], rows)]
    return "\n".join(parts)


def clause_coverage(plan: SitePlan) -> str:
    """条款覆盖矩阵: every requirement clause, the documents addressing it, or its exclusion."""
    catalogue = plan.gate.clauses
    in_force = frozenset(d.number for d in _in_force(plan))
    documents = [s.published_document for s in plan.gate.statuses.values() if s.published]
    coverage = coverage_of(Manual(documents), in_force)
    rows = []

    def walk(parent: str | None, depth: int) -> None:
        for clause in catalogue.children(parent):
            if not clause.is_requirement:
                continue
            status = coverage.status(catalogue, clause.number)
            direct = coverage.addressed_by.get(clause.number, [])
            exclusion = coverage.excluded.get(clause.number)
            if exclusion:
                shown = f"删减：{exclusion.justification}"
            else:
                shown = "、".join(_link(plan, d, COVERAGE_URI) for d in direct) or (
                    "（见上级条款）" if status == "addressed" else "")
            label = {"addressed": "已覆盖", "excluded": "删减", "open": "未覆盖"}[status]
            heading = catalogue.heading(clause.number).split(" ", 1)
            title = heading[1] if len(heading) > 1 and clause.title_zh else "（段落）"
            rows.append([f'<span id="{clause_anchor(clause.number)}"></span>{clause.number}',
                         "　" * depth + title, shown, label])
            walk(clause.number, depth + 1)

    walk(None, 0)
    return "\n".join([
        "# 条款覆盖矩阵\n", GENERATED_NOTE,
        f"{catalogue.standard} 第 4–10 章各条款由哪些现行文件实施，或在质量手册中删减。\n",
        _table(["条款", "标题", "实施文件 / 删减理由", "状态"], rows)])


def responsibility_matrix(plan: SitePlan) -> str:
    """职责分配矩阵: procedures and work instructions × roles."""
    responsibilities = _in_force(plan, DocType.JOB_RESPONSIBILITY)
    roles = [d.role for d in responsibilities if d.role]
    header = ["文件", "归口部门"] + [
        _link(plan, d, RESPONSIBILITY_URI, d.role) for d in responsibilities if d.role]
    rows = [
        [_link(plan, d, RESPONSIBILITY_URI, f"{d.number} {d.title}"), d.department]
        + ["●" if role in d.roles else "" for role in roles]
        for d in _in_force(plan, DocType.QUALITY_MANUAL, DocType.PROCEDURE,
                           DocType.WORK_INSTRUCTION)
    ]
    return "\n".join(["# 职责分配矩阵\n", GENERATED_NOTE,
                      "● 表示该岗位在该文件规定的工作中承担职责。岗位名称链接到其岗位职责。\n",
                      _table(header, rows)])


def records_register(plan: SitePlan) -> str:
    """记录清单: each record template, who produces it, keeps it, and for how long."""
    producers = _in_force(plan, DocType.PROCEDURE, DocType.WORK_INSTRUCTION)
    rows = []
    for template in _in_force(plan, DocType.RECORD_TEMPLATE):
        made_by = [d for d in producers if template.number in d.records]
        rows.append([_link(plan, template, RECORDS_URI), template.title,
                     "、".join(_link(plan, d, RECORDS_URI) for d in made_by),
                     template.keeper or "", template.retention or ""])
    return "\n".join(["# 记录清单\n", GENERATED_NOTE,
                      _table(["记录编号", "记录名称", "产生于", "保管部门", "保管期限"], rows)])
