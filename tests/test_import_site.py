"""A new department from ``qmsdoc init`` to its staff site: three Word procedures imported,
approved and published, images included; nothing unapproved is published."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from docx import Document

from qmsdoc.assets import linked_files
from qmsdoc.site import SitePlan

from .conftest import ManualRepo
from .test_import import png
from .test_scaffold import build, init, register_first_people

SVG_PLAIN = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="2" height="2"/></svg>'
SVG_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
              b'<rect width="2" height="2"/></svg>')


def word_procedure(path: Path, number: str, title: str, step: str, image: bool = False) -> Path:
    """A Word procedure with Chinese headings, a numbered list, a table and maybe an image."""
    document = Document()
    document.add_heading(f"{number} {title}", level=1)
    document.add_heading("1 目的", level=1)
    document.add_paragraph(f"为规范{title[:-2]}，制定本程序。")
    document.add_heading("4 工作程序", level=1)
    document.add_paragraph(step, style="List Number")
    document.add_paragraph("记录结果并归档", style="List Number")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, ["环节", "责任部门", step, "办公室"], strict=True):
        cell.text = text
    if image:
        document.add_picture(io.BytesIO(png()))
    document.save(str(path))
    return path


def grow_register(repo: ManualRepo) -> None:
    """The register gains a reviewer (管理者代表) and the document controller, approved by the
    director the first register names; their job responsibilities are approved."""
    register_first_people(repo)
    result = repo.qmsdoc("new", "岗位职责", "--number", "JR-03", "--title", "管理者代表岗位职责",
                         "--effective-date", "2024-01-20")
    assert result.exit_code == 0, result.output
    repo.edit("responsibilities/jr-03.md", "role: （岗位名称）\n  authority: {}",
              "role: 管理者代表\n  authority:\n    review: [quality_manual, procedure, "
              "job_responsibility]")
    for jr in ("jr-01", "jr-02"):
        repo.edit(f"responsibilities/{jr}.md", "effective_date: 2024-01-05",
                  "effective_date: 2024-01-20")
    repo.commit("起草岗位职责", person="李文管", date="2024-01-10")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-01-20")


def import_words(repo: ManualRepo, folder: Path, *procedures: tuple[str, str, str, bool]) -> None:
    files = [str(word_procedure(folder / f"{number}.docx", number, title, step, image))
             for number, title, step, image in procedures]
    result = repo.qmsdoc("import", *files, "--department", "质量科", "--effective-date",
                         "2024-02-01", date="2024-01-22")
    assert result.exit_code == 0, result.output


@pytest.fixture
def department(tmp_path: Path) -> ManualRepo:
    """A new department's manual with its register grown (nothing imported yet)."""
    repo, output = init(tmp_path)
    assert "已在" in output, output
    grow_register(repo)
    return repo


def test_a_new_department_imports_approves_and_publishes_three_word_procedures(
        department: ManualRepo, tmp_path: Path) -> None:
    repo = department
    import_words(repo, tmp_path,
                 ("QP-07", "不合格服务控制程序", "识别不合格服务", True),
                 ("QP-08", "内部审核程序", "编制审核计划", False),
                 ("QP-09", "管理评审程序", "收集评审输入", False))
    repo.commit("导入三个程序文件", person="李文管", date="2024-01-22")
    repo.approve_all(["QP-07", "QP-08", "QP-09"], date="2024-01-25")
    # After approval: a fourth procedure is imported and committed but not approved, and the
    # approved image is changed, once in a commit nobody approved and once more in the
    # working tree. None of this reaches the staff site.
    import_words(repo, tmp_path, ("QP-10", "纠正措施控制程序", "分析不合格原因", True))
    repo.write("procedures/qp-07/image1.png", "未批准的图片（已提交）")
    repo.commit("导入 QP-10，替换 QP-07 的图片", person="李文管", date="2024-01-26")
    repo.write("procedures/qp-07/image1.png", "未批准的图片（未提交）")

    built = build(repo, "2024-02-01")
    assert built.returncode == 0, built.stderr

    site = repo.root / "site"
    for number, title, step in (("qp-07", "不合格服务控制程序", "识别不合格服务"),
                                ("qp-08", "内部审核程序", "编制审核计划"),
                                ("qp-09", "管理评审程序", "收集评审输入")):
        page = (site / f"procedures/{number}/index.html").read_text("utf-8")
        assert title in page and f"为规范{title[:-2]}，制定本程序。" in page
        assert "1 目的" in page and "4 工作程序" in page
        assert f"<li>{step}</li>\n<li>记录结果并归档</li>" in page  # the numbered list
        assert "<th>环节</th>" in page and f"<td>{step}</td>" in page  # the table
    page = (site / "procedures/qp-07/index.html").read_text("utf-8")
    assert '<img alt="" src="image1.png">' in page
    assert (site / "procedures/qp-07/image1.png").read_bytes() == png()  # as approved
    # Nothing unapproved is published: not QP-10, its image, nor the quality manual in review.
    assert not (site / "procedures/qp-10").exists()
    assert not (site / "manual").exists()
    index = json.loads((site / "search/search_index.json").read_text("utf-8"))
    texts = " ".join(entry["text"] + entry["title"] for entry in index["docs"]).replace(
        "\u200b", "")  # the search's word breaks
    assert "分析不合格原因" not in texts and "纠正措施控制程序" not in texts
    assert "识别不合格服务" in texts


