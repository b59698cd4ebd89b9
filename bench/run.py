"""`make bench`: qmsdoc check and build, the baseline code and the new side by side.

Generates (once) a repository of 1,000 documents and 10,000 commits with renames
in the project's format, then measures, in one run:

- ``qmsdoc check`` (history and approvals included): the first run, then the median of five;
- our full build (the gate, approved text from git, citations, cards, revision history);
- a plain Material build of the same Markdown with the same search settings and the theme
  features the project's site had before issue 11 (``FORMER_FEATURES``: every page carries
  the whole navigation; ours prunes it to the page's own tab);
- the same plus mkdocs-git-revision-date-localized-plugin (creation date on) and
  mkdocs-git-authors-plugin.

Check and our build run for two versions of the code: the baseline (``--baseline``, a
commit of this project, checked out under bench/out/) and the new code (this working
tree). Runs alternate — baseline, new, baseline, new — so that the machine's drift
falls on both alike. Each version runs with ``PYTHONPATH`` set to its own source, and
every run reports which ``qmsdoc`` it imported; the baseline builds in a second working
tree of the bench repository holding the baseline's hook, so the new code's governed
tree stays as approved.

Then the preview (`make serve`: from saving a document to the reloaded page, see
bench/preview_speed.py), ``qmsdoc check`` at several sizes of repository, cold,
warm and after one new commit (``--sizes``, see bench/sizes.py), and our build at
1,000 to 5,000 documents (``--growth``, see bench/growth.py).
``--only builds`` measures only the builds (ours and plain Material, alternating),
``--only preview`` only the preview, ``--only sizes`` only the checks by size,
``--only growth`` only the build by size.

Each command runs in its own process; times are wall-clock (builds: the median of
three), memory is the peak resident set. The new code counts as no slower when its
median is at most ``NOISE`` above the baseline's: this machine's run-to-run spread.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from generate import (
    FORMER_FEATURES,
    HOOK,
    PROJECT,
    SITE_CONFIGS,
    approve_site_change,
    generate,
    is_current,
    site_config,
    site_files,
)
from growth import GROWTH, measure_growth
from pdf_speed import measure_pdf
from preview_speed import measure_preview
from sizes import SIZES, measure_sizes, parse_sizes

BIN = Path(sys.executable).parent
OUT = PROJECT / "bench" / "out"
BASELINE = "d099b56"  # main before the archive, redlines, review and audit tools (issue 8)
NOISE = 0.05
BUILD_TARGET = 0.5  # issue 11: our build at most half a plain Material build
ARCHIVE_BUDGET = 1.25  # issue 8: archive and redline pages add at most 25 % to the build
BASELINE_BRANCH = "baseline"  # the bench repository's branch holding the baseline's hook
CHECK_RUNS, BUILD_RUNS = 11, 3
REVIEW_RUNS, REVIEWED = 5, 10  # qmsdoc review of a merge request revising ten procedures

# Runs a command's entry point, then, as it exits, says on stderr which qmsdoc it imported
# and the peak memory of its process tree. (The rusage of the process this bench waits for
# is no use: a child started by vfork carries its parent's peak over exec, so every command
# would report at least what the bench itself once held, such as a generated history.)
# An exit handler, because `qmsdoc` ends its process once the exit handlers have run.
LAUNCH = """import atexit, resource, sys
from {module} import {function} as run

@atexit.register
def report():
    qmsdoc = sys.modules.get("qmsdoc")
    print("qmsdoc-source:", qmsdoc.__file__ if qmsdoc else None, file=sys.stderr)
    with open("/proc/self/status") as status:
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print("peak-kib:", max(own, children), file=sys.stderr)

