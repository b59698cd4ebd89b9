"""Redlines: what changed between two texts of a document, readable in Chinese.

Lines are matched first; within the lines that changed, the text is compared
token by token: each Chinese character is a token, a run of Latin letters or
digits is one. Short unchanged runs between two changes (a 的 or a comma) are
folded into the change, so that a rewritten phrase reads as one deletion and
one insertion rather than a comb of single characters.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .approvals import Revision
from .errors import QmsdocError
from .model import Document, Right, State
from .publication import DocumentStatus

EQUAL, DELETE, INSERT = "equal", "delete", "insert"
Segment = tuple[str, str]  # (EQUAL | DELETE | INSERT, text)

TOKEN_RE = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)
FOLDED_RUN = 2  # unchanged runs of at most this many characters between changes are folded
LARGEST_COMPARED = 20_000  # tokens per side: beyond this a changed block is shown replaced whole
CONTEXT_LINES = 1
SHORT_VALUE = 20  # metadata values up to this long are shown replaced whole

_ANSI = {DELETE: ("\x1b[31m[-", "-]\x1b[0m"), INSERT: ("\x1b[32m{+", "+}\x1b[0m")}
_PLAIN = {DELETE: ("[-", "-]"), INSERT: ("{+", "+}")}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def compare_texts(old: str, new: str) -> Redline:
    """The redline from ``old`` to ``new``."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if op == "equal":
            segments.append((EQUAL, before))
        else:
            segments += _compare_block(before, after)
    return Redline(tuple(_merged(segments)))


def _compare_block(old: str, new: str) -> list[Segment]:
    """Token-level changes within a block of changed lines."""
    old_tokens, new_tokens = TOKEN_RE.findall(old), TOKEN_RE.findall(new)
    if not old_tokens or not new_tokens or max(len(old_tokens), len(new_tokens)) > LARGEST_COMPARED:
        return [(DELETE, old), (INSERT, new)]
    chunks: list[list[str]] = []  # [equal] or [deleted, inserted]
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        if op == "equal":
            chunks.append([before])
        elif chunks and len(chunks[-1]) == 2:
            chunks[-1][0] += before
            chunks[-1][1] += after
        else:
            chunks.append([before, after])
    return list(_folded(chunks))


def _folded(chunks: list[list[str]]) -> Iterator[Segment]:
    """Fold short unchanged runs that sit between two changes into them."""
    merged: list[list[str]] = []
    for index, chunk in enumerate(chunks):
        between = 0 < index < len(chunks) - 1
        if (len(chunk) == 1 and between and len(chunk[0]) <= FOLDED_RUN
                and "\n" not in chunk[0] and merged and len(merged[-1]) == 2):
            merged[-1][0] += chunk[0]
            merged[-1][1] += chunk[0]
        elif len(chunk) == 2 and merged and len(merged[-1]) == 2:
            merged[-1][0] += chunk[0]
            merged[-1][1] += chunk[1]
        else:
            merged.append(list(chunk))
    for chunk in merged:
        if len(chunk) == 1:
            yield EQUAL, chunk[0]
        else:
            yield DELETE, chunk[0]
            yield INSERT, chunk[1]


def _merged(segments: list[Segment]) -> Iterator[Segment]:
    """Drop empty segments and join neighbours of the same kind."""
    last: Segment | None = None
    for op, text in segments:
        if not text:
            continue
        if last and last[0] == op:
            last = (op, last[1] + text)
            continue
        if last:
            yield last
        last = (op, text)
    if last:
        yield last


@dataclass(frozen=True)
class Line:
    """One line of the new text (or of the old, where it was deleted), with its changes."""

    number: int  # in the new text; for a line deleted whole, the line it stood before
    segments: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return any(op != EQUAL for op, _ in self.segments)


