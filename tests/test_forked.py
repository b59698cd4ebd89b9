"""Work beside the build in a forked child: its result, its refusal, its death."""

from __future__ import annotations

import os
import signal
import time

import pytest

from qmsdoc import QmsdocError
from qmsdoc.forked import ForkedJob


def test_the_work_runs_in_another_process_and_its_result_comes_back() -> None:
    job = ForkedJob(os.getpid, "存档页面")
    assert job.result() not in (0, os.getpid())


def test_a_refusal_in_the_child_stops_the_build_with_its_message() -> None:
    def refuse() -> int:
        raise QmsdocError("存档页面 archive/QP-01/A-0/ 写不进 site：磁盘已满")

    with pytest.raises(QmsdocError, match="写不进 site：磁盘已满"):
        ForkedJob(refuse, "存档页面").result()


def test_a_defect_in_the_child_is_named_not_lost() -> None:
    def fail() -> int:
        return 1 // 0

    with pytest.raises(QmsdocError, match="程序错误（ZeroDivisionError"):
        ForkedJob(fail, "存档页面").result()


def test_a_child_killed_midway_fails_the_build() -> None:
    def die() -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return 0

    with pytest.raises(QmsdocError, match="生成存档页面的子进程意外结束（退出码 -9）"):
        ForkedJob(die, "存档页面").result()


def test_cancel_stops_a_child_still_at_work(tmp_path: os.PathLike[str]) -> None:
    marker = os.path.join(tmp_path, "finished")

    def slow() -> int:
        time.sleep(1)
        open(marker, "w").close()
        return 0

    job = ForkedJob(slow, "存档页面")
    job.cancel()
    time.sleep(2)  # long enough for the child to have finished, had it not been stopped
    assert not os.path.exists(marker)
