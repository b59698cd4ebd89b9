"""``qmsdoc import``: a department brings its Word and Markdown documents into the manual."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE

from qmsdoc.frontmatter import load_yaml

from .conftest import ManualRepo
from .test_scaffold import init


def png() -> bytes:
    """A real 2×2 PNG image (python-docx reads its size)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = zlib.compress((b"\x00" + b"\xff\x00\x00" * 2) * 2)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def procedure_docx(path: Path, first_heading: str = "QP-07 不合格服务控制程序",
                   header_table: bool = False) -> Path:
    """A Word procedure as departments write them: Chinese headings, numbering, a table, an image."""
    document = Document()
    if header_table:
        table = document.add_table(rows=1, cols=4)
        for cell, text in zip(table.rows[0].cells, ["文件编号", "QP-08", "文件名称", "内部审核程序"],
                              strict=True):
            cell.text = text
    document.add_heading(first_heading, level=1)
    document.add_heading("1 目的", level=1)
    document.add_paragraph("为控制不合格服务，制定本程序。")
    document.add_heading("4 工作程序", level=1)
    document.add_heading("4.1 识别", level=2)
    document.add_paragraph("发现不合格服务", style="List Number")
    document.add_paragraph("报告科室负责人", style="List Number")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, ["步骤", "责任部门", "评审处置", "办公室"], strict=True):
        cell.text = text
    document.add_picture(io.BytesIO(png()))
    document.styles.add_style("公文正文", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("本程序自发布之日起施行。", style="公文正文")
    document.sections[0].header.paragraphs[0].text = "测试局 QP-07"
    document.save(str(path))
    return path


@pytest.fixture
def started(tmp_path: Path) -> ManualRepo:
    repo, output = init(tmp_path)
    assert "已在" in output, output
    return repo


def metadata(repo: ManualRepo, path: str) -> dict[str, object]:
    meta: dict[str, object] = load_yaml(repo.read(path).split("---")[1]).data["qms"]
    return meta


def test_a_word_procedure_is_carried_over(started: ManualRepo, tmp_path: Path) -> None:
    source = procedure_docx(tmp_path / "不合格服务控制程序.docx")
    result = started.qmsdoc("import", str(source), "--department", "质量科")
    assert result.exit_code == 0, result.output
    meta = metadata(started, "procedures/qp-07.md")
    assert (meta["number"], meta["title"], meta["type"], meta["state"], meta["department"]) == (
        "QP-07", "不合格服务控制程序", "procedure", "in_review", "质量科")
    body = started.read("procedures/qp-07.md").split("---", 2)[2]
    assert "QP-07 不合格服务控制程序" not in body  # the title is metadata, not a section
    assert "## 1 目的\n\n为控制不合格服务，制定本程序。" in body
    assert "## 4 工作程序" in body and "### 4.1 识别" in body
    assert "1. 发现不合格服务\n2. 报告科室负责人" in body
    assert "| 步骤 | 责任部门 |\n| --- | --- |\n| 评审处置 | 办公室 |" in body
    assert "![](qp-07/image1.png)" in body
    assert (started.root / "procedures/qp-07/image1.png").read_bytes() == png()
    # The report names what was lost, in Chinese.
    assert "已导入" in result.output and "procedures/qp-07.md" in result.output
    assert "段落样式“公文正文”无法对应" in result.output
    assert "页眉未导入" in result.output
    # Like `qmsdoc new`: once committed, the imported document passes the checks.
    started.git("add", "-A")
    started.git("commit", "-qm", "导入 QP-07")
    check = started.qmsdoc("check")
    assert "qp-07" not in check.output, check.output


def test_number_and_title_come_from_the_header_table(started: ManualRepo, tmp_path: Path) -> None:
    source = procedure_docx(tmp_path / "audit.docx", first_heading="内部审核程序", header_table=True)
    result = started.qmsdoc("import", str(source))
    assert result.exit_code == 0, result.output
    meta = metadata(started, "procedures/qp-08.md")
    assert (meta["number"], meta["title"]) == ("QP-08", "内部审核程序")
    body = started.read("procedures/qp-08.md").split("---", 2)[2]
    assert "文件编号" not in body and "内部审核程序" not in body
    assert "![](qp-08/image1.png)" in body


def test_a_word_file_without_a_number_needs_one(started: ManualRepo, tmp_path: Path) -> None:
    source = procedure_docx(tmp_path / "x.docx", first_heading="顾客满意度测量程序")
    refused = started.qmsdoc("import", str(source))
    assert refused.exit_code == 2 and "没有找到文件编号" in refused.output
    assert "Traceback" not in refused.output
    result = started.qmsdoc("import", str(source), "--number", "qp-09")
    assert result.exit_code == 0, result.output
    assert metadata(started, "procedures/qp-09.md")["title"] == "顾客满意度测量程序"


def test_a_markdown_document_is_imported(started: ManualRepo, tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics/flow.png").write_bytes(png())
    source = tmp_path / "qp-10.md"
    source.write_text("# QP-10 纠正措施程序\n\n# 1 目的\n\n消除不合格的原因。\n\n"
                      "![流程图](pics/flow.png)\n\n![缺图](pics/none.png)\n", encoding="utf-8")
    result = started.qmsdoc("import", str(source), "--department", "办公室")
    assert result.exit_code == 0, result.output
    meta = metadata(started, "procedures/qp-10.md")
    assert (meta["number"], meta["title"]) == ("QP-10", "纠正措施程序")
    body = started.read("procedures/qp-10.md").split("---", 2)[2]
    assert "## 1 目的\n\n消除不合格的原因。" in body and "纠正措施程序" not in body
    assert "![流程图](qp-10/image1.png)" in body
    assert (started.root / "procedures/qp-10/image1.png").read_bytes() == png()
    assert "图片 pics/none.png 找不到" in result.output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("old.doc", b"binary", "只能导入 .docx 和 .md 文件"),
    ("broken.docx", b"not a zip", "不是有效的 Word（.docx）文件"),
])
def test_bad_files_are_refused_in_chinese(started: ManualRepo, tmp_path: Path, name: str,
                                          content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    result = started.qmsdoc("import", str(tmp_path / name))
    assert result.exit_code == 2 and message in result.output, result.output
