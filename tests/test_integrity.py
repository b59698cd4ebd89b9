"""The manual as of a date, the build manifest and ``qmsdoc verify``.

Every test builds real sites with MkDocs from real git repositories: a view of the
past shows what was in force that day and says so on every page; every build writes a
manifest; verify names each page that differs from what git says was published.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qmsdoc.manifest import MANIFEST_FILE

from .conftest import PROJECT, ManualRepo
from .test_dates import revise
from .test_published_input import build, published, site_repo  # noqa: F401 - fixture

QP01_PAGE = "procedures/qp-01/index.html"
PAST = "历史视图：本网站显示"


def revised(repo: ManualRepo) -> ManualRepo:
    """QP-01 A/1 written on 2024-05-06, approved on 2024-05-20, in force from 2024-06-01."""
    revise(repo, effective="2024-06-01")
    repo.approve_all(["QP-01"], date="2024-05-20")
    return repo


def manifest(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def verify(repo: ManualRepo, site: Path) -> tuple[int, str]:
    result = repo.qmsdoc("verify", str(site))
    return result.exit_code, result.output


# --- the manual as of a date -------------------------------------------------------------------

def test_a_view_of_the_past_shows_that_day_and_says_so_on_every_page(
        site_repo: ManualRepo) -> None:  # noqa: F811
    revised(site_repo)
    assert build(site_repo, QMSDOC_DATE="2024-04-01").returncode == 0
    page = published(site_repo, QP01_PAGE)
    assert "<strong>A/0</strong>" in page and "<strong>A/1</strong>" not in page
    # A/1 was written on 2024-05-06: on 2024-04-01 nothing was in review.
    assert "修订审批中" not in page and "审批中</td>" not in page
    assert "每年清点一次" not in page
    assert "修订版 A/1 审批中" not in published(site_repo, "registers/master-list/index.html")
    for html in (site_repo.root / "site").rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert text.count(PAST) == 1 and "2024-04-01 当天现行有效" in text, html


def test_the_history_of_a_past_day_has_no_revision_written_later(
        approved_repo: ManualRepo) -> None:
    revise(approved_repo, effective="2024-09-01")  # written on 2024-05-06, in review today
    before = approved_repo.qmsdoc("history", "QP-01", "--date", "2024-04-01").output
    assert "审批中" not in before and "A/1" not in before
    during = approved_repo.qmsdoc("history", "QP-01", "--date", "2024-05-10").output
    assert "A/1  审批中  生效 2024-09-01" in during


def test_a_revision_in_review_on_the_day_is_shown_as_it_was_then(
        site_repo: ManualRepo) -> None:  # noqa: F811
    revised(site_repo)
    assert build(site_repo, QMSDOC_DATE="2024-05-10").returncode == 0
    page = published(site_repo, QP01_PAGE)
    assert "<strong>A/0</strong>" in page and "修订版 A/1 正在审核、批准中" in page
    assert "<td>A/1</td><td>审批中</td>" in page


def test_a_document_approved_after_the_day_is_absent(site_repo: ManualRepo) -> None:  # noqa: F811
    assert build(site_repo, QMSDOC_DATE="2024-02-15").returncode == 0  # approved on 2024-02-20
    site = site_repo.root / "site"
    assert not (site / QP01_PAGE).exists()
    assert "QP-01" not in published(site_repo, "registers/master-list/index.html")
    assert "2024-02-15 当天现行有效" in published(site_repo, "404.html")


def test_a_day_to_come_is_a_preview(site_repo: ManualRepo) -> None:  # noqa: F811
    assert build(site_repo, QMSDOC_DATE="2099-01-01").returncode == 0
    assert "预览：本网站显示 2099-01-01 起将现行有效的文件" in published(site_repo, "index.html")


def test_the_sample_on_2025_06_01(tmp_path: Path) -> None:
    clone = tmp_path / "sample"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True)
    qmsdoc = str(Path(sys.executable).with_name("qmsdoc"))
    done = subprocess.run([qmsdoc, "build", "--date", "2025-06-01"], cwd=clone,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    site = clone / "site"
    qp11 = (site / "procedures/qp-11/index.html").read_text(encoding="utf-8")
    qp13 = (site / "procedures/qp-13/index.html").read_text(encoding="utf-8")
    assert "<strong>A/0</strong>" in qp11 and "修订审批中" not in qp11
    assert "<strong>现行有效</strong>" in qp13 and "修订审批中" not in qp13
    assert "修订审批中" not in (site / "procedures/qp-10/index.html").read_text(encoding="utf-8")
    pages = {p["path"]: p for p in manifest(site)["pages"]}
    assert pages["procedures/qp-11/index.html"]["document"]["version"] == "A/0"
    assert manifest(site)["day"] == "2025-06-01"
    assert PAST in (site / "registers/master-list/index.html").read_text(encoding="utf-8")


# --- manifest and verify -----------------------------------------------------------------------

def test_every_build_writes_a_manifest_of_every_page(site_repo: ManualRepo) -> None:  # noqa: F811
    assert build(site_repo).returncode == 0
    site = site_repo.root / "site"
    data = manifest(site)
    head = site_repo.git("rev-parse", "HEAD").strip()
    assert (data["day"], data["commit"]) == ("2024-07-01", head)
    listed = {p["path"]: p for p in data["pages"]}
    assert set(listed) == {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    status = site_repo.gate().statuses["QP-01"]
    assert status.published is not None
    assert listed[QP01_PAGE]["document"] == {
        "number": "QP-01", "version": "A/0",
        "commit": status.published.approval.evidence.commit.sha,
        "fingerprint": status.published.snapshot.fingerprint}
    assert "document" not in listed["index.html"]
    assert listed["archive/QP-01/A-0/index.html"]["document"] == listed[QP01_PAGE]["document"]


def test_an_untouched_site_verifies(site_repo: ManualRepo) -> None:  # noqa: F811
    revised(site_repo)
    site_repo.write("docs/notes.md", "# 说明\n")  # uncommitted: not published, not a difference
    assert build(site_repo, QMSDOC_DATE="2024-05-10").returncode == 0
    code, output = verify(site_repo, site_repo.root / "site")
    assert code == 0, output
    assert "与 git 一致" in output
    assert site_repo.git("worktree", "list").count("\n") == 1  # the rebuild's worktree is gone


def test_edited_deleted_and_added_pages_are_named(site_repo: ManualRepo) -> None:  # noqa: F811
    assert build(site_repo).returncode == 0
    site = site_repo.root / "site"
    page = site / QP01_PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("文件管理员维护受控文件",
                                                             "任何人都可以改文件"), encoding="utf-8")
    (site / "index.html").unlink()
    (site / "procedures/notice.html").write_text("<p>通知</p>", encoding="utf-8")
    code, output = verify(site_repo, site)
    assert code == 1
    assert f"{site}/{QP01_PAGE}: 错误：QP-01（A/0）页面在构建之后被修改过" in output
    assert f"{site}/index.html: 错误：页面缺失" in output and "[verify.missing-page]" in output
    assert f"{site}/procedures/notice.html: 错误：网站目录中有构建清单没有记录的页面" in output


def test_a_page_built_from_unapproved_text_is_named(
        site_repo: ManualRepo, tmp_path: Path) -> None:  # noqa: F811
    assert build(site_repo).returncode == 0
    site = site_repo.root / "site"
    # Someone builds the site from a checkout where QP-01 was changed and "approved" there.
    forged = ManualRepo(tmp_path / "forged")
    subprocess.run(["git", "clone", "-q", str(site_repo.root), str(forged.root)], check=True)
    revise(forged, effective="2024-03-02", date="2024-03-01")
    forged.approve_all(["QP-01"], date="2024-03-02")
    assert build(forged).returncode == 0
    shutil.copy(forged.root / "site" / QP01_PAGE, site / QP01_PAGE)
    ours = manifest(site)
    theirs = {p["path"]: p for p in manifest(forged.root / "site")["pages"]}[QP01_PAGE]

    def verify_with(entry: dict) -> tuple[int, str]:  # type: ignore[type-arg]
        data = {**ours, "pages": [entry if p["path"] == QP01_PAGE else p for p in ours["pages"]]}
        (site / MANIFEST_FILE).write_text(json.dumps(data), encoding="utf-8")
        return verify(site_repo, site)

    code, output = verify_with(theirs)  # the manifest made to match the page
    assert code == 1, output
    assert f"{site}/{QP01_PAGE}: 错误：页面显示的不是 git 所记录 2024-07-01" in output
    assert "[verify.wrong-document]" in output and "[verify.edited]" not in output
    mine = next(p for p in ours["pages"] if p["path"] == QP01_PAGE)
    code, output = verify_with({**mine, "sha256": theirs["sha256"]})  # only the hash changed
    assert code == 1, output
    assert f"{site}/{QP01_PAGE}: 错误：QP-01（A/0）页面不是由 git 中批准的文本生成的" in output
    assert "[verify.not-from-git]" in output and "[verify.edited]" not in output


@pytest.mark.parametrize("content", [None, "{not json", '{"format": 1, "pages": []}',
                                     '{"format": 1, "generator": "qmsdoc 0", "day": "2024-07-01",'
                                     ' "built_on": "2024-07-01", "commit": "--help", "pages": []}'])
def test_a_missing_or_malformed_manifest_is_named(
        site_repo: ManualRepo, content: str | None) -> None:  # noqa: F811
    assert build(site_repo).returncode == 0
    site = site_repo.root / "site"
    if content is None:
        (site / MANIFEST_FILE).unlink()
    else:
        (site / MANIFEST_FILE).write_text(content, encoding="utf-8")
    code, output = verify(site_repo, site)
    assert code == 1 and "[verify.manifest]" in output
    assert f"{site}/{MANIFEST_FILE}: 错误：" in output


def test_a_manifest_naming_a_commit_git_does_not_have_is_named(
        site_repo: ManualRepo) -> None:  # noqa: F811
    assert build(site_repo).returncode == 0
    site = site_repo.root / "site"
    data = manifest(site)
    data["commit"] = "0123456789" * 4
    (site / MANIFEST_FILE).write_text(json.dumps(data), encoding="utf-8")
    code, output = verify(site_repo, site)
    assert code == 1 and "[verify.unknown-commit]" in output
    assert "构建清单说网站由提交 012345678901 生成，但本仓库中没有这个提交" in output
