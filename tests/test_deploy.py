"""Publishing the site: builds wait for each other, and site/ is always a complete site.

"Complete" is checked by a manifest (relative path -> content hash) that must equal the
manifest of one of two known builds, the old site or the new one. Kill offsets only choose
where a process dies; no assertion depends on timing.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from qmsdoc import QmsdocError, deploy
from qmsdoc.cli import cli
from qmsdoc.deploy import SiteRelease, lock_timeout, open_release

MKDOCS = str(Path(sys.executable).with_name("mkdocs"))
BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1764460800"}
LEFTOVER = re.compile(r"site\.(staging|previous)-\d+-[0-9a-f]{8}")
KILLS = 15  # kill -9 points spread over one build


def manifest(site: Path) -> dict[str, str]:
    """Every file of a site by relative path, with the hash of its content."""
    return {path.relative_to(site).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(site.rglob("*")) if path.is_file()}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if LEFTOVER.fullmatch(p.name))


def start_build(root: Path, *args: str, log: Path | None = None,
                **env: str) -> subprocess.Popen[bytes]:
    """`mkdocs build` in ``root`` (the console script: `python -m` would import the clone's qmsdoc)."""
    output = log.open("wb") if log else subprocess.DEVNULL
    return subprocess.Popen([MKDOCS, "build", *args], cwd=root, env={**BUILD_ENV, **env},
                            stdout=output, stderr=subprocess.STDOUT)


def run_build(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MKDOCS, "build", *args], cwd=root, env={**BUILD_ENV, **env},
                          capture_output=True, text=True)


def append_and_commit(page: Path, text: str) -> None:
    """李娜, the document controller, adds ``text`` to a site page and commits it."""
    page.write_text(page.read_text(encoding="utf-8") + text, encoding="utf-8")
    lina = {"GIT_AUTHOR_NAME": "李娜", "GIT_AUTHOR_EMAIL": "lina@scjgj.shifan.example",
            "GIT_COMMITTER_NAME": "李娜", "GIT_COMMITTER_EMAIL": "lina@scjgj.shifan.example"}
    subprocess.run(["git", "commit", "-qam", f"Edit {page.name}"], cwd=page.parent, check=True,
                   env={**os.environ, **lina})


@dataclass(frozen=True)
class Sites:
    """Two clones of the sample, each built once: the new one has a later docs/index.md."""

    old: Path
    new: Path
    old_manifest: dict[str, str]
    new_manifest: dict[str, str]
    build_seconds: float

    def other_than(self, published: dict[str, str]) -> Path:
        """The clone whose build would change the published site: builds alternate."""
        return self.new if published == self.old_manifest else self.old

    def manual_with_old_site(self, folder: Path) -> Path:
        """A copy of the new clone whose site/ is still the old build."""
        root = folder / "manual"
        shutil.copytree(self.new, root, ignore=shutil.ignore_patterns("site", "site.*"))
        shutil.copytree(self.old / "site", root / "site")
        return root


