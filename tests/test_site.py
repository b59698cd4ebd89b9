"""The real MkDocs build: every page of the sample, and no site at all when the gate fails."""

from __future__ import annotations

import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from qmsdoc import load_settings, run_gate
from qmsdoc.model import DocType

GENERATED = ["registers/master-list", "registers/clause-coverage",
             "registers/responsibility-matrix", "registers/records-register"]


def mkdocs_build(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # The console script, not `python -m`: that would import the clone's own qmsdoc package.
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    return subprocess.run([mkdocs, "build"], cwd=root,
                          capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env})


def page_text(site: Path, uri: str) -> str:
    """The visible text of a page's article."""
    page = (site / uri / "index.html").read_text(encoding="utf-8")
    article = re.search(r"<article.*?</article>", page, re.S)
    assert article is not None
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article.group(0))))


@pytest.fixture(scope="module")
def built_sample(sample_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample manual, cloned fresh and built once for this module."""
    root = tmp_path_factory.mktemp("built") / "sample"
    shutil.copytree(sample_clone, root)
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    return root


def test_the_sample_passes_the_gate_on_a_fresh_clone(sample_clone: Path) -> None:
    gate = run_gate(load_settings(sample_clone))
    assert gate.errors == []


def test_the_sample_history_shows_the_workflow(sample_clone: Path) -> None:
    gate = run_gate(load_settings(sample_clone))
    revised = [n for n, s in gate.statuses.items() if len(s.approvals.revisions) >= 2]
    assert len(revised) >= 3
    assert [n for n, s in gate.statuses.items() if s.withdrawn] == ["QP-13"]
    in_review = [n for n, s in gate.statuses.items() if s.in_force and s.pending]
    assert in_review == ["QP-10"]
    approvers = {s.published.approval.display_name for s in gate.published() if s.published}
    assert approvers <= {p.name for p in gate.register.people}


def test_every_document_in_force_and_every_register_is_a_page(built_sample: Path) -> None:
    gate = run_gate(load_settings(built_sample))
    site = built_sample / "site"
    for status in gate.published():
        uri = status.working.path.removeprefix("docs/").removesuffix(".md")
        assert (site / uri / "index.html").is_file(), uri
        assert status.working.title in page_text(site, uri)
    for uri in GENERATED:
        assert (site / uri / "index.html").is_file()
    withdrawn = page_text(site, "procedures/qp-13")  # keeps its address, with a notice
    assert "状态 已作废" in withdrawn and "2025-08-25 起不再执行" in withdrawn
    assert not list(built_sample.glob("site.staging*"))


def test_a_document_page_has_its_card_text_and_history(built_sample: Path) -> None:
    text = page_text(built_sample / "site", "procedures/qp-05")
    assert ("文件编号 QP-05 版本 A/1 状态 现行有效 生效日期 2025-06-01 归口部门 办公室 "
            "批准 王建国 2025-05-26") in text
    assert "修订记录" in text and "增加内审员独立性要求和远程审核方式" in text
    assert "《质量手册》（QM-01，A/1）" in text


def test_a_revision_in_review_leaves_the_approved_text_on_the_site(built_sample: Path) -> None:
    text = page_text(built_sample / "site", "procedures/qp-10")
    assert "版本 A/0 状态 现行有效" in text
    assert "修订审批中" in text and "现行版本 A/0" in text
    assert "10 个工作日" in text and "7 个工作日 |" not in text
    working = (built_sample / "procedures/qp-10.md").read_text(encoding="utf-8")
    assert "需现场核查 | 7 个工作日 |" in working  # the revision exists, but is not shown


def test_registers_are_generated_from_the_approved_metadata(built_sample: Path) -> None:
    site = built_sample / "site"
    master = page_text(site, "registers/master-list")
    assert "QP-10 行政许可办理程序 A/0 2024-03-01 行政审批科 修订版 A/1 审批中" in master
    assert "已作废文件" in master and "QP-13 信访事项处理程序" in master
    coverage = page_text(site, "registers/clause-coverage")
    assert "删减" in coverage and "未覆盖" not in coverage.replace("已覆盖", "")
    records = page_text(site, "registers/records-register")
    assert "QR-10-01 行政许可申请受理登记表 QP-10 、 WI-10-01 行政审批科 30年" in records
    matrix = (site / "registers/responsibility-matrix/index.html").read_text(encoding="utf-8")
    assert matrix.count("●") > 20


def test_the_site_makes_no_request_outside_the_intranet(built_sample: Path) -> None:
    external = re.compile(r"""(?:src|href)=["'](?:https?:)?//|@import\s+url\(["']?https?:|url\(["']?https?://""")
    for file in (built_sample / "site").rglob("*"):
        if file.suffix in {".html", ".css", ".js"}:
            text = file.read_text(encoding="utf-8", errors="replace")
            loads = [m for m in external.finditer(text)
                     if not text[m.start():m.start() + 80].startswith('href="http')]
            assert loads == [], file


def test_the_theme_is_published_with_the_pages(built_sample: Path) -> None:
    page = (built_sample / "site/index.html").read_text(encoding="utf-8")
    styles = re.findall(r'href="(assets/stylesheets/main\.[0-9a-f]+\.min\.css)"', page)
    assert styles and (built_sample / "site" / styles[0]).is_file()
    assert (built_sample / "site/stylesheets/qmsdoc.css").is_file()


def test_chinese_headings_keep_their_text_as_anchors(built_sample: Path) -> None:
    page = (built_sample / "site/procedures/qp-05/index.html").read_text(encoding="utf-8")
    assert 'id="1-目的"' in page


def test_search_segments_chinese_words_and_skips_the_card(built_sample: Path) -> None:
    index = json.loads((built_sample / "site/search/search_index.json").read_text(encoding="utf-8"))
    assert r"\u200b" in index["config"]["separator"]
    text = "".join(d["text"] for d in index["docs"] if d["location"].startswith("procedures/qp-10/"))
    assert "行政许可\u200b" in text  # jieba's word boundaries, with the user dictionary's terms
    assert "归口\u200b部门" not in text


def commit_as_lina(root: Path, message: str) -> None:
    """李娜, the document controller, commits every change in the working tree."""
    identity = {"GIT_AUTHOR_NAME": "李娜", "GIT_AUTHOR_EMAIL": "lina@scjgj.shifan.example"}
    subprocess.run(["git", "commit", "-qam", message], cwd=root, check=True, env={
        **os.environ, **identity, "GIT_COMMITTER_NAME": identity["GIT_AUTHOR_NAME"],
        "GIT_COMMITTER_EMAIL": identity["GIT_AUTHOR_EMAIL"]})


def failed_build_keeps_the_site(root: Path, output: str) -> None:
    """The build fails with ``output`` in its log, and the published site is untouched."""
    published = (root / "site/index.html").read_bytes()
    result = mkdocs_build(root)
    assert result.returncode != 0
    assert output in result.stdout + result.stderr
    assert (root / "site/index.html").read_bytes() == published
    assert not list(root.glob("site.staging*"))


def test_a_broken_copy_builds_no_site_and_keeps_the_published_one(built_sample: Path,
                                                                   tmp_path: Path) -> None:
    root = tmp_path / "broken"
    shutil.copytree(built_sample, root)
    path = root / "procedures/qp-05.md"
    path.write_text(path.read_text(encoding="utf-8").replace("related: [QM-01,", "related: [QM-02,"),
                    encoding="utf-8")
    commit_as_lina(root, "Break QP-05")
    failed_build_keeps_the_site(
        root, "procedures/qp-05.md:12: 错误：引用的文件 QM-02 不存在 [reference.unknown-document]")
    shutil.rmtree(root / "site")
    assert mkdocs_build(root).returncode != 0
    assert not (root / "site").exists()


def test_a_build_aborted_by_a_warning_keeps_the_published_site(built_sample: Path,
                                                                tmp_path: Path) -> None:
    root = tmp_path / "warning"
    shutil.copytree(built_sample, root)
    index = root / "docs/index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n见[不存在的页](missing.md)。\n",
                     encoding="utf-8")
    commit_as_lina(root, "Link a missing page")
    # mkdocs.yml is strict: the broken link aborts the build once every page is written.
    failed_build_keeps_the_site(root, "missing.md")


