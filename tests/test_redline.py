"""Redlines: word and character level for Chinese, metadata included, on the command line."""

from __future__ import annotations

from qmsdoc.loader import read_revision
from qmsdoc.redline import DELETE, EQUAL, INSERT, compare_documents, compare_texts

from .conftest import ManualRepo, front, meta

QP01 = "procedures/qp-01.md"


def test_a_changed_number_in_a_chinese_sentence_is_marked_alone() -> None:
    redline = compare_texts("受理后应在5个工作日内答复。\n", "受理后应在3个工作日内书面答复。\n")
    assert redline.segments == (
        (EQUAL, "受理后应在"), (DELETE, "5"), (INSERT, "3"), (EQUAL, "个工作日内"),
        (INSERT, "书面"), (EQUAL, "答复。\n"))


def test_latin_words_are_compared_whole() -> None:
    redline = compare_texts("登录 OA system 查询\n", "登录 OA platform 查询\n")
    assert (DELETE, "system") in redline.segments and (INSERT, "platform") in redline.segments


def test_a_rewritten_phrase_reads_as_one_change_not_a_comb_of_characters() -> None:
    redline = compare_texts("由科长审核的记录\n", "由分管局长批准的文件\n")
    changes = [s for s in redline.segments if s[0] != EQUAL]
    assert changes == [(DELETE, "科长审核的记录"), (INSERT, "分管局长批准的文件")]


def test_unchanged_lines_stay_out_of_the_hunks_but_give_context() -> None:
    old = "".join(f"第{n}段。\n" for n in range(1, 11))
    new = old.replace("第5段。", "第5段，已修改。")
    text = compare_texts(old, new).text()
    assert text.splitlines() == ["@@ 第 4 行 @@", "  第4段。", "  第5段{+，已修改+}。", "  第6段。"]


def test_a_deleted_line_and_an_added_line_keep_their_place() -> None:
    lines = compare_texts("甲\n乙\n丙\n", "甲\n丙\n丁\n").lines()
    shown = [(line.number, line.segments) for line in lines]
    assert shown == [(1, ((EQUAL, "甲"),)), (2, ((DELETE, "乙\n"),)), (2, ((EQUAL, "丙"),)),
                     (3, ((INSERT, "丁\n"),))]


def test_html_escapes_the_text_it_marks() -> None:
    html = compare_texts("a <b>\n", 'a <script>alert("x")</script>\n').html()
    assert "<script" not in html and "script&gt;alert(&quot;x&quot;)&lt;/script" in html
    assert '<ins class="qms-ins">' in html and '<del class="qms-del">' in html


def test_markdown_shows_markup_as_text_for_a_merge_request_comment() -> None:
    markdown = compare_texts("## 目的\n\n**旧**\n", "## 目的\n\n**新**\n").markdown()
    assert r"\*\*<del>旧</del><ins>新</ins>\*\*" in markdown
    assert r"> \#\# 目的<br>" not in markdown  # two lines away: not context


def test_metadata_changes_are_listed_with_short_values_replaced_whole() -> None:
    old = read_revision(QP01, front(meta("QP-01", "文件控制程序", "procedure"), "正文。"))
    new = read_revision(QP01, front(meta(
        "QP-01", "文件控制程序", "procedure", version="A/1", effective_date="2024-05-01",
        change_summary="增加电子文件的备份要求", state="in_review"), "正文。"))
    assert old is not None and new is not None
    redline = compare_documents(old, new)
    assert [(f.label, f.old, f.new) for f in redline.fields] == [
        ("版本", "A/0", "A/1"), ("生效日期", "2024-03-01", "2024-05-01"),
        ("修订说明", "首次发布", "增加电子文件的备份要求")]
    assert not redline.body.changed  # nor the state: in review or effective is not content
    assert redline.text().splitlines() == [
        "版本：[-A/0-]{+A/1+}", "生效日期：[-2024-03-01-]{+2024-05-01+}",
        "修订说明：[-首次发布-]{+增加电子文件的备份要求+}", "正文没有修改。"]


def _revise(repo: ManualRepo) -> None:
    repo.edit(QP01, "维护受控文件。", "维护受控文件，每月备份一次。")
    repo.edit(QP01, "version: A/0", "version: A/1")
    repo.edit(QP01, "change_summary: 首次发布", "change_summary: 增加备份要求")
    repo.edit(QP01, "effective_date: '2024-03-01'", "effective_date: '2024-04-15'")
    repo.commit("Revise QP-01", date="2024-04-01")


def test_diff_compares_two_approved_revisions(approved_repo: ManualRepo) -> None:
    _revise(approved_repo)
    approved_repo.approve_all(["QP-01"], date="2024-04-10")
    result = approved_repo.qmsdoc("diff", "QP-01", "A/0", "A/1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "QP-01《文件控制程序》：A/0 版（2024-02-20 批准） → A/1 版（2024-04-10 批准）"
    assert "  文件管理员维护受控文件{+，每月备份一次+}。" in lines
    assert approved_repo.qmsdoc("diff", "QP-01", "A/1").output == result.output


def test_diff_without_versions_shows_the_revision_in_progress(approved_repo: ManualRepo) -> None:
    _revise(approved_repo)
    result = approved_repo.qmsdoc("diff", "QP-01", "--markdown")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("**QP-01《文件控制程序》：A/0 版（2024-02-20 批准） → 工作稿 A/1**")
    assert "<ins>，每月备份一次</ins>" in result.output


def test_diff_of_a_version_never_approved_names_the_approved_ones(approved_repo: ManualRepo) -> None:
    result = approved_repo.qmsdoc("diff", "QP-01", "A/0", "B/0")
    assert result.exit_code == 2
    assert "没有批准过的 B/0 版（批准过的版本：A/0）" in result.output
    assert approved_repo.qmsdoc("diff", "QP-01").exit_code == 2  # nothing to compare yet


def test_a_withdrawal_shows_in_the_state() -> None:
    old = read_revision(QP01, front(meta("QP-01", "文件控制程序", "procedure"), "正文。"))
    new = read_revision(QP01, front(meta("QP-01", "文件控制程序", "procedure", state="obsolete"),
                                    "正文。"))
    assert old is not None and new is not None
    assert [(f.label, f.old, f.new) for f in compare_documents(old, new).fields] == [
        ("状态", "现行有效", "已作废")]