@dataclass(frozen=True)
class Redline:
    """The changes from one text to another, as a sequence of segments."""

    segments: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return any(op != EQUAL for op, _ in self.segments)

    def lines(self) -> list[Line]:
        """The redline cut into lines (a change spanning lines is cut too)."""
        lines: list[Line] = []
        current: list[Segment] = []
        number = 1
        for op, text in self.segments:
            pieces = text.split("\n")
            for position, piece in enumerate(pieces):
                if position:
                    current.append((op, "\n") if op != EQUAL else (EQUAL, ""))
                    lines.append(Line(number, tuple(_merged(current))))
                    current = []
                    if op != DELETE:
                        number += 1
                if piece:
                    current.append((op, piece))
        if current:
            lines.append(Line(number, tuple(_merged(current))))
        return lines

    def hunks(self, context: int = CONTEXT_LINES) -> list[list[Line]]:
        """The changed lines with ``context`` unchanged lines around them, in groups."""
        lines = self.lines()
        keep: set[int] = set()
        for index, line in enumerate(lines):
            if line.changed:
                keep.update(range(max(0, index - context), min(len(lines), index + context + 1)))
        hunks: list[list[Line]] = []
        previous = -2
        for index in sorted(keep):
            if index != previous + 1:
                hunks.append([])
            hunks[-1].append(lines[index])
            previous = index
        return hunks

    def html(self) -> str:
        """The whole text with deletions struck through and insertions underlined."""
        return f'<pre class="qms-redline">{_html_segments(self.segments)}</pre>'

    def markdown(self, first_line: int = 1) -> str:
        """The changed lines with context, for a merge-request comment."""
        parts = []
        for hunk in self.hunks():
            parts.append(f"第 {hunk[0].number + first_line - 1} 行起：\n")
            parts += [f"> {_markdown_segments(line.segments)}<br>" for line in hunk]
            parts.append("")
        return "\n".join(parts)

    def text(self, color: bool = False, first_line: int = 1) -> str:
        """The changed lines with context, ``[-deleted-]{+inserted+}``, for a terminal."""
        marks = _ANSI if color else _PLAIN
        parts = []
        for hunk in self.hunks():
            parts.append(f"@@ 第 {hunk[0].number + first_line - 1} 行 @@")
            for line in hunk:
                shown = "".join(text.replace("\n", "↵") if op == EQUAL
                                else f"{marks[op][0]}{text.replace(chr(10), '↵')}{marks[op][1]}"
                                for op, text in line.segments)
                parts.append(f"  {shown}")
        return "\n".join(parts)


def _html_segments(segments: tuple[Segment, ...]) -> str:
    shown = []
    for op, text in segments:
        escaped = html.escape(text)
        if op == EQUAL:
            shown.append(escaped)
        else:
            tag = "del" if op == DELETE else "ins"
            shown.append(f'<{tag} class="qms-{tag}">{escaped.replace(chr(10), "↵" + chr(10))}</{tag}>')
    return "".join(shown)


def _markdown_segments(segments: tuple[Segment, ...]) -> str:
    shown = []
    for op, text in segments:
        escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text.replace("\n", "↵"), quote=False))
        if op == EQUAL:
            shown.append(escaped)
        else:
            tag = "del" if op == DELETE else "ins"
            shown.append(f"<{tag}>{escaped}</{tag}>")
    return "".join(shown)


@dataclass(frozen=True)
class FieldChange:
    """A metadata field whose value differs between the two texts."""

    name: str
    label: str
    old: str
    new: str

    def redline(self) -> Redline:
        """Short values (a version, a date) are shown replaced whole: A/0 → A/1."""
        if max(len(self.old), len(self.new)) <= SHORT_VALUE:
            return Redline(tuple(_merged([(DELETE, self.old), (INSERT, self.new)])))
        return compare_texts(self.old, self.new)

    def html(self) -> str:
        """The change; a value replaced whole reads old → new."""
        return _html_segments(self.redline().segments).replace(
            '</del><ins class="qms-ins">', '</del> → <ins class="qms-ins">')

    def markdown(self) -> str:
        return _markdown_segments(self.redline().segments).replace("</del><ins>", "</del> → <ins>")


FIELDS = (
    ("number", "文件编号"), ("title", "文件名称"), ("type", "文件类型"), ("version", "版本"),
    ("state", "状态"), ("effective_date", "生效日期"), ("department", "归口部门"),
    ("review_interval", "评审周期（月）"), ("change_summary", "修订说明"), ("clauses", "条款"),
    ("related", "相关文件"), ("records", "记录"), ("roles", "相关岗位"), ("role", "岗位"),
    ("authority", "权限"), ("retention", "保管期限"), ("keeper", "保管部门"),
    ("exclusions", "删减"), ("issuer", "发布机构"), ("reference", "文号"),
    ("replaced_by", "替代文件"),
)


