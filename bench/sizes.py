"""`make bench`, part two: qmsdoc check at several sizes, against the floor of one git log pass.

For each size (documents, commits) a repository is generated once under bench/out/
(the 10,000-document one takes minutes) and kept; then, in it, a cold ``qmsdoc
check`` (its cache in the git folder removed first), a warm one (nothing changed since), a
check after one new commit to the home page and one after a new commit to a procedure
(each after a check of the commit before, and then taken back), each the median of
``RUNS`` (this machine's speed varies from run to run), the peak memory of every check,
and one ``git log`` pass over the whole history as qmsdoc reads it: no cold check can be
faster than reading the history once.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generate import generate, is_current

if TYPE_CHECKING:
    from run import Sample

SIZES = ((250, 2_500), (1_000, 10_000), (3_000, 30_000), (10_000, 60_000), (10_000, 100_000))
RUNS = 3
FLOOR_BUDGET = 1.5  # issue 11: a cold check within 1.5 × the git log floor
MEMORY_BUDGET, MEMORY_DOCUMENTS = 300, 10_000  # issue 11: MiB, at 10,000 documents
# s, issue 11: a check after a one-commit change, at these sizes (documents, commits)
ONE_COMMIT_BUDGET = {(1_000, 10_000): 0.3, (10_000, 100_000): 1.5}
CACHE = Path(".git/qmsdoc-cache")
# The pass qmsdoc.history.Repository.log makes (its --format is shorter here: the
# same commits and changed files are read either way).
GIT_LOG = ["git", "-c", "core.quotepath=false", "log", "-z", "--raw", "--no-abbrev", "-M",
           "--ignore-submodules=none", "--diff-merges=separate", "--topo-order",
           "--format=%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s%x1f%(trailers:only,unfold)",
           "HEAD"]


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"250:2500,1000:10000"`` → [(250, 2500), (1000, 10000)]; ``"none"`` → []."""
    if text == "none":
        return []
    sizes = []
    for item in text.split(","):
        documents, _, commits = item.partition(":")
        if not (documents.isdigit() and commits.isdigit()):
            sys.exit(f"--sizes: {item!r} is not DOCUMENTS:COMMITS (e.g. 250:2500)")
        sizes.append((int(documents), int(commits)))
    return sizes


def sized_repo(out: Path, documents: int, commits: int) -> Path:
    """The repository of this size under ``out``, generated the first time it is asked for."""
    repo = out / f"repo-{documents}-{commits}"
    if not is_current(repo):
        print(f"Generating {repo}…", flush=True)
        start = time.perf_counter()
        generate(repo, commits=commits, count=documents)
        print(f"Generated in {time.perf_counter() - start:.0f} s", flush=True)
    return repo


def measure_sizes(out: Path, sizes: list[tuple[int, int]],
                  check: Callable[[Path], Sample], measure: Callable[[list[str], Path], Sample]
                  ) -> None:
    """The table of check times and memory by size, as in issue 11."""
    rows = []
    for documents, commits in sizes:
        repo = sized_repo(out, documents, commits)
        cold = [_cold(repo, check) for _ in range(RUNS)]
        warm = [check(repo) for _ in range(RUNS)]
        after_commit = [[_after_one_commit(repo, check, file, line) for _ in range(RUNS)]
                        for file, line in ((HOME_PAGE, "本周值班：办公室。"),
                                           (_a_procedure(repo), "本条款由办公室负责解释。"))]
        floor = statistics.median(measure(GIT_LOG, repo).seconds for _ in range(RUNS))
        rows.append((documents, commits, cold, warm, after_commit, floor))
    print(f"\n{'documents / commits':<22}{'cold s':>8}{'warm s':>8}{'+1 commit s':>13}"
          f"{'+1 to a doc s':>15}{'git log s':>11}{'cold/floor':>12}{'peak MiB':>10}")
    for documents, commits, cold, warm, (page, document), floor in rows:
        print(f"{f'{documents:,} / {commits:,}':<22}{_median(cold):>8.2f}{_median(warm):>8.2f}"
              f"{_median(page):>13.2f}{_median(document):>15.2f}{floor:>11.2f}"
              f"{_median(cold) / floor:>12.2f}{_peak(cold, warm, page, document):>10}")
    print(f"each a median of {RUNS}: cold: no cache; warm: nothing changed; +1 commit: after "
          f"one new commit to the home page (history need not be read again); +1 to a doc: "
          f"after one new commit to a procedure (only its document judged again); each after a "
          f"check of the commit before; git log: one pass over the whole history (the floor); "
          f"peak: of every run")
    for documents, commits, cold, warm, (page, document), floor in rows:
        size = f"{documents:,} / {commits:,}"
        print(f"runs at {size}: cold {_span(cold)} s, +1 commit {_span(page)} s, "
              f"+1 to a doc {_span(document)} s")
        _target(f"cold ≤ {FLOOR_BUDGET} × the floor at {size}", _median(cold) / floor,
                FLOOR_BUDGET, "×")
        budget = ONE_COMMIT_BUDGET.get((documents, commits))
        if budget is not None:
            _target(f"a check after one new commit ≤ {budget} s at {size}",
                    max(_median(page), _median(document)), budget, "s (the slower of the two)")
        if documents == MEMORY_DOCUMENTS:
            _target(f"peak ≤ {MEMORY_BUDGET} MiB at {size}",
                    _peak(cold, warm, page, document), MEMORY_BUDGET, "MiB")


def _median(runs: list[Sample]) -> float:
    return statistics.median(run.seconds for run in runs)


def _span(runs: list[Sample]) -> str:
    return f"{min(r.seconds for r in runs):.2f}–{max(r.seconds for r in runs):.2f}"


def _peak(*runs: list[Sample]) -> int:
    return max(run.mib for some in runs for run in some)


def _target(what: str, value: float, budget: float, unit: str) -> None:
    print(f"Target: {what}: {'met' if value <= budget else 'NOT met'} ({value:.2f} {unit})")


HOME_PAGE = "docs/index.md"


def _a_procedure(repo: Path) -> str:
    """The first procedure of the bench repository (its generator writes them)."""
    return min(p.relative_to(repo).as_posix() for p in (repo / "docs/procedures").glob("*.md"))


def _cold(repo: Path, check: Callable[[Path], Sample]) -> Sample:
    """A check with no cache (as after a fresh clone)."""
    shutil.rmtree(repo / CACHE, ignore_errors=True)
    return check(repo)


def _after_one_commit(repo: Path, check: Callable[[Path], Sample], path: str,
                      line: str) -> Sample:
    """A check after one new commit adding a line to a file, which is then taken back.

    The line is new each time (a text no earlier run has seen or derived anything from),
    as a real edit is. The commit before it was checked first, as in daily work: the
    check taken back with the last commit kept what it judged of a commit no longer in
    the history."""
    check(repo)
    file = repo / path
    original = file.read_text(encoding="utf-8")
    file.write_text(original + f"\n{line}（{time.time_ns()}）\n", encoding="utf-8")
    git = ["git", "-c", "user.name=Writer", "-c", "user.email=writer@bench.example"]
    subprocess.run([*git, "commit", "-q", "-am", f"Edit {path}"], cwd=repo, check=True)
    try:
        return check(repo)
    finally:
        subprocess.run(["git", "reset", "-q", "--hard", "HEAD~1"], cwd=repo, check=True)
