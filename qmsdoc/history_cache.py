"""A persistent cache of what qmsdoc reads from git history, trusted only where git proves it.

Every check reads the whole history with one ``git log``. A commit never
changes once made, so a run keeps each commit's records exactly as ``git log``
printed them, keyed by commit id, with the head commit they were read for.
(What qmsdoc derives from blob and file texts is kept by :mod:`.derived_cache`.)

The next run reuses them only when ``git merge-base --is-ancestor`` proves the
cached head is still in the current history; it then reads only the new
commits (``git log CACHED..HEAD``) and puts every commit's records in the order
``git rev-list --topo-order HEAD`` gives, the order a full ``git log`` prints.
The text parsed is then the text git would have printed, so the results are
the same as without the cache. A rewritten history, a cache from another
repository (its head is not in this history), a damaged file (checksum), a
file of another format, qmsdoc version, git configuration or set of replaced
commits: each makes the cache start again from a full read. Only data is
unpickled (no classes), and a file is replaced whole (temporary file, then
``os.replace``), so concurrent runs leave one complete file or the other.

The cache lives in the repository's git folder (``.git/qmsdoc-cache/``), never
in the working tree or a commit, and is shared by the repository's worktrees
(``qmsdoc review`` checks the base commit in a temporary one): a worktree whose
HEAD does not descend from the cached head reads the whole log again.
``QMSDOC_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import subprocess
import tempfile
import zlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .history import GitRepository

FORMAT = 1
DISABLE = "QMSDOC_NO_CACHE"
_MAGIC = b"qmsdoc-history-cache\n"
FOLDER = "qmsdoc-cache"
_LOG_FILE = "log"
# Environment that changes what git shows as history (replaced or grafted commits).
_GIT_ENVIRONMENT = ("GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_GRAFT_FILE")


def enabled() -> bool:
    return os.environ.get(DISABLE, "").strip() in ("", "0")


class _DataOnly(pickle.Unpickler):
    """Unpickles plain data only: a cache file can never name a class or function to call."""

    def find_class(self, module: str, name: str) -> type:
        raise pickle.UnpicklingError(f"{module}.{name} in a cache file")


class HistoryCache:
    """One worktree's log cache: read on the first use in a run, written by :meth:`save`
    when new commits were read."""

    def __init__(self, repository: GitRepository, log_arguments: tuple[str, ...]) -> None:
        self._repository = repository
        self._log_arguments = log_arguments
        self._folder: Path | None = None  # None: no cache in this run (shallow, or not yet found)
        self._key = ""
        self._head = ""
        self._records: dict[str, str] = {}
        self._new_log = False

    def log(self) -> str:
        """What ``git log <log arguments> HEAD`` prints, reading only commits not cached."""
        git = self._repository
        git_dir, shallow, head = git.run("rev-parse", "--path-format=absolute",
                                         "--git-common-dir", "--is-shallow-repository",
                                         "HEAD").split("\n")[:3]
        if shallow == "true":  # a deepening fetch changes old commits' parents: never cache
            return self._full(head)
        order = _start(git.root, "rev-list", "--topo-order", "HEAD")
        self._folder = Path(git_dir) / FOLDER
        self._key = self._identity(git_dir)
        self._head, self._records = "", {}
        stored = read_file(self._folder / _LOG_FILE, self._key)
        if stored is not None and len(stored) == 2 and isinstance(stored[0], str):
            self._head, self._records = stored[0], _texts(stored[1])
        if self._head == head:
            new = ""
        elif self._head and git.succeeds("merge-base", "--is-ancestor", self._head, head):
            new = self._text([*self._log_arguments, f"{self._head}..{head}"])
        else:  # no cache, a rewritten history, or another repository's cache
            self._records, new = {}, self._full(head)
        if self._head != head:
            self._records.update(_by_commit(new))
            self._head, self._new_log = head, True
        listed = _finish(order)
        if listed is None:  # no proof of the order: no cache this run
            self._folder = None
            return self._full(head)
        commits = listed.split()
        if any(sha not in self._records for sha in commits):  # not expected: start again
            self._records, self._new_log = _by_commit(self._full(head)), True
        return "".join(self._records[sha] for sha in commits)

    def save(self) -> None:
        """Write what this run read, if anything was new."""
        if self._new_log and self._folder is not None:
            self._new_log = not write_file(self._folder / _LOG_FILE, self._key,
                                           (self._head, self._records))

    def _text(self, arguments: list[str]) -> str:
        return self._repository.bulk(arguments).decode("utf-8", errors="replace")

    def _full(self, head: str) -> str:
        return self._text([*self._log_arguments, head])

    def _identity(self, git_dir: str) -> str:
        """Everything besides the commits that shapes what git prints: a cache made under
        anything else is not used."""
        git = self._repository
        parts = [str(FORMAT), qmsdoc_version(), git_dir, *self._log_arguments,
                 git.run("config", "--list", "-z", check=False),
                 git.run("for-each-ref", "--format=%(refname) %(objectname)", "refs/replace/",
                         check=False),
                 *(f"{name}={os.environ.get(name)}" for name in _GIT_ENVIRONMENT)]
        return hashlib.sha256("\0\0".join(parts).encode()).hexdigest()


def qmsdoc_version() -> str:
    try:
        return version("qmsdoc")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def read_file(file: Path, key: str) -> tuple[object, ...] | None:
    """A cache file's data; ``None`` when it is missing or not to be trusted (damaged,
    truncated, or made by another format, version, repository or configuration: its
    ``key`` is not ``key``)."""
    try:
        content = file.read_bytes()
    except OSError:
        return None
    checksum, _, payload = content.removeprefix(_MAGIC).partition(b"\n")
    if not content.startswith(_MAGIC) or _checksum(payload) != checksum:
        return None
    try:
        data = _DataOnly(io.BytesIO(payload)).load()
    except Exception:  # noqa: BLE001 - whatever is wrong with the file, it is not used
        return None
    if not (isinstance(data, tuple) and len(data) > 2 and data[:2] == (FORMAT, key)):
        return None
    return data[2:]


def write_file(file: Path, key: str, data: tuple[object, ...]) -> bool:
    """Replace a cache file whole. One that cannot be written is not: it only saves time."""
    payload = pickle.dumps((FORMAT, key, *data), protocol=pickle.HIGHEST_PROTOCOL)
    temporary = None
    try:
        file.parent.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, prefix=f"{file.name}.",
                                         delete=False) as stream:
            temporary = Path(stream.name)
            stream.write(_MAGIC + _checksum(payload) + b"\n")
            stream.write(payload)
        os.replace(temporary, file)
        return True
    except OSError:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        return False


def _texts(data: object) -> dict[str, str]:
    """A cached mapping of ids to texts, or nothing if it is not one."""
    if isinstance(data, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return data
    return {}


def _checksum(payload: bytes) -> bytes:
    """CRC-32: finds a damaged or truncated file at memory speed. (Whoever can write the git
    folder can run code through its hooks anyway: the cache needs no signature.)"""
    return b"%08x" % zlib.crc32(payload)


def _by_commit(log: str) -> dict[str, str]:
    """A log's text per commit: its records (a merge prints one per parent) as printed."""
    records: dict[str, str] = {}
    for record in log.split("\x1e")[1:]:
        sha = record[:record.find("\x1f")]
        records[sha] = records.get(sha, "") + "\x1e" + record
    return records


def _start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["git", *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)


def _finish(process: subprocess.Popen[bytes]) -> str | None:
    output, _ = process.communicate()
    return output.decode() if process.returncode == 0 else None
