"""Active content in what the site publishes: scripts, event handlers, unsafe links, embedded pages.

Two lines of defence keep hostile or careless markup off the staff site:

1. :func:`find_active_content` reads a page's Markdown (raw HTML included) and
   reports every script, event-handler attribute, ``javascript:``/``vbscript:``/
   ``data:`` address and embedded page, form or style sheet, with its line. The
   gate turns these into errors, so the author learns what to remove.
2. :func:`clean_html` passes the HTML that MkDocs renders through an allow-list
   sanitizer (nh3, bindings to the Rust ammonia library): whatever the first
   line misses never reaches a browser.

Code shown as code is not active: Markdown escapes fenced code blocks and
inline code spans, so a procedure may show an HTML snippet. Only code that
python-markdown, with the site's extensions, is certain to escape is skipped;
where that is not certain the text is checked like any other (write HTML
examples in ``` fences to be safe). Raw HTML is read with the standard
library's HTML parser, which copes with odd casing, missing quotes, entity-
encoded addresses and multi-line tags; comments are read again as HTML,
because browsers and parsers disagree on where some of them end.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from .findings import Finding, Severity
from .markdown_code import blank_code

UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data"})

# Elements that embed another page, plugin or form, or change the whole page.
_EMBEDDED = {
    **dict.fromkeys(("iframe", "frame", "frameset", "portal", "fencedframe"), "嵌入其他网页"),
    **dict.fromkeys(("object", "embed", "applet"), "嵌入插件或外部内容"),
    **dict.fromkeys(("form", "input", "button", "select", "textarea"),
                    "表单，可被用来骗取账号、密码"),
    "base": "改变页面上所有链接的指向",
    "meta": "可使页面自动跳转到别处",
    "link": "加载外部资源",
    "style": "样式表，可改变整个网站的显示，如隐藏或伪造文件卡片",
}
# Attributes whose value is a list of addresses.
_URL_LISTS = {"srcset": ",", "values": ";", "archive": " ", "ping": " "}

_UNSAFE_WHY = "这种地址会执行代码或显示未经审查的内容"
_CODE_HINT = "如果是在正文中展示代码，请把它放进 ``` 代码块"
_LINK_HINT = ("链接请写站内相对路径或普通网址（http://、https://、mailto:、tel:）；"
              "引用受控文件写 {{ doc(\"QP-05\") }}；图片请保存为文件，用相对路径引用")


@dataclass(frozen=True)
class _Problem:
    line: int  # 1 for the first line of the text scanned
    rule: str
    message: str
    hint: str


def find_active_content(path: str, text: str, first_line: int = 1,
                        document: str | None = None) -> list[Finding]:
    """Every piece of active content in a Markdown text, as an error with its file line.

    ``first_line`` is the file line of the text's first line (a document's body
    starts after its front matter). Never raises: any text is read.

    Bad: ``<img src=x onerror="alert(1)">``, ``[点此](javascript:go())``,
    ``<iframe src="...">``. Good: ``<br>``, ``<span class="x">``,
    ``[QP-05](../procedures/qp-05.md)``, ``https://`` links, and any HTML
    shown inside ``` code blocks or `inline code`.
    """
    # Markdown drops STX and ETX, joining what they separate; CRLF is one line break.
    text = text.replace("\x02", "").replace("\x03", "").replace("\r\n", "\n")
    if not _SUSPECT.search(text):
        return []
    masked = blank_code(text)
    problems = sorted(_html_problems(masked) + list(_markdown_problems(masked)),
                      key=lambda problem: problem.line)
    return [Finding(p.rule, Severity.ERROR, path, first_line + p.line - 1, p.message, p.hint,
                    document) for p in problems]


def may_be_active(text: str) -> bool:
    """Whether a text has anything that could be markup at all (cheap; no means no finding)."""
    return _SUSPECT.search(text) is not None


def _unsafe_scheme(value: str) -> str | None:
    """``javascript``, ``vbscript`` or ``data`` when an address uses that scheme, else ``None``.

    Read as a browser reads it: entities decoded, spaces and control
    characters around it and tabs or line breaks inside it ignored.
    """
    url = html.unescape(value).strip(_C0_AND_SPACE)
    url = _TAB_NEWLINE.sub("", url).replace("\\", "")
    scheme = _SCHEME.match(url)
    if scheme and scheme.group(1).lower() in UNSAFE_SCHEMES:
        return scheme.group(1).lower()
    return None


_SUSPECT = re.compile(r"<[a-zA-Z!?]|\][(:]|\{[^\n]*=")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")


# --- Raw HTML ---------------------------------------------------------------------------------

class _Scanner(HTMLParser):
    """Collects the problems in raw HTML; comments and declarations are read again as HTML."""

    MAX_DEPTH = 4

    def __init__(self, depth: int = 0) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = depth
        self.problems: list[_Problem] = []

    def scan(self, text: str) -> list[_Problem]:
        self.feed(text)
        if self.rawdata.startswith("<"):
            # A tag left open at the end may be closed by what follows the text on the page
            # (or, in a comment, was cut at the comment's end): read it as closed.
            self.feed(" \"'>")
        self.close()
        return self.problems

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag == "script":
            self._add(line, "content.script", "有 <script> 脚本：受控文件和网站页面不能含可执行内容",
                      "删除这段脚本；" + _CODE_HINT)
        elif tag in _EMBEDDED:
            self._add(line, "content.embedded",
                      f"有 <{tag}> 元素（{_EMBEDDED[tag]}）：网站页面不能嵌入其他网页、表单或改变页面的元素",
                      f"删除 <{tag}> 元素；要引用的网页写成普通链接；" + _CODE_HINT)
        source = (self.get_starttag_text() or "").lower()
        for name, value in attrs:
            at = line + source.count("\n", 0, max(source.find(name, len(tag) + 1), 0))
            if name.startswith("on") and len(name) > 2:
                self._add(at, "content.event-handler",
                          f"<{tag}> 标签带有事件属性 {name}（在点击、加载等时执行代码）："
                          "受控文件和网站页面不能含可执行内容",
                          f"删除 {name}=… 这一属性；" + _CODE_HINT)
            separator = _URL_LISTS.get(name)
            parts = (value or "").split(separator) if separator else [value or ""]
            for scheme in {s for s in map(_unsafe_scheme, parts) if s}:
                self._add(at, "content.unsafe-url",
                          f"<{tag}> 标签的 {name} 地址以 {scheme}: 开头：{_UNSAFE_WHY}", _LINK_HINT)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self._again(data)

    def handle_decl(self, data: str) -> None:
        self._again(data)

    def handle_pi(self, data: str) -> None:
        self._again(data)

    def unknown_decl(self, data: str) -> None:
        self._again(data)

    # A comment, declaration or processing instruction left open is text in Markdown (which
    # escapes its "<"), so what follows is read as HTML; the standard parser would wait for
    # its end and then swallow the following tags. ``<![...`` is a bogus comment up to ``>``
    # in a browser; the standard parser reads a marked section and raises on unknown keywords.

    def parse_comment(self, i: int, report: bool = True) -> int:
        end = super().parse_comment(i, report)
        return end if end >= 0 else i + 1

    def parse_pi(self, i: int) -> int:
        end = super().parse_pi(i)
        return end if end >= 0 else i + 1

    def parse_html_declaration(self, i: int) -> int:
        if self.rawdata.startswith("<![", i):
            end = self.parse_bogus_comment(i)
        else:
            end = super().parse_html_declaration(i)
        return end if end >= 0 else i + 1

    def _again(self, data: str) -> None:
        """Read what a comment or declaration hides: a browser may end it sooner than we do."""
        if self.depth < self.MAX_DEPTH and "<" in data:
            offset = self.getpos()[0] - 1
            for problem in _Scanner(self.depth + 1).scan(data):
                self.problems.append(_Problem(problem.line + offset, problem.rule, problem.message,
                                              problem.hint))

    def _add(self, line: int, rule: str, message: str, hint: str) -> None:
        self.problems.append(_Problem(line, rule, message, hint))


def _html_problems(text: str) -> list[_Problem]:
    return _Scanner().scan(text) if "<" in text else []


# --- Markdown link syntax ---------------------------------------------------------------------

# [text](url), ![alt](url), [text](<url>), [id]: url, and <url> (an autolink, for http only)
_LINK_TARGET = re.compile(r"(?:\]\(|\]:)[ \t]*(?:\n[ \t]*)?<?|<(?=[^\s<>]*:)")
_ATTR_LIST = re.compile(r"\{[^\n]*\}")  # attr_list: {: #id .class key=value }
_ATTR_PAIR = re.compile(r"""([^\s=}{"']+)\s*=\s*("[^"]*"|'[^']*'|[^\s}]*)""")


def _markdown_problems(text: str) -> Iterator[_Problem]:
    def line_at(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    for target in _LINK_TARGET.finditer(text):
        if scheme := _unsafe_scheme(text[target.end():target.end() + 80]):
            yield _Problem(line_at(target.end()), "content.unsafe-url",
                           f"链接或图片的地址以 {scheme}: 开头：{_UNSAFE_WHY}", _LINK_HINT)
    for attrs in _ATTR_LIST.finditer(text):
        for pair in _ATTR_PAIR.finditer(attrs.group()):
            key, value = pair.group(1).lower(), pair.group(2).strip("\"'")
            line = line_at(attrs.start() + pair.start())
            if key.startswith("on") and len(key) > 2:
                yield _Problem(line, "content.event-handler",
                               f"属性列表 {{…}} 中有事件属性 {key}（在点击、加载等时执行代码）："
                               "受控文件和网站页面不能含可执行内容",
                               f"删除 {key}=… 这一项；" + _CODE_HINT)
            if scheme := _unsafe_scheme(value):
                yield _Problem(line, "content.unsafe-url",
                               f"属性列表 {{…}} 中 {key} 的地址以 {scheme}: 开头：{_UNSAFE_WHY}",
                               _LINK_HINT)


# --- The allow-list for published HTML --------------------------------------------------------

# Everything MkDocs, Material's Markdown extensions and qmsdoc put in a page body.
ALLOWED_TAGS = frozenset((
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul", "var", "wbr",
))
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir", "data-search-exclude"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "style"},  # style: text-align of Markdown tables
    "th": {"colspan", "rowspan", "align", "style"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "details": {"open"},
}
ALLOWED_SCHEMES = frozenset(("http", "https", "mailto", "tel"))  # relative links are kept


def clean_html(html: str) -> str:
    """``html`` with everything outside the allow-list removed, by nh3 (the ammonia sanitizer).

    Keeps what the site's page bodies contain (the constants above); drops
    scripts and style sheets with their content, comments (old browsers run
    conditional ones), other tags (keeping their text), event handlers, and
    any address that is not relative, http(s), mailto or tel. Apply it to the
    finished body, after qmsdoc has put the document card and revision history
    in place of their comment markers. nh3 writes the HTML anew (``&para;`` as
    ``¶``, ``<hr />`` as ``<hr>``); cleaning it again changes nothing.
    """
    cleaned: str = _cleaner().clean(html)
    return cleaned


@functools.cache
def _cleaner() -> Any:
    """The allow-list, built once for every page of a build."""
    import nh3  # the site extra: the checks (find_active_content) run without it

    return nh3.Cleaner(tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES,
                       url_schemes=set(ALLOWED_SCHEMES), filter_style_properties={"text-align"},
                       link_rel=None)
