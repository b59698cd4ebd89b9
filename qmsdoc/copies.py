"""The register of controlled copies (受控文件发放回收登记), kept in git.

Each paper or PDF copy stamped 受控本 gets a copy number (发放号) and an entry:
document, version, holder, when and by whom it was issued, and once it comes
back, when, by whom, and whether it was destroyed (收回销毁) or kept marked
(作废留存). ``qmsdoc issue`` and ``qmsdoc recall`` write the entries; the gate
reads the register, and the recall list follows from it and the revisions in
force: a copy of a version no longer in force is due for recall from the day
the next revision (or the withdrawal) took effect.

发放号: ``QP-04-A1-003`` — the document, its version without the slash, and a
running number per version. A holder (or an auditor at the counter) sees on
the paper itself which document and which version the copy is, so an old copy
is recognised without the register; the number is unique across documents
and safe in a file name.
"""

from __future__ import annotations

import datetime
import difflib
import enum
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .findings import Finding, Severity
from .frontmatter import FrontMatterError, load_yaml
from .model import Version, repeats
from .publication import DocumentStatus
from .validation import Schema

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from .config import Settings

COPY_NUMBER_RE = re.compile(r"^([A-Z]{2}-[0-9]{2}(?:-[0-9]{2})?)-([A-Z])([0-9]+)-([0-9]{3,})$")
HEADER = ("# 受控文件发放回收登记：由 qmsdoc issue 和 qmsdoc recall 写入并提交，请勿手工修改。\n"
          "# 每个条目的提交人须在当天担任有发放权限的岗位（岗位职责 authority: issue）。\n")


class Outcome(enum.Enum):
    """What became of a recalled copy."""

    DESTROYED = ("destroyed", "收回销毁")
    KEPT = ("kept", "作废留存")

    def __init__(self, key: str, label: str) -> None:
        self.key = key
        self.label = label

    @classmethod
    def from_key(cls, key: str) -> Outcome:
        return next(o for o in cls if o.key == key)


_DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"}
_TEXT = {"type": "string", "minLength": 1}
# Field -> (schema, Chinese name, how to write it).
FIELDS: dict[str, tuple[dict[str, Any], str, str]] = {
    "number": ({"type": "string", "pattern": COPY_NUMBER_RE.pattern}, "发放号",
               "文件编号-版本（去掉斜杠）-三位流水号，例如 QP-04-A1-003"),
    "document": ({"type": "string", "pattern": r"^[A-Z]{2}-[0-9]{2}(-[0-9]{2})?$"}, "文件编号",
                 "例如 QP-04"),
    "version": ({"type": "string", "pattern": r"^[A-Z]/[0-9]+$"}, "版本", "例如 A/1"),
    "holder": (_TEXT, "持有人", "人员或部门，例如 政务服务中心窗口"),
    "issued_on": (_DATE, "发放日期", "年-月-日，例如 2026-12-01"),
    "issued_by": (_TEXT, "发放人", "发放人姓名"),
    "recalled_on": (_DATE, "收回日期", "年-月-日，例如 2027-01-02"),
    "recalled_by": (_TEXT, "收回人", "收回人姓名"),
    "outcome": ({"enum": [o.key for o in Outcome]}, "处置",
                "destroyed（收回销毁）或 kept（作废留存）"),
}
_REQUIRED = ["number", "document", "version", "holder", "issued_on", "issued_by"]
_RECALL = ["recalled_on", "recalled_by", "outcome"]
_SCHEMA = Schema("copies", {
    "type": "object", "additionalProperties": False, "required": ["copies"],
    "properties": {"copies": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": _REQUIRED,
        "properties": {name: schema for name, (schema, _, _) in FIELDS.items()},
        "dependencies": {name: [n for n in _RECALL if n != name] for name in _RECALL},
    }}},
})


