"""The preview (`mkdocs serve --dirty`) rewrites only the pages a change touches.

Each test drives MkDocs in-process as `serve` does: one start-up, then one build
per change into the same site folder, with a fresh configuration each time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from .conftest import ManualRepo
from .test_site_macros import MACROS_PLUGIN, SITE, macro_site

SERVE_URL = "http://127.0.0.1:8000/"
UNTOUCHED = "<!-- not rewritten -->"


class Preview:
    """A preview of a repository: builds on demand, as `mkdocs serve --dirty` does."""

    def __init__(self, repo: ManualRepo, site: Path) -> None:
        self.repo, self.site = repo, site
        load_config(str(repo.root / "mkdocs.yml")).plugins.on_startup(command="serve",
                                                                       dirty=True)

    def build(self) -> None:
        config = load_config(str(self.repo.root / "mkdocs.yml"), site_dir=str(self.site))
        config.site_url = SERVE_URL
        build(config, serve_url=SERVE_URL, dirty=True)

    def page(self, url: str) -> str:
        return (self.site / url / "index.html").read_text(encoding="utf-8")

    def mark(self, *urls: str) -> None:
        """Mark pages as written by an earlier build, to see whether the next one rewrites them."""
        for url in urls:
            file = self.site / url / "index.html"
            file.write_text(file.read_text(encoding="utf-8") + UNTOUCHED, encoding="utf-8")

    def search_locations(self) -> set[str]:
        index = json.loads((self.site / "search/search_index.json").read_text(encoding="utf-8"))
        return {doc["location"].split("#")[0] for doc in index["docs"]}


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    # Strict, as the project's own site is: a warning stops the build.
    repo = macro_site(tmp_path / "repo", SITE + "strict: true\n" + MACROS_PLUGIN + "  - search\n")
    cwd = os.getcwd()
    os.chdir(repo.root)  # MkDocs resolves the hooks from the working directory's settings
    try:
        started = Preview(repo, tmp_path / "site")
        started.build()
        yield started
    finally:
        os.chdir(cwd)


def test_saving_a_document_rewrites_its_page_and_no_other(preview: Preview) -> None:
    preview.mark("procedures/qp-01", "responsibilities/jr-01", "registers/clause-coverage")
    preview.repo.edit("procedures/qp-01.md", "文件管理员维护受控文件。", "文件管理员维护受控文件和记录。")
    preview.build()
    assert "维护受控文件和记录" in preview.page("procedures/qp-01")
    assert UNTOUCHED not in preview.page("procedures/qp-01")
    assert UNTOUCHED in preview.page("responsibilities/jr-01")  # nothing there changed
    assert UNTOUCHED in preview.page("registers/clause-coverage")
    # Search still finds the pages this build did not write.
    assert {"procedures/qp-01/", "responsibilities/jr-01/", "manual/qm-01/"} <= \
        preview.search_locations()


def test_a_new_title_reaches_every_page(preview: Preview) -> None:
    """The title is in the navigation of every page and in the citations of QM-01."""
    preview.mark("responsibilities/jr-01", "manual/qm-01")
    preview.repo.edit("procedures/qp-01.md", "title: 文件控制程序", "title: 受控文件管理程序")
    preview.build()
    assert UNTOUCHED not in preview.page("responsibilities/jr-01")
    assert "受控文件管理程序" in preview.page("responsibilities/jr-01")  # its navigation
    assert "《受控文件管理程序》" in preview.page("manual/qm-01")


def test_a_failed_build_is_not_remembered(preview: Preview) -> None:
    """A build that stops half-way may not have written a changed page: the next one does."""
    preview.repo.edit("procedures/qp-01.md", "文件管理员维护受控文件。", "文件管理员维护文件。")
    preview.repo.write("docs/notice.md", "# 通知\n\n{{ config }}\n")  # the guard stops it
    with pytest.raises(Exception, match="Aborted"):
        preview.build()
    preview.repo.write("docs/notice.md", "# 通知\n")
    preview.mark("procedures/qp-01")
    preview.build()
    assert UNTOUCHED not in preview.page("procedures/qp-01")
    assert "维护文件。" in preview.page("procedures/qp-01")


def test_a_new_version_reaches_the_pages_that_cite_it(preview: Preview) -> None:
    """The navigation stays the same; QM-01 cites QP-01 with its version."""
    preview.mark("manual/qm-01", "responsibilities/jr-01")
    preview.repo.edit("procedures/qp-01.md", "version: A/0", "version: A/1")
    preview.build()
    assert "QP-01，A/1" in preview.page("manual/qm-01")
    assert UNTOUCHED in preview.page("responsibilities/jr-01")
