"""The metadata schema, and its errors in words a document controller reads.

The JSON Schema below is the single statement of what a front matter may
hold. ``title`` names each field in Chinese; ``x-hint`` says how to write a
value that has a format.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .findings import Finding, Severity
from .frontmatter import FrontMatter
from .model import DocType, Right, State
from .validation import Schema

if TYPE_CHECKING:
    from jsonschema import ValidationError

# Digits are written [0-9]: Python's \d (and int()) also take full-width and Arabic-Indic digits,
# so "QP-0５" would pass as a number distinct from "QP-05".
NUMBER_RE = re.compile(r"^[A-Z]{2}-[0-9]{2}(-[0-9]{2})?$")
NUMBER = {"type": "string", "pattern": NUMBER_RE.pattern,
          "x-hint": "文件编号写作 类型代号-序号，例如 QM-01、QP-05、JR-03、QR-05-01"}
DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date",
        "x-hint": "日期写作 年-月-日，例如 2025-03-01"}
TEXT = {"type": "string", "minLength": 1}
# A clause number, after the standard's national number when the manual declares several.
CLAUSE_PATTERN = r"^([0-9]+:)?[0-9]+(\.[0-9]+)*$"
CLAUSE_HINT = ("条款号写作带引号的文字；声明了多个标准时，前面加标准号和冒号")


def _list(items: dict[str, Any], title: str) -> dict[str, Any]:
    return {"title": title, "type": "array", "items": items, "uniqueItems": True}


TYPE_KEYS = [t.key for t in DocType]

DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["number", "title", "type", "version", "state", "department",
                 "effective_date", "review_interval", "change_summary"],
    "additionalProperties": False,
    "properties": {
        "number": {**NUMBER, "title": "文件编号"},
        "title": {**TEXT, "title": "文件名称"},
        "type": {"title": "文件类型", "enum": TYPE_KEYS},
        "version": {"title": "版本", "type": "string", "pattern": r"^[A-Z]/[0-9]+$",
                    "x-hint": "版本写作 版次字母/修改次数，例如 A/0、B/2"},
        "state": {"title": "状态", "enum": [s.key for s in State]},
        "department": {**TEXT, "title": "归口部门"},
        "effective_date": {**DATE, "title": "生效日期"},
        "review_interval": {"title": "评审周期（月）", "type": "string",
                            "pattern": r"^([1-9]|[1-5][0-9]|60)$",
                            "x-hint": "填写 1 到 60 之间的月数，例如 12"},
        "clauses": _list({"type": "string", "pattern": CLAUSE_PATTERN,
                          "x-hint": CLAUSE_HINT + "，例如 \"7.5.3\" 或 \"24001:6.1.2\""},
                         "涉及条款"),
        "related": _list(NUMBER, "相关文件"),
        "records": _list(NUMBER, "产生的记录"),
        "roles": _list(TEXT, "涉及岗位"),
        "change_summary": {**TEXT, "title": "修订说明"},
        "approvals": {
            "title": "审批记录", "type": "array",
            "items": {
                "type": "object",
                "required": ["meaning", "name", "email", "role", "date", "fingerprint"],
                "additionalProperties": False,
                "properties": {
                    "meaning": {"title": "审批类型", "enum": [Right.REVIEW.key, Right.APPROVE.key]},
                    "name": {**TEXT, "title": "姓名"},
                    "email": {**TEXT, "title": "邮箱"},
                    "role": {**TEXT, "title": "岗位"},
                    "date": {**DATE, "title": "日期"},
                    "fingerprint": {"title": "内容指纹", "type": "string",
                                    "pattern": r"^sha256:[0-9a-f]{64}$",
                                    "x-hint": "指纹由 qmsdoc approve 写入，请勿手工修改"},
                },
            },
        },
        "role": {**TEXT, "title": "岗位名称"},
        "authority": {
            "title": "文件权限", "type": "object", "additionalProperties": False,
            "properties": {r.key: _list({"enum": TYPE_KEYS}, f"{r.label}权限") for r in Right},
        },
        "retention": {"title": "保管期限", "type": "string", "pattern": r"^([1-9][0-9]*年|永久)$",
                      "x-hint": "保管期限写作 10年、30年 或 永久"},
        "keeper": {**TEXT, "title": "保管部门"},
        "exclusions": {
            "title": "删减条款", "type": "array",
            "items": {
                "type": "object", "required": ["clause", "justification"],
                "additionalProperties": False,
                "properties": {
                    "clause": {"title": "条款", "type": "string", "pattern": CLAUSE_PATTERN,
                               "x-hint": CLAUSE_HINT + "，例如 \"8.3\" 或 \"19001:8.3\""},
                    "justification": {"title": "删减理由", "type": "string", "minLength": 10},
                },
            },
        },
        "issuer": {**TEXT, "title": "发布机关"},
        "reference": {**TEXT, "title": "文号"},
        "replaced_by": {**NUMBER, "title": "替代文件"},
    },
}

# Fields that belong to one type of document only, and the ones a type requires.
TYPE_ONLY_FIELDS: Mapping[str, DocType] = {
    "role": DocType.JOB_RESPONSIBILITY,
    "authority": DocType.JOB_RESPONSIBILITY,
    "retention": DocType.RECORD_TEMPLATE,
    "keeper": DocType.RECORD_TEMPLATE,
    "exclusions": DocType.QUALITY_MANUAL,
    "issuer": DocType.EXTERNAL_DOCUMENT,
    "reference": DocType.EXTERNAL_DOCUMENT,
}
TYPE_REQUIRED_FIELDS: Mapping[DocType, tuple[str, ...]] = {
    DocType.JOB_RESPONSIBILITY: ("role",),
    DocType.RECORD_TEMPLATE: ("retention", "keeper"),
    DocType.EXTERNAL_DOCUMENT: ("issuer",),
}

_LABELS = {
    **{t.key: t.label for t in DocType},
    **{s.key: s.label for s in State},
    **{r.key: r.label for r in Right},
}
_TYPE_NAMES = {"string": "文字", "array": "列表（[a, b]）", "object": "一组字段"}
_SCHEMA = Schema("document", DOCUMENT_SCHEMA)


def is_valid(data: Any) -> bool:
    """Whether parsed front matter matches the schema (a ``qms`` mapping only)."""
    return isinstance(data, dict) and set(data) == {"qms"} and _SCHEMA.is_valid(data["qms"])


def validate_document(front: FrontMatter, path: str) -> list[Finding]:
    """Every schema problem of one document's front matter, as findings."""
    data = front.data
    if not isinstance(data, dict) or "qms" not in data:
        return [Finding("schema.no-metadata", Severity.ERROR, path, 1,
                        "元数据中没有 qms: 字段组",
                        "把文件的全部元数据写在顶层字段 qms: 之下")]
    findings = [
        Finding("schema.unknown-field", Severity.ERROR, path, front.line_at([key]),
                f"未知的顶层字段 {key}",
                "qmsdoc 的元数据都写在 qms: 之下，其他顶层字段会被网站软件误用，请删除或移入 qms:")
        for key in data if key != "qms"
    ]
    findings += [
        Finding("schema.duplicate-field", Severity.ERROR, path, line,
                f"字段 {key} 写了两次，后一个会悄悄覆盖前一个", "删除多余的一行")
        for key, line in front.duplicates
    ]
    metadata = data["qms"]
    errors = _SCHEMA.errors(metadata)
    # A date that does not match the pattern fails the date format too: one cause, one finding.
    misshapen = {tuple(e.absolute_path) for e in errors if e.validator == "pattern"}
    for error in errors:
        if error.validator == "format" and tuple(error.absolute_path) in misshapen:
            continue
        for field, message, hint in _translate(error):
            findings.append(Finding(f"schema.{_rule_suffix(error)}", Severity.ERROR, path,
                                    front.line_at(["qms", *field]), message, hint))
    if isinstance(metadata, dict) and metadata.get("type") in TYPE_KEYS:
        findings += _type_fields(metadata, DocType.from_key(metadata["type"]), front, path)
    return findings