@pytest.fixture(scope="module")
def sites(sample_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Sites:
    base = tmp_path_factory.mktemp("deploy")
    old, new = base / "old", base / "new"
    shutil.copytree(sample_clone, old)
    shutil.copytree(sample_clone, new)
    append_and_commit(new / "docs/index.md", "\n本页已更新。\n")
    seconds = []
    for root in (old, new):
        start = time.monotonic()
        built = run_build(root)
        seconds.append(time.monotonic() - start)
        assert built.returncode == 0, built.stderr
    sites = Sites(old, new, manifest(old / "site"), manifest(new / "site"), min(seconds))
    assert sites.old_manifest != sites.new_manifest
    assert leftovers(old) == leftovers(new) == []
    return sites


@contextmanager
def watching(page: Path, allowed: set[bytes]) -> Iterator[list[str]]:
    """Read ``page`` over and over while the block runs; collect every failed or unknown read."""
    problems: list[str] = []
    reads = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal reads
        while not done.is_set() or reads == 0:  # at least one read, however short the block
            try:
                text = page.read_bytes()
            except OSError as error:
                problems.append(repr(error))
            else:
                if text not in allowed:
                    problems.append(f"unknown content of {page.name} ({len(text)} bytes)")
            reads += 1
            time.sleep(0.0002)  # leave the CPU to the builds; still thousands of reads a second

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        yield problems
    finally:
        done.set()
        thread.join()


def test_concurrent_builds_wait_for_each_other_and_publish_a_complete_site(sites: Sites,
                                                                            tmp_path: Path) -> None:
    root = sites.manual_with_old_site(tmp_path)
    pages = {(s / "site/index.html").read_bytes() for s in (sites.old, sites.new)}
    with watching(root / "site/index.html", pages) as problems:
        builds = [start_build(root, log=tmp_path / f"build-{i}.log") for i in range(3)]
        codes = [build.wait() for build in builds]
    logs = "\n".join((tmp_path / f"build-{i}.log").read_text(errors="replace") for i in range(3))
    assert codes == [0, 0, 0], logs
    assert problems == []
    site = root / "site"
    assert (site / "index.html").is_file() and (site / "procedures/qp-05/index.html").is_file()
    assert (site / "registers/master-list/index.html").is_file()
    assert manifest(site) == sites.new_manifest
    assert leftovers(root) == []


def test_a_build_stops_after_the_lock_timeout_and_writes_nothing(sites: Sites, tmp_path: Path) -> None:
    root = sites.manual_with_old_site(tmp_path)
    lock = root / "site.lock"
    holder = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        os.write(holder, f"{os.getpid()}\n".encode())
        entries = sorted(os.listdir(root))
        result = run_build(root, QMSDOC_LOCK_TIMEOUT="1")
    finally:
        os.close(holder)
    assert result.returncode != 0
    assert (f"网站目录 {root / 'site'} 正由另一个构建使用（进程 {os.getpid()}，锁文件 {lock}），"
            "等待 1 秒后仍未结束，本次构建没有写入任何文件。") in result.stdout + result.stderr
    assert sorted(os.listdir(root)) == entries
    assert manifest(root / "site") == sites.old_manifest


def test_a_build_killed_at_any_point_leaves_the_old_or_the_new_site(sites: Sites, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(sites.old / "site", site)
    offsets = [sites.build_seconds * 1.1 * (i + 0.5) / KILLS for i in range(KILLS)]
    published = sites.old_manifest
    for offset in offsets + [-1]:  # the last build runs to the end
        source = sites.other_than(published)
        build = start_build(source, "--site-dir", str(site), QMSDOC_LOCK_TIMEOUT="30")
        if offset >= 0:
            time.sleep(offset)
            build.kill()
        code = build.wait()
        published = manifest(site)
        assert published in (sites.old_manifest, sites.new_manifest), f"killed at {offset:.2f} s"
    assert code == 0 and published == manifest(source / "site")
    assert leftovers(tmp_path) == []


# `mkdocs build` that kills itself (SIGKILL) just before its n-th rename or tree removal beside
# site/: the steps of a swap made of Python calls, without depending on timing. (An exchange through
# ctypes is one system call: a kill lands before it, which is any kill during the build, or after.)
KILL_AT_STEP = """
import os, signal, sys
from mkdocs.__main__ import cli

folder, kill_at = sys.argv[1], int(sys.argv[2])
steps = 0

def beside_site(arg):
    return isinstance(arg, (str, os.PathLike)) and os.path.dirname(os.fspath(arg)) == folder

def audit(event, args):
    global steps
    if event in {"os.rename", "os.replace", "shutil.rmtree"} and any(map(beside_site, args)):
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        steps += 1

sys.addaudithook(audit)
sys.argv = ["mkdocs", "build", *sys.argv[3:]]
cli()
"""


def test_a_build_killed_before_each_step_of_the_swap_leaves_a_complete_site(sites: Sites,
                                                                           tmp_path: Path) -> None:
    script = tmp_path / "kill_at_step.py"
    script.write_text(KILL_AT_STEP, encoding="utf-8")
    site = tmp_path / "site"
    shutil.copytree(sites.old / "site", site)
    published = sites.old_manifest
    for step in range(10):
        source = sites.other_than(published)
        result = subprocess.run([sys.executable, str(script), str(tmp_path), str(step),
                                 "--site-dir", str(site)], cwd=source, capture_output=True,
                                text=True, env={**BUILD_ENV, "QMSDOC_LOCK_TIMEOUT": "30"})
        published = manifest(site)
        assert published in (sites.old_manifest, sites.new_manifest), f"killed before step {step}"
        if result.returncode == 0:
            break  # this build took fewer steps: a kill before each one has been tried
        assert result.returncode == -9, result.stderr
    assert result.returncode == 0 and step >= 1
    assert leftovers(tmp_path) == []


def test_a_build_that_fails_after_writing_every_page_keeps_the_site(sites: Sites, tmp_path: Path) -> None:
    root = sites.manual_with_old_site(tmp_path)
    append_and_commit(root / "docs/index.md", "\n见[不存在的页](missing.md)。\n")
    result = run_build(root, QMSDOC_LOCK_TIMEOUT="0")
    assert result.returncode != 0
    assert "Aborted with 1 warnings in strict mode!" in result.stdout + result.stderr
    assert manifest(root / "site") == sites.old_manifest
    assert leftovers(root) == []


# MkDocs run in-process by a caller holding the release, as a `qmsdoc build` command will.
IN_PROCESS_BUILD = """
import sys
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

from qmsdoc.deploy import SiteRelease

root = Path(sys.argv[1])
with SiteRelease(root / "site", timeout=1) as release:
    config = load_config(config_file=str(root / "mkdocs.yml"))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    assert (release.staging / "index.html").is_file()
    assert (root / "site/index.html").read_text(encoding="utf-8").count("本页已更新") == 0
    release.publish()
"""


def test_the_hook_builds_into_a_release_its_caller_holds(sites: Sites, tmp_path: Path) -> None:
    root = sites.manual_with_old_site(tmp_path)
    script = tmp_path / "in_process_build.py"
    script.write_text(IN_PROCESS_BUILD, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), str(root)], capture_output=True, text=True,
                            env={**BUILD_ENV, "QMSDOC_LOCK_TIMEOUT": "1"})
    assert result.returncode == 0, result.stderr
    assert manifest(root / "site") == sites.new_manifest
    assert leftovers(root) == []


