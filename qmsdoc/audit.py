"""The approval trail for an auditor: every 编制, 审核 and 批准 in date order, and every
change to the governed files (people register, settings, mkdocs.yml, hooks/) with
its approvals, each with the judgement the gate made of it.

Nothing is judged again here: documents' evidence comes from the gate's
:class:`~qmsdoc.approvals.Approvals`, governed files' from
:func:`~qmsdoc.governance.govern`.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from .approvals import Judged
from .gate import GateResult
from .governance import GovernedChange
from .history import Commit
from .model import Right
from .people import Person
from .publication import DocumentStatus
from .signatures import BAD, Signature

NOT_REQUIRED = "未要求"
PERIODIC = "定期评审"


@dataclass(frozen=True)
class AuditEvent:
    """One line of the trail."""

    date: datetime.date
    subject: str  # document number, or the governed file or folder
    title: str
    version: str  # "" for governed files
    meaning: str  # 编制, 审核, 批准; for governed files also 修改, 起点, 恢复为已批准的版本
    periodic_review: bool
    person: str
    email: str
    role: str
    commit: str
    fingerprint: str
    """The approved text's content fingerprint; for governed files the git blob ids."""
    signature: str  # 签名有效, 签名无效, 未签名, 密钥未登记, 未要求, or "" where none applies
    valid: bool | None  # None: nothing to judge (authoring, a change)
    rule: str
    reason: str
    sequence: int  # the commit's place in history, to order events of one day

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        del data["sequence"]
        return data


CSV_HEADER = ("日期", "文件编号或受控设置", "名称", "版本", "事项", "定期评审", "人员", "邮箱", "岗位",
              "提交", "内容指纹", "签名", "是否有效", "规则", "原因")


def audit_trail(gate: GateResult, start: datetime.date | None = None,
                end: datetime.date | None = None) -> list[AuditEvent]:
    """Every event from ``start`` to ``end`` (both included), in date order."""
    events = [*(e for s in gate.statuses.values() for e in _document_events(gate, s)),
              *(e for c in gate.governed_changes for e in _governed_events(c))]
    events = [e for e in events if (start is None or e.date >= start)
              and (end is None or e.date <= end)]
    order = {"起点": 0, "修改": 0, "编制": 0, "恢复为已批准的版本": 1, "审核": 2, "批准": 3}
    return sorted(events, key=lambda e: (e.date, e.sequence, e.subject, order.get(e.meaning, 4)))


def _document_events(gate: GateResult, status: DocumentStatus) -> Iterator[AuditEvent]:
    document = status.working
    approvals = status.approvals
    periodic = {id(judged) for _, judged in status.periodic_reviews}
    for judged in approvals.judged:
        evidence = judged.evidence
        rule, reason = _why_not(judged)
        version = str(evidence.snapshot.version) + ("（作废）" if evidence.snapshot.withdrawn else "")
        yield AuditEvent(
            judged.on, document.number, document.title, version,
            evidence.meaning.label, id(judged) in periodic, judged.display_name, evidence.email,
            judged.role or "", evidence.commit.sha, evidence.snapshot.fingerprint,
            _document_signature(gate, judged), judged.valid, rule, reason,
            evidence.commit.sequence)
    after = -1
    for revision in approvals.revisions:  # 编制: the commits that wrote each approved text
        until = revision.approval.evidence.index
        for index, commit in approvals.authoring:
            if after < index <= until:
                yield _authoring(gate, status, commit, str(revision.snapshot.version),
                                 revision.snapshot.fingerprint)
        after = until


def _authoring(gate: GateResult, status: DocumentStatus, commit: Commit, version: str,
               fingerprint: str) -> AuditEvent:
    on = gate.judge.dates.judged(commit).date()
    person = gate.register.by_email(commit.author_email)
    held = person.roles_on(on) if person else []
    writers = gate.authorities.roles_with(Right.WRITE, status.working.type)
    role = next((r for r in held if r in writers), "、".join(held))
    return AuditEvent(on, status.working.number, status.working.title, version,
                      Right.WRITE.label, False, person.name if person else commit.author_name,
                      commit.author_email, role, commit.sha, fingerprint, "", None, "", "",
                      commit.sequence)


