"""YAML front matter: split it from the body, parse it, and find lines in it.

The same parsing serves the people register and the settings. MkDocs drops
invalid front matter silently, so qmsdoc parses it itself and fails loudly.

Every scalar is read as text, the way a document controller writes it:
clause ``7.10`` must not become the number 7.1, a date is compared as written,
and ``no`` is not a boolean. The schema then says which texts are allowed
(a review interval is a whole number of months, a date is YYYY-MM-DD).

Parsing is bounded, because a file in the repository is input from anyone who
can push: a text over :data:`MAX_BYTES` is not parsed, collections nest at
most :data:`MAX_DEPTH` levels, and aliases (``*name``) may repeat at most
:data:`MAX_REPEATED` values — an alias bomb ("billion laughs") stops there in
milliseconds, while an anchor reused a few times in a register still works.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern
from typing import Any, cast

import yaml

MAX_BYTES = 1024 * 1024
"""The largest file qmsdoc reads: 28 times the sample's largest (the 37 KB quality manual)."""
HEAD_BYTES = 64 * 1024
"""What is read of a larger file: enough to show the number it claims."""
MAX_DEPTH = 32
"""The deepest nesting of lists and mappings; real metadata needs four levels."""
MAX_REPEATED = 10_000
"""How many values aliases may repeat in one text."""

# PyYAML's problems, as a document controller would say them (matched by prefix).
_PROBLEMS = {
    "mapping values are not allowed": "这里不能出现冒号；值里含有冒号时，请给整个值加英文引号",
    "found character '\\t' that cannot start any token": "不能用 Tab 缩进，请改用空格",
    "found a tab character": "不能用 Tab 缩进，请改用空格",
    "could not find expected ':'": "缺少冒号，每个字段应写成“字段名: 值”",
    "did not find expected key": "缩进不一致，同一层的字段要对齐",
    "expected <block end>, but found '<block sequence start>'": "列表项缩进不一致",
    "found unexpected end of stream": "引号或括号没有闭合",
    "found undefined alias": "出现了未定义的别名（*），如果是文字请加引号",
}
# Errors that belong where a construct opens, not where the parser gave up.
_UNCLOSED_QUOTE = "引号没有闭合，以英文引号开头的值要以同样的引号结尾"
_OPENED_AT = {
    "while scanning a quoted scalar": _UNCLOSED_QUOTE,
    "while scanning a simple key": "缺少冒号，每个字段应写成“字段名: 值”",
    "while parsing a flow sequence": "方括号没有闭合，列表写作 [a, b]，项之间用英文逗号",
    "while parsing a flow mapping": "花括号没有闭合，字段组写作 {a: b}，项之间用英文逗号",
}


class FrontMatterError(Exception):
    """YAML that cannot be read; ``line`` is the line in the file, ``rule`` the finding's rule."""

    def __init__(self, line: int, message: str, rule: str = "frontmatter.invalid-yaml") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.rule = rule


def read_limited(file: str | Path) -> tuple[bytes, int]:
    """A file's bytes and its size; of a file over :data:`MAX_BYTES`, its first bytes only."""
    with open(file, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        return stream.read(HEAD_BYTES if size > MAX_BYTES else size), size


def too_large(size: int) -> FrontMatterError:
    """The error for a text of ``size`` bytes, over :data:`MAX_BYTES`: it is not parsed."""
    return FrontMatterError(
        1, f"无法读取：文件有 {size / 1024 / 1024:.1f} MiB，超过上限 {MAX_BYTES // 1024 // 1024} MiB，"
           "qmsdoc 不读取这么大的文件", "file.too-large")


def _refuse_large(text: str) -> None:
    # A character is at most four bytes in UTF-8: most texts are measured without encoding them.
    if len(text) > MAX_BYTES // 4:
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_BYTES:
            raise too_large(size)


@dataclass(frozen=True)
class YamlText:
    """Parsed YAML that remembers where every key was written.

    ``first_line`` is the file line of the YAML's first line (2 for front
    matter, after the opening ``---``).
    """

    data: Any
    node: yaml.Node | None
    first_line: int
    duplicates: tuple[tuple[str, int], ...] = ()
    """Keys written twice in one mapping (YAML would keep only the last), with their lines."""

    def line_at(self, path: Sequence[str | int]) -> int:
        """The file line of the key or list item at ``path``.

        Walks as deep as the path exists and answers the deepest line found.
        """
        node, line = self.node, 0
        for step in path:
            found = _child(node, step) if node is not None else None
            if found is None:
                break
            line, node = found
        return line + self.first_line

    def key_lines(self, key: str) -> dict[str, int]:
        """Line of every key of the mapping under the top-level ``key``."""
        found = _child(self.node, key) if self.node is not None else None
        node = found[1] if found else None
        if not isinstance(node, yaml.MappingNode):
            return {}
        return {
            str(key.value): key.start_mark.line + self.first_line
            for key, _ in node.value
            if isinstance(key, yaml.ScalarNode)
        }


@dataclass(frozen=True)
class FrontMatter(YamlText):
    body: str = ""
    body_line: int = 0


def _child(node: yaml.Node, step: str | int) -> tuple[int, yaml.Node] | None:
    """The line of a key (or list item) and the node under it."""
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                return key.start_mark.line, value
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        item = node.value[step]
        return item.start_mark.line, item
    return None


class _Refused(Exception):
    """Valid YAML that qmsdoc will not read: too deep, or aliases that repeat too much."""

    def __init__(self, mark: yaml.Mark | None, message: str, rule: str) -> None:
        super().__init__(message)
        self.mark, self.message, self.rule = mark, message, rule


def _start(event: yaml.Event) -> yaml.Mark:
    """Where an event starts (the C parser's marks have the fields of PyYAML's)."""
    return cast(yaml.Mark, event.start_mark)


_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "seq", "map"))
_SHARED = 80  # values up to this length are interned: every document repeats most of them


