"""Active content: found with its line in Markdown, and cleaned out of the published HTML.

The finder is compared with the real renderer, python-markdown with the
extensions in mkdocs.yml: it may leave out code only where the rendered page
shows that code as text.
"""

from __future__ import annotations

import html
import os
import random
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from mkdocs.config import load_config

from qmsdoc.active_content import clean_html, find_active_content
from qmsdoc.rules import RULES

from .conftest import PROJECT
from .test_site import mkdocs_build


@pytest.fixture(scope="module")
def render() -> markdown.Markdown:
    """The site's Markdown renderer: python-markdown with the extensions in mkdocs.yml."""
    config = load_config(str(PROJECT / "mkdocs.yml"))
    return markdown.Markdown(extensions=config.markdown_extensions,
                             extension_configs=config.mdx_configs)


_C0_AND_SPACE = "".join(map(chr, range(33)))


class _Active(HTMLParser):
    """What makes rendered HTML active, judged independently of the module under test."""

    TAGS = {"script", "iframe", "frame", "object", "embed", "form", "input", "button", "base",
            "meta", "link", "style", "textarea", "select"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            url = re.sub(r"[\t\n\r]", "", html.unescape(value or "")).strip(_C0_AND_SPACE).lower()
            if name.startswith("on") or re.match(r"(javascript|vbscript|data):", url):
                self.found.append(f"{name}={value}")

    handle_startendtag = handle_starttag


def active(rendered: str) -> list[str]:
    parser = _Active()
    parser.feed(rendered)
    parser.close()
    return parser.found


def rendered(render: markdown.Markdown, text: str) -> str:
    return render.reset().convert(text)


def found(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    return [(f.line or 0, f.rule) for f in find_active_content("docs/page.md", text, first_line)]


# --- The finder -------------------------------------------------------------------------------

HOSTILE = """\
# 内部审核程序

正文第一段，<br> 换行和 <span class="note">说明</span> 都可以。
<script>alert("x")</script>
<IMG SRC="logo.png"
     ONERROR="alert(1)">
<a href="jav&#x61;script:alert(2)">点此</a> <a href=" java&#9;script:alert(3)">这里</a>
[办事指南](  javascript:alert(4) ) 和 [表格](<vbscript:msgbox(5)>)
![流程图](data:image/svg+xml;base64,PHN2Zz4=)
<iframe src="https://example.com/"></iframe>
<form action="/login"><input name="password"></form>
## 附件 {: onclick="alert(6)" }

[ref]: javascript:alert(7)
<javascript:alert(8)>
<svg><a xlink:href="javascript:alert(9)">图</a></svg>
<img srcset="a.png 1x, javascript:alert(10) 2x"><button formaction="javascript:alert(11)">x</button>
<!-- 旧版：<script src="old.js"></script> -->
<style>.qms-card { display: none }</style>
<meta http-equiv="refresh" content="0; url=https://example.com/">
"""


def test_each_rule_fires_at_its_line() -> None:
    findings = find_active_content("procedures/qp-05.md", HOSTILE, 10, "QP-05")
    assert [(f.line, f.rule) for f in findings] == [
        (13, "content.script"),
        (15, "content.event-handler"),  # the attribute's own line in a tag over two lines
        (16, "content.unsafe-url"), (16, "content.unsafe-url"),
        (17, "content.unsafe-url"), (17, "content.unsafe-url"),
        (18, "content.unsafe-url"),
        (19, "content.embedded"),
        (20, "content.embedded"), (20, "content.embedded"),
        (21, "content.event-handler"),
        (23, "content.unsafe-url"),
        (24, "content.unsafe-url"),
        (25, "content.unsafe-url"),
        (26, "content.unsafe-url"), (26, "content.embedded"), (26, "content.unsafe-url"),
        (27, "content.script"),
        (28, "content.embedded"),
        (29, "content.embedded"),
    ]
    assert {f.path for f in findings} == {"procedures/qp-05.md"}
    assert {f.document for f in findings} == {"QP-05"}
    assert all(f.is_error for f in findings)


def test_findings_tell_a_document_controller_what_to_do() -> None:
    findings = find_active_content("procedures/qp-05.md", '见下图：<img src="a.png" onerror="alert(1)">', 12)
    assert [f.format() for f in findings] == [
        "procedures/qp-05.md:12: 错误：<img> 标签带有事件属性 onerror（在点击、加载等时执行代码）："
        "受控文件和网站页面不能含可执行内容 [content.event-handler]\n"
        "    修改方法：删除 onerror=… 这一属性；如果是在正文中展示代码，请把它放进 ``` 代码块"]
    link = find_active_content("docs/index.md", "[办事指南](javascript:go())")[0]
    assert link.message == "链接或图片的地址以 javascript: 开头：这种地址会执行代码或显示未经审查的内容"
    assert "{{ doc(\"QP-05\") }}" in link.hint and "https://" in link.hint


SHOWN_AS_CODE = """\
在网页中换行写 `<br>`，脚本写作 `<script>alert(1)</script>`，链接写作 ``[x](javascript:f())``，
属性写作 `{: onclick="f()" }`，图片写作 `<img src=x onerror=f()>`。

```html
<script>alert(1)</script>
<a href="javascript:alert(2)" onclick="x()">链接</a>
```

1. 在列表中：

    ~~~
    <iframe src="https://example.com/"></iframe>
    ~~~

| 写法 | 含义 |
| :--- | ---: |
| <br> | 换行 |

<details>
<summary>说明</summary>
内容 <span class="x">y</span>：[网站](https://example.gov.cn)、[邮件](mailto:a@b.cn)、
[电话](tel:12345)、[程序](../procedures/qp-05.md)、[本节](#说明)、{{ doc("QP-05") }}
</details>
"""


def test_code_and_benign_html_are_not_reported(render: markdown.Markdown) -> None:
    assert found(SHOWN_AS_CODE) == []
    page = rendered(render, SHOWN_AS_CODE)
    assert active(page) == []  # the renderer shows the code as text indeed
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in page
    assert "&lt;iframe" in page


# Code that the renderer does not escape, though it looks like code.
NOT_CODE = {
    "a code span that ends a tag's attribute (quotes are not escaped)":
        '说明 <a title="`" onclick="alert(1)//`">x</a>',
    "backticks inside a raw HTML block": "<div>\n\n`<script>alert(1)</script>`\n\n</div>",
    "a fence that is never closed": "```html\n<script>alert(1)</script>",
    "a fence indented less than its opening":
        "- 步骤\n\n    ```\n<script>alert(1)</script>\n    ```",
    "backticks paired across a fence": "a `\n```\nx\n```\n` <script>alert(1)</script>",
    "a double backtick closed by a single one":
        "``\n*em* `<img src=x onerror=alert(1)>`\n> ```html",
}


@pytest.mark.parametrize("text", NOT_CODE.values(), ids=NOT_CODE.keys())
def test_code_the_renderer_does_not_escape_is_reported(render: markdown.Markdown, text: str) -> None:
    assert active(rendered(render, text)) != []
    assert found(text) != []


FRAGMENTS = [
    "```", "```html", "~~~", "````", "   ```", "    ```", "  ```", "\t```", "```{.html}", '``` title="x"',
    "> ```", "- ```", "`", "``", "a `b` c", "`` ` ``", "\\`", "\\\\`", "x`", "`y", "`a|b`", "\\\\|",
    "<div>", "</div>", "<p>", "</p>", "<span>", "</span>", "<details>", "</details>", "<DIV>", "  <div>",
    "\t<div>", "<table>", "<br>", "<hr>", "<pre>", "<textarea>", "<style>", "<svg>", "<math>", "<!--",
    "-->", "<!-- x -->", "<!-- `-->` -->", "x <!-- y", "<?php ?>", "<![CDATA[", "]]>", "&lt;script&gt;",
    "", "", "", "   ", "\u3000", "- item", "1. item", "  - nested", "> quote", '!!! note "t"', "??? tip",
    "    indented", "| a | b |", "|---|---|", "# heading", "===", "***", "text", "term", ":   def",
    "---", "title: x", "*em*", "[ref]: http://x", "[x][r]", "{: .c }", "<scr\x02ipt>alert(0)</script>",
]
PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>',
    '<a title="`" onclick="alert(1)//`">y</a>', "<iframe src=x></iframe>", "[x](javascript:alert(1))",
    "[r]: <javascript:alert(1)>", '{: onclick="alert(1)"}', "`<img src=x onerror=alert(1)>`",
    "``<script>alert(2)</script>``",
]


def random_page(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(2, 14)):
        line = rng.choice(FRAGMENTS)
        if rng.random() < 0.3:
            line += rng.choice(["", " ", "`"]) + rng.choice(FRAGMENTS)
        if rng.random() < 0.3:
            line += " " + rng.choice(PAYLOADS)
        if rng.random() < 0.15:
            line = rng.choice(["  ", "    ", "- ", "> ", "1. "]) + line
        lines.append(line)
    return "\n".join(lines)


def test_whatever_the_renderer_makes_active_is_reported(render: markdown.Markdown) -> None:
    """Random pages of tricky Markdown: the finder may skip only what the renderer escapes."""
    rng = random.Random(20261201)
    missed = []
    for _ in range(2000):
        text = random_page(rng)
        if active(rendered(render, text)) and not found(text):
            missed.append(text)
    assert missed == []


def test_any_input_is_read_without_error() -> None:
    rng = random.Random(7)
    alphabet = "<>/!?-=\"'`&#;:[](){}| \n\tabcjsvriptonerrhfx\x00\x02\r\u3000"
    texts = [HOSTILE[:cut] for cut in range(len(HOSTILE))]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200))) for _ in range(2000)]
    texts += [rng.randbytes(rng.randint(0, 300)).decode("utf-8", "replace") for _ in range(300)]
    texts += ["<![x]>", "<![ xx [ ]]>", "<!--" * 50, "<![CDATA[" * 50, "`" * 500, "<a " * 200]
    for text in texts:
        findings = find_active_content("docs/page.md", text, 5)
        assert all(5 <= (f.line or 0) <= 5 + text.count("\n") for f in findings), text


