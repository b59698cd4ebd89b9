"""Site pages: what the pages folder publishes besides the controlled documents.

The staff site publishes a site page (the home page, a notice, a style sheet,
an image) as it is committed on the current branch, never as it happens to be
in the working tree: an uncommitted page or change is not published, and is
reported. A page may cite documents and clauses as a controlled document does,
and its citations are checked the same way. A symbolic link is published only
when it points to a committed file inside the repository; a controlled
document is never a link.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .active_content import find_active_content
from .clauses import ClauseCatalogue, ClauseProblem
from .config import Settings
from .findings import Finding, Severity
from .history import GitRepository
from .loader import citations, not_utf8
from .macros import page_findings
from .model import Manual

LINK_MODE = "120000"
MARKUP = (".md", ".html", ".htm", ".xhtml", ".svg", ".xml")
"""Files whose text a browser renders as a page or image: checked for active content."""
SCRIPTS = (".js", ".mjs", ".cjs")


@dataclass(frozen=True)
class SitePages:
    """The committed files the pages folder publishes, and what is wrong with them."""

    blobs: dict[str, str]
    """Repository path -> the blob published there (a link's target, for a link)."""
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class PagesInGit:
    """What git says of the pages folder: its committed files, and those changed since."""

    committed: dict[str, tuple[str, str]]
    """Repository path -> (mode, blob) of every file of the pages folder in the current commit."""
    changed: set[str]


def pages_in_git(settings: Settings, repository: GitRepository) -> PagesInGit:
    """Two git calls, independent of everything else the gate reads (so run beside it)."""
    folder = settings.pages_folder.strip("/") or "."
    controlled = _controlled(settings)
    committed = {path: (mode, sha) for mode, sha, path in repository.committed_files([folder])
                 if not path.startswith(controlled)}
    pathspecs = [folder, *(f":(exclude){c}" for c in controlled)]  # git's pathspec syntax
    return PagesInGit(committed, repository.changed(pathspecs))


def read_site_pages(settings: Settings, repository: GitRepository, in_git: PagesInGit,
                    manual: Manual, unreadable: frozenset[str], catalogue: ClauseCatalogue,
                    strict: bool) -> SitePages:
    folder = settings.pages_folder.strip("/")
    committed = in_git.committed
    links = {path: sha for path, (mode, sha) in committed.items() if mode == LINK_MODE}
    blobs = {path: sha for path, (mode, sha) in committed.items() if mode != LINK_MODE}
    findings: list[Finding] = []
    if links:
        contents = repository.blob_bytes(links.values())
        targets = {path: _link_target(path, contents[sha]) for path, sha in links.items()}
        files = {path: (mode, sha) for mode, sha, path in repository.committed_files(
            t for t in targets.values() if t is not None)}
        for path, target in targets.items():
            if target in files and files[target][0] != LINK_MODE:
                blobs[path] = files[target][1]
            else:
                findings.append(_bad_link(path, target))
    for path, text in _texts(repository, blobs).items():
        if path.endswith(SCRIPTS):
            findings.append(_script(path))
        elif text is None:
            findings.append(not_utf8(path))
        else:
            findings += find_active_content(path, text)
            if path.endswith(".md"):
                findings += page_findings(path, text, manual)
                findings += _citation_findings(path, text, manual, unreadable, catalogue)
    on_disk = _files(settings.root, folder, skip=_controlled(settings))
    findings += _uncommitted(on_disk, set(committed), in_git.changed, strict)
    findings += _controlled_links(settings)
    return SitePages(blobs, tuple(findings))


def _controlled(settings: Settings) -> tuple[str, ...]:
    """The document folders, as path prefixes."""
    return tuple(f.strip("/") + "/" for f in settings.document_folders)


def _link_target(path: str, target: bytes) -> str | None:
    """The repository path a committed link points to, or ``None`` outside the repository."""
    text = target.decode("utf-8", errors="replace")
    if text.startswith("/"):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), text))
    return None if resolved == ".." or resolved.startswith("../") else resolved