# The swap itself, with trees large enough that deleting the old one takes a while.
FILES = 200
RELEASE = """
import sys
from pathlib import Path

from qmsdoc.deploy import SiteRelease

site, variant, files = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with SiteRelease(site, timeout=30) as release:
    for i in range(files):
        page = release.staging / f"part-{i % 50:02d}" / f"page-{i}.html"
        page.parent.mkdir(exist_ok=True)
        page.write_text(f"{variant} {i}")
    (release.staging / "index.html").write_text(variant)
    print("publishing", flush=True)
    release.publish()
"""


def tree_manifest(variant: str) -> dict[str, str]:
    """The manifest of the tree RELEASE writes."""
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()
    pages = {f"part-{i % 50:02d}/page-{i}.html": digest(f"{variant} {i}") for i in range(FILES)}
    return {"index.html": digest(variant), **pages}


def release(script: Path, site: Path, variant: str, kill_after: float | None) -> float:
    """Publish ``variant`` in a subprocess, killed ``kill_after`` seconds into the swap.

    Returns the seconds from the start of the swap to the end of the process."""
    process = subprocess.Popen([sys.executable, str(script), str(site), variant, str(FILES)],
                               stdout=subprocess.PIPE, env=BUILD_ENV)
    assert process.stdout is not None
    assert process.stdout.readline() == b"publishing\n"
    start = time.monotonic()
    if kill_after is not None:
        time.sleep(kill_after)
        process.kill()
    code = process.wait()
    process.stdout.close()
    assert kill_after is not None or code == 0
    return time.monotonic() - start


def test_a_swap_killed_at_any_point_leaves_the_old_or_the_new_tree(tmp_path: Path) -> None:
    script = tmp_path / "release.py"
    script.write_text(RELEASE, encoding="utf-8")
    site = tmp_path / "site"
    trees = {variant: tree_manifest(variant) for variant in ("old", "new")}
    release(script, site, "old", None)
    with watching(site / "index.html", {b"old", b"new"}) as problems:
        swap = release(script, site, "new", None)
        published = trees["new"]
        for i in range(11):  # from the start of the swap to just after its end
            release(script, site, "old" if published == trees["new"] else "new", swap * i / 10)
            published = manifest(site)
            assert published in trees.values(), f"killed {swap * i / 10:.4f} s into the swap"
        release(script, site, "old" if published == trees["new"] else "new", None)
    assert problems == []
    assert leftovers(tmp_path) == []


# deploy.py on its own, in this process.