run()
"""
CHECK = LAUNCH.format(module="qmsdoc.cli", function="main")
MKDOCS = LAUNCH.format(module="mkdocs.__main__", function="cli")


@dataclass(frozen=True)
class Code:
    """One version of qmsdoc under measurement."""

    name: str
    source: Path  # the folder holding its qmsdoc package and hook
    repo: Path  # the working tree of the bench repository it runs in


@dataclass(frozen=True)
class Sample:
    seconds: float
    mib: int
    cpu: float = 0.0  # user + system seconds: steadier than wall-clock on a shared machine


def measure(command: list[str], cwd: Path, code: Code | None = None) -> Sample:
    """Wall-clock seconds and peak memory (MiB) of one command in its own process.

    The peak is what a command run through ``LAUNCH`` reports for itself and its children
    (any other: the rusage of its process, which can hold the bench's own peak). With
    ``code``, the command imports qmsdoc from ``code.source``, and this is checked.
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    if code is not None:
        env["PYTHONPATH"] = str(code.source)
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                   stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if status:
        sys.exit(f"{' '.join(command[-3:])} failed in {cwd}:\n{stderr}")
    if code is not None:
        expected = f"qmsdoc-source: {code.source / 'qmsdoc' / '__init__.py'}"
        if expected not in stderr.splitlines():
            sys.exit(f"{code.name} code did not import its own qmsdoc: expected {expected!r}, "
                     f"got:\n{stderr}")
    peaks = [int(line.split()[1]) for line in stderr.splitlines() if line.startswith("peak-kib: ")]
    return Sample(elapsed, (peaks[-1] if peaks else usage.ru_maxrss) // 1024,
                  usage.ru_utime + usage.ru_stime)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def baseline_code(revision: str, repo: Path, fresh: bool) -> Code:
    """The baseline's source, checked out once, and a working tree of ``repo`` with its hook.

    ``fresh``: the bench repository was generated again, so its old working tree is gone.
    """
    sha = git(PROJECT, "rev-parse", "--verify", f"{revision}^{{commit}}")
    source = OUT / f"baseline-{sha[:12]}"
    if not (source / ".git").exists():
        git(PROJECT, "worktree", "prune")
        git(PROJECT, "worktree", "add", "-q", "--detach", str(source), sha)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(source / "qmsdoc")],
                       check=True)  # as make bench does for the new code
    work = OUT / "repo-baseline"
    if fresh or not (work / ".git").exists():
        shutil.rmtree(work, ignore_errors=True)
        git(repo, "worktree", "prune")
        git(repo, "worktree", "add", "-q", "-f", "-B", BASELINE_BRANCH, str(work), "main")
    else:  # the same commits as the new code, then the baseline's hook, approved
        git(work, "checkout", "-q", "-f", "-B", BASELINE_BRANCH, "main")
    approve_site_change(work, {HOOK: (source / HOOK).read_text(encoding="utf-8")},
                        branch=BASELINE_BRANCH)
    return Code(f"baseline {revision}", source, work)


def build(code: Code) -> Sample:
    shutil.rmtree(code.repo / SITE_CONFIGS["mkdocs.yml"][0], ignore_errors=True)
    return measure([sys.executable, "-c", MKDOCS, "build", "-q"], code.repo, code)


def plain_build(repo: Path, config: str) -> Sample:
    (repo / config).write_text(site_config(config), encoding="utf-8")
    shutil.rmtree(repo / SITE_CONFIGS[config][0], ignore_errors=True)
    return measure([sys.executable, "-c", MKDOCS, "build", "-q", "-f", config], repo)