def field_value(document: Document | None, name: str) -> str:
    """A metadata field as the redline shows it."""
    if document is None:
        return ""
    value = getattr(document, name)
    if name in ("type", "state"):
        return str(value.label)
    if name == "authority":
        return "；".join(f"{right.label}：{'、'.join(t.label for t in value[right])}"
                        for right in Right if value.get(right))
    if name == "exclusions":
        return "；".join(f"{e.clause} {e.justification}" for e in value)
    if isinstance(value, tuple):
        return "、".join(value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class DocumentRedline:
    """What changed in a controlled document: its metadata, then its body."""

    fields: tuple[FieldChange, ...]
    body: Redline
    body_line: int = 1  # the body's first line in the new file, for line numbers

    @property
    def changed(self) -> bool:
        return bool(self.fields) or self.body.changed

    def html(self) -> str:
        parts = []
        if self.fields:
            rows = "".join(
                f"<tr><th>{html.escape(f.label)}</th><td>{f.html()}</td></tr>"
                for f in self.fields)
            parts.append(f'<table class="qms-redline-fields"><tbody>{rows}</tbody></table>')
        parts.append(self.body.html() if self.body.changed
                     else '<p class="qms-redline-same">正文没有修改。</p>')
        return "\n".join(parts)

    def markdown(self) -> str:
        parts = []
        if self.fields:
            parts += ["| 元数据 | 修改 |", "| --- | --- |"]
            parts += [f"| {f.label} | {f.markdown()} |"
                      for f in self.fields]
            parts.append("")
        parts.append(self.body.markdown(self.body_line) if self.body.changed else "正文没有修改。\n")
        return "\n".join(parts)

    def text(self, color: bool = False) -> str:
        marks = _ANSI if color else _PLAIN
        parts = []
        for change in self.fields:
            shown = "".join(text if op == EQUAL else f"{marks[op][0]}{text}{marks[op][1]}"
                            for op, text in change.redline().segments)
            parts.append(f"{change.label}：{shown}")
        parts.append(self.body.text(color, self.body_line) if self.body.changed else "正文没有修改。")
        return "\n".join(parts)


def _withdrawal(document: Document | None) -> bool:
    """The state as approved content knows it: withdrawn or not (the fingerprint's view;
    draft, in review and effective are steps of the workflow, not changes of the text)."""
    return document is not None and document.state is State.OBSOLETE


def compare_documents(old: Document | None, new: Document | None) -> DocumentRedline:
    """The redline between two texts of a document (``None``: added or removed)."""
    fields = tuple(
        FieldChange(name, label, field_value(old, name), field_value(new, name))
        for name, label in FIELDS if field_value(old, name) != field_value(new, name)
        and (name != "state" or _withdrawal(old) != _withdrawal(new)))
    body = compare_texts(old.body if old else "", new.body if new else "")
    return DocumentRedline(fields, body, new.body_line if new else 1)


WORKING = ("工作稿", "working")


def pick_texts(status: DocumentStatus, versions: tuple[str, ...]
               ) -> tuple[tuple[str, Document], tuple[str, Document]]:
    """The two texts ``qmsdoc diff`` compares, each with its label.

    Two versions: those approved revisions (``工作稿`` is the working text). One:
    that revision and the approved one before it. None: the last approved revision
    and the working text, or, when they are the same, the last two revisions.
    """
    revisions = status.approvals.revisions
    working = (f"工作稿 {status.working.version}", status.working)

    def labelled(revision: Revision) -> tuple[str, Document]:
        document = revision.snapshot.document
        if document is None:
            raise QmsdocError(f"{status.working.label} 的 {revision.snapshot.version} 版元数据有错误，"
                              "无法比较")
        return f"{revision.snapshot.version} 版（{revision.date} 批准）", document

    def find(version: str) -> tuple[str, Document]:
        if version in WORKING:
            return working
        found = [r for r in revisions if str(r.snapshot.version) == version]
        if not found:
            known = "、".join(str(r.snapshot.version) for r in revisions) or "无"
            raise QmsdocError(f"{status.working.label} 没有批准过的 {version} 版（批准过的版本：{known}）；"
                              f"也可以写“工作稿”比较工作区中的文字")
        return labelled(found[-1])

    if len(versions) > 2:
        raise QmsdocError("最多写两个版本，例如 qmsdoc diff QP-11 A/0 A/1")
    if len(versions) == 2:
        return find(versions[0]), find(versions[1])
    if len(versions) == 1:
        newer = find(versions[0])
        index = next((i for i, r in enumerate(revisions)
                      if r.snapshot.document is newer[1]), len(revisions))
        if index == 0:
            raise QmsdocError(f"{versions[0]} 是 {status.working.number} 第一个批准的版本，没有上一版可比较")
        return labelled(revisions[index - 1]), newer
    if not revisions:
        raise QmsdocError(f"{status.working.label} 还没有批准过的版本，没有可比较的文字")
    if status.pending:
        return labelled(revisions[-1]), working
    if len(revisions) < 2:
        raise QmsdocError(f"{status.working.label} 只有一个批准的版本，工作稿与它相同")
    return labelled(revisions[-2]), labelled(revisions[-1])