@dataclass(frozen=True)
class Copy:
    """One controlled copy as the register records it."""

    number: str
    document: str
    version: Version
    holder: str
    issued_on: datetime.date
    issued_by: str
    recalled_on: datetime.date | None = None
    recalled_by: str | None = None
    outcome: Outcome | None = None
    line: int = 0
    field_lines: Mapping[str, int] = field(default_factory=dict)

    def recalled_by_day(self, day: datetime.date) -> bool:
        return self.recalled_on is not None and self.recalled_on <= day

    def in_circulation(self, day: datetime.date) -> bool:
        return self.issued_on <= day and not self.recalled_by_day(day)


@dataclass(frozen=True)
class CopyRegister:
    path: str
    copies: tuple[Copy, ...] = ()

    def get(self, number: str) -> Copy | None:
        return next((c for c in self.copies if c.number == number), None)

    def next_numbers(self, document: str, version: Version, count: int) -> list[str]:
        """The next ``count`` free copy numbers of a document's version."""
        prefix = f"{document}-{version.edition}{version.amendment}-"
        used = [int(c.number[len(prefix):]) for c in self.copies
                if c.number.startswith(prefix) and c.number[len(prefix):].isdigit()]
        start = max(used, default=0) + 1
        return [f"{prefix}{n:03d}" for n in range(start, start + count)]


def load_copies(settings: Settings) -> tuple[CopyRegister, list[Finding], str | None]:
    """The register from the working file, its problems, and its text (``None``: no file)."""
    path = settings.copies_file
    file = settings.root / path
    if not file.is_file():
        return CopyRegister(path), [], None
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return CopyRegister(path), [_invalid(path, None, "发放回收登记不是 UTF-8 编码",
                                             "用编辑器把文件另存为 UTF-8 编码")], None
    register, findings = parse_copies(text, path)
    return register, findings, text


def parse_copies(text: str, path: str) -> tuple[CopyRegister, list[Finding]]:
    """The register from its text; with any problem the register is empty."""
    try:
        parsed = load_yaml(text)
    except FrontMatterError as error:
        return CopyRegister(path), [_invalid(path, error.line, "发放回收登记" + error.message,
                                             "改正该行的写法")]
    if parsed.data is None:
        return CopyRegister(path), []
    findings = [_invalid(path, line, f"字段 {key} 写了两次，后一个会悄悄覆盖前一个", "删除多余的一行")
                for key, line in parsed.duplicates]
    for problem in _SCHEMA.errors(parsed.data):
        where, message, hint = _explain(problem)
        findings.append(_invalid(path, parsed.line_at(where), message, hint))
    if findings:
        return CopyRegister(path), findings
    copies = []
    for index, item in enumerate(parsed.data["copies"]):
        lines = {name: parsed.line_at(["copies", index, name]) for name in item}
        copy = Copy(
            number=item["number"], document=item["document"],
            version=Version.parse(item["version"]), holder=item["holder"],
            issued_on=datetime.date.fromisoformat(item["issued_on"]), issued_by=item["issued_by"],
            recalled_on=(datetime.date.fromisoformat(item["recalled_on"])
                         if "recalled_on" in item else None),
            recalled_by=item.get("recalled_by"),
            outcome=Outcome.from_key(item["outcome"]) if "outcome" in item else None,
            line=parsed.line_at(["copies", index]), field_lines=lines)
        findings += _inconsistent(copy, path)
        copies.append(copy)
    return CopyRegister(path, tuple(copies)), findings


def _invalid(path: str, line: int | None, message: str, hint: str) -> Finding:
    return Finding("copies.invalid", Severity.ERROR, path, line, message, hint)


def _explain(error: ValidationError) -> tuple[list[Any], str, str]:
    """A schema problem in the register: (where, message, hint)."""
    where: list[Any] = list(error.absolute_path)
    message, hint = _describe(error, where)
    if error.validator == "additionalProperties":
        where.append(next(str(n) for n in error.instance if n not in _allowed(where)))
    return where, message, hint


def _allowed(where: list[Any]) -> Mapping[str, object]:
    return FIELDS if len(where) > 1 else {"copies": None}


