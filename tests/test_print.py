"""Printing from the staff site, with real MkDocs builds printed by a real Chromium.

Every printed sheet carries the organisation, the document's number, title and
version, 非受控副本 with the print date and 第 X 页 共 Y 页; headings stay with
their text; registers fit the sheet (landscape where they are wide).
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from qmsdoc.printing import PrintHeading, css_string, with_print_head

from .conftest import PROJECT, ManualRepo, mini_manual, new_repo
from .test_published_input import HOME, SITE_SETTINGS, build
from .test_site import mkdocs_build

needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="打印测试需要 chromium 和 poppler-utils（pdftotext、pdfinfo）：.ci/run 会安装它们")


def print_page(page: Path, tmp_path: Path) -> tuple[list[str], tuple[float, float]]:
    """Chromium's print of a page: each sheet's text (white space removed) and the sheet size."""
    pdf = tmp_path / (page.parent.name + ".pdf")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", f"--user-data-dir={tmp_path / 'chromium'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
    assert size is not None, info
    sheets = [re.sub(r"\s+", "", sheet) for sheet in text.split("\f") if sheet.strip()]
    return sheets, (float(size.group(1)), float(size.group(2)))


@pytest.fixture(scope="module")
def sample_site(sample_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("printed") / "sample"
    shutil.copytree(sample_clone, root)
    result = mkdocs_build(root, QMSDOC_DATE="2026-12-01")
    assert result.returncode == 0, result.stderr
    return root / "site"


@needs_chromium
def test_every_printed_sheet_of_a_document_carries_its_marks(sample_site: Path,
                                                               tmp_path: Path) -> None:
    before = datetime.date.today().isoformat()
    sheets, (width, height) = print_page(sample_site / "procedures/qp-05/index.html", tmp_path)
    printed_on = {before, datetime.date.today().isoformat()}
    assert len(sheets) >= 3 and width < height  # A4 upright, several sheets
    for number, sheet in enumerate(sheets, 1):
        assert "示范市市场监督管理局" in sheet, number
        assert "QP-05内部审核程序版本A/1" in sheet, number
        assert any(f"非受控副本打印日期{day}" in sheet for day in printed_on), number
        assert f"第{number}页共{len(sheets)}页" in sheet, number


@needs_chromium
def test_an_archived_text_prints_its_own_version_and_state(sample_site: Path,
                                                           tmp_path: Path) -> None:
    sheets, _ = print_page(sample_site / "archive/QP-05/A-0/index.html", tmp_path)
    assert len(sheets) >= 2
    for number, sheet in enumerate(sheets, 1):
        assert "QP-05内部审核程序版本A/0（已被替代）" in sheet, number
        assert "非受控副本打印日期" in sheet and f"第{number}页共{len(sheets)}页" in sheet, number


@needs_chromium
def test_the_responsibility_matrix_prints_landscape_with_every_column(
        sample_site: Path, tmp_path: Path) -> None:
    sheets, (width, height) = print_page(
        sample_site / "registers/responsibility-matrix/index.html", tmp_path)
    assert width > height
    # First and last columns whole: the last is the last job responsibility's role.
    assert "文件归口部门局长" in sheets[0] and "QM-01质量手册" in sheets[0]
    assert "投诉举报处理人员信息公开工作人员" in sheets[0]
    assert "QP-12政府信息公开程序办公室●●●●" in "".join(sheets)
    assert all("职责分配矩阵" in sheet and "非受控副本打印日期" in sheet for sheet in sheets)


@pytest.fixture
def long_page_site(tmp_path: Path) -> Path:
    """A site page with 120 short sections of uneven length and a wide table, built by MkDocs."""
    sections = []
    for i in range(1, 121):
        paragraph = f"第{i}节的正文，" + "说明办理的要求和时限，" * (2 + i * 7 % 9)
        sections.append(f"## 小节标题{i:03d}\n\n{paragraph}")
    wide = ("| " + " | ".join(f"栏目{c}" for c in range(1, 11)) + " |\n"
            + "|---" * 10 + "|\n"
            + "| " + " | ".join(f"内容{c}" for c in range(1, 11)) + " |\n")
    files = {**mini_manual(), "mkdocs.yml": SITE_SETTINGS, "docs/index.md": HOME,
             "docs/long.md": "# 长页面\n\n" + wide + "\n" + "\n\n".join(sections) + "\n",
             "hooks/qmsdoc_mkdocs.py": (PROJECT / "hooks/qmsdoc_mkdocs.py").read_text("utf-8")}
    repo: ManualRepo = new_repo(tmp_path / "repo", files)
    repo.commit("Add the first edition and the site", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    result = build(repo)
    assert result.returncode == 0, result.stderr
    return repo.root / "site"


@needs_chromium
def test_headings_stay_with_their_text_and_wide_tables_are_not_cut(
        long_page_site: Path, tmp_path: Path) -> None:
    sheets, _ = print_page(long_page_site / "long/index.html", tmp_path)
    assert len(sheets) > 5
    assert "栏目10" in sheets[0] and "内容10" in sheets[0]
    for number, sheet in enumerate(sheets, 1):
        body = sheet.split("非受控副本打印日期")[0]  # the footer follows the sheet's text
        assert not re.search(r"小节标题\d\d\d$", body), f"第 {number} 页以标题结束：{body[-40:]}"
        assert "测试局" in sheet and f"第{number}页共{len(sheets)}页" in sheet


def test_page_values_cannot_leave_the_css_string_nor_the_style_element() -> None:
    assert css_string('a"b\\c\n') == '"a\\22 b\\5c c\\a "'
    heading = PrintHeading("测试局", '</style><script>alert(1)</script>"}', "A/0")
    page = with_print_head("<html><head><title>t</title></head><body></body></html>", heading)
    head = page[:page.index("</head>")]
    assert head.count("</style>") == 1 and "alert(1)" in head and "<script>alert" not in head
    assert head.count("<script>") == 1  # qmsdoc's print date, nothing else