def test_strict_builds_refuse_unapproved_text(built_sample: Path, tmp_path: Path) -> None:
    root = tmp_path / "strict"
    shutil.copytree(built_sample, root)
    shutil.rmtree(root / "site")
    result = mkdocs_build(root, QMSDOC_STRICT="1")
    assert result.returncode != 0
    assert "approval.unapproved-change" in result.stdout + result.stderr
    assert not (root / "site").exists()


def test_every_approved_text_of_the_sample_is_in_the_archive(built_sample: Path) -> None:
    from .test_archive import links, resolves

    site = built_sample / "site"
    superseded = page_text(site, "archive/QP-11/A-0")
    assert "状态 已被替代" in superseded and "2025-09-01 起被 A/1 版 替代" in superseded
    assert "状态 已作废" in page_text(site, "archive/QP-13/A-0")
    gate = run_gate(load_settings(built_sample))
    for status in gate.statuses.values():
        uri = status.working.path.removeprefix("docs/").removesuffix(".md") + "/"
        page = (site / uri / "index.html").read_text(encoding="utf-8")
        history = links(page, "qms-history")
        texts = [r for r in status.approvals.revisions if not r.snapshot.withdrawn]
        assert len(history) >= len(texts), uri
        assert all(resolves(site, uri, href) for href in history), uri


