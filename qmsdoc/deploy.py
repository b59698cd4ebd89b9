"""Publishing a built site: one build at a time, and never a missing or half-new ``site/``.

A :class:`SiteRelease` holds the lock of a published folder, gives the build a staging folder
of its own beside it, and swaps that folder in atomically::

    with SiteRelease(Path("site"), timeout=300) as release:
        build_into(release.staging)
        release.publish()  # leaving the block without it discards the staging folder

Beside ``site/`` (same parent, so same filesystem) live:

- ``site.lock``: ``flock``-ed by the build in progress, holding its pid for the message the
  next build shows. The kernel releases the lock when the process dies, even by ``kill -9``.
- ``site.staging-<pid>-<token>``: one build's output; after the swap, the old site on its way out.
- ``site.previous-<pid>-<token>``: the complete old site, only during a two-step swap.

Whoever takes the lock first puts a ``previous`` folder back as ``site/`` if a two-step swap
was killed halfway, then deletes every staging and previous folder: their builds are dead.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias

from .errors import QmsdocError

TIMEOUT_VARIABLE = "QMSDOC_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 300.0  # seconds a build waits for the one in progress

_POLL = 0.1  # seconds between attempts to take the lock
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}

# The releases this process holds, by published folder. flock locks belong to an open file:
# locking a folder again through a second open would wait for ourselves until the timeout.
_held: dict[Path, SiteRelease] = {}

Log: TypeAlias = "logging.Logger | logging.LoggerAdapter[Any]"  # MkDocs hands hooks an adapter


def lock_timeout(environ: Mapping[str, str]) -> float:
    """Seconds to wait for another build of the same site: ``QMSDOC_LOCK_TIMEOUT``, or 300."""
    text = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also rejects nan
        raise QmsdocError(f"环境变量 {TIMEOUT_VARIABLE} 的值“{text}”不是有效的秒数："
                          f"请填写不小于 0 的数字，例如 {DEFAULT_TIMEOUT:g}，或删除该变量")
    return seconds


def open_release(site_dir: Path, environ: Mapping[str, str],
                 log: Log) -> tuple[SiteRelease, bool]:
    """The release this process already holds for ``site_dir``, or a newly acquired one.

    The flag says whether the caller owns the release (and so publishes and closes it): a
    command that runs MkDocs in-process holds the release itself, and the hook only uses it.
    """
    held = _held.get(_absolute(site_dir))
    if held is not None:
        return held, False
    return SiteRelease(site_dir, timeout=lock_timeout(environ), log=log).acquire(), True


def publish_copy(built: Path, served: Path, environ: Mapping[str, str], log: Log) -> None:
    """Copy a built site into the folder a web server serves, swapped in whole.

    The copy is made beside ``served`` under its lock, so that a reader never sees a
    half-copied site and two publications never mix.
    """
    if not (built / "index.html").is_file():
        raise QmsdocError(f"{built} 不是生成好的网站（没有 index.html）：先运行 qmsdoc build")
    with SiteRelease(served, timeout=lock_timeout(environ), log=log) as release:
        shutil.copytree(built, release.staging, symlinks=True, dirs_exist_ok=True)
        release.publish()


def exchange(first: Path, second: Path) -> None:
    """Swap two existing paths in one step: Linux ``renameat2(..., RENAME_EXCHANGE)``.

    Raises ``OSError``; its errno is ENOSYS when the C library has no ``renameat2`` (not Linux,
    or glibc older than 2.28), EINVAL or ENOTSUP when the filesystem cannot exchange.
    """
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(first))
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE):
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(first), None, str(second))


class SiteRelease:
    """The lock, the staging folder and the swap of one publication of ``site_dir``.

    :meth:`acquire` waits up to ``timeout`` seconds for the build in progress, cleans up after
    killed builds and creates the staging folder; :meth:`publish` makes it the published site;
    :meth:`close` discards an unpublished staging folder and releases the lock (idempotent).
    """

    def __init__(self, site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT,
                 log: Log | None = None) -> None:
        self.site_dir = _absolute(site_dir)
        self.lock_path = self.site_dir.with_name(self.site_dir.name + ".lock")
        self.timeout = timeout
        self._log: Log = log or logging.getLogger(__name__)
        self._leftover = re.compile(rf"{re.escape(self.site_dir.name)}\.(staging|previous)-\d+-[0-9a-f]{{8}}")
        self._lock_fd: int | None = None
        self._staging: Path | None = None

    @property
    def staging(self) -> Path:
        """The folder this build writes into; it exists from :meth:`acquire` to :meth:`publish`."""
        if self._staging is None:
            raise RuntimeError(f"no staging folder for {self.site_dir}: not acquired, or published")
        return self._staging

    def acquire(self) -> SiteRelease:
        if self.site_dir in _held:
            raise RuntimeError(f"this process already holds the lock of {self.site_dir}")
        try:
            self.site_dir.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise QmsdocError(f"无法创建或打开锁文件 {self.lock_path}（{error.strerror}）："
                              "请检查该目录的写权限后重新构建") from None
        try:
            self._wait_for_lock(fd)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._clean_up_after_killed_builds()
            self._staging = self._new_staging()
        except BaseException:
            os.close(fd)  # closing the only descriptor releases the lock
            raise
        self._lock_fd = fd
        _held[self.site_dir] = self
        return self

    def publish(self) -> None:
        """Make the staged site the published one in one step, then delete the old site.

        When ``site/`` exists, one ``renameat2(RENAME_EXCHANGE)`` swaps it with the staging
        folder, so a reader (or a ``kill -9``) sees the complete old or the complete new site;
        the old one, now under the staging name, is deleted afterwards. When ``site/`` does not
        exist, a plain rename is just as atomic. If the filesystem cannot exchange (EINVAL,
        ENOTSUP, ENOSYS), publishing falls back to two renames with a warning: ``site/`` is
        then missing for the instant between them, and a build killed in that instant leaves
        the complete old site as ``site.previous-*``, put back by the next build.
        """
        staging = self.staging
        try:
            if not os.path.lexists(self.site_dir):
                os.rename(staging, self.site_dir)
            else:
                try:
                    exchange(staging, self.site_dir)
                except OSError as error:
                    if error.errno not in _NO_EXCHANGE:
                        raise
                    self._log.warning(f"文件系统不支持原子交换目录（{error.strerror}），改为两步替换 "
                                      f"{self.site_dir}：两步之间网站目录会短暂缺失")
                    self._swap_in_two_steps()
                shutil.rmtree(staging, ignore_errors=True)  # the old site, under the staging name
        except OSError as error:
            raise QmsdocError(f"网站没有发布：无法用 {staging} 替换 {self.site_dir}（{error.strerror}），"
                              "已发布的网站保持不变；请检查这两个目录的权限后重新构建") from None
        self._staging = None

    def close(self) -> None:
        """Discard the staging folder if it was not published, and release the lock."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._lock_fd is not None:
            _held.pop(self.site_dir, None)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> SiteRelease:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _wait_for_lock(self, fd: int) -> None:
        deadline = time.monotonic() + self.timeout
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "未知"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QmsdocError(
                    f"网站目录 {self.site_dir} 正由另一个构建使用（进程 {holder}，锁文件 {self.lock_path}），"
                    f"等待 {self.timeout:g} 秒后仍未结束，本次构建没有写入任何文件。请等该构建结束后重试；"
                    f"进程结束（包括被强制终止）时锁会自动释放，不要删除锁文件。"
                    f"等待时间可用环境变量 {TIMEOUT_VARIABLE}（秒）调整")
            if not waiting:
                self._log.info(f"网站目录 {self.site_dir} 正由进程 {holder} 构建，"
                               f"最多等待 {self.timeout:g} 秒")
                waiting = True
            time.sleep(min(_POLL, remaining))

    def _clean_up_after_killed_builds(self) -> None:
        """Put back a site left halfway through a two-step swap; delete dead builds' folders."""
        for path in sorted(self.site_dir.parent.iterdir()):
            found = self._leftover.fullmatch(path.name)
            if found is None:
                continue
            if found.group(1) == "previous" and not os.path.lexists(self.site_dir):
                os.rename(path, self.site_dir)
                self._log.warning(f"上次发布在替换途中被中断，已用 {path.name} 恢复网站目录 {self.site_dir}")
            else:
                shutil.rmtree(path, ignore_errors=True)

    def _new_staging(self) -> Path:
        while True:
            path = self._sibling("staging", secrets.token_hex(4))
            try:
                path.mkdir()  # unlike mkdtemp, honours the umask: web servers must read site/
            except FileExistsError:
                continue
            return path

    def _swap_in_two_steps(self) -> None:
        staging = self.staging
        previous = self._sibling("previous", staging.name.rsplit("-", 1)[1])
        os.rename(self.site_dir, previous)
        try:
            os.rename(staging, self.site_dir)
        except OSError:
            os.rename(previous, self.site_dir)
            raise
        os.rename(previous, staging)  # the old site leaves under the staging name

    def _sibling(self, kind: str, token: str) -> Path:
        return self.site_dir.with_name(f"{self.site_dir.name}.{kind}-{os.getpid()}-{token}")


def _absolute(site_dir: Path) -> Path:
    return Path(os.path.abspath(site_dir))