def test_every_rule_it_reports_is_documented() -> None:
    source = (PROJECT / "qmsdoc/active_content.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"(content\.[a-z-]+)"', source))
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert used == {"content.script", "content.event-handler", "content.unsafe-url", "content.embedded"}
    assert used <= set(RULES)
    assert all(f"`{rule}`" in readme for rule in used)


# --- The sanitizer ----------------------------------------------------------------------------

HOSTILE_HTML = {
    '<p>说明<script>alert(1)</script></p>': "<p>说明</p>",
    '<img src="a.png" onerror="alert(1)">': '<img src="a.png">',
    '<a href="javascript:alert(1)">x</a>': "<a>x</a>",
    '<a href="jav&#x61;script:alert(1)">x</a>': "<a>x</a>",
    '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>': "<a>x</a>",
    '<iframe src="https://example.com/">x</iframe>': "x",
    '<form action="/login"><input name="password"><button>登录</button></form>': "登录",
    '<object data="x.swf">插件</object><embed src="x.swf">': "插件",
    '<svg onload="alert(1)"><script>alert(2)</script><a xlink:href="javascript:alert(3)">图</a></svg>': "",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>': "",
    '<style>.qms-card{display:none}</style><base href="https://evil.example/">': "",
    '<meta http-equiv="refresh" content="0; url=https://evil.example/">': "",
    '<!--[if IE]><script>alert(1)</script><![endif]-->': "",
    '<div style="position: fixed; top: 0">假通知</div>': "<div>假通知</div>",
    '<details open ontoggle="alert(1)"><summary>s</summary></details>':
        '<details open=""><summary>s</summary></details>',
    '<a href="https://example.gov.cn" target="_blank" rel="opener">网站</a>':
        '<a href="https://example.gov.cn">网站</a>',
}


@pytest.mark.parametrize("hostile", HOSTILE_HTML)
def test_the_sanitizer_removes_active_content(hostile: str) -> None:
    assert clean_html(hostile) == HOSTILE_HTML[hostile]
    assert clean_html(clean_html(hostile)) == clean_html(hostile)


SHOWCASE = """\
# 页面写法示例

## 表格

| 左 | 中 | 右 |
| :--- | :---: | ---: |
| a<br>b | `code` | {{ doc("QP-05") }} |

!!! note "提示"
    这是提示。

??? warning "可折叠"
    折叠内容。

???+ tip
    展开的折叠内容。

```python
def f(x):
    return "<b>" + x
```

行内 `code`、<kbd>Ctrl</kbd>、<sub>下</sub>、<sup>上</sup>、<mark>标记</mark>、
<abbr title="全称">缩写</abbr>。

![流程图](showcase/flow.png "流程图"){ width="300" }

[外部](https://example.gov.cn "标题")、[邮件](mailto:a@b.cn)、[电话](tel:12345)、[本页表格](#表格)

术语
:   定义

1. 一
2. 二
    - 嵌入

> 引用

***

段落
{: .lead #para-id }

<details>
<summary>原始 HTML</summary>
内容 <span class="x">span</span>
</details>
"""


def one_pixel_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 5)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def built_with_showcase(sample_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site built by MkDocs and our hook, with one (committed) page using every extension."""
    root = tmp_path_factory.mktemp("showcase") / "sample"
    shutil.copytree(sample_clone, root)
    (root / "docs/showcase.md").write_text(SHOWCASE, encoding="utf-8")
    (root / "docs/showcase").mkdir()
    (root / "docs/showcase/flow.png").write_bytes(one_pixel_png())
    identity = {"GIT_AUTHOR_NAME": "李娜", "GIT_AUTHOR_EMAIL": "lina@scjgj.shifan.example",
                "GIT_COMMITTER_NAME": "李娜", "GIT_COMMITTER_EMAIL": "lina@scjgj.shifan.example"}
    for command in (["git", "add", "docs"], ["git", "commit", "-qm", "Add a page showing every extension"]):
        subprocess.run(command, cwd=root, check=True, env={
            **os.environ, **identity, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    return root / "site"


class _Tokens(HTMLParser):
    """A page body as a list of elements, attributes and text, ignoring how it is written."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}  # <x a> is <x a="">
        if "style" in values:  # nh3 writes "text-align: left;" as "text-align:left"
            values["style"] = re.sub(r"\s|;$", "", values["style"])
        self.tokens.append(("<", tag, *sorted(f"{name}={value}" for name, value in values.items())))

    handle_startendtag = handle_starttag  # <hr /> is <hr>

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("</", tag))

    def handle_data(self, data: str) -> None:  # entities decoded: &para; is ¶
        if self.tokens and self.tokens[-1][0] == "text":
            data = self.tokens.pop()[1] + data
        self.tokens.append(("text", data))

    def handle_comment(self, data: str) -> None:
        self.tokens.append(("<!--", data))


