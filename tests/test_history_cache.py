"""The persistent history cache: used where git proves it applies, never otherwise.

Each test drives a real repository through the changes a cache must survive or
refuse, and compares what qmsdoc reads, and the whole gate's findings, with the
cache and without it. To see whether a run used the cache at all, a test marks a
cached record (a commit subject or a blob text that git would never print): the
mark shows up only when the cached file was trusted.
"""

from __future__ import annotations

import datetime
import pickle
import shutil
from pathlib import Path

import pytest

from qmsdoc import history_cache, load_settings, run_gate
from qmsdoc.findings import Finding
from qmsdoc.history import _LOG, GitRepository, History, read_history

from .conftest import ManualRepo

MARK = "Marked in the cache only"
TODAY = datetime.date(2024, 7, 1)


def cache_folder(repo: ManualRepo) -> Path:
    return repo.root / ".git" / history_cache.FOLDER


def read(repo: ManualRepo, *, cached: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[
        str, History, list[Finding]]:
    """The log text, the history structures and the gate's findings, with or without cache."""
    with monkeypatch.context() as patch:
        if not cached:
            patch.setenv(history_cache.DISABLE, "1")
        repository = GitRepository(repo.root)
        log = repository.log()
        repository.save_cache()
        paths = repository.tracked(["."])
        history = read_history(log, paths, watched=["people.yml", "qmsdoc.yml"])
        findings = run_gate(load_settings(repo.root), today=TODAY).findings
    return log, history, findings


def assert_same_as_uncached(repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> str:
    cached = read(repo, cached=True, monkeypatch=monkeypatch)
    assert cached == read(repo, cached=False, monkeypatch=monkeypatch)
    return cached[0]


def mark(repo: ManualRepo, sha: str) -> None:
    """Change the cached record of commit ``sha`` to carry MARK as its subject."""
    cache = history_cache.HistoryCache(GitRepository(repo.root), _LOG)
    cache.log()
    subject = repo.git("log", "-1", "--format=%s", sha).strip()
    records = cache._records  # noqa: SLF001 - the test plays a tampered cache
    assert subject in records[sha]
    records[sha] = records[sha].replace(subject, MARK)
    cache._new_log = True  # noqa: SLF001
    cache.save()


def marked_log(repo: ManualRepo) -> bool:
    return MARK in GitRepository(repo.root).log()


def test_cache_gives_what_git_gives_across_changes(approved_repo: ManualRepo,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo
    assert_same_as_uncached(repo, monkeypatch)
    assert (cache_folder(repo) / "log").is_file()
    assert repo.git("status", "--porcelain", "--ignored") == ""  # never in the working tree
    # A new commit.
    repo.edit("procedures/qp-01.md", "state: effective", "state: in_review")
    repo.commit("Revise QP-01", date="2024-03-01")
    assert_same_as_uncached(repo, monkeypatch)
    # A rename.
    repo.git("mv", "procedures/qp-01.md", "procedures/qp-01-renamed.md")
    repo.commit("Rename QP-01", date="2024-03-02")
    assert_same_as_uncached(repo, monkeypatch)
    # A branch that forked before the rename, edited under the old name, merged.
    repo.git("checkout", "-q", "-b", "side", "HEAD~2")
    repo.edit("procedures/qp-01.md", "首次发布", "修订一处")
    repo.commit("Edit on a side branch", date="2024-03-03")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-X", "theirs", "side", "-m", "Merge side",
             date="2024-03-04")
    log = assert_same_as_uncached(repo, monkeypatch)
    assert "Merge side" in log
    # Approvals after the merge, through qmsdoc itself.
    repo.edit("procedures/qp-01-renamed.md", "version: A/0", "version: A/1")
    repo.edit("procedures/qp-01-renamed.md", "effective_date: '2024-03-01'",
              "effective_date: '2024-04-01'")
    repo.commit("Raise the version", date="2024-03-05")
    repo.approve_all(["QP-01"], date="2024-03-05")
    assert_same_as_uncached(repo, monkeypatch)
    # An amended commit, then a history moved back: the cached head is no longer an ancestor.
    repo.git("commit", "-q", "--amend", "-m", "Amended approval", date="2024-03-06")
    assert_same_as_uncached(repo, monkeypatch)
    repo.git("reset", "-q", "--hard", "HEAD~2")
    assert_same_as_uncached(repo, monkeypatch)


def test_new_commits_are_added_to_the_cached_ones(approved_repo: ManualRepo,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo
    first = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    mark(repo, first)
    assert marked_log(repo)  # the same head: the cached records are used
    repo.commit("One more commit", date="2024-03-01")
    assert marked_log(repo)  # an ancestor: cached records kept, the new commit read
    assert "One more commit" in GitRepository(repo.root).log()


def test_a_rewritten_history_is_read_again(approved_repo: ManualRepo,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo
    mark(repo, repo.git("rev-list", "--max-parents=0", "HEAD").strip())
    repo.git("commit", "-q", "--amend", "--allow-empty", "-m", "Rewritten", date="2024-03-01")
    assert not marked_log(repo)
    assert_same_as_uncached(repo, monkeypatch)


def test_a_cache_from_another_repository_is_not_used(approved_repo: ManualRepo, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo
    mark(repo, repo.git("rev-list", "--max-parents=0", "HEAD").strip())
    clone = ManualRepo(tmp_path / "clone")
    repo.git("clone", "-q", str(repo.root), str(clone.root))
    cache_folder(clone).mkdir()
    for name in ("log", "blobs"):
        (cache_folder(clone) / name).write_bytes((cache_folder(repo) / name).read_bytes())
    assert not marked_log(clone)
    assert_same_as_uncached(clone, monkeypatch)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "another format"])
def test_a_damaged_cache_is_rebuilt(approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch,
                                    damage: str) -> None:
    repo = approved_repo
    mark(repo, repo.git("rev-list", "--max-parents=0", "HEAD").strip())
    file = cache_folder(repo) / "log"
    content = file.read_bytes()
    if damage == "truncated":
        file.write_bytes(content[:len(content) // 2])
    elif damage == "flipped":
        file.write_bytes(content[:-10] + bytes([content[-10] ^ 1]) + content[-9:])
    elif damage == "empty":
        file.write_bytes(b"")
    else:
        monkeypatch.setattr(history_cache, "FORMAT", history_cache.FORMAT + 1)
    assert not marked_log(repo)
    assert_same_as_uncached(repo, monkeypatch)
    assert not marked_log(repo)  # and the file written again is git's own


def test_a_cache_naming_code_is_never_unpickled(approved_repo: ManualRepo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with a valid checksum whose data names a callable is refused, not run."""
    repo = approved_repo
    assert_same_as_uncached(repo, monkeypatch)
    file = cache_folder(repo) / "log"
    witness = repo.root / "ran"
    code = pickle.dumps(_Touch(witness))
    file.write_bytes(b"qmsdoc-history-cache\n" + history_cache._checksum(code)  # noqa: SLF001
                     + b"\n" + code)
    assert_same_as_uncached(repo, monkeypatch)
    assert not witness.exists()


class _Touch:
    """Unpickling this calls ``Path.touch`` on a path: what a hostile cache would do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return Path.touch, (self.path,)


def test_blob_texts_are_kept_by_blob_id(approved_repo: ManualRepo,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo
    assert_same_as_uncached(repo, monkeypatch)
    blob = repo.git("rev-parse", "HEAD:procedures/qp-01.md").strip()
    cache = history_cache.HistoryCache(GitRepository(repo.root), _LOG)
    cache.log()
    assert cache.blobs([blob]) == {blob: repo.read("procedures/qp-01.md")}
    cache.add_blobs({blob: MARK})
    cache.save()
    repository = GitRepository(repo.root)
    repository.log()
    assert repository.blob_text(blob) == MARK  # the cached text is trusted: ids fix content
    monkeypatch.setenv(history_cache.DISABLE, "1")
    assert GitRepository(repo.root).blob_text(blob) == repo.read("procedures/qp-01.md")


def test_no_cache_when_turned_off(approved_repo: ManualRepo,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(cache_folder(approved_repo))  # made by the approvals' own checks
    monkeypatch.setenv(history_cache.DISABLE, "1")
    run_gate(load_settings(approved_repo.root), today=TODAY)
    assert not cache_folder(approved_repo).exists()
