"""Read controlled documents from files (or git blobs) into the model.

Loading never raises for bad content: every problem becomes a finding, and a
document whose metadata is broken is left out of the manual (its number is
remembered, so references to it are not reported a second time).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import Any

from .config import Settings
from .derived_cache import DerivedCache
from .findings import Finding, Severity
from .frontmatter import (
    MAX_BYTES,
    FrontMatter,
    FrontMatterError,
    normalise,
    parse,
    read_limited,
    too_large,
)
from .macros import MACRO_RE, TEMPLATE_RE
from .model import (
    ApprovalRecord,
    Citation,
    DocType,
    Document,
    Exclusion,
    Manual,
    Right,
    State,
    Version,
    repeats,
)
from .schema import NUMBER_RE, is_valid, validate_document
from .textual import drop_approvals, fingerprint, plain_fields

_HINTS = {
    "frontmatter.invalid-yaml": "改正该行的写法；可对照同类文件的元数据",
    "frontmatter.too-deep": "元数据只需几层缩进：删去多余的嵌套，可对照同类文件的元数据",
    "frontmatter.too-many-aliases": "元数据中不需要别名（*名称）：把值直接写出来",
    "file.too-large": "受控文件只放文字：把图片、附件等大文件移出文件目录，或把文件拆成几份",
}


@dataclass(frozen=True)
class LoadResult:
    manual: Manual
    findings: tuple[Finding, ...]
    unreadable_numbers: frozenset[str]


@dataclass(frozen=True)
class Parsed:
    """One file's outcome: the document (``None`` when unusable) and its findings."""

    document: Document | None
    findings: list[Finding]
    claimed_number: str | None = None


def parse_document(path: str, text: str) -> Parsed:
    """One controlled document from its text."""
    text = normalise(text)
    try:
        front = parse(text)
    except FrontMatterError as error:
        return _unreadable(path, error, text)
    if front is None:
        return Parsed(None, [Finding("frontmatter.missing", Severity.ERROR, path, 1,
                                     "受控文件没有元数据（文件开头的 --- 块）",
                                     "在文件开头加上 ---、qms: 元数据和 ---，"
                                     "可复制同类文件的开头修改")])
    findings = validate_document(front, path)
    findings += template_findings(path, front.body, front.body_line)
    if any(f.is_error and f.rule.startswith("schema.") for f in findings):
        meta = front.data.get("qms") if isinstance(front.data, dict) else None
        number = meta.get("number") if isinstance(meta, dict) else None
        return Parsed(None, findings, _well_formed(number))
    document = _build(path, front, fingerprint(text))
    return Parsed(document, findings, document.number)


def _unreadable(path: str, error: FrontMatterError, text: str) -> Parsed:
    """A document that cannot be read: its one finding, and the number it claims."""
    what = "受控文件" if error.rule == "file.too-large" else "元数据"
    return Parsed(None, [Finding(error.rule, Severity.ERROR, path, error.line,
                                 what + error.message, _HINTS.get(error.rule, ""))],
                  claimed_number(text))


def claimed_number(text: str) -> str | None:
    """The number an unreadable document claims, from a plain ``number:`` line under ``qms:``.

    Citations of that number are then not reported as unknown documents: the
    one finding is the document's own.
    """
    fields = plain_fields(normalise(text), ("number",))
    return _well_formed(fields["number"]) if fields else None


def _well_formed(number: object) -> str | None:
    """A number as claimed: ``QP-0５`` (refused by the schema) still claims QP-05."""
    if not isinstance(number, str):
        return None
    ascii_digits = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in number)
    return ascii_digits if NUMBER_RE.match(ascii_digits) else None


def read_revision(path: str, text: str) -> Document | None:
    """A document as it was in a past commit, or ``None`` when that text is unusable.

    History is read for its content, not for advice: no findings, the schema is
    checked only as far as needed to build the document, and the approval
    records are skipped (git, not the front matter, says who approved).
    """
    text = normalise(text)
    try:
        front = parse(drop_approvals(text))
    except FrontMatterError:
        return None
    if front is None or not is_valid(front.data):
        return None
    return _build(path, front, fingerprint(text), with_citations=False)


def template_findings(path: str, body: str, first_line: int) -> list[Finding]:
    """Template syntax other than doc()/clause(): the site would run it as code."""
    findings = []
    for offset, line in enumerate(body.split("\n")):
        if TEMPLATE_RE.search(MACRO_RE.sub("", line)):
            findings.append(Finding(
                "template.forbidden", Severity.ERROR, path, first_line + offset,
                "正文中出现了 {{、{% 或 {# 模板语法；只允许 {{ doc(\"编号\") }} 和 {{ clause(\"条款\") }}",
                "引用文件写 {{ doc(\"QP-05\") }}，引用条款写 {{ clause(\"9.2\") }}；"
                "其他花括号写法请删除或改写"))
    return findings


def citations(body: str, first_line: int) -> tuple[Citation, ...]:
    return tuple(
        Citation(intern(match.group(1)), intern(match.group(3).strip()), first_line + offset)
        for offset, line in enumerate(body.split("\n"))
        for match in MACRO_RE.finditer(line)
    )


