"""``qmsdoc verify SITE_DIR``: is a published site what git says was in force?

Three comparisons, each naming the page and the reason:

1. the HTML files against the site's manifest: a page edited after the build (its hash
   differs), missing, or added (an HTML file the manifest does not list);
2. the manifest against git: the site is built again from the manifest's commit, for
   its day, as it was built on its day, in a detached worktree of that commit in a
   temporary folder; every page's document, version, approving commit, fingerprint
   and HTML hash must be those of the rebuilt site. A page built from text nobody
   approved, or not in force that day, differs there even when its hash in the
   manifest was made to match;
3. the manifest itself: missing, unreadable, or naming a commit git does not have.

A build is reproducible: pages carry no build time, and the day of the build is taken
from the manifest. Only HTML pages are compared (the sitemap carries the build time).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import load_settings
from .errors import QmsdocError
from .findings import Finding, Severity, sorted_findings
from .history import GitRepository
from .manifest import (
    MANIFEST_FILE,
    DocumentEntry,
    Manifest,
    ManifestError,
    generator,
    page_hashes,
    read_manifest,
)
from .site_build import build_site

REBUILD_HINT = ("从 git 重新发布网站（make site；如是历史视图，设置相同的 QMSDOC_DATE），"
                "并查明是谁、经什么途径修改了网站服务器上的文件")


@dataclass(frozen=True)
class Verification:
    manifest: Manifest | None
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        return not any(f.is_error for f in self.findings)


def verify_site(root: Path, site_dir: Path, shown: str | None = None) -> Verification:
    """Compare the site in ``site_dir`` with the manual in the repository at ``root``.

    ``shown`` is how messages name the site folder (default: as given).
    """
    where = (shown or site_dir.as_posix()).rstrip("/")
    try:
        manifest = read_manifest(site_dir)
    except ManifestError as error:
        return Verification(None, [Finding(
            "verify.manifest", Severity.ERROR, f"{where}/{MANIFEST_FILE}", None,
            f"{error}：无法核对网站中的页面是否与 git 中批准的文本一致",
            "用 qmsdoc build（make site）重新发布网站：每次构建都会写入构建清单")])
    findings = list(_against_manifest(site_dir, manifest, where))
    repository = GitRepository(root)
    if repository.run("cat-file", "-t", manifest.commit, check=False).strip() != "commit":
        findings.append(Finding(
            "verify.unknown-commit", Severity.ERROR, f"{where}/{MANIFEST_FILE}", None,
            f"构建清单说网站由提交 {manifest.commit[:12]} 生成，但本仓库中没有这个提交："
            "网站不是由本仓库的历史生成的，或仓库不完整",
            "在完整克隆的正式仓库中运行 qmsdoc verify；若提交确实不存在，从 git 重新发布网站"))
        return Verification(manifest, sorted_findings(findings))
    if manifest.generator != generator():
        findings.append(Finding(
            "verify.other-version", Severity.WARNING, f"{where}/{MANIFEST_FILE}", None,
            f"网站由 {manifest.generator} 生成，本次用 {generator()} 核对：版本不同时页面可能因程序"
            "不同而不一致", f"用 {manifest.generator} 核对，或用本版本重新发布网站"))
    findings += _against_git(repository, manifest, where)
    return Verification(manifest, sorted_findings(findings))


def _against_manifest(site_dir: Path, manifest: Manifest, where: str) -> Iterator[Finding]:
    """Each HTML file as written by the build: not edited, none missing, none added."""
    on_disk = page_hashes(site_dir)
    for path, entry in manifest.pages.items():
        digest = on_disk.get(path)
        if digest is None:
            yield Finding("verify.missing-page", Severity.ERROR, f"{where}/{path}", None,
                          f"{_what(entry.document)}页面缺失：构建清单中有它，网站目录中没有",
                          REBUILD_HINT, _number(entry.document))
        elif digest != entry.sha256:
            yield Finding("verify.edited", Severity.ERROR, f"{where}/{path}", None,
                          f"{_what(entry.document)}页面在构建之后被修改过：内容的 SHA-256 与构建清单"
                          "记录的不同", REBUILD_HINT, _number(entry.document))
    for path in sorted(set(on_disk) - set(manifest.pages)):
        yield Finding("verify.extra-page", Severity.ERROR, f"{where}/{path}", None,
                      "网站目录中有构建清单没有记录的页面：它不是构建生成的，是后来放进去的",
                      "删除这个文件，或从 git 重新发布网站")


def _against_git(repository: GitRepository, manifest: Manifest, where: str) -> Iterator[Finding]:
    """Each page the manifest lists against the same site built again from git."""
    rebuilt, problems = rebuild(repository, manifest)
    if rebuilt is None:
        yield Finding("verify.rebuild-failed", Severity.ERROR, f"{where}/{MANIFEST_FILE}", None,
                      f"无法按提交 {manifest.commit[:12]}、日期 {manifest.day} 重新生成网站来核对："
                      f"{problems}", "改正这些错误后重新发布网站，再核对")
        return
    day = f"{manifest.day}（提交 {manifest.commit[:12]}）"
    for path, entry in manifest.pages.items():
        expected = rebuilt.pages.get(path)
        if expected is None:
            yield Finding("verify.not-in-git", Severity.ERROR, f"{where}/{path}", None,
                          f"{_what(entry.document)}页面不该存在：按 git，{day} 的网站没有这个页面",
                          REBUILD_HINT, _number(entry.document))
        elif entry.document != expected.document:
            yield Finding("verify.wrong-document", Severity.ERROR, f"{where}/{path}", None,
                          f"页面显示的不是 git 所记录 {day} 现行有效的文本：构建清单记录"
                          f"{_describe(entry.document)}，git 为{_describe(expected.document)}",
                          REBUILD_HINT, _number(entry.document) or _number(expected.document))
        elif entry.sha256 != expected.sha256:
            yield Finding("verify.not-from-git", Severity.ERROR, f"{where}/{path}", None,
                          f"{_what(entry.document)}页面不是由 git 中批准的文本生成的：与按 git 重新生成的"
                          f"{day} 页面内容不同（构建后修改了构建清单，或用未经批准的文本生成）",
                          REBUILD_HINT, _number(entry.document))
    for path in sorted(set(rebuilt.pages) - set(manifest.pages)):
        document = rebuilt.pages[path].document
        yield Finding("verify.missing-page", Severity.ERROR, f"{where}/{path}", None,
                      f"{_what(document)}页面缺失：按 git，{day} 的网站应有这个页面，构建清单中没有",
                      REBUILD_HINT, _number(document))


def rebuild(repository: GitRepository, manifest: Manifest) -> tuple[Manifest | None, str]:
    """The manifest of the site built again from the manifest's commit, day and build day.

    The build runs in a detached worktree of that commit in a temporary folder, so
    neither the working tree nor the published site is touched. ``None`` and the
    reason when the build fails.
    """
    with tempfile.TemporaryDirectory(prefix="qmsdoc-verify-") as folder:
        tree = Path(folder) / "tree"
        repository.run("worktree", "add", "--detach", "--quiet", str(tree), manifest.commit)
        try:
            errors: list[Finding] = []
            try:
                site = build_site(load_settings(tree), strict=False, day=manifest.day,
                                  built_on=manifest.built_on,
                                  report=lambda found: errors.extend(f for f in found if f.is_error))
            except QmsdocError as error:
                return None, str(error)
            if site is None:
                return None, "；".join(f"{f.path}：{f.message}" for f in errors[:5])
            return read_manifest(site), ""
        finally:
            repository.run("worktree", "remove", "--force", str(tree), check=False)
            repository.run("worktree", "prune", check=False)


def _what(document: DocumentEntry | None) -> str:
    return f"{document.number}（{document.version}）" if document else ""


def _number(document: DocumentEntry | None) -> str | None:
    return document.number if document else None


def _describe(document: DocumentEntry | None) -> str:
    if document is None:
        return "非受控文件页面"
    return (f" {document.number} {document.version} 版（批准提交 {document.commit[:12]}，"
            f"内容指纹 {document.fingerprint.removeprefix('sha256:')[:12]}）")
