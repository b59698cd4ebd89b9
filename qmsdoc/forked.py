"""Work done beside the MkDocs build, in a forked child process.

MkDocs renders pages on one core. The archive's thousands of static pages do
not depend on them, so on Linux a child process (forked: it shares the parent's
plan without copying or pickling it) writes them while MkDocs renders; the
build waits for it before the site is sealed. Where ``fork`` is not available,
the work runs in the build process when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from .errors import QmsdocError

Outcome = tuple[bool, "int | str"]  # (done, pages written | why it failed)


class ForkedJob:
    """``work`` running in a child process from now on; :meth:`result` waits for it."""

    def __init__(self, work: Callable[[], int], what: str) -> None:
        self.work = work
        self.what = what  # how messages name the work, e.g. 存档页面
        self._process: BaseProcess | None = None
        self._outcome: Connection | None = None
        if sys.platform == "linux":
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)
            self._process = context.Process(target=_run, args=(work, sender), daemon=True)
            self._process.start()
            sender.close()
            self._outcome = receiver

    def result(self) -> int:
        """What the work returned; its :class:`QmsdocError` is raised here."""
        if self._process is None or self._outcome is None:
            return self.work()
        try:
            done, value = self._outcome.recv()
        except EOFError:  # the child died without a word: killed, or out of memory
            self._process.join()
            raise QmsdocError(f"生成{self.what}的子进程意外结束（退出码 {self._process.exitcode}）："
                              "请检查内存和磁盘空间后重新构建") from None
        finally:
            self._outcome.close()
        self._process.join()
        if not done:
            raise QmsdocError(str(value))
        return int(value)

    def cancel(self) -> None:
        """Stop the work: the build failed, its output is discarded anyway."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _run(work: Callable[[], int], sender: Connection) -> None:
    outcome: Outcome
    try:
        outcome = (True, work())
    except QmsdocError as error:
        outcome = (False, str(error))
    except Exception as error:  # a defect: say what, and the build stops
        outcome = (False, f"生成页面时出现程序错误（{type(error).__name__}：{error}），请报告给维护人员")
    sender.send(outcome)
    sender.close()
