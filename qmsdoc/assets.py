"""Images and attachments of controlled documents: what the staff site publishes beside a page.

A controlled document links to its images (``![](qp-07/image1.png)``, as
``qmsdoc import`` writes them) and attachments by relative path. The staff site
publishes such a file only when the published text links to it, and only as it
was committed in the commit that approved that text: a later commit or the
working tree never changes what staff see. An SVG is checked for active content
like a site page. A file that the approving commit does not hold, or that lies
outside the repository or the site, is an error: the build stops rather than
show a page whose image nobody approved.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from .active_content import find_active_content
from .findings import Finding, Severity
from .history import GitRepository
from .markdown_code import blank_code

ASSET_SUFFIXES = frozenset((
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp",
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".vsdx", ".zip",
))
"""Files a document may link to by relative path and the site publishes beside its page."""
LINK_MODE = "120000"
# Targets of Markdown links and images ([t](x), ![a](<x>), [id]: x) and of HTML src/href.
_TARGETS = (
    re.compile(r"\]\(\s*<?([^)\s>]+)"),
    re.compile(r"^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?([^\s>]+)", re.M),
    re.compile(r"""\s(?:src|href)\s*=\s*["']?([^"'\s>]+)""", re.I),
)
_ASSET = re.compile(rf"\.(?:{'|'.join(s[1:] for s in ASSET_SUFFIXES)})(?:[#?]|$)", re.I)
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:")


@dataclass(frozen=True)
class Reference:
    """A file a text links to: where the page finds it, and where the repository kept it."""

    src_uri: str  # in the site, beside the page
    path: str  # in the repository, beside the document as the approving commit named it
    document: str | None  # the document's number, for findings


@dataclass
class Assets:
    """The files to publish beside the pages, and what stops one from being published."""

    files: list[tuple[str, bytes]] = field(default_factory=list)
    """(source path in the site, content), one per source path."""
    findings: list[Finding] = field(default_factory=list)


def linked_files(text: str) -> list[str]:
    """The relative paths of the images and attachments a Markdown text links to, in order.

    Code blocks and inline code are skipped; addresses with a scheme (``https:``),
    absolute paths, anchors and links to pages are not files of the document.
    """
    if not _targets(text):
        return []  # most pages: no file linked, no need to find the code in them
    paths = []
    for target in _targets(blank_code(text)):
        target = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if (target and not target.startswith("/") and not _SCHEME.match(target)
                and PurePosixPath(target).suffix.lower() in ASSET_SUFFIXES):
            paths.append(target)
    return list(dict.fromkeys(paths))


def _targets(text: str) -> list[str]:
    """The link and image targets that name a file of one of the ``ASSET_SUFFIXES``."""
    found = [m.group(1) for pattern in _TARGETS for m in pattern.finditer(text)]
    return [t for t in found if _ASSET.search(t)]


def references(text: str, page_uri: str, document_path: str,
               document: str | None) -> tuple[list[Reference], list[Finding]]:
    """Each file a page's text links to, resolved from the page and from the document's file."""
    found, findings = [], []
    for target in linked_files(text):
        src_uri = posixpath.normpath(posixpath.join(posixpath.dirname(page_uri), target))
        path = posixpath.normpath(posixpath.join(posixpath.dirname(document_path), target))
        if _outside(src_uri) or _outside(path):
            findings.append(Finding(
                "asset.outside", Severity.ERROR, document_path, None,
                f"引用的图片或附件 {target} 在仓库或网站之外，网站无法发布它",
                "把图片或附件放在文件旁边（例如与文件同名的文件夹中），用相对路径引用，"
                "提交后送审核、批准", document))
        else:
            found.append(Reference(src_uri, path, document))
    return found, findings


def committed_assets(repository: GitRepository, wanted: dict[str, list[Reference]],
                     taken: Iterable[str]) -> Assets:
    """The files each approving commit (``wanted``: commit -> references) holds.

    ``taken``: source paths already in the site (pages, site files), never replaced.
    """
    assets = Assets()
    published = set(taken)
    blobs: list[tuple[Reference, str]] = []
    for commit, refs in wanted.items():
        tree = _tree(repository, commit, {r.path for r in refs})
        for ref in refs:
            mode_sha = tree.get(ref.path)
            if mode_sha is None or mode_sha[0] == LINK_MODE:
                assets.findings.append(_missing(ref, commit))
            elif ref.src_uri not in published:
                published.add(ref.src_uri)
                blobs.append((ref, mode_sha[1]))
    contents = repository.blob_bytes(sha for _, sha in blobs)
    for ref, sha in blobs:
        problems = _active(ref, contents[sha])
        assets.findings += problems
        if not problems:
            assets.files.append((ref.src_uri, contents[sha]))
    return assets


def working_assets(root: Path, refs: Iterable[Reference], taken: Iterable[str]) -> Assets:
    """For the preview: the files as they are in the working tree (drafts are shown too)."""
    assets = Assets()
    published = set(taken)
    for ref in refs:
        file = root / ref.path
        if ref.src_uri not in published and file.is_file() and not file.is_symlink():
            published.add(ref.src_uri)
            assets.files.append((ref.src_uri, file.read_bytes()))
    return assets


def _outside(path: str) -> bool:
    return path == ".." or path.startswith("../") or path.startswith("/")


def _tree(repository: GitRepository, commit: str, paths: set[str]) -> dict[str, tuple[str, str]]:
    """Path -> (mode, blob) of the given files in one commit (one ``git ls-tree`` call)."""
    output = repository.run("--literal-pathspecs", "-c", "core.quotepath=false", "ls-tree",
                            "-r", "-z", "--full-tree", commit, "--", *sorted(paths))
    tree = {}
    for entry in output.split("\0"):
        header, _, path = entry.partition("\t")
        if path in paths:
            mode, kind, sha = header.split(" ")
            if kind == "blob":
                tree[path] = (mode, sha)
    return tree


def _missing(ref: Reference, commit: str) -> Finding:
    return Finding(
        "asset.missing", Severity.ERROR, ref.path, None,
        f"批准的文本引用了图片或附件，但批准它的提交中没有这个文件（提交 {commit[:8]}）："
        "员工网站只发布与文本一同批准的文件",
        f"把 {ref.path} 与文件一起提交，提高版本号，再审核、批准一次；"
        "如果引用写错了，改正引用后同样走审批", ref.document)


def _active(ref: Reference, content: bytes) -> list[Finding]:
    """Active content in an SVG, checked as a site page is (other images are not markup)."""
    if not ref.path.lower().endswith(".svg"):
        return []
    return find_active_content(ref.path, content.decode("utf-8", errors="replace"),
                               document=ref.document)
