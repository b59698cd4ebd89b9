"""The repository's history, read from git in one pass.

One ``git log`` over the whole history gives every commit with its author,
date, trailers and the blobs it changed, renames detected and each merge
diffed against every parent. Blob contents are read in batches (``git
cat-file --batch``), or one at a time through one persistent such process.

What a commit did to a file is its diff against its first parent: a GitLab
merge commit, which carries the approvals, brings in what its branch changed.
The diffs against a merge's other parents serve only to follow files.

Following a file: the walk goes from the newest commit back, every child
before its parents (``--topo-order``), and each commit carries the names the
current files have there — a map from a path at that commit to the current
path. Along each edge to a parent, that edge's diff turns the map into the
parent's: a rename moves a name back to the old path, an addition ends it. A
parent reached from several children (a branch point) gets the names of every
line. So each line of history keeps its own names: a branch that edits a file
under its old name while the main line renames it, and a file added on two
branches independently, keep all their commits. Maps are never changed once
made: along linear history a parent shares its child's map, and a new map is
made only at a rename or addition of a followed file and at a branch point
whose lines disagree (a path two lines give to different files stays with the
line the walk reached first).

git prints no diff against a parent with the same tree as the merge, so the
diffs printed are matched to the parents whose tree differs, in order.
"""

from __future__ import annotations

import codecs
import datetime
import functools
import os
import re
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern  # names, paths and ids recur in every commit: one string object each
from typing import TYPE_CHECKING

from . import history_cache
from .derived_cache import DerivedCache
from .errors import QmsdocError

if TYPE_CHECKING:
    import git

APPROVED_BY = "Approved-by"
REVIEWED_BY = "Reviewed-by"
_IDENTITY_RE = re.compile(r"^(.*?)\s*<([^<>\s]+)>\s*$")
_FORMAT = "%x1e%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s%x1f%(trailers:only,unfold,separator=%x1d)"
# Every commit with its trailers and changed blobs: merges diffed against each parent with a
# different tree (one record each), submodules never hidden, so a different tree always prints.
_LOG = ("-c", "core.quotepath=false", "log", "-z", "--raw", "--no-abbrev", "-M",
        "--ignore-submodules=none", "--diff-merges=separate", "--topo-order",
        f"--format={_FORMAT}")
_LOG_CHUNK = 1 << 20
# What git keeps in memory while it reads a whole history: by default it maps up to
# gigabytes of pack files and caches 96 MiB of object bases (314 MiB for the log of
# the 60,000-commit bench repository); with these limits 113 MiB, at the same speed.
_LEAN = ("-c", "core.deltaBaseCacheLimit=24m", "-c", "core.packedGitWindowSize=16m",
         "-c", "core.packedGitLimit=96m")


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: datetime.datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]
    sequence: int  # position in history, oldest first: a parent always comes before its child

    @classmethod
    def pending(cls, name: str, email: str, when: datetime.datetime,
                parent: str | None = None) -> Commit:
        """The commit about to be made on top of ``parent``, after everything in history."""
        return cls("0" * 40, (parent,) if parent else (), name, email, when, "", (), sys.maxsize)

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def identities(self, key: str) -> list[tuple[str, str]]:
        """(name, e-mail) of every trailer ``key: Name <email>``."""
        return identities(self.trailers, key)

    def describe(self) -> str:
        """``提交 1a2b3c4d（张三，2025-03-01）``, the way messages name a commit."""
        which = "本次提交" if self.sequence == sys.maxsize else f"提交 {self.short}"
        return f"{which}（{self.author_name}，{self.date.date().isoformat()}）"


def identities(trailers: Iterable[tuple[str, str]], key: str) -> list[tuple[str, str]]:
    """(name, e-mail) of every trailer ``key: Name <email>``."""
    found = []
    for trailer_key, value in trailers:
        match = _IDENTITY_RE.match(value)
        if trailer_key.lower() == key.lower() and match:
            found.append((match.group(1), match.group(2)))
    return found


@dataclass(frozen=True, slots=True)
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
    watched: dict[str, list[FileEvent]] = field(default_factory=dict)
    """Per watched path, every commit that touched exactly that path, oldest first."""
    commits: list[Commit] = field(default_factory=list)
    """Every commit once, oldest first (in ``sequence`` order: a parent before its children)."""