def test_an_image_not_committed_with_the_approved_text_stops_the_build(
        department: ManualRepo, tmp_path: Path) -> None:
    repo = department
    import_words(repo, tmp_path, ("QP-07", "不合格服务控制程序", "识别不合格服务", True))
    repo.commit("导入 QP-07（漏了图片）", person="李文管", date="2024-01-22",
                paths=("procedures/qp-07.md",))
    repo.approve_all(["QP-07"], date="2024-01-25")
    repo.commit("补交图片", person="李文管", date="2024-01-26")  # after approval: not approved

    built = build(repo, "2024-02-01")
    assert built.returncode != 0
    assert "procedures/qp-07/image1.png" in built.stderr
    assert "批准的文本引用了图片或附件，但批准它的提交中没有这个文件" in built.stderr
    assert "[asset.missing]" in built.stderr
    assert not (repo.root / "site/procedures/qp-07/image1.png").exists()


def test_an_svg_with_a_script_is_not_published(department: ManualRepo, tmp_path: Path) -> None:
    repo = department
    import_words(repo, tmp_path, ("QP-07", "不合格服务控制程序", "识别不合格服务", False))
    repo.edit("procedures/qp-07.md", "## 4 工作程序",
              "![流程图](qp-07/流程图.svg)\n\n![](<qp-07/%E5%B9%B3%E9%9D%A2%E5%9B%BE.svg>)\n\n"
              "## 4 工作程序")
    repo.write("procedures/qp-07/流程图.svg", SVG_SCRIPT.decode())
    repo.write("procedures/qp-07/平面图.svg", SVG_PLAIN.decode())
    repo.commit("导入 QP-07", person="李文管", date="2024-01-22")
    repo.approve_all(["QP-07"], date="2024-01-25")

    assets = SitePlan(repo.gate(today=datetime.date(2024, 2, 1)), "docs").assets()
    assert assets.files == [("procedures/qp-07/平面图.svg", SVG_PLAIN)]
    assert [(f.rule, f.path, f.line, f.document) for f in assets.findings] == [
        ("content.script", "procedures/qp-07/流程图.svg", 1, "QP-07")]
    # The preview shows the working tree, drafts included.
    repo.write("procedures/qp-07/平面图.svg", "<svg/>")
    preview = SitePlan(repo.gate(today=datetime.date(2024, 2, 1)), "docs", preview=True).assets()
    assert dict(preview.files)["procedures/qp-07/平面图.svg"] == b"<svg/>"


def test_links_outside_the_repository_are_refused(department: ManualRepo, tmp_path: Path) -> None:
    repo = department
    import_words(repo, tmp_path, ("QP-07", "不合格服务控制程序", "识别不合格服务", False))
    repo.edit("procedures/qp-07.md", "## 4 工作程序", "![](../../secret.png)\n\n## 4 工作程序")
    repo.commit("导入 QP-07", person="李文管", date="2024-01-22")
    repo.approve_all(["QP-07"], date="2024-01-25")

    assets = SitePlan(repo.gate(today=datetime.date(2024, 2, 1)), "docs").assets()
    assert assets.files == []
    [finding] = assets.findings
    assert (finding.rule, finding.path, finding.document) == (
        "asset.outside", "procedures/qp-07.md", "QP-07")
    assert "../../secret.png 在仓库或网站之外" in finding.message


def test_linked_files_are_the_relative_images_and_attachments() -> None:
    text = ("![图](a/图1.png) [表](<b/登记表.xlsx> \"标题\") [页](qp-01.md) [外](https://x.cn/a.png)\n"
            "\n`![](code.png)`\n\n```\n![](fenced.png)\n```\n\n"
            "<img src=\"c/d.JPG\"> [锚](#x) ![](/abs.png) ![](e.png#frag)\n\n[ref]: f.pdf\n")
    assert linked_files(text) == ["a/图1.png", "b/登记表.xlsx", "e.png", "f.pdf", "c/d.JPG"]