def _build(path: str, front: FrontMatter, text_fingerprint: str,
           with_citations: bool = True) -> Document:
    meta: dict[str, Any] = front.data["qms"]
    lines = front.key_lines("qms")
    lines["qms"] = front.line_at(["qms"])
    doc_type = DocType.from_key(meta["type"])
    return Document(
        path=path,
        number=meta["number"],
        title=meta["title"],
        type=doc_type,
        version=Version.parse(meta["version"]),
        state=State.from_key(meta["state"]),
        department=meta["department"],
        effective_date=datetime.date.fromisoformat(meta["effective_date"]),
        review_interval=int(meta["review_interval"]),
        fingerprint=text_fingerprint,
        body=front.body,
        body_line=front.body_line,
        clauses=tuple(meta.get("clauses", ())),
        related=tuple(meta.get("related", ())),
        records=tuple(meta.get("records", ())),
        roles=tuple(meta.get("roles", ())),
        change_summary=meta["change_summary"],
        approvals=tuple(
            ApprovalRecord(
                meaning=Right.from_key(item["meaning"]),
                name=item["name"],
                email=item["email"],
                role=item["role"],
                date=datetime.date.fromisoformat(item["date"]),
                fingerprint=item["fingerprint"],
                line=front.line_at(["qms", "approvals", index]),
            )
            for index, item in enumerate(meta.get("approvals", ()))
        ),
        role=meta.get("role"),
        authority={Right.from_key(k): tuple(DocType.from_key(t) for t in v)
                   for k, v in meta.get("authority", {}).items()},
        retention=meta.get("retention"),
        keeper=meta.get("keeper"),
        exclusions=tuple(
            Exclusion(item["clause"], item["justification"],
                      front.line_at(["qms", "exclusions", index]))
            for index, item in enumerate(meta.get("exclusions", ()))
        ),
        issuer=meta.get("issuer"),
        reference=meta.get("reference"),
        replaced_by=meta.get("replaced_by"),
        citations=citations(front.body, front.body_line) if with_citations else (),
        field_lines=lines,
    )


def document_paths(settings: Settings) -> Iterator[str]:
    """Every Markdown file in the document folders, as POSIX paths in path order (links to
    folders not followed). Plain strings: pathlib costs a tenth of a second per 10,000."""
    root = str(settings.root)
    for folder in settings.document_folders:
        found = []
        for directory, folders, names in os.walk(os.path.join(root, folder)):
            here = os.path.relpath(directory, root).replace(os.sep, "/") + "/"
            found += [(here + name).removeprefix("./") for name in (*names, *folders)
                      if name.endswith(".md")]
        yield from sorted(found, key=lambda path: path.split("/"))


def read_text(root: Path, path: str) -> tuple[str | None, list[Finding]]:
    try:
        return (root / path).read_bytes().decode("utf-8"), []
    except UnicodeDecodeError:
        return None, [not_utf8(path)]


def not_utf8(path: str) -> Finding:
    return Finding("file.not-utf8", Severity.ERROR, path, None,
                   "文件不是 UTF-8 编码", "用编辑器把文件另存为 UTF-8 编码")


def read_document(root: Path, path: str, cache: DerivedCache | None = None) -> Parsed:
    """One controlled document from its file; a file over the size limit is not read.

    With a cache, a file whose path and bytes were parsed before is not parsed again.
    """
    data, size = read_limited(os.path.join(root, path))  # not pathlib: 10,000 files a check
    if size > MAX_BYTES:  # only its beginning was read, to find its number
        return _unreadable(path, too_large(size), data.decode("utf-8", errors="ignore"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Parsed(None, [not_utf8(path)], claimed_number(data.decode("utf-8", errors="replace")))
    if cache is None:
        return parse_document(path, text)
    digest = hashlib.sha256(data).hexdigest()
    known = cache.parsed(path, digest)
    if known is not None:
        return Parsed(*known)
    parsed = parse_document(path, text)
    cache.keep_parsed(path, digest, parsed.document, parsed.findings, parsed.claimed_number)
    return parsed


def load_manual(settings: Settings, cache: DerivedCache | None = None) -> LoadResult:
    """Load every controlled document of the working tree (see :func:`read_document`)."""
    documents: list[Document] = []
    findings: list[Finding] = []
    unreadable: set[str] = set()
    for folder in settings.document_folders:
        if not (settings.root / folder).is_dir():
            findings.append(Finding("config.missing-folder", Severity.ERROR, "qmsdoc.yml", None,
                                    f"document_folders 中的目录 {folder} 不存在",
                                    "创建该目录，或从 qmsdoc.yml 的 document_folders 中删除"))
    for path in document_paths(settings):
        parsed = read_document(settings.root, path, cache)
        findings += parsed.findings
        if parsed.document is not None:
            documents.append(parsed.document)
        elif parsed.claimed_number:
            unreadable.add(parsed.claimed_number)
    findings += duplicate_numbers(documents)
    return LoadResult(Manual(documents), tuple(findings), frozenset(unreadable))


def duplicate_numbers(documents: list[Document]) -> Iterator[Finding]:
    ordered = sorted(documents, key=lambda d: d.path)
    for document, first in repeats(ordered, lambda d: d.number):
        yield Finding("document.duplicate-number", Severity.ERROR, document.path,
                      document.line_of("number"),
                      f"文件编号 {document.number} 已被 {first.path} 使用",
                      "每个文件编号只能用于一个文件：给其中一个换一个未用过的编号",
                      document.number)
