"""`make bench`, part two: qmsdoc check at several sizes, against the floor of one git log pass.

For each size (documents, commits) a repository is generated once under bench/out/
(the 10,000-document one takes minutes) and kept; then, in it, the first ``qmsdoc
check`` (nothing cached), the median of ``RUNS`` more, the peak memory of a check,
and one ``git log`` pass over the whole history as qmsdoc reads it: no check can be
faster than reading the history once.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generate import generate, is_current

if TYPE_CHECKING:
    from run import Sample

SIZES = ((250, 2_500), (1_000, 10_000), (3_000, 30_000), (10_000, 60_000))
RUNS = 3
FLOOR_BUDGET = 1.5  # issue 11: a cold check within 1.5 × the git log floor
MEMORY_BUDGET = 300  # MiB, issue 11: at 10,000 documents
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
        first = check(repo)
        runs = [check(repo) for _ in range(RUNS)]
        floor = statistics.median(measure(GIT_LOG, repo).seconds for _ in range(RUNS))
        rows.append((documents, commits, first, runs, floor))
    print(f"\n{'documents / commits':<22}{'check first s':>15}{'check median s':>16}"
          f"{'git log s':>11}{'first/floor':>13}{'peak MiB':>10}")
    for documents, commits, first, runs, floor in rows:
        middle = statistics.median(r.seconds for r in runs)
        peak = max(r.mib for r in [first, *runs])
        print(f"{f'{documents:,} / {commits:,}':<22}{first.seconds:>15.2f}{middle:>16.2f}"
              f"{floor:>11.2f}{first.seconds / floor:>13.2f}{peak:>10}")
    print(f"check median: of {RUNS} runs after the first; git log: one pass over the whole "
          f"history, median of {RUNS} (the floor). Targets: a cold check ≤ {FLOOR_BUDGET} × "
          f"the floor; peak ≤ {MEMORY_BUDGET} MiB at 10,000 documents")