def _describe(error: ValidationError, where: list[Any]) -> tuple[str, str]:
    entry = f"第 {where[1] + 1} 个条目" if len(where) > 1 else "登记"
    name = str(where[2]) if len(where) > 2 else None
    label = f"{entry}的 {name}（{FIELDS[name][1]}）" if name in FIELDS else entry
    kind = error.validator
    if kind == "required":
        missing = next(n for n in error.validator_value if n not in error.instance)
        if missing == "copies":
            return "发放回收登记缺少顶层字段 copies", "文件写作 copies: 后接条目列表"
        return (f"{entry}缺少 {missing}（{FIELDS[missing][1]}）",
                f"添加一行 {missing}: …，值为：{FIELDS[missing][2]}")
    if kind == "dependencies":
        missing = [n for n in error.validator_value if n not in error.instance]
        return (f"{entry}写了收回信息，但缺少 {'、'.join(missing)}",
                "收回时 recalled_on、recalled_by、outcome 三项都要写（用 qmsdoc recall --done 登记）")
    if kind == "additionalProperties":
        allowed = list(_allowed(where))
        unknown = next(str(n) for n in error.instance if n not in allowed)
        close = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.6)
        guess = f"是不是要写 {close[0]}？" if close else ""
        return f"{entry}有不认识的字段 {unknown}。{guess}", f"允许的字段：{'、'.join(allowed)}"
    if kind == "type" and name is None:
        return f"{entry}的写法不对：应为{'条目列表' if len(where) == 1 else '一组字段'}", (
            "每个条目写作以“- ”开头、下一行缩进的“字段: 值”")
    if name in FIELDS:
        return f"{label}的值 {error.instance!r} 不对", f"应为：{FIELDS[name][2]}"
    return f"{label}有误", "按 README 的“受控本的发放和收回”一节改正"


def _inconsistent(copy: Copy, path: str) -> Iterator[Finding]:
    match = COPY_NUMBER_RE.match(copy.number)
    assert match is not None
    document, edition, amendment = match.group(1), match.group(2), int(match.group(3))
    if (document, Version(edition, amendment)) != (copy.document, copy.version):
        yield _invalid(path, copy.field_lines["number"],
                       f"发放号 {copy.number} 与登记的文件 {copy.document} {copy.version} 不符",
                       "发放号由 qmsdoc issue 分配，不要手工修改")
    if copy.recalled_on is not None and copy.recalled_on < copy.issued_on:
        yield _invalid(path, copy.field_lines["recalled_on"],
                       f"发放号 {copy.number} 的收回日期 {copy.recalled_on} 早于发放日期 {copy.issued_on}",
                       "核对日期")


# --- the recall list --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecallDue:
    """A copy of a version no longer in force, not yet recalled."""

    copy: Copy
    since: datetime.date
    now: str  # what is in force instead: "A/2", or "已作废"

    def days_due(self, day: datetime.date) -> int:
        return (day - self.since).days


def superseded_on(copy: Copy, status: DocumentStatus) -> tuple[datetime.date, str] | None:
    """When the copy's version stopped being in force by the status's day, and what replaced it."""
    approved = status.approved
    index = next((i for i in reversed(range(len(approved)))
                  if approved[i].snapshot.version == copy.version
                  and not approved[i].snapshot.withdrawn), None)
    if index is None:
        return None
    later = [r for r in approved[index + 1:] if r.effective_from <= status.day
             and r.snapshot.fingerprint != approved[index].snapshot.fingerprint]
    if not later:
        return None
    current = status.published
    now = ("已作废" if current is None or current.snapshot.withdrawn
           else str(current.snapshot.version))
    return min(r.effective_from for r in later), now


def recall_list(register: CopyRegister, statuses: Mapping[str, DocumentStatus],
                day: datetime.date) -> list[RecallDue]:
    """Every copy in circulation on ``day`` whose version is no longer in force, oldest due first."""
    due = []
    for copy in register.copies:
        status = statuses.get(copy.document)
        if status is None or not copy.in_circulation(day):
            continue
        replaced = superseded_on(copy, status)
        if replaced is not None:
            due.append(RecallDue(copy, *replaced))
    return sorted(due, key=lambda d: (d.since, d.copy.number))


