"""The other side of a review: the base commit, and the gate's findings there.

A merge request is judged against where its branch left the main line (the
merge base), so the base is always the merge base of the commit named and
HEAD. The gate runs at the base in a temporary worktree, in its own process
(``python -m qmsdoc check --json``), while this process runs the gate at HEAD:
on two cores the two run side by side.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import QmsdocError
from .findings import Finding, Severity
from .history import GitRepository

MAIN_BRANCHES = ("main", "master", "origin/main", "origin/HEAD")
_COMMIT_ID_RE = re.compile(r"\b[0-9a-f]{7,40}\b")


@dataclass(frozen=True)
class Base:
    sha: str
    described: str
    """How the report names it: ``main 的合并基点`` or the revision the user gave."""


def resolve_base(repository: GitRepository, given: str | None) -> Base:
    """The merge base of ``given`` (default: the main branch) and HEAD."""
    if not repository.has_commits():
        raise QmsdocError("仓库还没有任何提交，没有可比较的修改")
    if given:
        if not _commit(repository, given):
            raise QmsdocError(f"找不到 {given}：请写分支名、标签或提交号（git log 可查看）")
        return Base(_merge_base(repository, given), f"{given} 与 HEAD 的合并基点")
    for branch in MAIN_BRANCHES:
        if _commit(repository, branch):
            return Base(_merge_base(repository, branch), f"{branch} 与 HEAD 的合并基点")
    raise QmsdocError(
        f"找不到主分支（{'、'.join(MAIN_BRANCHES)} 都不存在），无法确定从哪里比较："
        "请写明比较的起点，例如 qmsdoc review origin/main；CI 中请使用完整克隆并取回主分支")


def _commit(repository: GitRepository, revision: str) -> str:
    return repository.run("rev-parse", "--verify", "--quiet", "--end-of-options",
                          f"{revision}^{{commit}}", check=False).strip()


def _merge_base(repository: GitRepository, revision: str) -> str:
    found = repository.run("merge-base", revision, "HEAD", check=False).strip()
    if not found:
        raise QmsdocError(f"{revision} 与当前分支（HEAD）没有共同的历史，无法比较："
                          "请确认比较的起点，浅克隆时先运行 git fetch --unshallow")
    return found


def gate_at(repository: GitRepository, sha: str, day: datetime.date) -> list[Finding]:
    """The gate's findings at commit ``sha`` on ``day``, from a temporary worktree.

    Raises :class:`QmsdocError` when the gate cannot run there (its settings
    unreadable, for example): the report then says so.
    """
    folder = Path(tempfile.mkdtemp(prefix="qmsdoc-review-"))
    tree = folder / "base"
    try:
        repository.run("-c", "core.hooksPath=/dev/null", "worktree", "add", "--quiet",
                       "--detach", str(tree), sha)
        done = subprocess.run(
            [sys.executable, "-m", "qmsdoc", "check", "--json", "--root", str(tree),
             "--date", day.isoformat()],
            capture_output=True, text=True, encoding="utf-8", errors="replace", check=False)
        if done.returncode not in (0, 1):
            reason = done.stderr.strip().removeprefix("qmsdoc：") or f"退出码 {done.returncode}"
            raise QmsdocError(f"在比较起点 {sha[:8]} 上无法运行检查：{reason}")
        try:
            return [_finding(item) for item in json.loads(done.stdout)]
        except (ValueError, KeyError, TypeError):
            raise QmsdocError(f"在比较起点 {sha[:8]} 上运行检查的输出无法读取") from None
    finally:
        repository.run("worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(folder, ignore_errors=True)
        repository.run("worktree", "prune", check=False)


def _finding(item: dict[str, object]) -> Finding:
    line = item["line"]
    document = item["document"]
    return Finding(str(item["rule"]), Severity(item["severity"]), str(item["file"]),
                   line if isinstance(line, int) else None, str(item["message"]),
                   str(item["hint"]), document if isinstance(document, str) else None)


@dataclass(frozen=True)
class FindingChanges:
    introduced: tuple[Finding, ...]
    """At HEAD and not at the base."""
    fixed: tuple[Finding, ...]
    """At the base and no longer at HEAD (named by their path at HEAD)."""


def compare_findings(base: Iterable[Finding], head: Iterable[Finding],
                     moved: Mapping[str, str]) -> FindingChanges:
    """What the change brings and what it fixes.

    Findings are matched on rule, path, document and message, with line numbers
    left out (an edit above moves them), commit ids neutralised, and files the
    change renamed (``moved``: base path to HEAD path) named by their new path.
    """
    def renamed(finding: Finding) -> Finding:
        message = finding.message
        for old, new in moved.items():
            message = message.replace(old, new)
        return dataclasses.replace(finding, path=moved.get(finding.path, finding.path),
                                   message=message)

    before = [renamed(f) for f in base]
    after = list(head)
    return FindingChanges(_unmatched(after, before), _unmatched(before, after))


def _key(finding: Finding) -> tuple[str, str, str | None, str]:
    return (finding.rule, finding.path, finding.document,
            _COMMIT_ID_RE.sub("…", finding.message))


def _unmatched(findings: list[Finding], others: list[Finding]) -> tuple[Finding, ...]:
    """The findings with no counterpart among ``others`` (each counterpart used once)."""
    left = collections.Counter(_key(f) for f in others)
    unmatched = []
    for finding in findings:
        if left[_key(finding)]:
            left[_key(finding)] -= 1
        else:
            unmatched.append(finding)
    return tuple(unmatched)
