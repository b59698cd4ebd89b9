"""`make bench`, part three: how our build grows with the number of documents.

For each size (documents, commits) the repository of bench/sizes.py (generated once
under bench/out/) gets the site files as the new code has them, committed as an
approved change; then our build runs once to fill its caches (the record templates'
PDFs above all: minutes at 5,000 documents, once), and ``RUNS`` times more. Issue 11
asks for growth close to linear up to 5,000 documents: the report gives the time
per 1,000 documents at each size and its ratio to the smallest size's (1.00: linear).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generate import approve_site_change, site_files
from sizes import sized_repo

if TYPE_CHECKING:
    from run import Sample

GROWTH = ((1_000, 10_000), (2_500, 25_000), (5_000, 50_000))
RUNS = 2
LINEAR_BUDGET = 1.25  # per document, the largest size at most 25 % dearer than the smallest


def measure_growth(out: Path, sizes: list[tuple[int, int]],
                   build: Callable[[Path], Sample]) -> None:
    """The table of build times by number of documents."""
    rows = []
    for documents, commits in sizes:
        repo = sized_repo(out, documents, commits)
        approve_site_change(repo, site_files())
        first = build(repo)
        runs = [build(repo) for _ in range(RUNS)]
        rows.append((documents, commits, first, statistics.median(r.seconds for r in runs),
                     max(r.mib for r in runs)))
    if not rows:
        return
    print(f"\n{'documents / commits':<22}{'first s':>9}{'build s':>9}{'s per 1,000 docs':>18}"
          f"{'× smallest':>12}{'peak MiB':>10}{'first MiB':>11}")
    smallest = rows[0][3] / rows[0][0]
    for documents, commits, first, seconds, mib in rows:
        per_document = seconds / documents
        print(f"{f'{documents:,} / {commits:,}':<22}{first.seconds:>9.2f}{seconds:>9.2f}"
              f"{per_document * 1000:>18.2f}{per_document / smallest:>12.2f}{mib:>10}"
              f"{first.mib:>11}")
    last = rows[-1][3] / rows[-1][0] / smallest
    print(f"first: the first build (caches filled); build: our full build after it, median of "
          f"{RUNS}; × smallest: the time per document against the smallest size's (1.00 is "
          f"linear). Target: close to linear, here ≤ "
          f"{LINEAR_BUDGET} × at {rows[-1][0]:,} documents: "
          f"{'met' if last <= LINEAR_BUDGET else 'NOT met'} ({last:.2f} ×)")
