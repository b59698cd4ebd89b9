"""The archive on the staff site: every approved text, withdrawn documents, redlines, the 404 page.

One real MkDocs build of a small manual with a history: QP-01 went from A/0 to
A/1 and has A/2 approved to take effect later; QP-02 was withdrawn in favour
of QP-01. The site is built as of 2024-07-01.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from pathlib import Path

import pytest

from .conftest import PROJECT, ManualRepo, mini_manual, new_repo
from .test_dates import QP01, QP02, revise
from .test_published_input import HOME, SITE_SETTINGS, build

JRS = ["JR-01", "JR-02", "JR-03"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {**mini_manual(), "mkdocs.yml": SITE_SETTINGS, "docs/index.md": HOME,
             "hooks/qmsdoc_mkdocs.py": (PROJECT / "hooks/qmsdoc_mkdocs.py").read_text("utf-8")}
    repo = new_repo(tmp_path_factory.mktemp("archive") / "repo", files)
    repo.commit("Add the first edition and the site", date="2024-02-01")
    repo.approve_all(JRS, date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    add_qp02(repo)
    revise(repo, effective="2024-05-01", date="2024-04-01")  # A/1: 每年清点一次
    repo.approve_all(["QP-01"], date="2024-04-10")
    withdraw_qp02(repo)
    repo.edit(QP01, "每年清点一次", "每半年清点一次")
    repo.edit(QP01, "version: A/1", "version: A/2")
    repo.edit(QP01, "effective_date: '2024-05-01'", "effective_date: '2024-08-01'")
    repo.commit("Revise QP-01 again", date="2024-06-01", paths=(QP01,))
    repo.approve_all(["QP-01"], date="2024-06-10")
    result = build(repo)  # as of 2024-07-01
    assert result.returncode == 0, result.stderr
    return repo.root / "site"


def add_qp02(repo: ManualRepo) -> None:
    text = repo.read(QP01).replace("QP-01", "QP-02").replace("文件控制程序", "档案管理程序")
    repo.write(QP02, text.replace("state: effective", "state: in_review").replace(
        "records: [QR-01-01]", "records: []"))
    repo.commit("Add QP-02", date="2024-02-21", paths=(QP02,))
    repo.approve_all(["QP-02"], date="2024-02-25")


def withdraw_qp02(repo: ManualRepo) -> None:
    repo.edit(QP02, "state: effective", "state: obsolete")
    repo.edit(QP02, "effective_date: '2024-03-01'", "effective_date: '2024-06-01'")
    repo.edit(QP02, "change_summary: 首次发布",
              "change_summary: 并入文件控制程序，本程序作废\n  replaced_by: QP-01")
    repo.commit("Withdraw QP-02", date="2024-05-20", paths=(QP02,))
    repo.approve_all(["QP-02"], date="2024-05-25")


def read(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def text_of(page: str) -> str:
    """The visible text of a page's article."""
    article = re.search(r"<article.*?</article>", page, re.S)
    assert article is not None
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article.group(0))))


def links(page: str, within: str = "") -> list[str]:
    """The links of a page, or of its first element with class ``within``."""
    if within:
        found = re.search(rf'<div class="{within}".*?</div>', page, re.S)
        assert found is not None
        page = found.group(0)
    return [html.unescape(href) for href in re.findall(r'<a [^>]*href="([^"]*)"', page)]


def resolves(site: Path, url: str, href: str) -> bool:
    """A relative link from the page at ``url`` leads to a file of the site."""
    target = posixpath.normpath(posixpath.join(url, href.split("#")[0]))
    path = site / target
    return (path / "index.html").is_file() if path.is_dir() else path.is_file()


def test_a_superseded_text_is_readable_at_its_address_with_its_dates(site: Path) -> None:
    page = read(site, "archive/QP-01/A-0")
    text = text_of(page)
    assert "QP-01 文件控制程序（A/0）" in text
    assert "版本 A/0 状态 已被替代 生效日期 2024-03-01" in text
    assert ("这是 2024-02-20 批准、2024-03-01 起生效的 A/0 版，有效至 2024-04-30；"
            "2024-05-01 起被 A/1 版 替代，不再执行") in text
    assert "文件管理员维护受控文件。" in text and "每年清点一次" not in text
    assert '<a href="../../../archive/QP-01/A-1/">A/1 版</a>' in page
    assert all(resolves(site, "archive/QP-01/A-0/", href) for href in links(page))
    in_force = text_of(read(site, "archive/QP-01/A-1"))
    assert "状态 现行有效" in in_force and "每年清点一次" in in_force
    assert "已批准待生效" in text_of(read(site, "archive/QP-01/A-2"))  # MkDocs' page of A/2


def test_a_withdrawn_document_keeps_its_address_with_a_notice(site: Path) -> None:
    page = read(site, "procedures/qp-02")
    text = text_of(page)
    assert "状态 已作废" in text
    assert ("本文件已于 2024-05-25 批准作废，2024-06-01 起不再执行，由 《文件控制程序》（QP-01，A/1） "
            "替代。最后一版（A/0，2024-03-01 起生效）的 A/0 版全文 保存在存档中") in text
    assert "修订记录" in text and "并入文件控制程序，本程序作废" in text
    assert '<a href="../../archive/QP-02/A-0/">A/0 版全文</a>' in page
    assert '<a href="../qp-01/">《文件控制程序》（QP-01，A/1）</a>' in page
    assert all(resolves(site, "procedures/qp-02/", href) for href in links(page, "md-content"))
    last = text_of(read(site, "archive/QP-02/A-0"))
    assert "状态 已作废" in last and "本文件已于 2024-05-25 批准作废，2024-06-01 起不再执行" in last
    master = read(site, "registers/master-list")
    assert '<a href="../../procedures/qp-02/">QP-02</a>' in master
    assert "procedures/qp-02/" not in read(site, "")  # not in the navigation


def test_the_revision_history_links_every_text_and_redline(site: Path) -> None:
    page = read(site, "procedures/qp-01")
    history = links(page, "qms-history")
    assert history == ["../../archive/QP-01/A-2/", "../../archive/QP-01/A-2/redline.html",
                       "../../archive/QP-01/A-1/", "../../archive/QP-01/A-1/redline.html",
                       "../../archive/QP-01/A-0/"]
    assert all(resolves(site, "procedures/qp-01/", href) for href in history)


def test_a_redline_shows_the_changed_words(site: Path) -> None:
    page = (site / "archive/QP-01/A-2/redline.html").read_text(encoding="utf-8")
    assert '文件管理员维护受控文件，每<ins class="qms-ins">半</ins>年清点一次。' in page
    text = text_of(page)
    assert "QP-01 文件控制程序：A/1 → A/2 修订对照" in text
    assert "对照 A/1 版 （2024-04-10 批准，现行有效）与 A/2 版 （2024-06-10 批准，已批准待生效）" in text
    assert all(resolves(site, "archive/QP-01/A-2/", href) for href in links(page))
    assert not (site / "archive/QP-01/A-0/redline.html").exists()  # the first text has none


def test_archive_and_withdrawn_pages_are_not_in_search(site: Path) -> None:
    assert (site / "archive/QP-01/A-0/index.html").is_file()
    assert (site / "procedures/qp-02/index.html").is_file()
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert "procedures/qp-01/" in locations
    assert not [loc for loc in locations if loc.startswith("archive/") or "qp-02" in loc]


def test_the_404_page_is_in_chinese(site: Path) -> None:
    page = (site / "404.html").read_text(encoding="utf-8")
    assert "<h1>404 - 找不到页面</h1>" in page and "Not found" not in page