@pytest.fixture(scope="module")
def built_in_august_2025(sample_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's site as published on 2025-08-28: QP-13 withdrawn three days before,
    QP-11 A/1 approved to take effect on 2025-09-01, QP-05 A/1 in force since 2025-06-01."""
    root = tmp_path_factory.mktemp("built-2025") / "sample"
    shutil.copytree(sample_clone, root)
    result = mkdocs_build(root, QMSDOC_DATE="2025-08-28")
    assert result.returncode == 0, result.stderr
    return root


def test_a_job_responsibility_lists_the_documents_its_role_follows_and_its_records(
        built_in_august_2025: Path) -> None:
    from .test_archive import links, resolves

    site = built_in_august_2025 / "site"
    text = page_text(site, "responsibilities/jr-03")
    assert ("执行的文件和保管的记录 ¶ 本岗位（文件管理员）执行的现行文件： "
            "QM-01 质量手册 （质量手册，A/1） QP-01 文件控制程序 （程序文件，A/0） "
            "QP-02 记录控制程序 （程序文件，A/0） QP-03 风险和机遇应对程序 （程序文件，A/0） "
            "QP-06 管理评审程序 （程序文件，A/0） "
            "本岗位按上述文件填写、保存的记录： "
            "QR-01-01 受控文件纸质副本发放回收登记表 （保管部门：办公室，保管期限：10年） ") in text
    assert text.index("5 工作关系") < text.index("执行的文件和保管的记录") < text.index("修订记录")
    # 内审员 follows QP-05, whose records (the audit plan, report, ...) the role keeps.
    auditor = page_text(site, "responsibilities/jr-04")
    assert "本岗位（内审员）执行的现行文件：" in auditor
    assert "QP-05 内部审核程序 （程序文件，A/1）" in auditor
    assert "QR-05-01" in auditor and "QP-01 文件控制程序" not in auditor
    page = (site / "responsibilities/jr-03/index.html").read_text(encoding="utf-8")
    duties = links(page, "qms-duties")
    assert len(duties) == 5 + text.count("保管部门：")
    assert all(resolves(site, "responsibilities/jr-03/", href) for href in duties)
    assert "qms-duties" not in (site / "procedures/qp-05/index.html").read_text(encoding="utf-8")


def test_recent_revisions_page_lists_what_took_effect_lately_and_what_is_coming(
        built_in_august_2025: Path) -> None:
    from .test_archive import links, resolves

    site = built_in_august_2025 / "site"
    text = page_text(site, "registers/recent-revisions")
    coming = text.index("已批准待生效 ¶ 共 1 项。")
    recent = text.index("最近 90 天内生效 ¶ 共 2 项。")
    assert coming < text.index("QP-11 投诉举报处理程序 A/1 2025-09-01 2025-08-25 并入") < recent
    assert recent < text.index("QP-13 信访事项处理程序 作废 2025-08-25 2025-08-25") < text.index(
        "QP-05 内部审核程序 A/1 2025-06-01 2025-05-26 增加内审员独立性要求和远程审核方式")
    assert "QP-01" not in text  # in force since 2024
    page = (site / "registers/recent-revisions/index.html").read_text(encoding="utf-8")
    hrefs = links(page)
    assert "../../feed.xml" in hrefs
    assert "../../archive/QP-11/A-1/" in hrefs  # the revision to come, readable before it applies
    assert all(resolves(site, "registers/recent-revisions/", unquote(href)) for href in hrefs
               if not href.startswith(("http", "#")))


def test_the_atom_feed_has_the_newly_effective_revisions(built_in_august_2025: Path) -> None:
    import xml.etree.ElementTree as ET

    from .test_archive import resolves

    site = built_in_august_2025 / "site"
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{atom}feed"
    entries = feed.findall(f"{atom}entry")
    assert [e.findtext(f"{atom}title") for e in entries] == [
        "QP-13 信访事项处理程序（2025-08-25 起作废）",
        "QP-05 内部审核程序 A/1（2025-06-01 起生效）"]
    assert entries[1].findtext(f"{atom}updated") == "2025-06-01T00:00:00+08:00"
    assert "增加内审员独立性要求" in (entries[1].findtext(f"{atom}summary") or "")
    ids = {e.findtext(f"{atom}id") for e in entries}
    assert len(ids) == 2 and all(i and i.startswith("urn:uuid:") for i in ids)
    hrefs = [link.get("href") or "" for link in feed.iter(f"{atom}link")]
    assert hrefs == ["registers/recent-revisions/", "procedures/qp-13/", "procedures/qp-05/"]
    assert all(resolves(site, "", href) for href in hrefs)


def test_each_department_has_a_page_of_its_documents_in_force(
        built_in_august_2025: Path) -> None:
    from .test_archive import links, resolves

    site = built_in_august_2025 / "site"
    office = page_text(site, "departments/办公室")
    assert "程序文件 ¶ 文件编号 文件名称 版本 生效日期 备注 QP-01 文件控制程序 A/0 2024-03-01" in office
    assert "QP-05 内部审核程序 A/1 2025-06-01" in office
    assert "QP-10" not in office and "QP-13" not in office  # another department's; withdrawn
    licensing = page_text(site, "departments/行政审批科")
    assert "QP-10 行政许可办理程序" in licensing and "QP-01 " not in licensing
    page = (site / "departments/办公室/index.html").read_text(encoding="utf-8")
    assert f'href="../{quote("行政审批科")}/"' in page  # in the navigation
    article = re.search(r"<article.*?</article>", page, re.S)
    assert article is not None
    hrefs = links(article.group(0))
    assert hrefs and all(resolves(site, "departments/办公室/", h) for h in hrefs if "#" not in h)


def test_a_document_number_is_in_its_page_title_for_search(built_in_august_2025: Path) -> None:
    """Material's search weighs the title 1000 times the text, and splits "QP-05" (and
    "qp-05", lowercased) into "qp" and "05": the page whose title holds both comes first."""
    site = built_in_august_2025 / "site"
    assert page_text(site, "procedures/qp-05").startswith(" QP-05 内部审核程序 ¶ 文件编号 QP-05")
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])
    assert index["config"]["fields"]["title"]["boost"] > index["config"]["fields"]["text"]["boost"]

    def titled(query: str) -> list[str]:
        terms = {t for t in separator.split(query.lower()) if t}
        return [d["location"] for d in index["docs"] if "#" not in d["location"]
                and terms <= {t.lower() for t in separator.split(d["title"])}]

    assert titled("QP-05") == titled("qp-05") == ["procedures/qp-05/"]
    assert titled("wi-10-01") == ["procedures/wi-10-01/"]


def site_links(site: Path, uri: str, start: str, end: str) -> set[str]:
    """The pages linked between ``start`` and ``end`` of a page's HTML, as site paths."""
    page = (site / uri / "index.html").read_text(encoding="utf-8")
    begin = page.index(start)
    part = page[begin:page.index(end, begin)]
    targets = (unquote(href).split("#")[0] for href in re.findall(r'href="([^"]+)"', part))
    return {posixpath.normpath(posixpath.join(uri, target)).strip("/")
            for target in targets if target and not target.startswith(("http", "#"))}


