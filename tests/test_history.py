"""Reading history: every commit that wrote a file is found, on every line of history.

Each test builds a real repository with branches and merges and compares what
the one-pass reader attributes to a file with what git itself says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qmsdoc import history_cache
from qmsdoc.errors import QmsdocError
from qmsdoc.history import GitRepository, History, read_history

from .conftest import ManualRepo, mini_manual, new_repo

QP01 = "procedures/qp-01.md"
RENAMED = "procedures/qp-01-document-control.md"
APPROVAL = ("\n\nReviewed-by: 陈代表 <chen@example.gov.cn>\n"
            "Approved-by: 王局长 <wang@example.gov.cn>")


def history(repo: ManualRepo, *paths: str) -> History:
    return read_history(GitRepository(repo.root).log(), paths, watched=("people.yml",))


def shas(history: History, path: str) -> list[str]:
    """The commits the reader attributes to a current file, oldest first."""
    return [event.commit.sha for event in history.events[path]]


def follow(repo: ManualRepo, path: str) -> list[str]:
    """``git log --follow``, oldest first: one line of renames, no merges' own diffs."""
    return repo.git("log", "--follow", "--format=%H", "--", path).split()[::-1]


def merge(repo: ManualRepo, branch: str, message: str, *, date: str, person: str = "张合并",
          options: tuple[str, ...] = ()) -> str:
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", *options, branch, "-m", message, person=person, date=date)
    return repo.git("rev-parse", "HEAD").strip()


def plain_repo(tmp_path: Path) -> ManualRepo:
    """The settings and register committed, and a text file written by 李文管."""
    repo = new_repo(tmp_path / "repo", {})
    repo.write("notes/a.md", "第一行\n第二行\n第三行\n第四行\n第五行\n")
    repo.commit("Add a", date="2024-02-01")
    return repo


def test_a_renamed_file_keeps_its_history(tmp_path: Path) -> None:
    repo = plain_repo(tmp_path)
    repo.edit("notes/a.md", "第二行", "第二行，改")
    repo.commit("Edit a", date="2024-02-02")
    repo.git("mv", "notes/a.md", "notes/b.md")
    repo.commit("Rename a to b", date="2024-02-03")
    repo.edit("notes/b.md", "第三行", "第三行，改")
    repo.commit("Edit b", date="2024-02-04")
    read = history(repo, "notes/b.md")
    assert shas(read, "notes/b.md") == follow(repo, "notes/b.md")
    assert [(e.status, e.path) for e in read.events["notes/b.md"]] == [
        ("A", "notes/a.md"), ("M", "notes/a.md"), ("R", "notes/b.md"), ("M", "notes/b.md")]


def test_a_file_renamed_on_a_merged_branch_keeps_its_history(tmp_path: Path) -> None:
    repo = plain_repo(tmp_path)
    added = repo.git("rev-parse", "HEAD").strip()
    repo.git("checkout", "-q", "-b", "rename")
    repo.edit("notes/a.md", "第二行", "第二行，改")
    edited = repo.commit("Edit a", date="2024-02-02")
    repo.git("mv", "notes/a.md", "notes/b.md")
    renamed = repo.commit("Rename a to b", date="2024-02-03")
    repo.git("checkout", "-q", "main")
    repo.write("notes/other.md", "另一个文件\n")
    repo.commit("Add other", date="2024-02-04")
    merged = merge(repo, "rename", "Merge branch 'rename'", date="2024-02-05")
    read = history(repo, "notes/b.md")
    # The merge brings the renamed file to the main line: its own diff is the rename.
    assert shas(read, "notes/b.md") == [added, edited, renamed, merged]
    assert shas(read, "notes/b.md")[:-1] == follow(repo, "notes/b.md")


def test_a_branch_edit_under_the_old_name_survives_a_rename_on_the_main_line(
        tmp_path: Path) -> None:
    repo = plain_repo(tmp_path)
    added = repo.git("rev-parse", "HEAD").strip()
    repo.git("checkout", "-q", "-b", "edit")
    repo.edit("notes/a.md", "第二行", "第二行，改")
    edited = repo.commit("Edit a", person="王局长", date="2024-02-03")
    repo.git("checkout", "-q", "main")
    repo.git("mv", "notes/a.md", "notes/b.md")
    renamed = repo.commit("Rename a to b", date="2024-02-02")
    merged = merge(repo, "edit", "Merge branch 'edit'", date="2024-02-05")
    assert "第二行，改" in repo.read("notes/b.md")
    read = history(repo, "notes/b.md")
    assert edited in shas(read, "notes/b.md")
    assert sorted(shas(read, "notes/b.md")) == sorted([added, renamed, edited, merged])
    # Deliberately more complete than git: --follow follows one name at a time in date order,
    # so after the rename on the main line it looks for the old name only and misses the
    # branch edit dated later; nor does it show the merge's own diff.
    assert follow(repo, "notes/b.md") == [added, renamed]


