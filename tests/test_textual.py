"""The fingerprint binds approvals to the exact text, and the facts shortcut never guesses."""

from __future__ import annotations

import pytest

from qmsdoc.approve import record_approval
from qmsdoc.loader import parse_document, read_revision
from qmsdoc.textual import drop_approvals, fingerprint, plain_fields

TEXT = """---
qms:
  number: QP-05
  title: 内部审核程序
  type: procedure
  version: A/1
  state: in_review
  department: 办公室
  effective_date: 2025-06-01
  review_interval: 12
  change_summary: 增加远程审核
  exclusions_note: x
---

## 1 目的

内审员每年审核一次。
"""
FACTS = ("number", "version", "state", "effective_date", "change_summary")


def record(meaning: str, name: str, text: str) -> dict[str, str]:
    return {"meaning": meaning, "name": name, "email": f"{name}@example.org", "role": "局长",
            "date": "2025-05-26", "fingerprint": fingerprint(text)}


def test_records_of_an_earlier_text_are_dropped() -> None:
    text = TEXT.replace("  exclusions_note: x\n", "")
    earlier = {**record("approve", "wang", text), "fingerprint": "sha256:" + "0" * 64}
    with_stale = record_approval(text, earlier, fingerprint(text), False)
    assert "0000000000" in with_stale
    renewed = record_approval(with_stale, record("review", "chen", text), fingerprint(text), False)
    assert "0000000000" not in renewed and renewed.count("- meaning:") == 1


def test_recording_approvals_and_effective_state_keeps_the_fingerprint() -> None:
    text = TEXT.replace("  exclusions_note: x\n", "")
    reviewed = record_approval(text, record("review", "chen", text), fingerprint(text), False)
    approved = record_approval(reviewed, record("approve", "wang", text), fingerprint(text), True)
    assert "state: effective" in approved and approved.count("- meaning:") == 2
    assert fingerprint(reviewed) == fingerprint(approved) == fingerprint(text)
    flow = text.replace("  change_summary:", "  approvals: [{meaning: review}]\n  change_summary:")
    assert fingerprint(flow) == fingerprint(text)


@pytest.mark.parametrize(("old", "new"), [
    ("内审员每年审核一次。", "内审员每半年审核一次。"),  # the body
    ("version: A/1", "version: A/2"),  # the metadata
    ("state: in_review", "state: obsolete"),  # withdrawal needs its own approval
    ("  title: 内部审核程序", "  title:  内部审核程序"),  # the exact text, spaces included
    ("\n\n## 1 目的", "\n\n## 1 目的\n\n"),
])
def test_any_other_change_changes_the_fingerprint(old: str, new: str) -> None:
    assert old in TEXT
    assert fingerprint(TEXT.replace(old, new)) != fingerprint(TEXT)


def test_a_deeper_line_after_approvals_belongs_to_the_approvals() -> None:
    text = TEXT.replace("  change_summary:", "  approvals:\n    - meaning: review\n"
                                              "      name: 陈立新\n  change_summary:")
    assert fingerprint(text) == fingerprint(TEXT)
    assert drop_approvals(text) == TEXT


def test_plain_fields_read_simple_values() -> None:
    assert plain_fields(TEXT, FACTS) == {
        "number": "QP-05", "version": "A/1", "state": "in_review",
        "effective_date": "2025-06-01", "change_summary": "增加远程审核"}
    quoted = TEXT.replace("effective_date: 2025-06-01", "effective_date: '2025-06-01'")
    assert plain_fields(quoted, FACTS)["effective_date"] == "2025-06-01"  # type: ignore[index]


@pytest.mark.parametrize("value", ['"增加: 远程审核"', "增加 # 注释", "|\n    多行", "[a, b]",
                                   "'it''s'"])
def test_anything_not_plain_is_left_to_the_yaml_parser(value: str) -> None:
    text = TEXT.replace("change_summary: 增加远程审核", f"change_summary: {value}")
    assert plain_fields(text, FACTS) is None


def test_a_missing_field_is_not_guessed() -> None:
    assert plain_fields(TEXT.replace("  version: A/1\n", ""), FACTS) is None


def test_history_reads_a_revision_without_its_approval_records() -> None:
    text = TEXT.replace("  exclusions_note: x\n", "")
    approved = record_approval(text, record("approve", "wang", text), fingerprint(text), True)
    document = read_revision("procedures/qp-05.md", approved)
    assert document is not None and document.approvals == ()
    assert document.fingerprint == parse_document("p.md", approved).document.fingerprint  # type: ignore[union-attr]
    assert read_revision("procedures/qp-05.md", TEXT) is None  # unknown field: not usable