def test_a_page_carries_its_own_tab_of_navigation_and_staff_still_reach_every_document(
        built_sample: Path) -> None:
    """navigation.prune: the sidebar lists the page's own section only (the build renders
    a thousand documents' navigation a thousand times otherwise), while the tabs, each
    section's sidebar and the master list still lead to every document in force."""
    site = built_sample / "site"
    gate = run_gate(load_settings(built_sample))
    in_force: dict[DocType, set[str]] = {}
    for status in gate.published():
        uri = status.working.path.removeprefix("docs/").removesuffix(".md")
        in_force.setdefault(status.working.type, set()).add(uri)
    procedure = "procedures/qp-04"
    sidebar = site_links(site, procedure, "md-nav--primary", "md-sidebar--secondary")
    assert in_force[DocType.PROCEDURE] <= sidebar | {procedure}
    for doc_type, uris in in_force.items():
        if doc_type is not DocType.PROCEDURE and len(uris) > 1:
            assert len(uris & sidebar) == 1, doc_type  # the tab's first page, not the rest
    every = set().union(*in_force.values())
    reached_by_tabs = set()
    for tab in site_links(site, procedure, 'class="md-tabs"', "</nav>"):
        reached_by_tabs |= site_links(site, tab, "md-nav--primary", "md-sidebar--secondary")
    assert every <= reached_by_tabs
    assert every <= site_links(site, "registers/master-list", "<article", "</article>")
