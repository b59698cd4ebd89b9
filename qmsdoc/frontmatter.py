"""YAML front matter: split it from the body, parse it, and find lines in it.

The same parsing serves the people register. MkDocs drops invalid front
matter silently, so qmsdoc parses it itself and fails loudly.

Every scalar is read as text, the way a document controller writes it:
clause ``7.10`` must not become the number 7.1, a date is compared as written,
and ``no`` is not a boolean. The schema then says which texts are allowed
(a review interval is a whole number of months, a date is YYYY-MM-DD).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

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


class FrontMatterError(Exception):
    """YAML that cannot be read; ``line`` is the line in the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


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
    loader = yaml.CBaseLoader(text)  # C parser; no type guessing: every scalar is text
    builder = _Builder()
    try:
        node = loader.get_single_node()
        data = builder.value(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else first_line
        problem = error.problem or ""
        reason = next((text for start, text in _PROBLEMS.items() if problem.startswith(start)),
                      f"YAML 语法错误（{problem}）")
        raise FrontMatterError(line, f"无法读取：{reason}") from None
    finally:
        loader.dispose()
    duplicates = tuple((key, line + first_line) for key, line in builder.duplicates)
    return YamlText(data, node, first_line, duplicates)


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
    parts = split(text)
    if parts is None:
        return None
    lines, end = parts
    parsed = load_yaml("\n".join(lines[1:end]), first_line=2)
    return FrontMatter(parsed.data, parsed.node, parsed.first_line, parsed.duplicates,
                       "\n".join(lines[end + 1:]), end + 2)
