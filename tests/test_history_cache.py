"""The persistent caches: used where git proves they apply, never otherwise.

Each test drives a real repository through the changes a cache must survive or
refuse, and compares what qmsdoc reads, and the whole gate's findings, documents
and approved revisions, with the cache and without it. To see whether a run used
the cache at all, a test marks a cached entry (a commit subject or a document
title that git would never print): the mark shows up only when the cached file
was trusted.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import pickle
import shutil
import subprocess
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from qmsdoc import derived_cache, history, history_cache, load_settings, run_gate, snapshots
from qmsdoc.approvals import Revision as ApprovedRevision
from qmsdoc.approvals import approval_signers
from qmsdoc.errors import QmsdocError
from qmsdoc.findings import Finding
from qmsdoc.history import _LOG, GitRepository, History, read_history
from qmsdoc.model import DocType, Document, State, Version
from qmsdoc.snapshots import Blobs, derive_while_reading

from .conftest import ManualRepo

MARK = "Marked in the cache only"
TODAY = datetime.date(2024, 7, 1)


def cache_folder(repo: ManualRepo) -> Path:
    return repo.root / ".git" / history_cache.FOLDER


Revision = tuple[str, str, str, object] | None  # path, fingerprint, state, parsed document


def read(repo: ManualRepo, *, cached: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[
        str, History, list[Finding], list[Document], list[tuple[Revision, ...]]]:
    """The log text, the history structures, and the gate's findings, documents and approved
    revisions (each with its parsed document), with or without cache."""
    with monkeypatch.context() as patch:
        if not cached:
            patch.setenv(history_cache.DISABLE, "1")
        repository = GitRepository(repo.root)
        log = repository.log()
        text = "".join(log)
        repository.save_cache()
        paths = repository.tracked(["."])
        history = read_history(log, paths, watched=["people.yml", "qmsdoc.yml"])
        gate = run_gate(load_settings(repo.root), today=TODAY)
        revisions = [tuple(_revision(r) for r in (s.published, s.latest, *s.coming))
                     for s in gate.statuses.values()]
    return text, history, gate.findings, list(gate.manual), revisions


def _revision(revision: ApprovedRevision | None) -> Revision:
    if revision is None:
        return None
    snapshot = revision.snapshot
    return snapshot.path, snapshot.fingerprint, snapshot.state.key, snapshot.document


def assert_same_as_uncached(repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> str:
    cached = read(repo, cached=True, monkeypatch=monkeypatch)
    assert cached == read(repo, cached=False, monkeypatch=monkeypatch)
    return cached[0]


def cached_log(repo: ManualRepo) -> tuple[Path, str, dict[str, str]]:
    """The log cache's file, key and records, as a run writes them."""
    cache = history_cache.HistoryCache(GitRepository(repo.root), _LOG)
    cache.log()
    file, key = cache_folder(repo) / "log", cache._key  # noqa: SLF001 - a tampered cache
    stored = history_cache.read_file(file, key)
    assert stored is not None
    (records,) = stored
    assert isinstance(records, dict)
    return file, key, records


def mark(repo: ManualRepo, sha: str) -> None:
    """Change the cached record of commit ``sha`` to carry MARK as its subject."""
    file, key, records = cached_log(repo)
    subject = repo.git("log", "-1", "--format=%s", sha).strip()
    assert subject in records[sha]
    records[sha] = records[sha].replace(subject, MARK)
    history_cache.write_file(file, key, (records.items(),))


def log_text(repo: ManualRepo) -> str:
    return "".join(GitRepository(repo.root).log())


def marked_log(repo: ManualRepo) -> bool:
    return MARK in log_text(repo)