def _bad_link(path: str, target: str | None) -> Finding:
    where = "仓库之外" if target is None else f"{target}（不是已提交的文件）"
    return Finding("file.symlink", Severity.ERROR, path, None,
                   f"符号链接指向{where}：网站只发布仓库中已提交的文件",
                   "删除这个链接，把要发布的文件本身复制进来并提交")


def _script(path: str) -> Finding:
    return Finding("content.script", Severity.ERROR, path, None,
                   "网站页面目录中有脚本文件：员工网站不发布未经批准的脚本",
                   "删除这个文件；网站的脚本只能来自主题和受控的网站设置（mkdocs.yml）")


def _texts(repository: GitRepository, blobs: dict[str, str]) -> dict[str, str | None]:
    """The text of every page, and of every file a browser may run (``None``: not UTF-8)."""
    pages = {path: sha for path, sha in blobs.items() if path.endswith(MARKUP + SCRIPTS)}
    contents = repository.blob_bytes(pages.values())
    texts: dict[str, str | None] = {}
    for path, sha in pages.items():
        try:
            texts[path] = contents[sha].decode("utf-8")
        except UnicodeDecodeError:
            texts[path] = None
    return texts


def _citation_findings(path: str, text: str, manual: Manual, unreadable: frozenset[str],
                       catalogue: ClauseCatalogue) -> Iterator[Finding]:
    """A page cites only documents and clauses that exist, as a controlled document does."""
    for citation in citations(text, 1):
        if citation.kind == "doc" and manual.get(citation.target) is None and (
                citation.target not in unreadable):
            yield Finding("reference.unknown-document", Severity.ERROR, path, citation.line,
                          f"引用的文件 {citation.target} 不存在",
                          "检查编号是否写错；引用写作 {{ doc(\"QP-05\") }}")
        elif citation.kind == "clause":
            found = catalogue.resolve(citation.target)
            if isinstance(found, ClauseProblem):
                yield Finding(found.rule, Severity.ERROR, path, citation.line, found.message,
                              found.hint)


def _files(root: Path, folder: str, skip: Iterable[str] = ()) -> Iterator[str]:
    """Every file (or link) under a folder of the working tree, links not followed.

    ``skip``: folders (repository paths ending in ``/``) not to descend into.
    """
    skipped = {s.strip("/") for s in skip}
    for directory, folders, names in os.walk(root / folder):
        here = (os.path.relpath(directory, root).replace(os.sep, "/") + "/").removeprefix("./")
        folders[:] = [f for f in folders if here + f not in skipped]
        names += [name for name in folders if os.path.islink(os.path.join(directory, name))]
        for name in names:
            yield here + name


def _uncommitted(on_disk: Iterable[str], committed: set[str], changed: set[str],
                 strict: bool) -> Iterator[Finding]:
    severity = Severity.ERROR if strict else Severity.WARNING
    for path in sorted(on_disk):
        if path not in committed:
            yield Finding("page.uncommitted", severity, path, None,
                          "网站页面没有提交，员工网站不会发布它",
                          f"要发布就提交它（git add {path} 后提交）；不需要就删除")
        elif path in changed:
            yield Finding("page.uncommitted", severity, path, None,
                          "网站页面有未提交的修改：员工网站发布的是已提交的内容",
                          "提交这些修改后再发布，或撤销它们（git status 可查看）")


def _controlled_links(settings: Settings) -> Iterator[Finding]:
    """A controlled document is a file of its own, never a link to another file."""
    for folder in settings.document_folders:
        for path in _files(settings.root, folder.strip("/")):
            if os.path.islink(os.path.join(settings.root, path)):
                yield Finding("file.symlink", Severity.ERROR, path, None,
                              "受控文件不能是符号链接（链接指向的文件不受审批控制）",
                              "删除这个链接，把文件本身放在这里并走审批")
