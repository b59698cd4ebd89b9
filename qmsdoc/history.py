"""The repository's history, read from git in one pass.

One ``git log`` over the whole history (renames detected, merges shown against
their first parent) gives every commit with its author, date, trailers and the
blobs it changed. Walking it from the newest commit back, each controlled
document's file is followed through renames, so a document moved to another
file keeps its history. Blob contents are read on demand through one
persistent ``git cat-file --batch`` process.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import git

from .errors import QmsdocError

APPROVED_BY = "Approved-by"
REVIEWED_BY = "Reviewed-by"
_IDENTITY_RE = re.compile(r"^(.*?)\s*<([^<>\s]+)>\s*$")
_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s%x1f%(trailers:only,unfold,separator=%x1d)"


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: datetime.datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def identities(self, key: str) -> list[tuple[str, str]]:
        """(name, e-mail) of every trailer ``key: Name <email>``."""
        found = []
        for trailer_key, value in self.trailers:
            match = _IDENTITY_RE.match(value)
            if trailer_key.lower() == key.lower() and match:
                found.append((match.group(1), match.group(2)))
        return found

    def describe(self) -> str:
        """``提交 1a2b3c4d（张三，2025-03-01）``, the way messages name a commit."""
        return f"提交 {self.short}（{self.author_name}，{self.date.date().isoformat()}）"


@dataclass(frozen=True)
class FileEvent:
    """One commit touching one document's file."""

    commit: Commit
    status: str  # A, M, D, R, C or T
    path: str
    blob: str | None
    old_blob: str | None

    @property
    def changes_blob(self) -> bool:
        return self.blob != self.old_blob


@dataclass
class History:
    """What git knows about the controlled documents."""

    events: dict[str, list[FileEvent]] = field(default_factory=dict)
    """Per current path, the commits that touched the file, oldest first."""
    commit_count: int = 0


class GitRepository:
    """The few git operations qmsdoc needs, all through GitPython."""

    def __init__(self, root: Path) -> None:
        try:
            self.repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise QmsdocError(
                f"{root} 不是 git 仓库：受控文件的审批与修订记录都来自 git 历史，"
                "请在仓库的克隆中运行") from None
        self.root = root
        self._blobs: dict[str, str] = {}

    def is_shallow(self) -> bool:
        return self.repo.git.rev_parse("--is-shallow-repository").strip() == "true"

    def has_commits(self) -> bool:
        try:
            self.repo.head.commit  # noqa: B018 - raises on an unborn branch
        except ValueError:
            return False
        return True

    def tracked(self, folders: Iterable[str]) -> set[str]:
        output = self.repo.git.ls_files("-z", "--", *folders)
        return {p for p in output.split("\0") if p}

    def changed(self, folders: Iterable[str]) -> set[str]:
        """Paths with uncommitted changes (staged or not) under the folders."""
        output = self.repo.git.status("--porcelain=v1", "-z", "--untracked-files=no",
                                      "--", *folders)
        paths = set()
        entries = iter(output.split("\0"))
        for entry in entries:
            if len(entry) > 3:
                paths.add(entry[3:])
                if entry[0] in "RC":
                    next(entries, None)  # the rename's source path
        return paths

    def blob_text(self, sha: str) -> str:
        """A blob's text, read once per run through ``git cat-file --batch``."""
        if sha not in self._blobs:
            _, _, _, data = self.repo.git.get_object_data(sha)
            self._blobs[sha] = data.decode("utf-8", errors="replace")
        return self._blobs[sha]

    def read_history(self, current_paths: Iterable[str]) -> History:
        """One ``git log`` pass, following each current path back through renames."""
        if not self.has_commits():
            return History()
        output = self.repo.git.log(
            "-z", "--raw", "--no-abbrev", "-M", "--diff-merges=first-parent",
            "--topo-order", f"--format={_FORMAT}", "HEAD")
        commits = [_parse_record(record) for record in output.split("\x1e")[1:]]
        return _follow(commits, current_paths)


_Record = tuple[Commit, list[tuple[str, str, str | None, str | None, str | None]]]


def _parse_record(record: str) -> _Record:
    header, _, raw = record.partition("\0")
    sha, parents, name, email, date, subject, trailers = header.split("\x1f")
    commit = Commit(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=name,
        author_email=email,
        date=datetime.datetime.fromisoformat(date),
        subject=subject,
        trailers=tuple(
            (key.strip(), value.strip())
            for key, _, value in (t.partition(":") for t in trailers.split("\x1d") if t)
        ),
    )
    changes = []
    tokens = raw.lstrip("\n").split("\0")
    index = 0
    while index < len(tokens) and tokens[index].startswith(":"):
        _, _, old_blob, new_blob, status = tokens[index].split(" ")
        kind = status[0]
        if kind in "RC":
            old_path, path = tokens[index + 1], tokens[index + 2]
            index += 3
        else:
            old_path, path = None, tokens[index + 1]
            index += 2
        changes.append((kind, path, old_path, _blob(new_blob), _blob(old_blob)))
    return commit, changes


def _blob(sha: str) -> str | None:
    return None if set(sha) == {"0"} else sha


def _follow(records: list[_Record], current_paths: Iterable[str]) -> History:
    """Attribute each change to the current file it belongs to, newest commit first.

    ``alias`` maps a path as it was at some point in history to the current
    path. A rename moves the alias to the old name; an addition ends it. A
    merge only adds aliases, because the branch commits after it in this walk
    still use the names the merge shows.
    """
    alias = {path: path for path in current_paths}
    events: dict[str, list[FileEvent]] = {path: [] for path in alias}
    for commit, changes in records:
        for kind, path, old_path, blob, old_blob in changes:
            current = alias.get(path)
            if current is None and old_path is not None:
                current = alias.get(old_path)
            if current is None:
                continue
            events[current].append(FileEvent(commit, kind, path, blob, old_blob))
            if commit.is_merge:
                if old_path is not None and kind == "R":
                    alias.setdefault(old_path, current)
            elif kind == "R" and old_path is not None and alias.get(path) == current:
                del alias[path]
                alias[old_path] = current
            elif kind == "A":
                alias.pop(path, None)
    for path_events in events.values():
        path_events.reverse()
    return History(events, len(records))