# --- checks -----------------------------------------------------------------------------------


def register_findings(register: CopyRegister, statuses: Mapping[str, DocumentStatus],
                      day: datetime.date, recall_within: int) -> Iterator[Finding]:
    """Duplicate copy numbers, unknown documents or versions, overdue recalls."""
    path = register.path
    for copy, first in repeats(register.copies, lambda c: c.number):
        yield Finding("copies.duplicate-number", Severity.ERROR, path, copy.line,
                      f"发放号 {copy.number} 登记了两次（第一次在第 {first.line} 行）",
                      "一个发放号只能对应一份受控本：删除重复的条目，重新用 qmsdoc issue 发放")
    for copy in register.copies:
        status = statuses.get(copy.document)
        if status is None:
            yield Finding("copies.unknown-document", Severity.ERROR, path,
                          copy.field_lines.get("document", copy.line),
                          f"发放号 {copy.number} 登记的文件 {copy.document} 不存在",
                          "核对文件编号；受控本只能由 qmsdoc issue 登记")
        elif copy.version not in {r.snapshot.version for r in status.approvals.revisions}:
            yield Finding("copies.unknown-document", Severity.ERROR, path,
                          copy.field_lines.get("version", copy.line),
                          f"发放号 {copy.number} 登记的 {status.working.label} {copy.version} 版"
                          "从未批准过", "核对版本；只能发放现行有效的版本", copy.document)
    for due in recall_list(register, statuses, day):
        if due.days_due(day) > recall_within:
            copy = due.copy
            yield Finding("copies.recall-overdue", Severity.WARNING, path, copy.line,
                          f"发放号 {copy.number}（{copy.document} {copy.version}，持有人 {copy.holder}）"
                          f"自 {due.since} 起已不是现行版本，{due.days_due(day)} 天仍未收回"
                          f"（应在 {recall_within} 天内收回）",
                          f"收回后运行 qmsdoc recall --done {copy.number}（作废留存时加 --kept）",
                          copy.document)


# --- writing ----------------------------------------------------------------------------------


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as the same text."""
    plain = re.fullmatch(r"[\w\u4e00-\u9fff][\w\u4e00-\u9fff./\-（）()·]*", value) and not (
        re.fullmatch(r"[0-9._\-]+|true|false|null|yes|no|on|off|y|n|~", value, re.IGNORECASE))
    return value if plain else json.dumps(value, ensure_ascii=False)


def with_issued(text: str | None, register: CopyRegister, copies: Iterable[Copy]) -> str:
    """The register's text with the entries of new copies appended."""
    if text is None or not register.copies:
        text, indent = HEADER + "copies:\n", "  "
    else:
        first = text.split("\n")[register.copies[0].line - 1]
        indent = first[:len(first) - len(first.lstrip())]
        text = text if text.endswith("\n") else text + "\n"
    for copy in copies:
        values = {"number": copy.number, "document": copy.document, "version": str(copy.version),
                  "holder": copy.holder, "issued_on": copy.issued_on.isoformat(),
                  "issued_by": copy.issued_by}
        lines = [f"{name}: {value if name == 'issued_on' else _scalar(value)}"
                 for name, value in values.items()]
        text += f"{indent}- {lines[0]}\n" + "".join(f"{indent}  {line}\n" for line in lines[1:])
    return text


def with_recalled(text: str, register: CopyRegister, copy: Copy, on: datetime.date, by: str,
                  outcome: Outcome) -> str:
    """The register's text with the copy's entry completed by its recall."""
    lines = text.split("\n")
    following = [c.line for c in register.copies if c.line > copy.line]
    end = (min(following) - 1) if following else len(lines)
    while end > copy.line and not lines[end - 1].strip():
        end -= 1
    entry = lines[copy.line - 1]
    indent = " " * (len(entry) - len(entry.lstrip()) + 2)
    lines[end:end] = [f"{indent}recalled_on: {on.isoformat()}", f"{indent}recalled_by: {_scalar(by)}",
                      f"{indent}outcome: {outcome.key}"]
    return "\n".join(lines)
