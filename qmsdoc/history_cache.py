"""A persistent cache of what qmsdoc reads from git history, trusted only where git proves it.

Every check reads the whole history with one ``git log``. A commit never
changes once made, and its id is a hash of everything it holds: so a run keeps
each commit's records exactly as ``git log`` printed them, keyed by commit id.
(What qmsdoc derives from blob and file texts is kept by :mod:`.derived_cache`.)

The next run asks git for the commits of the current history in the order a
full ``git log`` prints them (``git rev-list --topo-order HEAD``), reads only
those it has no record of (``git log --no-walk --stdin``), and puts the records
in that order. The text parsed is then the text git would have printed, so the
results are the same as without the cache, whatever happened in between: new
commits, a branch switched, a reset, an amended or rebased commit (a rewritten
commit has a new id, and is read). A cache from another repository, a damaged
file (checksum), a file of another format, qmsdoc code, git configuration or
set of replaced commits: each makes the cache start again from a full read.
Only data is unpickled (no classes), and a file is replaced whole (temporary
file, then ``os.replace``), so concurrent runs leave one complete file or the
other.

The cache lives in the repository's git folder (``.git/qmsdoc-cache/``), never
in the working tree or a commit, and is shared by the repository's worktrees
(``qmsdoc review`` checks the base commit in a temporary one). Records of
commits no longer in the current history are kept for a while (a branch
switched back to), then dropped. ``QMSDOC_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import os
import pickle
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .history import GitRepository

FORMAT = 2
DISABLE = "QMSDOC_NO_CACHE"
_MAGIC = b"qmsdoc-history-cache\n"
FOLDER = "qmsdoc-cache"
_LOG_FILE = "log"
_ADDITIONS = ".additions"
ADDITIONS_SHARE = 20
_KEEP_OTHERS = 1_000
_CHUNK = 500  # items pickled at a time (the pickler holds a chunk's objects while it writes)
# Environment that changes what git shows as history (replaced or grafted commits).
_GIT_ENVIRONMENT = ("GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_GRAFT_FILE")


def enabled() -> bool:
    return os.environ.get(DISABLE, "").strip() in ("", "0")


class _DataOnly(pickle.Unpickler):
    """Unpickles plain data only: a cache file can never name a class or function to call."""

    def find_class(self, module: str, name: str) -> type:
        raise pickle.UnpicklingError(f"{module}.{name} in a cache file")


def dump_data(data: object) -> bytes:
    """Plain data (tuples, strings, numbers) as bytes, for :func:`load_data`."""
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)


def load_data(content: bytes) -> Any:
    """What :func:`dump_data` made (plain data only: no class is ever named)."""
    return _DataOnly(io.BytesIO(content)).load()


class HistoryCache:
    """One repository's log cache: read, and written again when new commits were read,
    in each call of :meth:`log`; nothing is kept in memory between calls."""

    def __init__(self, repository: GitRepository, log_arguments: tuple[str, ...]) -> None:
        self._repository = repository
        self._log_arguments = log_arguments
        self._key = ""

    def log(self) -> list[str]:
        """What ``git log <log arguments> HEAD`` prints, commit by commit, reading only
        commits not cached."""
        git = self._repository
        git_dir, shallow, head = git.run("rev-parse", "--path-format=absolute",
                                         "--git-common-dir", "--is-shallow-repository",
                                         "HEAD").split("\n")[:3]
        if shallow == "true":  # a deepening fetch changes old commits' parents: never cache
            return list(self._full(head).values())
        order = _start(git.root, "rev-list", "--topo-order", head)
        self._key = self._identity(git_dir)
        store = CacheFile(Path(git_dir) / FOLDER / _LOG_FILE, self._key, 1)
        stored = store.read()
        records = _texts(stored[0]) if stored is not None else {}
        listed = _finish(order)
        if listed is None:  # no proof of the order: no cache this run
            return list(self._full(head).values())
        commits = listed.split()
        missing = [sha for sha in commits if sha not in records]
        read: dict[str, str] = {}
        if len(missing) == len(commits):
            read = self._full(head)
        elif missing:
            read = by_commit(split_records(self._text(
                [*self._log_arguments, "--no-walk=unsorted", "--stdin"], missing)))
        records.update(read)
        restarted = any(sha not in records for sha in missing)
        if restarted:  # not expected: start again
            records = self._full(head)
        # Records of commits outside this history are kept for a branch switched back to,
        # up to a point.
        crowded = len(records) - len(commits) > max(_KEEP_OTHERS, len(commits) // 4)
        if crowded:
            records = {sha: records[sha] for sha in commits}
        if missing or crowded:
            store.keep(lambda: (read,), len(read), lambda: (records.items(),),
                       whole=restarted or crowded or len(missing) == len(commits))
        return [records[sha] for sha in commits]

    def _text(self, arguments: list[str], commits: Sequence[str] = ()) -> str:
        """A log git prints; ``commits``: just these (read from its standard input)."""
        return self._repository.bulk(arguments, "".join(f"{sha}\n" for sha in commits)
                                     ).decode("utf-8", errors="replace")

    def _full(self, head: str) -> dict[str, str]:
        """The whole log, commit by commit."""
        return by_commit(self._repository.log_records([*self._log_arguments, head]))

    def _identity(self, git_dir: str) -> str:
        return git_identity(self._repository, git_dir, *self._log_arguments)


def git_identity(repository: GitRepository, git_dir: str, *arguments: str) -> str:
    """Everything besides the commits that shapes what git prints (with these arguments):
    a cache made under anything else is not used."""
    parts = [str(FORMAT), git_dir, *arguments, repository.configuration,
             *(f"{name}={os.environ.get(name)}" for name in _GIT_ENVIRONMENT)]
    return hashlib.sha256("\0\0".join(parts).encode()).hexdigest()


@functools.cache
def code_key() -> str:
    """The code that derives cached results: the hash of qmsdoc's files (sources and data,
    such as the clause catalogues)."""
    package = Path(__file__).parent
    digest = hashlib.sha256(f"{FORMAT}\0".encode())
    for file in sorted(package.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts:
            digest.update(file.relative_to(package).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


class CacheFile:
    """A cache file of tables, and beside it a file of what later runs added to them.

    Writing a large cache again for a few new entries would cost more than the
    rest of a run that changed one document. So while the additions stay small
    beside the whole (up to one entry in ``ADDITIONS_SHARE``), a run writes only
    the file of additions, each time whole, and a reader merges it in; past that,
    the whole is written again and the additions removed. Every entry is keyed by
    the id of what it was derived from, so additions are right beside any whole
    file of the same key: runs that write at once can only lose entries, which a
    later run derives again.
    """

    def __init__(self, file: Path, key: str, count: int) -> None:
        self.file, self._key, self._count = file, key, count
        self._entries = 0  # in the whole file, as read
        self._added: tuple[dict[Any, Any], ...] = tuple({} for _ in range(count))

    @property
    def additions(self) -> Path:
        return self.file.with_name(f"{self.file.name}{_ADDITIONS}")

    def read(self) -> tuple[dict[Any, Any], ...] | None:
        """The tables, additions merged in; ``None``: no whole file to be trusted."""
        tables = self._read(self.file)
        if tables is None:
            return None
        self._entries = sum(map(len, tables))
        added = self._read(self.additions)
        if added is not None:
            self._added = added
            for table, more in zip(tables, added, strict=True):
                table.update(more)
        return tables

    def keep(self, added: Callable[[], Sequence[Mapping[Any, Any]]], count: int,
             everything: Callable[[], Sequence[Iterable[tuple[Any, Any]]]], *,
             whole: bool = False) -> bool:
        """Keep the ``count`` entries a run added to the tables read (``added()``): in the
        file of additions while they are few, or else (or with ``whole``) by writing
        ``everything()``, all the entries to keep, as the whole file."""
        if not whole and 0 < (count + sum(map(len, self._added))) * ADDITIONS_SHARE <= (
                self._entries):
            merged = [{**before, **new} for before, new in zip(self._added, added(), strict=True)]
            return write_file(self.additions, self._key, [m.items() for m in merged])
        written = write_file(self.file, self._key, everything())
        if written:
            self.additions.unlink(missing_ok=True)
        return written

    def _read(self, file: Path) -> tuple[dict[Any, Any], ...] | None:
        tables = read_file(file, self._key)
        return tables if tables is not None and len(tables) == self._count else None


def read_file(file: Path, key: str) -> tuple[dict[Any, Any], ...] | None:
    """A cache file's tables; ``None`` when it is missing or not to be trusted (damaged,
    truncated, or made by another format, version, repository or configuration: its
    ``key`` is not ``key``)."""
    try:
        content = file.read_bytes()
    except OSError:
        return None
    start = content.find(b"\n", len(_MAGIC)) + 1  # the payload, after magic and checksum
    payload = memoryview(content)[start:]  # a view: a large cache is not copied
    if not content.startswith(_MAGIC) or not start or (
            content[len(_MAGIC):start - 1] != _checksum(payload)):
        return None
    stream = io.BytesIO(content)  # shares the bytes
    stream.seek(start)
    try:
        header = _DataOnly(stream).load()
        if not (isinstance(header, tuple) and header[:2] == (FORMAT, key) and len(header) == 3):
            return None
        tables = []
        for _ in range(header[2]):
            table: dict[Any, Any] = {}
            while chunk := _DataOnly(stream).load():
                table.update(chunk)
            tables.append(table)
    except Exception:  # noqa: BLE001 - whatever is wrong with the file, it is not used
        return None
    return tuple(tables)


def write_file(file: Path, key: str, tables: Sequence[Iterable[tuple[Any, Any]]]) -> bool:
    """Replace a cache file whole. One that cannot be written is not: it only saves time.

    Each table (its items) is pickled straight into the file a chunk at a time, so
    that neither the pickled bytes nor the pickler's record of what it wrote grow
    with the cache; the checksum is written over a placeholder at the end."""
    temporary = None
    try:
        file.parent.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, prefix=f"{file.name}.",
                                         delete=False) as stream:
            temporary = Path(stream.name)
            stream.write(_MAGIC + _checksum(b"") + b"\n")
            summing = _Summing(stream)
            pickle.dump((FORMAT, key, len(tables)), summing, protocol=pickle.HIGHEST_PROTOCOL)
            for items in tables:
                for chunk in _chunks(items):
                    pickle.dump(chunk, summing, protocol=pickle.HIGHEST_PROTOCOL)
            stream.seek(len(_MAGIC))
            stream.write(b"%08x" % summing.crc)
        os.replace(temporary, file)
        return True
    except OSError:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        return False


class _Summing:
    """A file that keeps the CRC-32 of what is written to it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.crc = 0

    def write(self, data: bytes) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self._stream.write(data)


