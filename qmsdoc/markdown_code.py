"""Which parts of a Markdown text the site shows as code, hence as text.

Markdown escapes fenced code blocks and inline code spans: HTML written there
is displayed, not run. :func:`blank_code` blanks out exactly the code that
python-markdown, with the site's extensions (pymdownx.superfences for fences),
is certain to escape, and keeps everything else, so that a check for active
content can skip code without ever skipping something the browser would run.

Where the renderer's reading is not certain, the text is kept: after raw HTML
that starts a block (python-markdown does not read backticks inside it as
code), on table rows and admonition titles (split before inline code is
found), in a paragraph whose code spans run across lines, after a code span
that may sit inside an HTML tag (the renderer does not escape quotes, so it
could end an attribute), and from a fence written in a form this module does
not follow (options, attributes, block quotes) to the end of the text.
tests/test_active_content.py compares this with the real renderer.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# python-markdown's block-level elements (Markdown().block_level_elements, 3.x): raw HTML
# starting with one of these at the start of a line is passed through as a block.
BLOCK_LEVEL = frozenset((
    "address", "article", "aside", "blockquote", "body", "canvas", "center", "colgroup", "dd",
    "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "group", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "iframe",
    "legend", "li", "main", "map", "math", "menu", "nav", "noscript", "object", "ol", "option",
    "output", "p", "pre", "progress", "script", "section", "style", "summary", "table", "tbody",
    "td", "textarea", "tfoot", "th", "thead", "tr", "ul", "video",
))

_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)$")
_PLAIN_INFO = re.compile(r"[ \t]*(?:\.?[\w#.+-]+)?[ \t]*")  # nothing, or a language name
_FENCE_LIKE = re.compile(r"[ \t>]*(?:```|~~~)")
_FRONT_MATTER = re.compile(r"-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.S)  # as MkDocs reads it
_META_LINE = re.compile(r"[ ]{0,3}[A-Za-z0-9_-]+:")
_META_MORE = re.compile(r"[ ]{4}|\t")
_LINE_HTML = re.compile(r"\s{0,3}<(!--|[!?]|[a-zA-Z][^\t\n\r\f />\x00]*)")
_COMMENT_END = re.compile(r"--!?>")
# markdown.inlinepatterns.BACKTICK_RE, taking the whole opening run of backticks.
_OPEN_TICK = re.compile(r"(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)(`+)")
_TAG_START = re.compile(r"<[a-zA-Z]")
_ADMONITION = re.compile(r"\s*(?:!!!|\?\?\?)")
_TICKS = re.compile(r"`+")
_MAX_TICKS = 200


def blank_code(text: str) -> str:
    """``text`` with certain code replaced by spaces (fences by empty lines); lines are kept."""
    if "`" not in text and "~~~" not in text:
        return text  # no code
    if "\r" in text.replace("\r\n", ""):
        return text  # Markdown splits lines at a lone CR, our line numbers do not
    lines = text.split("\n")
    if any(_FENCE_LIKE.match(line) for line in lines[:_metadata_lines(text, lines)]):
        return text  # MkDocs may or may not strip these lines: the fences cannot be followed
    fenced, limit = _fenced_lines(lines)
    raw = _raw_html_lines(lines, fenced, limit)
    spans = _code_spans(lines, fenced, raw)
    for index, columns in spans.items():
        line = lines[index]
        for begin, end in columns:
            line = line[:begin] + " " * (end - begin) + line[end:]
        lines[index] = line
    for index in fenced:
        lines[index] = ""
    return "\n".join(lines)


def _metadata_lines(text: str, lines: list[str]) -> int:
    """How many leading lines MkDocs may take as metadata (YAML or MultiMarkdown style)."""
    front = _FRONT_MATTER.match(text)
    if front:
        return text.count("\n", 0, front.end())
    count = 0
    for line in lines:
        if not (_META_LINE.match(line) or (count and _META_MORE.match(line))):
            break
        count += 1
    return count


def _fenced_lines(lines: list[str]) -> tuple[set[int], int]:
    """The lines of fenced code blocks, and the line from which fences can no longer be followed.

    Follows pymdownx.superfences' preprocessor line by line for fences outside
    block quotes whose info string is empty or a language name.
    """
    fenced: set[int] = set()
    fence, indent, start = "", 0, 0
    for index, original in enumerate(lines):
        if not fence and "```" not in original and "~~~" not in original:
            continue
        line = original.expandtabs(4)  # as Markdown normalises it before superfences runs
        prefix = len(line) - len(line.lstrip(" >"))
        if not fence:
            opening = _FENCE_OPEN.match(line, prefix)
            if opening is None:
                continue
            if ">" in line[:prefix] or not _PLAIN_INFO.fullmatch(opening.group(2)):
                return fenced, index
            fence, indent, start = opening.group(1), prefix, index
            continue
        whitespace = min(prefix, indent)
        content = line[whitespace:]
        if ">" in line[:whitespace]:
            fence = ""  # a quote line ends the fence unfinished: no code
        elif not line.strip():
            continue
        elif whitespace != indent:
            fence = ""  # not indented enough: no code
        elif re.match(re.escape(fence) + r"[ \t]*$", content):
            fenced.update(range(start, index + 1))
            fence = ""
    return fenced, len(lines)


def _raw_html_lines(lines: list[str], fenced: set[int], limit: int) -> set[int]:
    """Lines python-markdown may pass through as raw HTML (and lines from ``limit`` on).

    Raw HTML starts where a line begins (after up to three spaces) with a
    block-level tag, a comment, a declaration or a processing instruction. A
    block runs until its tags are balanced, as python-markdown's HTML parser
    judges; here it simply runs to the end of the text. A comment runs to its
    first ``-->`` (or ``--!>``), unless more HTML follows it on that line.
    """
    index = 0
    raw: set[int] = set()
    while index < limit:
        line = lines[index]
        start = None if index in fenced or "<" not in line else _LINE_HTML.match(line.expandtabs(4))
        if start is None or (start.group(1) != "!--" and start.group(1).lower() not in BLOCK_LEVEL
                             and start.group(1) not in ("!", "?")):
            index += 1
            continue
        end = _comment_end(lines, fenced, index, limit) if start.group(1) == "!--" else None
        if end is None:
            break
        raw.update(range(index, end + 1))
        index = end + 1
    return raw | set(range(index, len(lines)))


def _comment_end(lines: list[str], fenced: set[int], index: int, limit: int) -> int | None:
    """The line where a comment starting on line ``index`` ends, if nothing but text follows it."""
    column = lines[index].find("<!--") + 4
    for end in range(index, limit):
        close = None if end in fenced else _COMMENT_END.search(lines[end], column)
        if close:
            return None if "<" in lines[end][close.end():] else end
        column = 0
    return None


def _code_spans(lines: list[str], fenced: set[int], raw: set[int]) -> dict[int, list[tuple[int, int]]]:
    """The columns of the certain inline code spans, by line."""
    spans: dict[int, list[tuple[int, int]]] = {}
    block: list[int] = []
    for index in range(len(lines) + 1):
        # Markdown's blocks are separated by lines of spaces only; a fence counts as text.
        if index < len(lines) and (index in fenced or lines[index].strip(" \t")):
            block.append(index)
        elif block:
            if any("`" in lines[index] for index in block if index not in fenced):
                _block_spans(lines, block, fenced, raw, spans)
            block = []
    return spans


def _block_spans(lines: list[str], block: list[int], fenced: set[int], raw: set[int],
                 spans: dict[int, list[tuple[int, int]]]) -> None:
    text = "\n".join("" if index in fenced else lines[index] for index in block)
    found = _markdown_spans(text)
    if found is None or any("\n" in text[begin:end] for begin, end in found):
        return  # a span across lines: the block's parts may pair their backticks differently
    starts = [0]
    for index in block[:-1]:
        starts.append(starts[-1] + len("" if index in fenced else lines[index]) + 1)
    seen = text
    for begin, end in found:
        if _TAG_START.search(seen, 0, begin):
            return  # the span may be inside a tag's attribute: its quotes are not escaped
        position = bisect_right(starts, begin) - 1
        index = block[position]
        if index in raw or "|" in lines[index] or _ADMONITION.match(lines[index]):
            continue
        spans.setdefault(index, []).append((begin - starts[position], end - starts[position]))
        seen = seen[:begin] + " " * (end - begin) + seen[end:]


def _markdown_spans(text: str) -> list[tuple[int, int]] | None:
    """Where python-markdown 3.x makes code spans in a text (its BacktickInlineProcessor).

    ``None`` unless every opening run of backticks finds a closing run of the
    same length: the renderer pairs the others with the longest shorter run
    that follows, which depends on where the element's text ends. Also ``None``
    for texts with so many backticks that following them would be slow.
    """
    if text.count("`") > _MAX_TICKS:
        return None
    spans = []
    position = 0
    while opening := _OPEN_TICK.search(text, position):
        if opening.group(1):  # escaped backslashes: replaced by a placeholder, then go on
            text = text[:opening.start()] + "\0" * len(opening.group(1)) + text[opening.end():]
            position = opening.end()
            continue
        ticks = len(opening.group(2))
        closing = _TICKS.search(text, opening.end())
        while closing and len(closing.group()) != ticks:
            closing = _TICKS.search(text, closing.end())
        if closing is None:
            return None
        spans.append((opening.start(), closing.end()))
        position = closing.end()
    return spans