class GitRepository:
    """The git operations qmsdoc needs.

    Reading — the few queries below, one ``git log`` pass, one ``cat-file``
    batch — runs git's own commands directly: it is the hot path of every
    build, where GitPython would add its import and per-call pipe handling
    and parse nothing for us. Writing (``qmsdoc approve``) goes through GitPython.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs: dict[str, str] = {}
        self._reader = _BlobReader(root)
        self._log_ahead: list[str] | None = None
        self.arriving: list[str] = []
        """The records of the whole log while :meth:`log_records` reads it, as git prints them."""
        self._cache = history_cache.HistoryCache(self, _LOG) if history_cache.enabled() else None
        inside, _, git_dir = self.run("rev-parse", "--is-inside-work-tree", "--path-format=absolute",
                                      "--git-common-dir", check=False).strip().partition("\n")
        if inside != "true":
            raise QmsdocError(
                f"{root} 不是 git 仓库：受控文件的审批与修订记录都来自 git 历史，"
                "请在仓库的克隆中运行")
        self.derived = DerivedCache(Path(git_dir) / history_cache.FOLDER
                                    if history_cache.enabled() else None)
        """What qmsdoc derived from texts, in this run and (with the cache) in earlier ones."""

    @functools.cached_property
    def repo(self) -> git.Repo:
        import git

        return git.Repo(self.root)

    @functools.cached_property
    def configuration(self) -> str:
        """git's settings and replaced commits: what shapes what git shows, besides the
        commits (read once per run, whichever cache asks first)."""
        return "\0\0".join((
            self.run("config", "--list", "-z", check=False),
            self.run("for-each-ref", "--format=%(refname) %(objectname)", "refs/replace/",
                     check=False)))

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True,
                              encoding="utf-8", errors="replace", check=False)
        if check and done.returncode:
            raise _failed(args, done.returncode, done.stderr)
        return done.stdout if done.returncode == 0 else ""

    def succeeds(self, *args: str) -> bool:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True,
                              check=False).returncode == 0

    def is_shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository").strip() == "true"

    def has_commits(self) -> bool:
        return bool(self.head())

    def head(self) -> str:
        """The commit checked out; empty before the first commit."""
        return self.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).strip()

    def tracked(self, folders: Iterable[str]) -> set[str]:
        output = self.run("ls-files", "-z", "--", *folders)
        return {p for p in output.split("\0") if p}

    def changed(self, folders: Iterable[str]) -> set[str]:
        """Paths with uncommitted changes (staged or not) the pathspecs match."""
        output = self.run("status", "--porcelain=v1", "-z", "--untracked-files=no",
                           "--", *folders)
        paths = set()
        entries = iter(output.split("\0"))
        for entry in entries:
            if len(entry) > 3:
                paths.add(entry[3:])
                if entry[0] in "RC":
                    next(entries, None)  # the rename's source path
        return paths

    def forget_blobs(self) -> None:
        """Let go of the blob texts read so far (tens of megabytes in a large history)."""
        self._blobs.clear()

    def blob_text(self, sha: str) -> str:
        """A blob's text, from a batch already read or else on its own."""
        if sha not in self._blobs:
            self._blobs[sha] = self._reader.read(sha).decode("utf-8", errors="replace")
        return self._blobs[sha]

    def read_blobs(self, shas: Iterable[str]) -> None:
        """Read many blobs as text with one ``git cat-file --batch`` call."""
        wanted = [sha for sha in dict.fromkeys(shas) if sha not in self._blobs]
        self._blobs.update((sha, content.decode("utf-8", errors="replace"))
                           for sha, content in self.blob_bytes(wanted).items())

    def save_cache(self) -> None:
        """Keep what this run derived from texts for the next run (see :mod:`.derived_cache`;
        :meth:`log` keeps what it reads itself)."""
        self.derived.save()

    def blob_bytes(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Many blobs exactly as stored, with one ``git cat-file --batch`` call."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        output = self.bulk(["cat-file", "--batch"], "".join(f"{sha}\n" for sha in wanted))
        contents, position = {}, 0
        for sha in wanted:
            header_end = output.index(b"\n", position)
            header = output[position:header_end].split(b" ")
            if len(header) != 3:
                raise _missing(sha)
            size = int(header[2])
            start = header_end + 1
            contents[sha] = output[start:start + size]
            position = start + size + 1
        return contents

    def committed_files(self, pathspecs: Iterable[str] = ()) -> list[tuple[str, str, str]]:
        """(mode, blob, path) of the files of the current commit that the pathspecs (git's
        syntax; none: every file) match. None before the first commit."""
        if not self.has_commits():
            return []
        output = self.run("-c", "core.quotepath=false", "ls-tree", "-r", "-z", "--full-tree",
                          "HEAD", "--", *pathspecs)
        files = []
        for entry in output.split("\0"):
            if entry:
                header, _, path = entry.partition("\t")
                mode, kind, sha = header.split(" ")
                if kind == "blob":
                    files.append((mode, sha, path))
        return files

    def bulk(self, args: list[str], stdin: str = "") -> bytes:
        """A git command with large output, through files rather than pipes.

        Tens of megabytes of history read through a pipe cost Python a
        poll per few kilobytes; a file is read in one call.
        """
        with tempfile.TemporaryFile() as requests, tempfile.TemporaryFile() as output:
            requests.write(stdin.encode())
            requests.seek(0)
            done = subprocess.run(["git", *_LEAN, *args],
                                  cwd=self.root, stdin=requests, stdout=output,
                                  stderr=subprocess.PIPE, check=False)
            if done.returncode:
                raise _failed(args, done.returncode, done.stderr.decode(errors="replace"))
            output.seek(0)
            return output.read()

    def log_since(self, commit: str, head: str) -> list[str] | None:
        """The commits after ``commit`` up to ``head`` as :meth:`log` gives them (the text
        of each, newest first); ``None``: ``commit`` is not an ancestor of ``head``."""
        if commit == head:
            return []
        if not self.succeeds("merge-base", "--is-ancestor", commit, head):
            return None
        log = self.bulk([*_LOG, f"{commit}..{head}"]).decode("utf-8", errors="replace")
        return list(history_cache.by_commit(history_cache.split_records(log)).values())

    def log_records(self, args: list[str]) -> list[str]:
        """The records (each from its ``\\x1e`` on) of a log git prints with ``args``.

        While git works, the records printed so far are in :attr:`arriving`: another
        thread can start on them (in a large history git takes most of a cold check)."""
        records: list[str] = []
        self.arriving = records
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(["git", *_LEAN, *args], cwd=self.root,
                                       stdout=subprocess.PIPE, stderr=errors)
            assert process.stdout is not None
            printing: list[str] = []  # the record git is printing, so far
            with process.stdout:
                while chunk := os.read(process.stdout.fileno(), _LOG_CHUNK):
                    text = decoder.decode(chunk)
                    last = text.rfind("\x1e")
                    if last < 0:
                        printing.append(text)
                        continue
                    printing.append(text[:last])
                    records += history_cache.split_records("".join(printing))
                    printing = [text[last:]]
            printing.append(decoder.decode(b"", final=True))
            records += history_cache.split_records("".join(printing))
            if process.wait():
                errors.seek(0)
                raise _failed(args, process.returncode,
                              errors.read().decode(errors="replace"))
        self.arriving = []  # the caller's now
        return records

    def read_log_ahead(self) -> None:
        """Read the log now (in the background, say), for the next call of :meth:`log`."""
        self._log_ahead = self.log()

    def log(self) -> list[str]:
        """The whole history as one ``git log`` pass prints it, as the text of each commit,
        newest first: its trailers and changed blobs; a merge as one record per parent with
        a different tree, each with the diff against that parent. Commits read before come
        from the cache. (Never joined into one text: tens of megabytes in a large history.)"""
        if self._log_ahead is not None:  # handed over, not kept: it is tens of megabytes
            log, self._log_ahead = self._log_ahead, None
            return log
        if not self.has_commits():
            return []
        if self._cache is not None:
            return self._cache.log()
        return list(history_cache.by_commit(self.log_records([*_LOG, "HEAD"])).values())


class _BlobReader:
    """Blobs asked for one at a time, through one ``git cat-file --batch`` process started
    on first use (a process per blob would cost milliseconds each)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._process: subprocess.Popen[bytes] | None = None

    def read(self, sha: str) -> bytes:
        process = self._process or self._start()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{sha}\n".encode())
        process.stdin.flush()
        header = process.stdout.readline().split()
        if len(header) != 3:
            raise _missing(sha)
        content = process.stdout.read(int(header[2]))
        process.stdout.read(1)  # the newline after each object
        return content

    def _start(self) -> subprocess.Popen[bytes]:
        self._process = subprocess.Popen(["git", *_LEAN, "cat-file", "--batch"], cwd=self._root,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
        weakref.finalize(self, _stop, self._process)
        return self._process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _missing(sha: str) -> QmsdocError:
    return QmsdocError(f"git 仓库中缺少文件内容 {sha}：可能是部分克隆或仓库已损坏。"
                       "请用完整克隆（git clone 不带 --filter）重新检出，或运行 git fsck 检查仓库")


def _failed(args: Iterable[str], code: int, stderr: str) -> QmsdocError:
    """A git command that failed, named by its subcommand (not by a ``-c`` option)."""
    arguments = list(args)
    command = next((a for i, a in enumerate(arguments) if not a.startswith("-")
                    and (i == 0 or arguments[i - 1] != "-c")), "")
    detail = stderr.strip() or f"退出码 {code}（磁盘已满或临时目录不可写时也会如此）"
    return QmsdocError(f"git {command} 失败：{detail}")


def read_history(log: list[str], current_paths: Iterable[str], watched: Iterable[str] = ()) -> History:
    """Each current file's commits, following it back through renames on every line of history.

    A watched path is not followed: its history is whatever was ever at that
    path, so deleting and re-adding the file does not start a new history. A
    watched path ending in ``/`` is a folder: its events are those of every file
    in it. ``log`` (as :meth:`GitRepository.log` gives it) is emptied as it is read.
    """
    logged = _parse(log)
    history = History(_follow(logged, current_paths), {path: [] for path in watched},
                      [commit for commit, _, _ in logged])
    folders = [path for path in history.watched if path.endswith("/")]
    for commit, changes, _ in logged:
        for kind, path, _, blob, old_blob in changes:
            key = path if path in history.watched else next(
                (folder for folder in folders if path.startswith(folder)), None)
            if key is not None:
                history.watched[key].append(FileEvent(commit, kind, path, blob, old_blob))
    return history


Change = tuple[str, str, str | None, str | None, str | None]
"""One file a commit changed: kind (A, M, D, R, C or T), path, old path, blob, old blob."""
# A commit, its own changes (against its first parent; a root commit: against nothing) and,
# for a merge, (parent, the diff against it) for each further parent.
_Logged = tuple[Commit, list[Change], Sequence[tuple[str, list[Change]]]]


def read_commits(log: list[str], after: int) -> list[tuple[Commit, list[Change]]] | None:
    """The commits of a log that follows ``after`` commits already read, oldest first,
    each with its changes; ``None`` if one of them is a merge."""
    logged = _parse(log, after)
    if any(commit.is_merge for commit, _, _ in logged):
        return None
    return [(commit, changes) for commit, changes, _ in logged]


def _parse(log: list[str], after: int = 0) -> list[_Logged]:
    """The log's commits, oldest first; a merge's records (one per parent) make one commit.

    Read from the end of the log, every parent comes before its children. Each commit's
    text is taken off the log as it is read: tens of megabytes in a large history, which
    would otherwise live as long as what is made of them.
    """
    logged: list[_Logged] = []
    trees: dict[str, str] = {}
    sequence = after
    while log:
        text, sequence = log.pop(), sequence + 1
        records = [record.partition("\0") for record in text.split("\x1e")[1:]]
        commit, tree = _commit(records[0][0], sequence)
        trees[commit.sha] = tree
        parents = commit.parents
        if len(parents) < 2:
            logged.append((commit, _changes(records[0][2]), ()))
            continue
        # git prints no diff against a parent with the merge's tree (nor the header, unless
        # every diff is empty): the diffs printed belong, in order, to the parents whose
        # tree differs.
        diffs = [_changes(raw) for _, _, raw in records]
        printed = iter([changes for changes in diffs if changes])
        against = [next(printed, []) if trees.get(parent) != tree else [] for parent in parents]
        logged.append((commit, against[0], list(zip(parents[1:], against[1:], strict=True))))
    return logged


def _commit(header: str, sequence: int) -> tuple[Commit, str]:
    """The commit a record's header describes, and its tree."""
    sha, tree, parents, name, email, date, subject, trailers = header.split("\x1f")
    return Commit(
        sha=intern(sha),
        parents=tuple(intern(parent) for parent in parents.split()),
        author_name=intern(name),
        author_email=intern(email),
        date=_date(date),
        subject=intern(subject),
        trailers=tuple(
            (intern(key.strip()), intern(value.strip()))
            for key, _, value in (t.partition(":") for t in trailers.split("\x1d") if t)
        ),
        sequence=sequence,
    ), tree


def _date(text: str) -> datetime.datetime:
    """A commit's date, its time zone shared with every other commit in the same zone (a
    large history has tens of thousands of dates and a handful of zones)."""
    date = datetime.datetime.fromisoformat(text)
    zone = _ZONES.setdefault(text[19:], date.tzinfo)
    return date if zone is date.tzinfo else date.replace(tzinfo=zone)


_ZONES: dict[str, datetime.tzinfo | None] = {}


_SIGNS_RE = re.compile(rf"(?:^|\x1d)\s*(?:{APPROVED_BY}|{REVIEWED_BY})\s*:", re.I)


def signed_blobs(record: str, prefixes: tuple[str, ...]) -> list[str]:
    """The blobs of Markdown files under ``prefixes`` (folders, each ending in ``/``) that a
    log record changes, if its commit's trailers name a reviewer or an approver: the texts
    a check will fingerprint (about; see :func:`~qmsdoc.snapshots.derive_while_reading`)."""
    header, _, raw = record.partition("\0")
    if not _SIGNS_RE.search(header[header.rfind("\x1f") + 1:]):
        return []
    return [sha for _, path, _, blob, old_blob in _changes(raw)
            if path.endswith(".md") and path.startswith(prefixes)
            for sha in (blob, old_blob) if sha]


def _changes(raw: str) -> list[Change]:
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
        changes.append((kind, intern(path), old_path, _blob(new_blob), _blob(old_blob)))
    return changes


def _blob(sha: str) -> str | None:
    return None if set(sha) == {"0"} else intern(sha)


_Names = dict[str, str]  # path at some commit -> the current path of the file it is there


def _follow(logged: list[_Logged], current_paths: Iterable[str]) -> dict[str, list[FileEvent]]:
    """Attribute each commit's own changes to the current files they belong to, oldest first.

    ``waiting`` holds the names at each commit not reached yet, carried from
    its children (the walk reaches every child first).
    """
    events: dict[str, list[FileEvent]] = {path: [] for path in current_paths}
    waiting: dict[str, _Names] = {}
    if logged:
        waiting[logged[-1][0].sha] = {path: path for path in events}  # HEAD
    for commit, changes, other_parents in reversed(logged):
        names = waiting.pop(commit.sha, None)
        if not names:
            continue  # no current file has a name here: nothing to attribute or to carry
        names_change = False  # did this commit add or rename a followed file?
        for kind, path, _, blob, old_blob in changes:
            current = names.get(path)
            if current is not None:
                events[current].append(FileEvent(commit, kind, path, blob, old_blob))
                names_change = names_change or kind in "AR"
        if commit.parents:
            _carry(waiting, commit.parents[0],
                   _names_before(names, changes) if names_change else names)
        for parent, diff in other_parents:
            _carry(waiting, parent, _names_before(names, diff))
    for path_events in events.values():
        path_events.reverse()
    return events


def _names_before(names: _Names, changes: list[Change]) -> _Names:
    """The names across one edge, before its changes: a rename moves a name back to the old
    path, an addition ends it. The same map if nothing changes: maps are never changed."""
    gone = [path for kind, path, _, _, _ in changes if kind in "AR" and path in names]
    if not gone:
        return names
    before = names.copy()
    for path in gone:
        del before[path]
    before.update((old_path, names[path]) for kind, path, old_path, _, _ in changes
                  if kind == "R" and old_path is not None and path in names)
    return before


def _carry(waiting: dict[str, _Names], parent: str, names: _Names) -> None:
    """Give a parent the names from one more child.

    At a branch point the lines' names are joined; where two lines give one
    path to different files, the child the walk reached first keeps it.

    Where one line's map already holds the other's, that map is kept as it is,
    so the history behind the branch point shares one map again.
    """
    if not names:
        return
    known = waiting.get(parent)
    if known is None or names.items() > known.items():
        waiting[parent] = names
    elif known is not names and not known.items() >= names.items():
        waiting[parent] = {**names, **known}
