"""`qmsdoc pdf`: documents in force as PDF, and the manual as a book, with WeasyPrint.

A small manual whose QP-01 runs over several pages is approved on 2024-02-20
and printed as of 2024-07-01 (print date 2024-07-02). The PDFs are read back
with poppler's tools (pdftotext, pdffonts, pdftoppm, pdftohtml).
"""

from __future__ import annotations

import datetime
import gc
import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from qmsdoc.errors import QmsdocError
from qmsdoc.gate import GateResult
from qmsdoc.pdf import Marking, book_pdf, document_pdf
from qmsdoc.pdf_render import render_pdf

from .conftest import ManualRepo, front, meta, mini_manual, new_repo

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdftoppm", "fc-list")),
    reason="poppler-utils or fontconfig is not installed (.ci/run installs them)")

DATA = Path(__file__).parent / "data"
PRINTED = Marking(printed_on=datetime.date(2024, 7, 2))
SECTIONS = "\n\n".join(
    f"## {n} 第{n}节\n\n" + "文件管理员按本程序维护受控文件，确保现行有效的版本在使用处可得。" * 12
    for n in range(1, 13))


def long_manual(body: str = SECTIONS) -> dict[str, str]:
    files = mini_manual()
    files["procedures/qp-01.md"] = front(meta(
        "QP-01", "文件控制程序", "procedure", related=["QM-01"], records=["QR-01-01"],
        roles=["文件管理员"], clauses=["7.5"]), body)
    return files


def approved(root: Path, files: dict[str, str]) -> ManualRepo:
    repo = new_repo(root, files)
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return repo


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    repo = approved(tmp_path_factory.mktemp("pdf") / "repo", long_manual())
    gate = repo.gate()
    assert not gate.errors, gate.errors
    return gate


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, with the spaces between characters removed."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [re.sub(r"\s+", "", page) for page in text.split("\f") if page.strip()]


def test_every_page_carries_number_version_marking_and_page_x_of_y(
        manual: GateResult, tmp_path: Path) -> None:
    pages = pdf_pages(document_pdf(manual, "QP-01", PRINTED), tmp_path)
    assert len(pages) >= 3
    for index, page in enumerate(pages, start=1):
        assert "测试局" in page
        assert "QP-01文件控制程序版本A/0" in page
        assert "非受控副本打印日期2024-07-02" in page
        assert f"第{index}页共{len(pages)}页" in page
    assert "修订记录" in pages[-1] and "首次发布" in pages[-1]


def test_a_controlled_copy_names_its_copy_number_and_holder_on_every_page(
        manual: GateResult, tmp_path: Path) -> None:
    marking = Marking(controlled_copy="QP-01-A0-003", holder="办公室")
    pages = pdf_pages(document_pdf(manual, "QP-01", marking), tmp_path)
    assert all("受控本发放号QP-01-A0-003持有人办公室" in page for page in pages)
    assert not any("非受控" in page for page in pages)


def test_fonts_are_embedded_subsets_never_type3(manual: GateResult, tmp_path: Path) -> None:
    path = tmp_path / "qp-01.pdf"
    path.write_bytes(document_pdf(manual, "QP-01", PRINTED))
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                          check=True).stdout.splitlines()[2:]
    assert rows
    assert any("CJK" in row for row in rows)
    for row in rows:
        assert "Type 3" not in row
        name, emb, sub = row.split()[0], row.split()[-5], row.split()[-4]
        assert re.match(r"[A-Z]{6}\+", name) and (emb, sub) == ("yes", "yes"), row


def test_page_one_looks_like_the_reference(manual: GateResult, tmp_path: Path) -> None:
    """WeasyPrint's layout is pinned: a new version or a broken style shows here.

    To accept a deliberate change, replace tests/data/pdf-qp-01-page1.png with the
    ``page-1.png`` this test leaves in its temporary folder, and look at it first.
    """
    path = tmp_path / "qp-01.pdf"
    path.write_bytes(document_pdf(manual, "QP-01", PRINTED))
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile",
                    str(path), str(tmp_path / "page-1")], check=True)
    with Image.open(tmp_path / "page-1.png") as page, \
            Image.open(DATA / "pdf-qp-01-page1.png") as reference:
        assert page.size == reference.size
        difference = ImageChops.difference(page.convert("L"), reference.convert("L"))
        assert ImageStat.Stat(difference).mean[0] < 2.0  # of 255: anti-aliasing, not layout