def review_clone(repo: Path) -> Path:
    """A clone of the bench repository on a branch revising ``REVIEWED`` procedures."""
    clone = OUT / "repo-review"
    shutil.rmtree(clone, ignore_errors=True)
    git(OUT, "clone", "--quiet", str(repo), str(clone))
    git(clone, "checkout", "--quiet", "-b", "review-bench")
    paths = [p for p in sorted((clone / "docs" / "procedures").glob("*.md"))
             if "state: effective" in p.read_text(encoding="utf-8")][:REVIEWED]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        edition, amendment = text.split("version: ", 1)[1].split("\n", 1)[0].split("/")
        text = text.replace(f"version: {edition}/{amendment}",
                            f"version: {edition}/{int(amendment) + 1}", 1)
        text = text.replace("state: effective", "state: in_review", 1)
        path.write_text(text.rstrip() + "\n\n按季度复核本程序的执行情况。\n", encoding="utf-8")
    git(clone, "-c", "user.name=Writer", "-c", "user.email=writer@bench.example", "commit",
        "--quiet", "-am", f"Revise {len(paths)} procedures")
    return clone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regenerate", action="store_true", help="build the repository again")
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=1_000,
                        help="documents of a repository generated (default 1000)")
    parser.add_argument("--repo", type=Path, default=OUT / "repo",
                        help="the bench repository (default bench/out/repo)")
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"commit to compare with (default {BASELINE}; 'none': skip)")
    parser.add_argument("--no-peers", action="store_true",
                        help="skip the build with the git peer plugins (about 5 minutes)")
    parser.add_argument("--only", choices=["builds", "sizes", "preview", "growth"],
                        help="measure only the builds (ours and plain Material), the sizes, "
                             "the preview or the build's growth")
    parser.add_argument("--sizes", default=",".join(f"{d}:{c}" for d, c in SIZES),
                        help="DOCUMENTS:COMMITS,… for the check by size ('none': skip)")
    parser.add_argument("--growth", default=",".join(f"{d}:{c}" for d, c in GROWTH),
                        help="DOCUMENTS:COMMITS,… for the build by size ('none': skip)")
    args = parser.parse_args()
    repo = args.repo
    sizes, growth = parse_sizes(args.sizes), parse_sizes(args.growth)
    if args.only == "sizes":
        return check_sizes(sizes)
    if args.only == "growth":
        return build_growth(growth)
    fresh = args.regenerate or not is_current(repo)
    if fresh:
        print(f"Generating {repo} ({args.documents} documents, {args.commits} commits)…",
              flush=True)
        start = time.perf_counter()
        generate(repo, commits=args.commits, count=args.documents)
        print(f"Generated in {time.perf_counter() - start:.0f} s", flush=True)
    changed = approve_site_change(repo, site_files())  # the hook as the new code has it
    if changed:
        print(f"Committed {', '.join(changed)} as an approved change", flush=True)
    new = Code("new", PROJECT, repo)
    codes = [new]
    if args.baseline != "none":
        codes.insert(0, baseline_code(args.baseline, repo, fresh))
    commits = git(repo, "rev-list", "--count", "HEAD")
    documents = sum(1 for _ in (repo / "docs").rglob("*.md")) - 1
    print(f"Repository: {documents} documents, {commits} commits", flush=True)
    for code in codes:
        print(f"{code.name}: qmsdoc from {code.source}, runs in {code.repo}", flush=True)

    if args.only == "builds":
        builds, plain = compare_builds(codes, repo)
        report_builds(codes, builds, plain)
        return
    if args.only == "preview":
        return measure_preview(repo)

    def check(code: Code) -> Sample:
        return measure([sys.executable, "-c", CHECK, "check"], code.repo, code)

    first = {code.name: check(code) for code in codes}
    checks: dict[str, list[Sample]] = {code.name: [] for code in codes}
    for _ in range(CHECK_RUNS):
        for code in codes:
            checks[code.name].append(check(code))
    builds, plain = compare_builds(codes, repo)
    peers = None if args.no_peers else plain_build(repo, "mkdocs-peers.yml")
    clone = review_clone(repo)
    reviews = [measure([sys.executable, "-c", CHECK, "review", "main"], clone, new)
               for _ in range(REVIEW_RUNS)]
    report(codes, first, checks, builds, plain, peers)
    seconds = median(reviews).seconds
    print(f"qmsdoc review of {REVIEWED} revised documents (median of {REVIEW_RUNS}): "
          f"{seconds:.2f} s (runs {min(r.seconds for r in reviews):.2f}–"
          f"{max(r.seconds for r in reviews):.2f} s, CPU {median(reviews).cpu:.2f} s); "
          f"target ≤ 2 s: {'met' if seconds <= 2 else 'NOT met'}")
    measure_pdf(PROJECT, OUT)
    measure_preview(repo)
    check_sizes(sizes)
    build_growth(growth)


def check_sizes(sizes: list[tuple[int, int]]) -> None:
    code = Code("new", PROJECT, OUT)
    measure_sizes(OUT, sizes,
                  lambda repo: measure([sys.executable, "-c", CHECK, "check"], repo, code),
                  lambda command, repo: measure(command, repo))


def build_growth(sizes: list[tuple[int, int]]) -> None:
    measure_growth(OUT, sizes, lambda repo: build(Code("new", PROJECT, repo)))


def compare_builds(codes: list[Code], repo: Path) -> tuple[dict[str, list[Sample]],
                                                          list[Sample]]:
    """``BUILD_RUNS`` rounds of a plain Material build, then each code's build."""
    builds: dict[str, list[Sample]] = {code.name: [] for code in codes}
    plain: list[Sample] = []
    for _ in range(BUILD_RUNS):
        plain.append(plain_build(repo, "mkdocs-plain.yml"))
        for code in codes:
            builds[code.name].append(build(code))
    return builds, plain


def report_builds(codes: list[Code], builds: dict[str, list[Sample]],
                  plain_runs: list[Sample]) -> None:
    """The builds alone (``--builds-only``): each one's runs, and ours against plain."""
    plain = median(plain_runs)
    print(f"\nplain Material: theme features {FORMER_FEATURES}")
    for name, runs in [("plain Material", plain_runs)] + [(c.name, builds[c.name]) for c in codes]:
        middle = median(runs)
        print(f"build: {name:<28} median {middle.seconds:6.2f} s (runs "
              f"{min(r.seconds for r in runs):.2f}–{max(r.seconds for r in runs):.2f} s), "
              f"CPU {middle.cpu:6.2f} s, {middle.seconds / plain.seconds:.2f} × plain, "
              f"peak {middle.mib} MiB")
    build_target(median(builds["new"]), plain)