def _rule_suffix(error: ValidationError) -> str:
    return {
        "required": "missing-field",
        "additionalProperties": "unknown-field",
        "enum": "not-allowed",
        "pattern": "bad-format",
        "format": "bad-format",
        "type": "wrong-type",
    }.get(str(error.validator), "invalid")


def _field_name(path: list[Any]) -> str:
    name = "qms"
    for step in path:
        name += f"[{step + 1}]" if isinstance(step, int) else f".{step}"
    return name


def _title(error: ValidationError) -> str:
    title = error.schema.get("title") if isinstance(error.schema, dict) else None
    name = _field_name(list(error.absolute_path))
    return f"{name}（{title}）" if title else name


def _translate(error: ValidationError) -> Iterator[tuple[list[Any], str, str]]:
    """(field path, message, hint) for one schema error."""
    path = list(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "required":
        properties = error.schema.get("properties", {})
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                title = properties.get(name, {}).get("title", name)
                yield path, (f"缺少必填字段 {_field_name([*path, name])}（{title}）"), (
                    f"在 {_field_name(path)} 下添加一行 {name}: …")
    elif kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        for name in value:
            if name not in allowed:
                close = difflib.get_close_matches(str(name), allowed, n=2, cutoff=0.5)
                guess = f"是不是要写 {' 或 '.join(close)}？" if close else ""
                yield [*path, name], f"未知字段 {_field_name([*path, name])}。{guess}", (
                    f"允许的字段：{'、'.join(allowed)}")
    elif kind == "enum":
        choices = "、".join(f"{c}（{_LABELS[c]}）" if c in _LABELS else str(c)
                           for c in error.validator_value)
        yield path, f"{_title(error)} 的值 {value!r} 不在允许范围内", f"可选的值：{choices}"
    elif kind in ("pattern", "format"):
        hint = error.schema.get("x-hint", "")
        if error.validator_value == "date":
            hint = "写一个真实存在的日期，格式 年-月-日，例如 2025-03-01"
        if isinstance(value, str) and any(c.isdecimal() and not c.isascii() for c in value):
            hint = f"其中有全角或其他文字的数字，请改用半角数字 0–9。{hint}"
        yield path, f"{_title(error)} 的值 {value!r} 格式不对", hint
    elif kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = "或".join(_TYPE_NAMES.get(n, n) for n in names)
        yield path, f"{_title(error)} 应为{wanted}，现在是 {value!r}", (
            "列表写作 [a, b]，字段组写作下一行缩进的“字段名: 值”")
    elif kind in ("minLength", "minItems"):
        yield path, f"{_title(error)} 不能为空", "填写内容，或删除该字段"
    elif kind == "uniqueItems":
        yield path, f"{_title(error)} 中有重复项", "删除重复的一项"
    else:
        yield path, f"{_title(error)}：{error.message}", ""


def _type_fields(metadata: dict[str, Any], doc_type: DocType, front: FrontMatter,
                 path: str) -> Iterator[Finding]:
    for name, owner in TYPE_ONLY_FIELDS.items():
        if name in metadata and doc_type is not owner:
            yield Finding("schema.field-not-for-type", Severity.ERROR, path,
                          front.line_at(["qms", name]),
                          f"字段 qms.{name} 只用于{owner.label}，本文件是{doc_type.label}",
                          f"删除 qms.{name}，或把 type 改为 {owner.key}")
    for name in TYPE_REQUIRED_FIELDS.get(doc_type, ()):
        if name not in metadata:
            title = DOCUMENT_SCHEMA["properties"][name]["title"]
            yield Finding("schema.missing-field", Severity.ERROR, path, front.line_at(["qms"]),
                          f"{doc_type.label}缺少必填字段 qms.{name}（{title}）",
                          f"在 qms 下添加一行 {name}: …")
    number = metadata.get("number")
    if isinstance(number, str) and NUMBER_RE.match(number) and not doc_type.number_re.match(number):
        yield Finding("schema.number-type-mismatch", Severity.ERROR, path,
                      front.line_at(["qms", "number"]),
                      f"文件编号 {number} 与文件类型“{doc_type.label}”不符",
                      f"{doc_type.label}的编号形如 {doc_type.example}")
    if "replaced_by" in metadata and metadata.get("state") != State.OBSOLETE.key:
        yield Finding("schema.replaced-by-not-obsolete", Severity.ERROR, path,
                      front.line_at(["qms", "replaced_by"]),
                      "只有已作废（obsolete）的文件才能写 replaced_by（替代文件）",
                      "把 state 改为 obsolete，或删除 replaced_by")
