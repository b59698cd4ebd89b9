"""Bringing existing documents into the manual (``qmsdoc import``).

A Word file goes through mammoth (Word → simple HTML) and markdownify (HTML → Markdown);
a Markdown file is taken as it is. The number and title are proposed from the document's
header table or first heading, the rest comes from the options, and the document is
written in review like ``qmsdoc new`` writes one. Images are kept in a folder named after
the document beside it. What could not be carried over is reported in Chinese.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mammoth
from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from .config import Settings
from .errors import QmsdocError
from .model import DocType
from .scaffold import NewDocument, document_path, document_text, parse_type

# A document number inside a heading such as "QP-07 不合格服务控制程序" or "QP-07不合格…".
NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}-[0-9]{2}(?:-[0-9]{2})?)(?![0-9-])")
NUMBER_CELLS = {"文件编号", "编号", "文件号"}
TITLE_CELLS = {"文件名称", "名称", "标题", "文件标题"}
# Images are linked as IMAGES + name until the document's name, and so its image folder
# (procedures/qp-07/ beside procedures/qp-07.md), is known.
IMAGES = "qmsdoc-images/"
HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)([^)]*)\)")
# What mammoth says, in words a document controller understands.
MAMMOTH_MESSAGES = [
    (re.compile(r"Unrecognised paragraph style: '?(.+?)'? \(Style ID"),
     "段落样式“{0}”无法对应，按普通段落导入"),
    (re.compile(r"Unrecognised run style: '?(.+?)'? \(Style ID"), "文字样式“{0}”无法对应，按普通文字导入"),
    (re.compile(r"Image of type (\S+) is unlikely"), "图片格式 {0} 在网页中通常无法显示：另存为 PNG 后替换"),
    (re.compile(r"unrecognised element was ignored: (\S+)"), "Word 元素 {0} 无法识别，已略去"),
]
# Parts of a Word file that mammoth leaves out without saying so.
SILENT_LOSSES = [
    ("word/header", "页眉未导入（文件编号、版本、页码等由 qmsdoc 在网站和受控副本上生成）"),
    ("word/footer", "页脚未导入"),
    ("word/comments.xml", "批注未导入"),
    ("word/charts/", "图表未导入：请截图后作为图片放入正文"),
    ("word/embeddings/", "嵌入的对象（如 Excel 表、Visio 图）未导入：请截图或改为附件"),
]


@dataclass
class Imported:
    """One imported document and what could not be carried over."""

    source: Path
    path: Path
    number: str
    title: str
    images: list[Path] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    body_html: BeautifulSoup | None = None  # a Word file, converted
    body_markdown: str = ""  # a Markdown file
    number: str | None = None
    title: str | None = None
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, content)
    lost: list[str] = field(default_factory=list)


def import_files(settings: Settings, files: list[Path], type_name: str | None, number: str | None,
                 department: str | None, today: datetime.date) -> list[Imported]:
    """Import each file as a document in review; return what was written."""
    if number and len(files) > 1:
        raise QmsdocError("--number 只能用于导入一个文件：多个文件请分别导入，"
                          "或让 qmsdoc 从文件标题中取编号")
    return [_import_one(settings, file, type_name, number, department, today) for file in files]


def _import_one(settings: Settings, source: Path, type_name: str | None, number: str | None,
                department: str | None, today: datetime.date) -> Imported:
    draft = _read(source)
    number = (number or draft.number or "").strip().upper()
    if not number:
        raise QmsdocError(f"{source}：在表头和第一个标题中都没有找到文件编号（如 QP-07）；"
                          "用 --number 写明编号后再导入")
    doc_type = parse_type(type_name) if type_name else _type_of(number)
    title = draft.title or source.stem
    path = document_path(settings, doc_type, number)
    image_folder = path.with_suffix("")
    body = _markdown(draft).replace(IMAGES, f"{path.stem}/")
    images = []
    for name, content in draft.images:
        image_folder.mkdir(parents=True, exist_ok=True)
        (image_folder / name).write_bytes(content)
        images.append(image_folder / name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document_text(NewDocument(doc_type, number, title, (department or "办公室").strip(),
                                              today, body=body)), encoding="utf-8")
    return Imported(source, path, number, title, images, draft.lost)


def _type_of(number: str) -> DocType:
    for doc_type in DocType:
        if doc_type.number_re.match(number):
            return doc_type
    raise QmsdocError(f"编号 {number} 不属于任何文件类型：用 --type 写明类型，或改正编号（例如 QP-07）")


def _read(source: Path) -> _Draft:
    if not source.is_file():
        raise QmsdocError(f"找不到要导入的文件 {source}：检查路径")
    suffix = source.suffix.lower()
    if suffix == ".docx":
        return _read_docx(source)
    if suffix in {".md", ".markdown"}:
        return _read_markdown(source)
    raise QmsdocError(f"{source}：只能导入 .docx 和 .md 文件；.doc 等旧格式请先在 Word 中另存为 .docx")


# Word files


def _read_docx(source: Path) -> _Draft:
    draft = _Draft()

    def keep_image(image: Any) -> dict[str, str]:
        extension = image.content_type.partition("/")[2].replace("jpeg", "jpg") or "bin"
        name = f"image{len(draft.images) + 1}.{extension}"
        with image.open() as stream:
            draft.images.append((name, stream.read()))
        return {"src": IMAGES + name}

    try:
        with source.open("rb") as stream:
            result = mammoth.convert_to_html(stream, convert_image=mammoth.images.img_element(keep_image))
        with zipfile.ZipFile(source) as archive:
            parts = archive.namelist()
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise QmsdocError(f"{source} 不是有效的 Word（.docx）文件，无法读取（{error}）："
                          "在 Word 中打开后另存为 .docx 再导入") from None
    draft.lost += sorted({_chinese(m.message) for m in result.messages})
    draft.lost += [text for prefix, text in SILENT_LOSSES if any(p.startswith(prefix) for p in parts)]
    soup = BeautifulSoup(result.value, "html.parser")
    draft.body_html = soup
    _propose_from_header_table(soup, draft)
    _propose_from_first_heading(soup, draft)
    _shift_headings(soup)
    draft.lost += _table_losses(soup)
    return draft


def _chinese(message: str) -> str:
    for pattern, text in MAMMOTH_MESSAGES:
        found = pattern.search(message)
        if found:
            return text.format(*found.groups())
    return f"Word 转换提示：{message}"


def _cell_text(cell: Tag) -> str:
    return re.sub(r"[\s:：]", "", cell.get_text())


def _propose_from_header_table(soup: BeautifulSoup, draft: _Draft) -> None:
    """A header table (文件编号 | QP-07 | 文件名称 | …) before the text gives number and title."""
    table = soup.find("table")
    if not isinstance(table, Tag):
        return
    cells = table.find_all(["td", "th"])
    texts = [_cell_text(c) for c in cells]
    for label, value in zip(texts, cells[1:], strict=False):
        if label in NUMBER_CELLS and NUMBER_IN_TEXT.fullmatch(_cell_text(value)):
            draft.number = _cell_text(value).upper()
        elif label in TITLE_CELLS and _cell_text(value):
            draft.title = value.get_text(" ", strip=True)
    if draft.number:
        table.decompose()  # its facts are now metadata


def _propose_from_first_heading(soup: BeautifulSoup, draft: _Draft) -> None:
    """The first heading ("QP-07 不合格服务控制程序") gives the number and title."""
    heading = soup.find(HEADINGS)
    if not isinstance(heading, Tag):
        return
    text = heading.get_text(" ", strip=True)
    found = NUMBER_IN_TEXT.search(text)
    if found:
        draft.number = draft.number or found.group(1).upper()
        title = (text[:found.start()] + text[found.end():]).strip(" \u3000-—:：")
        draft.title = draft.title or title or None
        heading.decompose()
    elif draft.title is None or text == draft.title:
        draft.title = text
        heading.decompose()


def _shift_headings(soup: BeautifulSoup) -> None:
    """Sections of a document are level 2 (the title is the page's only level 1)."""
    if soup.find("h1") is None:
        return
    for heading in soup.find_all(HEADINGS):
        heading.name = f"h{min(int(heading.name[1]) + 1, 6)}"


def _table_losses(soup: BeautifulSoup) -> list[str]:
    """Markdown tables hold one line of text per cell, without merged cells."""
    lost = []
    for index, table in enumerate(soup.find_all("table"), 1):
        cells = table.find_all(["td", "th"])
        if any(c.get("colspan", "1") != "1" or c.get("rowspan", "1") != "1" for c in cells):
            lost.append(f"第 {index} 个表格有合并单元格：Markdown 表格中已拆开，请核对")
        if any(c.find(["ul", "ol", "table"]) or len(c.find_all("p")) > 1 for c in cells):
            lost.append(f"第 {index} 个表格的单元格中有多段文字或列表：已合并为一行，请核对")
    return lost


def _markdown(draft: _Draft) -> str:
    if draft.body_html is None:
        return draft.body_markdown
    converter = MarkdownConverter(heading_style="ATX", bullets="-", table_infer_header=True,
                                  escape_misc=False)
    text = converter.convert_soup(draft.body_html)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Markdown files


def _read_markdown(source: Path) -> _Draft:
    text = source.read_text(encoding="utf-8-sig")
    draft = _Draft()
    if text.startswith("---\n") and "\n---" in text[4:]:
        text = text[4:].split("\n---", 1)[1].lstrip("-\n")
        draft.lost.append("原文件开头的元数据（--- 之间）未沿用：元数据按 qmsdoc 的格式重新生成")
    heading = MD_HEADING.search(text)
    if heading:
        found = NUMBER_IN_TEXT.search(heading.group(2))
        if found:
            draft.number = found.group(1).upper()
            draft.title = (heading.group(2)[:found.start()] + heading.group(2)[found.end():]).strip(
                " \u3000-—:：") or None
        else:
            draft.title = heading.group(2)
        text = text[:heading.start()] + text[heading.end():]
        if re.search(r"^# ", text, re.M):  # sections become level 2 under the title
            text = re.sub(r"^(#{1,5}) ", r"#\1 ", text, flags=re.M)
    draft.body_markdown = _local_images(source, text, draft)
    return draft


def _local_images(source: Path, text: str, draft: _Draft) -> str:
    """Images beside a Markdown file move beside the document; links to them follow."""
    def keep(found: re.Match[str]) -> str:
        alt, target = found.group(1), found.group(2)
        if re.match(r"[a-z]+:", target, re.I):
            draft.lost.append(f"图片 {target} 是网络地址，未复制：受控文件应自带图片，请下载后放入正文")
            return found.group(0)
        image = source.parent / target
        if not image.is_file():
            draft.lost.append(f"图片 {target} 找不到，未导入：把图片放到 {source.parent} 下后重新导入")
            return found.group(0)
        name = f"image{len(draft.images) + 1}{image.suffix.lower()}"
        draft.images.append((name, image.read_bytes()))
        return f"![{alt}]({IMAGES}{name})"
    return MD_IMAGE.sub(keep, text)