def build_target(ours: Sample, plain: Sample) -> None:
    ratio = ours.seconds / plain.seconds
    print(f"Target (new code): build ≤ {BUILD_TARGET} × plain Material with the former theme "
          f"features: {'met' if ratio <= BUILD_TARGET else 'NOT met'} ({ratio:.2f} ×; "
          f"CPU {ours.cpu / plain.cpu:.2f} ×)")


def median(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.seconds for s in samples), max(s.mib for s in samples),
                  statistics.median(s.cpu for s in samples))


def report(codes: list[Code], first: dict[str, Sample], checks: dict[str, list[Sample]],
           builds: dict[str, list[Sample]], plain_runs: list[Sample], peers: Sample | None
           ) -> None:
    names = [code.name for code in codes]
    plain = median(plain_runs)
    rows: list[tuple[str, list[Sample], bool]] = [
        ("qmsdoc check (first run)", [first[n] for n in names], False),
        (f"qmsdoc check (median of {CHECK_RUNS})", [median(checks[n]) for n in names], False),
        (f"build: qmsdoc (median of {BUILD_RUNS})", [median(builds[n]) for n in names], True),
    ]
    compared = len(codes) == 2
    print()
    print(f"{'measure':<34}" + "".join(f"{h:>12}" for h in (
        ["baseline s", "new s", "new/base", "× plain", "peak MiB"] if compared
        else ["seconds", "× plain", "peak MiB"])))
    for label, samples, is_build in rows:
        seconds = [f"{s.seconds:.2f}" for s in samples]
        ratio = [f"{samples[1].seconds / samples[0].seconds:.2f}"] if compared else []
        times_plain = "/".join(f"{s.seconds / plain.seconds:.2f}" for s in samples)
        memory = "/".join(str(s.mib) for s in samples)
        print(f"{label:<34}" + "".join(f"{c:>12}" for c in (
            *seconds, *ratio, times_plain if is_build else "", memory)))
    others = [(f"build: plain Material (median of {BUILD_RUNS})", plain)]
    if peers is not None:
        others.append(("build: + git date/authors plugins", peers))
    for label, sample in others:
        cells = ["", f"{sample.seconds:.2f}", ""] if compared else [f"{sample.seconds:.2f}"]
        print(f"{label:<34}" + "".join(f"{c:>12}" for c in (
            *cells, f"{sample.seconds / plain.seconds:.2f}", str(sample.mib))))
    print(f"plain Material: theme features {FORMER_FEATURES}")
    if compared:
        print(f"\n× plain and peak MiB: baseline/new ({codes[0].name} / this working tree). "
              f"No slower: new/base ≤ {1 + NOISE:.2f} (noise allowance)")
        for what, runs in (("check", checks), ("build", builds)):
            verdict(what, *(runs[n] for n in names))
        before, after = (median(builds[n]) for n in names)
        wall, cpu = after.seconds / before.seconds, after.cpu / before.cpu
        if codes[0].name == f"baseline {BASELINE}":  # the code before the archive existed
            print(f"Archive and redline pages (the build over the baseline {BASELINE} before them) "
                  f"add ≤ 25 %: {'met' if wall <= ARCHIVE_BUDGET else 'NOT met'} "
                  f"(wall {wall:.2f} ×, CPU {cpu:.2f} ×)")
    check = median(checks["new"]).seconds
    print(f"Target (new code): check ≤ 1.5 s: {'met' if check <= 1.5 else 'NOT met'} "
          f"({check:.2f} s)")
    build_target(median(builds["new"]), plain)


def verdict(what: str, baseline: list[Sample], new: list[Sample]) -> None:
    """Say plainly whether the new code is no slower, with both sides' spread of runs."""
    ratio = median(new).seconds / median(baseline).seconds
    cpu = median(new).cpu / median(baseline).cpu
    if ratio <= 1:
        said = "no slower: holds"
    elif ratio <= 1 + NOISE:
        said = f"no slower: holds within noise ({(ratio - 1) * 100:.0f}% slower)"
    else:
        said = f"no slower: NOT met, new is {(ratio - 1) * 100:.0f}% slower"
    spread = "; ".join(f"{name} {min(s.seconds for s in runs):.2f}–"
                       f"{max(s.seconds for s in runs):.2f} s"
                       for name, runs in (("baseline", baseline), ("new", new)))
    print(f"{what}: new/baseline {ratio:.2f} → {said} (runs: {spread}); "
          f"CPU time new/baseline {cpu:.2f}")


if __name__ == "__main__":
    main()
