"""YAML front matter: split it from the body, parse it, and find lines in it.

The same parsing serves the people register and any other YAML qmsdoc reads.

MkDocs drops invalid front matter silently, so qmsdoc parses it itself and
fails loudly. Scalars that YAML would turn into floats or dates stay text:
clause ``7.10`` must not become the number 7.1, and a date is compared as
written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

_DROPPED_TAGS = {"tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


class _Loader(yaml.CSafeLoader):
    """Safe loading (C parser) that keeps floats and dates as strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# PyYAML's problems, as a document controller would say them.
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

    def duplicate_keys(self) -> Iterator[tuple[str, int]]:
        """Keys written twice in one mapping (YAML would keep only the last)."""
        for key, line in _duplicates(self.node):
            yield key, line + self.first_line


@dataclass(frozen=True)
class FrontMatter(YamlText):
    body: str
    body_line: int


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


def _duplicates(node: yaml.Node | None) -> Iterator[tuple[str, int]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    yield str(key.value), key.start_mark.line
                seen.add(key.value)
            yield from _duplicates(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicates(item)


def normalise(text: str) -> str:
    """Unix line ends and no byte-order mark: the form every check reads."""
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def load_yaml(text: str, first_line: int = 1) -> YamlText:
    """Parse YAML text; a syntax error raises :class:`FrontMatterError` with its file line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else first_line
        problem = error.problem or ""
        reason = next((text for start, text in _PROBLEMS.items() if problem.startswith(start)),
                      f"YAML 语法错误（{problem}）")
        raise FrontMatterError(line, f"无法读取：{reason}") from None
    finally:
        loader.dispose()
    return YamlText(data, node, first_line)


def parse(text: str) -> FrontMatter | None:
    """Parse normalised text; ``None`` when it has no front matter at all."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise FrontMatterError(1, "元数据（front matter）没有结束行“---”")
    parsed = load_yaml("\n".join(lines[1:end]), first_line=2)
    return FrontMatter(parsed.data, parsed.node, parsed.first_line,
                       "\n".join(lines[end + 1 :]), end + 2)