def tokens(body: str) -> list[tuple[str, ...]]:
    parser = _Tokens()
    parser.feed(body)
    parser.close()
    return parser.tokens


def article(page: Path) -> str:
    found = re.search(r"<article[^>]*>(.*)</article>", page.read_text(encoding="utf-8"), re.S)
    assert found is not None, page
    return found.group(1)


def test_the_sanitizer_keeps_every_page_of_the_real_site(built_with_showcase: Path) -> None:
    """Cleaning any page body keeps the same elements in the same order, with the same
    attributes and values (an attribute without a value equals an empty one; style is
    compared without spaces and its final semicolon), the same text (entities decoded)
    and the same comments: only the way the HTML is written may change.
    """
    pages = sorted(built_with_showcase.rglob("index.html"))
    assert len(pages) > 40
    for page in pages:
        body = article(page)
        assert tokens(clean_html(body)) == tokens(body), page
    showcase = " ".join(map(str, tokens(article(built_with_showcase / "showcase/index.html"))))
    for feature in ("style=text-align:center", "'details', 'class=tip', 'open=open'",
                    "'div', 'class=admonition note'", "'p', 'class=admonition-title'",
                    "'span', 'class=k'", "'img', 'alt=流程图', 'src=flow.png'", "href=#表格",
                    "href=mailto:a@b.cn", "href=tel:12345", "'a', 'class=headerlink'", "'dl'",
                    "'p', 'class=lead', 'id=para-id'", "href=../procedures/qp-05/"):
        assert feature in showcase, feature
    card = " ".join(map(str, tokens(article(built_with_showcase / "procedures/qp-05/index.html"))))
    assert "'div', 'class=qms-card', 'data-search-exclude='" in card
    assert "'div', 'class=qms-history', 'data-search-exclude='" in card


def test_cleaning_twice_changes_nothing_more(built_with_showcase: Path) -> None:
    for page in sorted(built_with_showcase.rglob("index.html")):
        once = clean_html(article(page))
        assert clean_html(once) == once, page