def assert_as_git_prints_but_the_mark(repo: ManualRepo, marked: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached log is git's own, but for the mark in the record of commit ``marked``."""
    subject = repo.git("log", "-1", "--format=%s", marked).strip()
    with monkeypatch.context() as patch:
        patch.setenv(history_cache.DISABLE, "1")
        uncached = log_text(repo)
    cached = log_text(repo)
    assert cached.count(MARK) == 1
    assert cached.replace(MARK, subject) == uncached


def merge_an_edit_from_before_the_rename(repo: ManualRepo, fork: str, edit: str,
                                         merge: str) -> None:
    """A branch forked at ``fork`` (before QP-01 was renamed) edits it under its old name
    (commit subject ``edit``), and is merged (subject ``merge``)."""
    repo.git("checkout", "-q", "-b", "side", fork)
    repo.edit("procedures/qp-01.md", "首次发布", "修订一处")
    repo.commit(edit, date="2024-03-03")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-X", "theirs", "side", "-m", merge, date="2024-03-04")


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
    merge_an_edit_from_before_the_rename(repo, "HEAD~2", "Edit on a side branch", "Merge side")
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
    assert "One more commit" in log_text(repo)


def test_rewritten_commits_are_read_again(approved_repo: ManualRepo,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An amended commit has a new id: git is asked for it; the commits below it are not
    read again."""
    repo = approved_repo
    root = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    mark(repo, root)
    mark(repo, repo.git("rev-parse", "HEAD").strip())
    assert log_text(repo).count(MARK) == 2
    repo.git("commit", "-q", "--amend", "--allow-empty", "-m", "Rewritten", date="2024-03-01")
    assert log_text(repo).count(MARK) == 1  # the root's record only
    assert_as_git_prints_but_the_mark(repo, root, monkeypatch)


def test_a_history_moved_back_or_switched_keeps_what_was_read(
        approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a reset or a switch to a branch that does not hold the last head read, the
    commits the two histories share are not read again (``qmsdoc review``'s base check
    and a department's branches take turns with the same cache)."""
    repo = approved_repo
    root = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    mark(repo, root)
    repo.commit("On top", date="2024-03-01")
    assert marked_log(repo)
    repo.git("reset", "-q", "--hard", "HEAD~1")
    assert marked_log(repo)
    repo.git("checkout", "-q", "-b", "side", "HEAD~1")
    repo.commit("On a side branch", date="2024-03-02")
    assert marked_log(repo)
    assert_as_git_prints_but_the_mark(repo, root, monkeypatch)
    repo.git("checkout", "-q", "main")
    assert_as_git_prints_but_the_mark(repo, root, monkeypatch)


def test_a_cache_from_another_repository_is_not_used(approved_repo: ManualRepo, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo
    mark(repo, repo.git("rev-list", "--max-parents=0", "HEAD").strip())
    clone = ManualRepo(tmp_path / "clone")
    repo.git("clone", "-q", str(repo.root), str(clone.root))
    cache_folder(clone).mkdir()
    for file in cache_folder(repo).iterdir():
        (cache_folder(clone) / file.name).write_bytes(file.read_bytes())
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


def test_a_record_filed_under_another_commit_is_not_used(approved_repo: ManualRepo,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache whose checksum holds but which gives a commit another commit's record (as a
    hand-edited or foreign file would) is read again from git, not trusted."""
    repo = approved_repo
    root = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    head = repo.git("rev-parse", "HEAD").strip()
    mark(repo, root)
    file, key, records = cached_log(repo)
    records[head] = records[root]
    history_cache.write_file(file, key, (records.items(),))
    assert not marked_log(repo)
    assert_same_as_uncached(repo, monkeypatch)


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


def test_derived_results_are_what_parsing_gives(approved_repo: ManualRepo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Working files edited, broken, copied; revisions whose metadata is not plain fields,
    and texts that differ from an approved one only in their state."""
    repo = approved_repo
    assert_same_as_uncached(repo, monkeypatch)
    assert {"parsed", "derived"} <= {f.name for f in cache_folder(repo).iterdir()}
    assert_same_as_uncached(repo, monkeypatch)  # the warm run
    # An uncommitted edit; then broken YAML (a finding with its line); then a copy at a new
    # path (same bytes, another path: its own findings).
    original = repo.read("procedures/qp-01.md")
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布，修订一处")
    assert_same_as_uncached(repo, monkeypatch)
    repo.edit("procedures/qp-01.md", "title: 文件控制程序", "title: [文件控制程序")
    assert_same_as_uncached(repo, monkeypatch)
    repo.write("procedures/qp-01.md", original)
    repo.write("procedures/qp-01-copy.md", original)
    assert_same_as_uncached(repo, monkeypatch)
    (repo.root / "procedures/qp-01-copy.md").unlink()
    # A revision whose change summary is a folded block: its facts come from the YAML parser.
    repo.edit("procedures/qp-01.md", "version: A/0", "version: A/1")
    repo.edit("procedures/qp-01.md", "change_summary: 首次发布",
              "change_summary: >-\n    第一处修订\n    第二处修订")
    repo.edit("procedures/qp-01.md", "state: effective", "state: in_review")
    repo.edit("procedures/qp-01.md", "effective_date: '2024-03-01'",
              "effective_date: '2024-04-01'")
    repo.commit("Revise QP-01", date="2024-03-01")
    assert_same_as_uncached(repo, monkeypatch)
    repo.approve_all(["QP-01"], date="2024-03-05")
    assert_same_as_uncached(repo, monkeypatch)
    # The approved text with only its state changed: the same fingerprint, other facts
    # (after a run that parsed the approved text on its own, with another working text).
    repo.edit("procedures/qp-01.md", "文件管理员维护", "文件管理员负责维护")
    assert_same_as_uncached(repo, monkeypatch)
    repo.edit("procedures/qp-01.md", "文件管理员负责维护", "文件管理员维护")
    repo.edit("procedures/qp-01.md", "state: effective", "state: draft")
    assert_same_as_uncached(repo, monkeypatch)
    repo.commit("Set QP-01 back to draft", date="2024-03-06")
    assert_same_as_uncached(repo, monkeypatch)
    assert_same_as_uncached(repo, monkeypatch)


def mark_title(repo: ManualRepo, path: str) -> None:
    """Put MARK as the title of the cached parse of the working file ``path``."""
    data = (repo.root / path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    cache = derived_cache.DerivedCache(cache_folder(repo))
    known = cache.parsed(path, digest)
    assert known is not None and known[0] is not None
    document, findings, claimed = known
    cache.keep_parsed(path, digest, dataclasses.replace(document, title=MARK), findings, claimed)
    cache.save()


def titles(repo: ManualRepo) -> set[str]:
    return {d.title for d in run_gate(load_settings(repo.root), today=TODAY).manual}


def test_derived_results_are_used_only_for_the_same_bytes_and_code(
        approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo
    assert_same_as_uncached(repo, monkeypatch)
    mark_title(repo, "procedures/qp-01.md")
    assert MARK in titles(repo)  # the same bytes: the cached parse is trusted
    with monkeypatch.context() as patch:  # another qmsdoc: the whole file is not used
        patch.setattr(derived_cache, "code_key", lambda: "made by other code")
        assert MARK not in titles(repo)
    assert MARK not in titles(repo)  # the file that run wrote is that code's: made again
    mark_title(repo, "procedures/qp-01.md")
    repo.edit("procedures/qp-01.md", "首次发布", "首次发布。")  # other bytes: parsed again
    assert MARK not in titles(repo)
    assert_same_as_uncached(repo, monkeypatch)


def test_a_cache_started_from_nothing_keeps_every_later_addition(tmp_path: Path) -> None:
    """A process that made the history file from nothing (a cold check, a preview's first
    build) and derives more later saves all of it: the first save's entries stay."""
    cache = derived_cache.DerivedCache(tmp_path)
    fact = ("QP-01", DocType.PROCEDURE, Version("A", 0), State.EFFECTIVE,
            datetime.date(2024, 3, 1), "首次发布")
    cache.keep_blob("a" * 40, "sha256:first", fact)
    cache.save()
    cache.keep_blob("b" * 40, "sha256:second", None)
    cache.save()
    later = derived_cache.DerivedCache(tmp_path)
    assert (later.fingerprint("a" * 40), later.facts("a" * 40)) == ("sha256:first", (fact,))
    assert (later.fingerprint("b" * 40), later.facts("b" * 40)) == ("sha256:second", (None,))


def test_no_cache_when_turned_off(approved_repo: ManualRepo,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(cache_folder(approved_repo))  # made by the approvals' own checks
    monkeypatch.setenv(history_cache.DISABLE, "1")
    run_gate(load_settings(approved_repo.root), today=TODAY)
    assert not cache_folder(approved_repo).exists()


def test_worktrees_share_the_cache(approved_repo: ManualRepo, tmp_path: Path) -> None:
    """qmsdoc review checks its base commit in a temporary worktree: it finds what the main
    worktree's runs derived (keyed by content, so any worktree may use it)."""
    repo = approved_repo
    run_gate(load_settings(repo.root), today=TODAY)
    mark_title(repo, "procedures/qp-01.md")
    other = tmp_path / "other"
    repo.git("worktree", "add", "-q", "--detach", str(other), "HEAD")
    assert MARK in {d.title for d in run_gate(load_settings(other), today=TODAY).manual}
    assert not (repo.root / ".git/worktrees/other" / history_cache.FOLDER).exists()


def revise_qp01(repo: ManualRepo, revision: int, day: str) -> None:
    """Commit revision A/``revision`` of QP-01, a month after the one before, and approve it."""
    repo.edit("procedures/qp-01.md", f"version: A/{revision - 1}", f"version: A/{revision}")
    repo.edit("procedures/qp-01.md", f"effective_date: '2024-0{revision + 2}-01'",
              f"effective_date: '2024-0{revision + 3}-01'")
    repo.commit(f"Revise QP-01 to A/{revision}", date=day)
    repo.approve_all(["QP-01"], date=day)


def test_a_few_new_entries_are_written_beside_the_cache(approved_repo: ManualRepo,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that adds a few entries to a cache writes only those, whole, in a file beside it;
    a later run reads both and gets what git gives. Additions that are damaged are not used;
    grown too large, they are folded into the cache file written again."""
    repo = approved_repo
    assert_same_as_uncached(repo, monkeypatch)
    folder = cache_folder(repo)
    caches = ("log", "parsed", "derived")
    wholes = {name: (folder / name).read_bytes() for name in caches}
    monkeypatch.setattr(history_cache, "ADDITIONS_SHARE", 1)  # additions up to the whole's size
    revise_qp01(repo, 1, "2024-03-05")
    assert_same_as_uncached(repo, monkeypatch)
    assert {name: (folder / name).read_bytes() for name in caches} == wholes
    additions = {name: folder / f"{name}.additions" for name in caches}
    assert all(file.is_file() for file in additions.values())
    for file in additions.values():  # damaged: not used, and written again whole
        file.write_bytes(file.read_bytes()[:-7])
    assert_same_as_uncached(repo, monkeypatch)
    revise_qp01(repo, 2, "2024-04-05")
    assert_same_as_uncached(repo, monkeypatch)
    monkeypatch.setattr(history_cache, "ADDITIONS_SHARE", 10**6)  # now too many to add
    revise_qp01(repo, 3, "2024-05-05")
    assert_same_as_uncached(repo, monkeypatch)
    assert not any(file.exists() for file in additions.values())
    assert all((folder / name).read_bytes() != wholes[name] for name in caches)


def history_with_a_merge(repo: ManualRepo) -> None:
    """Approvals, a rename and a merge with Chinese subjects: records of every kind."""
    repo.git("mv", "procedures/qp-01.md", "procedures/qp-01-renamed.md")
    repo.commit("重命名文件控制程序", date="2024-03-02")
    merge_an_edit_from_before_the_rename(repo, "HEAD~1", "在分支上修订", "合并分支")


def test_the_log_read_as_it_arrives_is_the_log_git_prints(approved_repo: ManualRepo,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in pieces that split records and characters, the log is git's own text, and the
    records printed so far can be seen while git is still at work."""
    repo = approved_repo
    history_with_a_merge(repo)
    printed = subprocess.run(["git", *_LOG, "HEAD"], cwd=repo.root, capture_output=True,
                             check=True).stdout.decode()
    monkeypatch.setattr(history, "_LOG_CHUNK", 5)  # a Chinese character is 3 bytes
    repository = GitRepository(repo.root)
    seen: list[int] = []  # how many records had arrived, each time more did
    split = history_cache.split_records

    def split_and_count(text: str) -> list[str]:
        seen.append(len(repository.arriving))
        return split(text)

    monkeypatch.setattr(history_cache, "split_records", split_and_count)
    records = repository.log_records([*_LOG, "HEAD"])
    assert "".join(records) == printed and all(r.startswith("\x1e") for r in records)
    assert len(records) == printed.count("\x1e") and seen == sorted(seen) and seen[-2] > 0
    assert repository.arriving == []  # handed over to the caller
    with pytest.raises(QmsdocError, match="no-such-commit"):
        repository.log_records([*_LOG, "no-such-commit"])


def test_texts_signed_in_the_log_are_derived_while_git_still_reads_it(
        approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a check fingerprints of approved texts is derived ahead, as it would be."""
    repo = approved_repo
    history_with_a_merge(repo)
    repo.edit("procedures/qp-01-renamed.md", "version: A/0", "version: A/1")
    repo.edit("procedures/qp-01-renamed.md", "effective_date: '2024-03-01'",
              "effective_date: '2024-04-01'")
    repo.commit("修订文件控制程序", date="2024-03-05")
    repo.approve_all(["QP-01"], date="2024-03-05")
    monkeypatch.setenv(history_cache.DISABLE, "1")
    settings = load_settings(repo.root)
    log = GitRepository(repo.root).log()
    events = read_history(list(log), GitRepository(repo.root).tracked(["."])).events
    wanted = {sha for file in events.values() for event in file
              if approval_signers(event.commit) for sha in (event.blob, event.old_blob) if sha}
    assert wanted
    ahead = GitRepository(repo.root)
    ahead.arriving = [r for text in log for r in history_cache.split_records(text)]
    monkeypatch.setattr(snapshots, "_AHEAD_BATCH", 1)
    reading: Future[None] = Future()
    worker = threading.Thread(target=derive_while_reading,
                              args=(ahead, reading, settings.document_folders))
    worker.start()
    for _ in range(500):  # until everything wanted was derived (or 10 s)
        if all(ahead.derived.fingerprint(sha) for sha in wanted):
            break
        time.sleep(0.02)
    reading.set_result(None)
    worker.join()
    after = GitRepository(repo.root)
    Blobs(after, wanted, [])
    assert {sha: (ahead.derived.fingerprint(sha), ahead.derived.facts(sha)) for sha in wanted} == {
        sha: (after.derived.fingerprint(sha), after.derived.facts(sha)) for sha in wanted}