def _why_not(judged: Judged) -> tuple[str, str]:
    """The rules an approval breaks and why, in Chinese (empty when it counts)."""
    return (" ".join(rule for rule, _, _ in judged.problems),
            "；".join(message for _, message, _ in judged.problems))


def _document_signature(gate: GateResult, judged: Judged) -> str:
    signatures = gate.judge.signatures
    if signatures is None:
        return NOT_REQUIRED
    return signature_state(signatures.get(judged.evidence.commit.sha), judged.person)


def signature_state(signature: Signature | None, person: Person | None) -> str:
    """What a required signature proves, in a word or two."""
    if signature is None or not signature.is_signed:
        return "未签名"
    if signature.status in BAD:
        return "签名无效"
    if person is None or not signature.belongs_to(person):
        return "密钥未登记"
    return "签名有效"


def _governed_events(change: GovernedChange) -> Iterator[AuditEvent]:
    commit = change.commit
    contents = " ".join(f"{path}@{blob[:12] if blob else '已删除'}"
                        for path, blob in change.contents)
    if not commit.is_merge or change.kind != "修改":
        yield AuditEvent(change.on, change.path, change.what, "", change.kind, False,
                         commit.author_name, commit.author_email, "", commit.sha, contents, "",
                         None, "", "", commit.sequence)
    for approval in change.approvals:
        signature = (signature_state(approval.signature, approval.person)
                     if approval.signature_required else NOT_REQUIRED)
        yield AuditEvent(
            approval.on, change.path, change.what, "", Right.APPROVE.label, False,
            approval.person.name if approval.person else approval.name, approval.email,
            approval.role or "", commit.sha, contents, signature, not approval.problems,
            "governance.invalid-approval" if approval.problems else "",
            "；".join(message for message, _ in approval.problems), commit.sequence)


def _validity(event: AuditEvent) -> str:
    return "—" if event.valid is None else ("有效" if event.valid else "无效")


def _meaning(event: AuditEvent) -> str:
    return f"{event.meaning}（{PERIODIC}）" if event.periodic_review else event.meaning


def audit_csv(events: list[AuditEvent]) -> bytes:
    """UTF-8 with a byte order mark and CRLF line ends: Excel and WPS open it as Chinese text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for e in events:
        writer.writerow([e.date.isoformat(), e.subject, e.title, e.version, e.meaning,
                         "是" if e.periodic_review else "", e.person, e.email, e.role, e.commit,
                         e.fingerprint, e.signature, _validity(e), e.rule, e.reason])
    return out.getvalue().encode("utf-8-sig")


def audit_text(events: list[AuditEvent]) -> str:
    """A table for a terminal; an invalid approval's reason on the line below it."""
    header = ("日期", "文件", "版本", "事项", "人员（岗位）", "提交", "内容指纹", "签名", "有效")
    rows = [(e.date.isoformat(), e.subject, e.version or "—", _meaning(e),
             f"{e.person}（{e.role}）" if e.role else e.person, e.commit[:8],
             _short(e.fingerprint.removeprefix("sha256:"), 12 if e.version else 36),
             e.signature or "—", _validity(e))
            for e in events]
    widths = [max(map(_width, column)) for column in zip(header, *rows, strict=True)]
    lines = [_line(header, widths)]
    for event, row in zip(events, rows, strict=True):
        lines.append(_line(row, widths))
        if event.reason:
            lines.append(f"    无效原因：{event.reason} [{event.rule}]")
    invalid = sum(1 for e in events if e.valid is False)
    lines.append(f"共 {len(events)} 条记录，其中无效的审批 {invalid} 条。")
    return "\n".join(lines)


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def _width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    if text.isascii():  # dates, numbers, commits, fingerprints: the most cells, quickly
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()
