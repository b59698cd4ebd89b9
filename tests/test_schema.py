"""Front matter and schema: each rule with a failing and a passing case, and its wording."""

from __future__ import annotations

import pytest

from qmsdoc.findings import Finding
from qmsdoc.loader import parse_document

from .conftest import front, meta

GOOD = """---
qms:
  number: QP-05
  title: 内部审核程序
  type: procedure
  version: A/0
  state: effective
  department: 办公室
  effective_date: 2024-03-01
  review_interval: 12
  clauses: ["9.2"]
  related: [QM-01]
  records: [QR-05-01]
  roles: [内审员]
  change_summary: 首次发布
---

## 1 目的

内审员每年审核一次。
"""


def findings(text: str, path: str = "procedures/qp-05.md") -> list[Finding]:
    return parse_document(path, text).findings


def only(text: str) -> Finding:
    found = findings(text)
    assert len(found) == 1, [f.format() for f in found]
    return found[0]


def test_a_valid_procedure_loads_with_every_field() -> None:
    parsed = parse_document("procedures/qp-05.md", GOOD)
    assert parsed.findings == []
    document = parsed.document
    assert document is not None
    assert (document.number, str(document.version), document.state.key) == ("QP-05", "A/0", "effective")
    assert document.clauses == ("9.2",)
    assert document.fingerprint.startswith("sha256:")
    assert document.line_of("roles") == 14


def test_missing_front_matter() -> None:
    finding = only("# 内部审核程序\n\n正文")
    assert (finding.rule, finding.line) == ("frontmatter.missing", 1)


def test_yaml_error_names_the_line_and_the_cause() -> None:
    text = GOOD.replace("  title: 内部审核程序", "  title: 内部审核程序: 2025版")
    finding = only(text)
    assert finding.rule == "frontmatter.invalid-yaml"
    assert finding.line == 4
    assert "冒号" in finding.message


def test_tabs_are_explained() -> None:
    finding = only(GOOD.replace("  title:", "\ttitle:"))
    assert finding.rule == "frontmatter.invalid-yaml" and "Tab" in finding.message


def test_metadata_outside_qms_is_refused() -> None:
    finding = only("---\nnumber: QP-05\n---\n正文\n")
    assert finding.rule == "schema.no-metadata"


def test_a_typo_in_a_field_name_is_an_error_with_a_suggestion() -> None:
    text = GOOD.replace("  change_summary:", "  aproved_by: 王建国\n  change_summary:")
    finding = only(text)
    assert finding.rule == "schema.unknown-field"
    assert finding.message == "未知字段 qms.aproved_by。是不是要写 replaced_by 或 approvals？"
    assert finding.line == 15


def test_unknown_top_level_key() -> None:
    finding = only(GOOD.replace("---\nqms:", "---\ntitle: x\nqms:", 1))
    assert finding.rule == "schema.unknown-field" and "顶层" in finding.message


def test_field_written_twice() -> None:
    finding = only(GOOD.replace("  state: effective", "  state: effective\n  state: draft"))
    assert (finding.rule, finding.line) == ("schema.duplicate-field", 8)


@pytest.mark.parametrize("field", ["number", "title", "version", "department", "change_summary"])
def test_required_fields(field: str) -> None:
    lines = [line for line in GOOD.split("\n") if not line.startswith(f"  {field}:")]
    finding = only("\n".join(lines))
    assert finding.rule == "schema.missing-field"
    assert f"qms.{field}" in finding.message


def test_enum_lists_the_allowed_values_in_chinese() -> None:
    finding = only(GOOD.replace("type: procedure", "type: prcedure"))
    assert finding.rule == "schema.not-allowed"
    assert "procedure（程序文件）" in finding.hint


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("version: A/0", "version: A0", "版次字母/修改次数"),
    ("effective_date: 2024-03-01", "effective_date: 2024-02-30", "真实存在的日期"),
    ('["9.2"]', '["9.x"]', "条款号"),
    ("[QM-01]", "[QM1]", "文件编号"),
])
def test_formats_say_how_to_write_the_value(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    finding = only(GOOD.replace(old, new))
    assert finding.rule == "schema.bad-format"
    assert expected in finding.hint


def test_wrong_type() -> None:
    finding = only(GOOD.replace("roles: [内审员]", "roles:\n    a: 内审员"))
    assert finding.rule == "schema.wrong-type" and "列表" in finding.message


def test_review_interval_is_a_number_of_months() -> None:
    finding = only(GOOD.replace("review_interval: 12", "review_interval: 一年"))
    assert finding.rule == "schema.bad-format" and "月数" in finding.hint
    assert only(GOOD.replace("review_interval: 12", "review_interval: 61")).rule == "schema.bad-format"


def test_unquoted_clause_numbers_stay_text() -> None:
    parsed = parse_document("p.md", GOOD.replace('["9.2"]', "[7.10]"))
    assert parsed.findings == [] and parsed.document is not None
    assert parsed.document.clauses == ("7.10",)


def test_type_specific_fields() -> None:
    finding = only(GOOD.replace("  change_summary:", "  retention: 10年\n  change_summary:"))
    assert finding.rule == "schema.field-not-for-type"
    template = front(meta("QR-05-01", "检查表", "record_template"), "表格")
    found = findings(template, "records_templates/qr-05-01.md")
    assert {f.rule for f in found} == {"schema.missing-field"}
    assert {f.message for f in found} == {"记录表格缺少必填字段 qms.retention（保管期限）",
                                          "记录表格缺少必填字段 qms.keeper（保管部门）"}
    template = front(meta("QR-05-01", "检查表", "record_template", retention="10年",
                          keeper="办公室"), "表格")
    assert findings(template) == []


def test_number_must_match_type() -> None:
    finding = only(GOOD.replace("number: QP-05", "number: QR-05-01"))
    assert finding.rule == "schema.number-type-mismatch"
    assert "QP-05" in finding.hint


def test_replaced_by_only_for_obsolete() -> None:
    text = GOOD.replace("  change_summary:", "  replaced_by: QP-06\n  change_summary:")
    assert only(text).rule == "schema.replaced-by-not-obsolete"
    assert findings(text.replace("state: effective", "state: obsolete")) == []


def test_template_syntax_other_than_the_two_macros_is_refused() -> None:
    text = GOOD + "\n见 {{ doc(\"QP-06\") }}，{{ cycler.__init__.__globals__.os.name }}\n"
    finding = only(text)
    assert finding.rule == "template.forbidden"
    assert finding.line == GOOD.count("\n") + 2
    assert findings(GOOD + "\n见 {{ doc(\"QP-06\") }} 与 {{ clause('9.2') }}\n") == []


def test_citations_are_read_with_their_lines() -> None:
    parsed = parse_document("p.md", GOOD + '\n依据 {{ clause("9.2") }}，见 {{ doc("QP-08") }}。\n')
    assert parsed.document is not None
    line = GOOD.count("\n") + 2
    assert [(c.kind, c.target, c.line) for c in parsed.document.citations] == [
        ("clause", "9.2", line), ("doc", "QP-08", line)]