def test_a_file_added_on_two_branches_keeps_both_lines(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {})
    repo.git("checkout", "-q", "-b", "draft")
    repo.write("notes/x.md", "分支的草稿\n")
    drafted = repo.commit("Draft x", person="陈代表", date="2024-02-01")
    repo.edit("notes/x.md", "草稿", "草稿，修改")
    redrafted = repo.commit("Revise x", person="陈代表", date="2024-02-02")
    repo.git("checkout", "-q", "main")
    repo.write("notes/x.md", "主线的草稿\n")
    added = repo.commit("Add x", date="2024-02-03")
    repo.edit("notes/x.md", "草稿", "草稿，修改")
    edited = repo.commit("Edit x", date="2024-02-04")
    merged = merge(repo, "draft", "Merge branch 'draft'", date="2024-02-05",
                   options=("-X", "theirs"))
    read = history(repo, "notes/x.md")
    assert added in shas(read, "notes/x.md") and edited in shas(read, "notes/x.md")
    assert sorted(shas(read, "notes/x.md")) == sorted([drafted, redrafted, added, edited, merged])
    assert [e.commit.sequence for e in read.events["notes/x.md"]] == sorted(
        e.commit.sequence for e in read.events["notes/x.md"])
    assert set(shas(read, "notes/x.md")) - set(follow(repo, "notes/x.md")) == {merged}


def test_diffs_against_other_parents_add_no_events_nor_commits(tmp_path: Path) -> None:
    repo = plain_repo(tmp_path)
    repo.git("checkout", "-q", "-b", "side")
    repo.write("notes/side.md", "旁支\n")
    side = repo.commit("Add side", date="2024-02-02")
    repo.git("checkout", "-q", "main")
    repo.edit("notes/a.md", "第二行", "第二行，改")
    repo.edit("people.yml", "办公室", "综合办公室")
    edited = repo.commit("Edit a and the register", date="2024-02-03")
    merged = merge(repo, "side", "Merge branch 'side'", date="2024-02-04")
    # Rejected: merged without its change, so git prints only the diff against the branch.
    repo.git("checkout", "-q", "-b", "rejected")
    repo.edit("notes/a.md", "第四行", "第四行，改")
    rejected = repo.commit("Edit a again", person="陈代表", date="2024-02-05")
    ours = merge(repo, "rejected", "Merge branch 'rejected'", date="2024-02-06",
                 options=("-s", "ours"))
    read = history(repo, "notes/a.md", "notes/side.md")
    log = repo.git("log", "--topo-order", "--reverse", "--format=%H").split()
    assert [c.sha for c in read.commits] == log
    assert [c.sequence for c in read.commits] == list(range(1, len(log) + 1))
    assert [e.commit.sha for e in read.events["notes/side.md"]] == [side, merged]
    a = shas(read, "notes/a.md")
    assert a[1:] == [edited, rejected] and ours not in a and merged not in a
    assert [e.commit.sha for e in read.watched["people.yml"]] == follow(repo, "people.yml")
    assert [e.commit.sha for e in read.watched["people.yml"]][1:] == [edited]


def test_the_branch_author_of_a_text_merged_across_a_rename_cannot_approve_it(
        approved_repo: ManualRepo) -> None:
    approved_repo.git("checkout", "-q", "-b", "revise")
    approved_repo.edit(QP01, "文件管理员维护受控文件。", "文件管理员维护受控文件，每年清点一次。")
    approved_repo.edit(QP01, "version: A/0", "version: A/1")
    edited = approved_repo.commit("Revise QP-01", person="王局长", date="2024-03-02")
    approved_repo.git("checkout", "-q", "main")
    approved_repo.git("mv", QP01, RENAMED)
    approved_repo.commit("Rename QP-01", date="2024-03-01")
    merge(approved_repo, "revise", "Merge branch 'revise' into 'main'" + APPROVAL,
          date="2024-03-05")
    gate = approved_repo.gate()
    assert edited in shas(history(approved_repo, RENAMED), RENAMED)
    refused = [f for f in gate.findings if f.rule == "approval.self-approval"]
    assert [(f.path, "王局长 批准了自己编制的修订" in f.message) for f in refused] == [(RENAMED, True)]


def test_the_author_of_a_text_added_on_the_main_line_cannot_approve_the_merged_one(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", mini_manual())
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    qp02 = "procedures/qp-02.md"
    text = repo.read(QP01).replace("QP-01", "QP-02")
    repo.git("checkout", "-q", "-b", "qp-02")
    repo.write(qp02, text.replace("文件管理员维护受控文件。", "文件管理员清点受控文件。"))
    repo.commit("Draft QP-02", date="2024-02-12")
    repo.git("checkout", "-q", "main")
    repo.write(qp02, text)
    written = repo.commit("Draft QP-02 too", person="王局长", date="2024-02-13")
    merge(repo, "qp-02", "Merge branch 'qp-02' into 'main'" + APPROVAL, date="2024-02-15",
          options=("-X", "theirs"))
    assert written in shas(history(repo, qp02), qp02)
    assert "approval.self-approval" in {f.rule for f in repo.gate().findings if f.path == qp02}


def test_a_text_missing_from_git_is_named_not_a_traceback(
        approved_repo: ManualRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A partial clone (or a damaged one) lacks the contents of some commits: the check
    stops with a message naming the missing content and what to do."""
    repo = approved_repo
    monkeypatch.setenv(history_cache.DISABLE, "1")  # no text derived before: all are read
    earlier = repo.git("log", "--format=%H", "-1", "--", QP01, "HEAD~1").strip()
    blob = repo.git("rev-parse", f"{earlier}:{QP01}").strip()
    (repo.root / ".git/objects" / blob[:2] / blob[2:]).unlink()
    result = repo.qmsdoc("check")
    assert result.exit_code == 2, result.output
    assert f"git 仓库中缺少文件内容 {blob}" in result.output and "git fsck" in result.output
    # One text asked for on its own, as the site's pages ask for theirs.
    with pytest.raises(QmsdocError, match=blob):
        GitRepository(repo.root).blob_text(blob)