def _chunks(items: Iterable[tuple[Any, Any]]) -> Iterator[list[tuple[Any, Any]]]:
    """The items in lists of ``_CHUNK``, then an empty list (the end of the table)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, _CHUNK)):
        yield chunk
    yield []


def _texts(data: object) -> dict[str, str]:
    """A cached mapping of commit ids to their records, or nothing if it is not one."""
    if isinstance(data, dict) and all(
            isinstance(k, str) and isinstance(v, str) and v.startswith(f"\x1e{k}\x1f")
            for k, v in data.items()):
        return data
    return {}


def _checksum(payload: bytes | memoryview) -> bytes:
    """CRC-32: finds a damaged or truncated file at memory speed. (Whoever can write the git
    folder can run code through its hooks anyway: the cache needs no signature.)"""
    return b"%08x" % zlib.crc32(payload)


def split_records(log: str) -> list[str]:
    """The records of a log's text, each from its ``\\x1e`` on."""
    return ["\x1e" + record for record in log.split("\x1e")[1:]]


def by_commit(records: Iterable[str]) -> dict[str, str]:
    """A log's text per commit: its records (a merge prints one per parent) as printed."""
    texts: dict[str, str] = {}
    for record in records:
        sha = record[1:record.find("\x1f")]
        texts[sha] = texts.get(sha, "") + record
    return texts


def _start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["git", *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)


def _finish(process: subprocess.Popen[bytes]) -> str | None:
    output, _ = process.communicate()
    return output.decode() if process.returncode == 0 else None