@dataclass
class _Composer:
    """Nodes from the parser's events, without recursion and within the bounds.

    libyaml's own composer recurses in C: a few ten thousand nested brackets
    crash the interpreter. Reading the events here costs about the same, and
    counts the values the builder will make, so that an alias is refused where
    it is written once the values repeated through aliases pass the limit.
    """

    parser: yaml.CBaseLoader
    anchors: dict[str, tuple[yaml.Node, int]] = field(default_factory=dict)  # node, its values
    open: list[_Open] = field(default_factory=list)
    root: yaml.Node | None = None
    values: int = 0  # values the builder will make, aliases expanded
    repeated: int = 0  # of which through aliases

    def compose(self) -> yaml.Node | None:
        get_event, collections, documents = self.parser.get_event, self.open, 0
        while True:  # on every build's hot path: the most frequent events first, no calls
            event: Any = get_event()  # dispatched on its exact type, which mypy cannot narrow
            kind = type(event)
            node: yaml.Node
            if kind is yaml.ScalarEvent:
                self.values += 1
                value = event.value  # names, roles, dates, fingerprints: shared, not copied
                node = yaml.ScalarNode(_STR, intern(value) if len(value) <= _SHARED else value,
                                       event.start_mark, event.end_mark, event.style)
                if event.anchor is not None:
                    self.anchors[event.anchor] = node, 1
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._open(event)
                continue
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                closed = collections.pop()
                node = closed.node
                node.end_mark = event.end_mark
                if closed.anchor is not None:
                    self.anchors[closed.anchor] = node, self.values - closed.values_before
            elif kind is yaml.AliasEvent:
                node = self._alias(event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.MarkedYAMLError("expected a single document in the stream", None,
                                               "but found another document", event.start_mark)
                continue
            elif kind is yaml.StreamEndEvent:
                return self.root
            else:
                continue
            if not collections:
                self.root = node
                continue
            parent = collections[-1]  # add the node to it
            if parent.sequence:
                parent.node.value.append(node)
            elif parent.key is None:
                parent.key = node
            else:
                parent.node.value.append((parent.key, node))
                parent.key = None

    def _open(self, event: yaml.CollectionStartEvent) -> None:
        if len(self.open) >= MAX_DEPTH:
            raise _Refused(_start(event), f"无法读取：列表或字段组嵌套超过 {MAX_DEPTH} 层",
                           "frontmatter.too-deep")
        node = (yaml.SequenceNode(_SEQ, [], _start(event), None, event.flow_style)
                if isinstance(event, yaml.SequenceStartEvent)
                else yaml.MappingNode(_MAP, [], _start(event), None, event.flow_style))
        # An anchor names the collection once it is complete: an alias inside it is refused.
        self.open.append(_Open(node, isinstance(node, yaml.SequenceNode), event.anchor,
                               self.values))
        self.values += 1

    def _alias(self, event: yaml.AliasEvent) -> yaml.Node:
        anchor = event.anchor or ""
        if anchor not in self.anchors:
            if any(anchor == o.anchor for o in self.open):
                raise _Refused(_start(event), f"无法读取：别名 *{anchor} 出现在它所指的列表或字段组之内",
                               "frontmatter.invalid-yaml")
            raise yaml.MarkedYAMLError(None, None, f"found undefined alias {anchor!r}",
                                       _start(event))
        node, values = self.anchors[anchor]
        self.values += values
        self.repeated += values
        if self.repeated > MAX_REPEATED:
            raise _Refused(_start(event), f"无法读取：别名（*）重复的内容超过 {MAX_REPEATED} 项",
                           "frontmatter.too-many-aliases")
        return node


@dataclass(slots=True)
class _Open:
    """A collection being composed."""

    node: yaml.CollectionNode
    sequence: bool
    anchor: str | None
    values_before: int
    key: yaml.Node | None = None  # in a mapping: the key awaiting its value


@dataclass
class _Builder:
    """Python values from composed nodes: text, lists and mappings only."""

    duplicates: list[tuple[str, int]] = field(default_factory=list)

    def value(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item) for item in node.value]
        mapping: dict[str, Any] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(problem="字段名不能是列表或字段组",
                                           problem_mark=key.start_mark)
            if key.value in mapping:
                self.duplicates.append((key.value, key.start_mark.line))
            mapping[key.value] = self.value(value)
        return mapping


