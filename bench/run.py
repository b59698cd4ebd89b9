"""`make bench`: qmsdoc check and build against a plain Material build and the git peer plugins.

Generates (once) a repository of 1,000 documents and 10,000 commits with renames
in the project's format, then measures, side by side in one run:

- ``qmsdoc check`` (history and approvals included): the first run, then the median of five;
- our full build (the gate, approved text from git, citations, cards, revision history);
- a plain Material build of the same Markdown with the same theme and search settings;
- the same plus mkdocs-git-revision-date-localized-plugin (creation date on) and
  mkdocs-git-authors-plugin.

Each command runs in its own process; times are wall-clock (builds: the median
of three, plain and ours alternating), memory is the peak resident set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from generate import PROJECT, generate

BIN = Path(sys.executable).parent
OUT = PROJECT / "bench" / "out"

SITE = """site_name: 基准测试
docs_dir: docs
site_dir: {site_dir}
theme:
  name: material
  language: zh
  font: false
  features: [navigation.tabs, navigation.sections, navigation.top, search.highlight]
extra_css: [stylesheets/qmsdoc.css]
plugins:
  - search:
      jieba_dict_user: jieba_userdict.txt
{plugins}
markdown_extensions:
  - toc:
      permalink: true
      slugify: !!python/object/apply:pymdownx.slugs.slugify
        kwds: {{case: lower}}
  - tables
  - admonition
  - attr_list
{hooks}"""

CONFIGS = {
    "ours": ("", "hooks:\n  - hooks/qmsdoc_mkdocs.py\n"),
    "plain": ("", ""),
    "peers": ("  - git-revision-date-localized:\n      enable_creation_date: true\n"
              "  - git-authors\n", ""),
}


def measure(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall-clock seconds and peak memory (MiB) of one command in its own process."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regenerate", action="store_true", help="build the repository again")
    parser.add_argument("--commits", type=int, default=10_000)
    args = parser.parse_args()
    repo = OUT / "repo"
    if args.regenerate or not (repo / ".git").exists():
        print(f"Generating {repo} ({args.commits} commits)…", flush=True)
        generate(repo, commits=args.commits)
    shutil.copy(PROJECT / "hooks/qmsdoc_mkdocs.py", repo / "hooks/qmsdoc_mkdocs.py")  # current code
    commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, check=True,
                             capture_output=True, text=True).stdout.strip()
    documents = sum(1 for _ in (repo / "docs").rglob("*.md")) - 1
    print(f"Repository: {documents} documents, {commits} commits\n", flush=True)

    check = [str(BIN / "qmsdoc"), "check"]
    first, first_memory = measure(check, repo)
    runs = [measure(check, repo) for _ in range(5)]
    rows = [("qmsdoc check (first run)", first, first_memory),
            ("qmsdoc check (median of 5)", statistics.median(r[0] for r in runs),
             max(r[1] for r in runs))]
    builds: dict[str, list[tuple[float, int]]] = {name: [] for name in CONFIGS}
    # Plain and ours alternate three times (the machine's speed drifts); peers once.
    for name in ["plain", "ours"] * 3 + ["peers"]:
        plugins, hooks = CONFIGS[name]
        config = repo / f"mkdocs-{name}.yml"
        config.write_text(SITE.format(site_dir=f"site-{name}", plugins=plugins, hooks=hooks),
                          encoding="utf-8")
        shutil.rmtree(repo / f"site-{name}", ignore_errors=True)
        builds[name].append(measure([str(BIN / "mkdocs"), "build", "-q", "-f", config.name], repo))
    for name, label in (("plain", "build: plain Material"), ("ours", "build: qmsdoc"),
                        ("peers", "build: + git date/authors plugins")):
        rows.append((label, statistics.median(t for t, _ in builds[name]),
                     max(m for _, m in builds[name])))
    plain = rows[2][1]
    print(f"{'measure':<36}{'seconds':>9}{'× plain':>9}{'peak MiB':>10}")
    for name, elapsed, memory in rows:
        ratio = f"{elapsed / plain:.2f}" if name.startswith("build") else ""
        print(f"{name:<36}{elapsed:>9.2f}{ratio:>9}{memory:>10}")
    ours = rows[3][1]
    median = rows[1][1]
    print(f"\nTargets: check ≤ 1.5 s: {'met' if median <= 1.5 else 'NOT met'} ({median:.2f} s); "
          f"build ≤ 1.10 × plain: {'met' if ours <= 1.10 * plain else 'NOT met'} "
          f"({ours / plain:.2f} ×)")


if __name__ == "__main__":
    main()
