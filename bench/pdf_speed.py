"""`make bench`, PDF step: the sample manual as one book (target 30 s) and one document
(target 1 s), each `qmsdoc pdf` in its own process on a fresh clone of this project.

The one-document figure is the command's whole run (start-up, gate, layout); the
layout alone is printed beside it, measured in-process after a first document has
loaded the fonts.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BOOK_TARGET, DOCUMENT_TARGET = 30.0, 1.0
RUNS = 3
DOCUMENT = "QP-04"
LAYOUT = """import sys, time, pathlib, qmsdoc
from qmsdoc.pdf import document_pdf
gate = qmsdoc.run_gate(qmsdoc.load_settings(pathlib.Path(".")))
document_pdf(gate, sys.argv[1])
times = []
for _ in range(5):
    start = time.perf_counter()
    document_pdf(gate, sys.argv[1])
    times.append(time.perf_counter() - start)
print(sorted(times)[2])
"""


def _seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def measure_pdf(project: Path, out: Path) -> None:
    """Print the medians and whether the targets are met."""
    clone = out / "repo-pdf"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    qmsdoc = [sys.executable, "-m", "qmsdoc", "pdf"]
    book = statistics.median(_seconds([*qmsdoc, "--book", "--output", str(out / "book.pdf")], clone)
                             for _ in range(RUNS))
    one = statistics.median(_seconds([*qmsdoc, DOCUMENT, "--output", str(out / "one.pdf")], clone)
                            for _ in range(RUNS))
    layout = float(subprocess.run([sys.executable, "-c", LAYOUT, DOCUMENT], cwd=clone, check=True,
                                  capture_output=True, text=True).stdout)
    pages = subprocess.run(["pdfinfo", str(out / "book.pdf")], capture_output=True, text=True,
                           check=False).stdout
    count = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?")
    print(f"qmsdoc pdf --book, the sample manual ({count} pages; median of {RUNS}): {book:.1f} s; "
          f"target ≤ {BOOK_TARGET:.0f} s: {'met' if book <= BOOK_TARGET else 'NOT met'}")
    print(f"qmsdoc pdf {DOCUMENT} (whole command, median of {RUNS}): {one:.2f} s, layout alone "
          f"{layout:.2f} s; target ≤ {DOCUMENT_TARGET:.0f} s: "
          f"{'met' if one <= DOCUMENT_TARGET else 'NOT met'}", flush=True)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    measure_pdf(here.parent, here / "out")