def normalise(text: str) -> str:
    """Unix line ends and no byte-order mark: the form every check reads."""
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def load_yaml(text: str, first_line: int = 1) -> YamlText:
    """Parse YAML text; a syntax error raises :class:`FrontMatterError` with its file line."""
    _refuse_large(text)
    parser = yaml.CBaseLoader(text)  # C parser; no type guessing: every scalar is text
    builder = _Builder()
    try:
        node = _Composer(parser).compose()
        data = builder.value(node) if node is not None else None
    except _Refused as refused:
        line = refused.mark.line + first_line if refused.mark else first_line
        raise FrontMatterError(line, refused.message, refused.rule) from None
    except yaml.MarkedYAMLError as error:
        line, reason = _explain(error, text)
        raise FrontMatterError(line + first_line, f"无法读取：{reason}") from None
    finally:
        parser.dispose()
    duplicates = tuple((key, line + first_line) for key, line in builder.duplicates)
    return YamlText(data, node, first_line, duplicates)


def _explain(error: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """The line (from 0) where the mistake was made, and what it is.

    An unclosed quote or bracket is reported where it opens: the parser only
    notices it lines later, or at the end of the text.
    """
    problem, context = error.problem or "", error.context or ""
    problem_line = error.problem_mark.line if error.problem_mark else 0
    if context in _OPENED_AT and error.context_mark is not None:
        return error.context_mark.line, _OPENED_AT[context]
    quoted = _swallowing_quote(text, problem_line)
    if quoted is not None:
        start, end = quoted
        return start, f"{_UNCLOSED_QUOTE}；现在其后的 {end - start} 行都被读成了这个值"
    reason = next((text for start, text in _PROBLEMS.items() if problem.startswith(start)),
                  f"YAML 语法错误（{problem}）")
    return problem_line, reason


def _swallowing_quote(text: str, problem_line: int) -> tuple[int, int] | None:
    """A quoted value over several lines that ends where the error is: a quote left open.

    The value then ran on to the next quote in the text (often the opening
    quote of a later value), and the parser fails right after it.
    """
    scanner = yaml.CBaseLoader(text)
    found = None
    try:
        while (token := scanner.get_token()) is not None:
            if token.start_mark.line > problem_line:
                break
            if (isinstance(token, yaml.ScalarToken) and token.style in ("'", '"')
                    and token.start_mark.line < token.end_mark.line == problem_line):
                found = token.start_mark.line, token.end_mark.line
    except yaml.YAMLError:
        pass  # the tokens up to the error are all there is
    finally:
        scanner.dispose()
    return found


def split(text: str) -> tuple[list[str], int] | None:
    """The lines of normalised text and the index of the closing ``---``.

    ``None`` when the text has no front matter.
    """
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise FrontMatterError(1, "元数据（front matter）没有结束行“---”")
    return lines, end


def parse(text: str) -> FrontMatter | None:
    """Parse normalised text; ``None`` when it has no front matter at all."""
    _refuse_large(text)
    parts = split(text)
    if parts is None:
        return None
    lines, end = parts
    parsed = load_yaml("\n".join(lines[1:end]), first_line=2)
    return FrontMatter(parsed.data, parsed.node, parsed.first_line, parsed.duplicates,
                       "\n".join(lines[end + 1:]), end + 2)