def test_only_documents_in_force_are_printed(manual: GateResult) -> None:
    with pytest.raises(QmsdocError, match="没有编号为 QP-99 的受控文件"):
        document_pdf(manual, "QP-99")


def test_a_draft_is_not_printed(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", mini_manual())
    repo.commit("Add the first edition", date="2024-02-01")
    with pytest.raises(QmsdocError, match="QP-01《文件控制程序》 尚未批准生效.*只有现行有效的文件"):
        document_pdf(repo.gate(), "QP-01")


def test_a_missing_chinese_font_is_a_clear_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved(tmp_path / "repo", mini_manual())
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n')
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    result = repo.qmsdoc("pdf", "QP-01", "--output", str(tmp_path / "out"), "--date", "2024-07-01")
    assert result.exit_code == 2, result.output
    assert "没有找到中文字体" in result.output and "fonts-noto-cjk" in result.output
    assert not (tmp_path / "out").exists()


class _Requests(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.seen.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Requests)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_rendering_fetches_nothing_from_the_network(tmp_path: Path, web_server: str) -> None:
    body = f"## 1 目的\n\n流程图见下。\n\n![流程图]({web_server}/flow.png)\n"
    repo = approved(tmp_path / "repo", long_manual(body))
    pages = pdf_pages(document_pdf(repo.gate(), "QP-01", PRINTED), tmp_path)
    assert "流程图见下" in pages[0]
    assert _Requests.seen == []


def test_laying_out_a_pdf_leaves_no_garbage_for_the_collector(tmp_path: Path) -> None:
    """A layout's reference cycles are freed when it ends. Left for the cyclic collector,
    which runs rarely beside a large heap, they piled up: the first build of 5,000
    documents, laying out 2,500 forms, grew to 3.7 GB."""
    html = "<p>" + "记录表格".join(f"<b>{n}</b>" for n in range(200)) + "</p>"
    gc.collect()
    gc.disable()
    try:
        pdf = render_pdf(html)
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert "记录表格" in pdf_pages(pdf, tmp_path)[0]


def test_the_cli_writes_a_pdf_per_document_and_a_book(manual: GateResult, tmp_path: Path) -> None:
    repo = ManualRepo(manual.settings.root)
    result = repo.qmsdoc("pdf", "--output", str(tmp_path / "pdf"), "--date", "2024-07-01")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "pdf").iterdir())
    assert written == ["JR-01_A-0.pdf", "JR-02_A-0.pdf", "JR-03_A-0.pdf", "QM-01_A-0.pdf",
                       "QP-01_A-0.pdf", "QR-01-01_A-0.pdf"]
    book = tmp_path / "manual.pdf"
    result = repo.qmsdoc("pdf", "--book", "--output", str(book), "--date", "2024-07-01")
    assert result.exit_code == 0, result.output
    pages = pdf_pages(book.read_bytes(), tmp_path)
    assert "测试局" in pages[0] and "质量管理体系文件汇编" in pages[0]
    assert "目录" in pages[1] and "QP-01文件控制程序（A/0）" in pages[1]
    outline = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-stdout", str(book)],
                             capture_output=True, text=True, check=True).stdout
    assert re.search(r">QP-01 文件控制程序</item>\s*<outline>\s*<item[^>]*>1 第1节</item>", outline)


def test_the_book_links_citations_to_documents_in_it(manual: GateResult, tmp_path: Path) -> None:
    pages = pdf_pages(book_pdf(manual, ["QM-01", "QP-01"], PRINTED), tmp_path)
    quality_manual = next(page for page in pages if "本手册描述本局如何工作" in page)
    assert "《文件控制程序》（QP-01，A/0）" in quality_manual
    assert "7.5成文信息" in quality_manual