def test_a_failed_build_discards_its_staging_folder_and_releases_the_lock(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old")
    with pytest.raises(ZeroDivisionError), SiteRelease(site, timeout=0) as release:
        (release.staging / "index.html").write_text("new")
        1 / 0  # noqa: B018 - the build fails
    assert manifest(site) == {"index.html": hashlib.sha256(b"old").hexdigest()}
    assert leftovers(tmp_path) == []
    SiteRelease(site, timeout=0).acquire().close()  # the lock is free again


def test_the_process_holding_a_release_reuses_it_instead_of_waiting_for_itself(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with SiteRelease(site, timeout=0) as release:
        assert open_release(site, {}, logging.getLogger("test")) == (release, False)
        with pytest.raises(RuntimeError, match="already holds the lock"):
            SiteRelease(site, timeout=0).acquire()
        release.publish()
    assert site.is_dir() and leftovers(tmp_path) == []
    owned, owns = open_release(site, {}, logging.getLogger("test"))
    assert owns and owned.staging.is_dir()
    owned.close()


def test_another_holder_stops_the_release_with_its_pid_and_lock_file(tmp_path: Path) -> None:
    site = tmp_path / "site"
    holder = os.open(tmp_path / "site.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        os.write(holder, b"4242\n")
        with pytest.raises(QmsdocError) as stopped:
            SiteRelease(site, timeout=0.2).acquire()
    finally:
        os.close(holder)
    assert f"（进程 4242，锁文件 {tmp_path / 'site.lock'}）" in str(stopped.value)
    assert "QMSDOC_LOCK_TIMEOUT" in str(stopped.value)
    assert sorted(os.listdir(tmp_path)) == ["site.lock"]


def test_the_lock_timeout_comes_from_the_environment() -> None:
    assert lock_timeout({}) == 300
    assert lock_timeout({"QMSDOC_LOCK_TIMEOUT": " 1.5 "}) == 1.5
    for bad in ("abc", "-1", "nan"):
        with pytest.raises(QmsdocError, match=f"QMSDOC_LOCK_TIMEOUT 的值“{bad}”不是有效的秒数"):
            lock_timeout({"QMSDOC_LOCK_TIMEOUT": bad})


def test_without_an_atomic_exchange_the_swap_takes_two_renames(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    def refuse(first: Path, second: Path) -> None:
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL), str(first))

    monkeypatch.setattr(deploy, "exchange", refuse)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old")
    with SiteRelease(site, timeout=0) as release:
        (release.staging / "index.html").write_text("new")
        release.publish()
    assert (site / "index.html").read_text() == "new"
    assert leftovers(tmp_path) == []
    assert "改为两步替换" in caplog.text


def test_the_next_release_puts_back_a_site_left_between_two_renames(tmp_path: Path) -> None:
    # What a build killed between the two renames leaves: no site/, the complete old site
    # renamed aside, and its new site still staged.
    previous = tmp_path / "site.previous-123-0a1b2c3d"
    previous.mkdir()
    (previous / "index.html").write_text("old")
    (tmp_path / "site.staging-123-0a1b2c3d").mkdir()
    with SiteRelease(tmp_path / "site", timeout=0) as release:
        assert (tmp_path / "site/index.html").read_text() == "old"
        assert leftovers(tmp_path) == [release.staging.name]


def test_publish_swaps_a_built_site_into_the_served_folder(tmp_path: Path) -> None:
    built, served = tmp_path / "site", tmp_path / "www" / "qms"
    (built / "procedures").mkdir(parents=True)
    (built / "index.html").write_text("新网站", encoding="utf-8")
    (built / "procedures" / "index.html").write_text("程序文件", encoding="utf-8")
    served.mkdir(parents=True)
    (served / "index.html").write_text("旧网站", encoding="utf-8")
    (served / "stale.html").write_text("旧页面", encoding="utf-8")
    result = CliRunner().invoke(cli, ["publish", str(built), str(served)])
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(served).as_posix() for p in served.rglob("*")) == [
        "index.html", "procedures", "procedures/index.html"]
    assert (served / "index.html").read_text(encoding="utf-8") == "新网站"
    assert sorted(p.name for p in served.parent.iterdir()) == ["qms", "qms.lock"]


def test_publish_refuses_a_folder_that_is_not_a_built_site(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    served = tmp_path / "www"
    result = CliRunner().invoke(cli, ["publish", str(tmp_path / "site"), str(served)])
    assert result.exit_code == 2
    assert "不是生成好的网站（没有 index.html）：先运行 qmsdoc build" in result.output
    assert not served.exists()
