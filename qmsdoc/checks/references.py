"""Cross-references between documents: citations, records and roles."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from ..findings import Finding, Severity
from ..model import DocType, State, repeats
from .context import CheckContext

PRODUCERS = (DocType.PROCEDURE, DocType.WORK_INSTRUCTION)


def _closest(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return f"最接近的是 {match[0]}。" if match else ""


def unknown_documents(context: CheckContext) -> Iterator[Finding]:
    """Every cited, related or produced document exists.

    Bad: ``related: [QP-50]`` when no file has number QP-50.
    Good: ``related: [QP-05]`` and a file whose ``qms.number`` is QP-05.
    """
    numbers = sorted(d.number for d in context.manual)
    for document in context.manual:
        for number, line in document.cited_documents():
            if context.manual.get(number) is None and number not in context.unreadable:
                yield Finding(
                    "reference.unknown-document", Severity.ERROR, document.path, line,
                    f"引用的文件 {number} 不存在",
                    f"检查编号是否写错。{_closest(number, numbers)}"
                    "如果该文件尚未编写，请先把它加入仓库", document.number)


def effective_cites_effective(context: CheckContext) -> Iterator[Finding]:
    """A document in force cites only documents in force.

    Bad: effective QP-05 lists ``related: [QP-20]`` while QP-20 is a draft or obsolete.
    Good: QP-20 is approved first, or QP-05 cites the document that replaced it.
    """
    for document in context.manual:
        if document.number not in context.in_force:
            continue
        for number, line in document.cited_documents():
            target = context.manual.get(number)
            if target is None or number in context.in_force:
                continue
            state = target.state.label
            replacement = (f"它已被 {target.replaced_by} 替代，请改为引用 {target.replaced_by}"
                           if target.replaced_by else "先让该文件批准生效，或删除这处引用")
            yield Finding(
                "reference.not-in-force", Severity.ERROR, document.path, line,
                f"现行有效文件 {document.number} 引用了尚未生效或已作废的文件 "
                f"{target.label}（{state}）", replacement, document.number)


def records_are_templates(context: CheckContext) -> Iterator[Finding]:
    """What a procedure lists under ``records`` is a record template.

    Bad: ``records: [QP-02]`` (a procedure, not a form).
    Good: ``records: [QR-02-01]``.
    """
    for document in context.manual:
        for number in document.records:
            target = context.manual.get(number)
            if target is not None and target.type is not DocType.RECORD_TEMPLATE:
                yield Finding(
                    "record.not-a-template", Severity.ERROR, document.path,
                    document.line_of("records"),
                    f"records 中的 {target.label} 不是记录表格，而是{target.type.label}",
                    "records 只列本文件产生的记录表格（QR-编号）；其他文件写在 related 中",
                    document.number)


def templates_are_produced(context: CheckContext) -> Iterator[Finding]:
    """Every record template in force is produced by a procedure in force.

    Bad: QR-09-01 is effective, but no effective procedure lists it under ``records``.
    Good: QP-09 lists ``records: [QR-09-01]``.
    Not judged while a document's metadata cannot be read: it may be the producer.
    """
    if context.unreadable:
        return
    produced = {
        number
        for document in context.manual.of_type(*PRODUCERS)
        if document.number in context.in_force
        for number in document.records
    }
    for template in context.manual.of_type(DocType.RECORD_TEMPLATE):
        if template.number in context.in_force and template.number not in produced:
            yield Finding(
                "record.not-produced", Severity.ERROR, template.path, template.line_of("number"),
                f"记录表格 {template.label} 没有任何现行有效的程序文件或作业指导书产生它",
                f"在产生这份记录的程序文件的 records 中加入 {template.number}；"
                "如果已不再使用，请把它作废", template.number)


def roles_have_responsibilities(context: CheckContext) -> Iterator[Finding]:
    """Every role a document names has a job responsibility document.

    Bad: ``roles: [质量员]`` and no 岗位职责 with ``role: 质量员``.
    Good: a job responsibility JR-xx with ``role: 质量员``.
    """
    described = {
        d.role: d for d in context.manual.of_type(DocType.JOB_RESPONSIBILITY)
        if d.role and d.state is not State.OBSOLETE
    }
    for document in context.manual:
        if document.state is State.OBSOLETE:
            continue
        for role in document.roles:
            if role not in described:
                yield Finding(
                    "role.no-responsibility", Severity.ERROR, document.path,
                    document.line_of("roles"),
                    f"岗位“{role}”没有岗位职责文件",
                    f"检查岗位名称是否写错。{_closest(role, sorted(described))}"
                    "否则为该岗位编写岗位职责（type: job_responsibility，role: "
                    f"{role}）", document.number)


def one_responsibility_per_role(context: CheckContext) -> Iterator[Finding]:
    """A role is described by one job responsibility document only.

    Bad: JR-03 and JR-10 both say ``role: 文件管理员``.
    Good: one of them is merged into the other, or made obsolete.
    """
    current = [d for d in context.manual.of_type(DocType.JOB_RESPONSIBILITY)
               if d.state is not State.OBSOLETE]
    for document, first in repeats(current, lambda d: d.role):
        yield Finding(
            "role.duplicate-responsibility", Severity.ERROR, document.path,
            document.line_of("role"), f"岗位“{document.role}”已由 {first.label} 描述",
            "一个岗位只保留一份岗位职责：合并两份文件，或把其中一份作废", document.number)


CHECKS = (
    unknown_documents,
    effective_cites_effective,
    records_are_templates,
    templates_are_produced,
    roles_have_responsibilities,
    one_responsibility_per_role,
)
