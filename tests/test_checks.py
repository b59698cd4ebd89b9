"""Cross-reference and coverage checks over a whole manual: each rule fails and passes."""

from __future__ import annotations

from qmsdoc.checks import CheckContext, in_force_by_state, run_checks
from qmsdoc.clauses import load_catalogue
from qmsdoc.findings import Finding
from qmsdoc.loader import duplicate_numbers, parse_document
from qmsdoc.model import Document, Manual

from .conftest import front, meta, mini_manual

CLAUSES = load_catalogue()


def load(files: dict[str, str]) -> list[Document]:
    documents = []
    for path, text in files.items():
        parsed = parse_document(path, text)
        assert parsed.findings == [], [f.format() for f in parsed.findings]
        assert parsed.document is not None
        documents.append(parsed.document)
    return documents


def check(files: dict[str, str]) -> list[Finding]:
    manual = Manual(load(files))
    return run_checks(CheckContext(manual, CLAUSES, in_force_by_state(manual)))


def changed(path: str, old: str, new: str) -> dict[str, str]:
    files = mini_manual()
    assert old in files[path], old
    files[path] = files[path].replace(old, new)
    return files


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def test_the_mini_manual_passes_every_check() -> None:
    assert check(mini_manual()) == []


def test_a_cited_document_must_exist() -> None:
    found = check(changed("docs/manual/qm-01.md", 'doc("QP-01")', 'doc("QP-10")'))
    assert rules(found) == ["reference.unknown-document"]
    finding = found[0]
    assert (finding.path, finding.document) == ("docs/manual/qm-01.md", "QM-01")
    assert finding.message == "引用的文件 QP-10 不存在"
    assert "最接近的是 QP-01" in finding.hint
    assert finding.line == mini_manual()["docs/manual/qm-01.md"].split("\n").index(
        next(line for line in mini_manual()["docs/manual/qm-01.md"].split("\n") if "doc(" in line)) + 1


def test_related_documents_must_exist() -> None:
    found = check(changed("procedures/qp-01.md", "related: [QM-01]", "related: [QM-02]"))
    assert rules(found) == ["reference.unknown-document"]


def test_an_effective_document_cites_no_draft_or_obsolete_one() -> None:
    files = changed("procedures/qp-01.md", "state: effective", "state: draft")
    found = check(files)
    assert "reference.not-in-force" in rules(found)
    finding = next(f for f in found if f.rule == "reference.not-in-force")
    assert finding.path == "docs/manual/qm-01.md"
    assert "QP-01《文件控制程序》（草稿）" in finding.message
    obsolete = files["procedures/qp-01.md"].replace("state: draft", "state: obsolete").replace(
        "change_summary:", "replaced_by: QP-02\n  change_summary:")
    files["procedures/qp-01.md"] = obsolete
    files["procedures/qp-02.md"] = front(meta("QP-02", "新文件控制程序", "procedure",
                                              records=["QR-01-01"], roles=["文件管理员"]), "正文")
    finding = next(f for f in check(files) if f.rule == "reference.not-in-force")
    assert "它已被 QP-02 替代，请改为引用 QP-02" in finding.hint


def test_records_lists_only_record_templates() -> None:
    found = check(changed("procedures/qp-01.md", "records: [QR-01-01]", "records: [QR-01-01, QM-01]"))
    assert rules(found) == ["record.not-a-template"]


def test_every_record_template_is_produced_by_a_procedure() -> None:
    found = check(changed("procedures/qp-01.md", "  records: [QR-01-01]\n", ""))
    assert rules(found) == ["record.not-produced"]
    assert found[0].path == "records_templates/qr-01-01.md"


def test_every_named_role_has_a_job_responsibility() -> None:
    found = check(changed("procedures/qp-01.md", "roles: [文件管理员]", "roles: [文件管理人员]"))
    assert rules(found) == ["role.no-responsibility"]
    assert "最接近的是 文件管理员" in found[0].hint


def test_one_job_responsibility_per_role() -> None:
    files = mini_manual()
    files["responsibilities/jr-04.md"] = files["responsibilities/jr-03.md"].replace(
        "JR-03", "JR-04")
    assert rules(check(files)) == ["role.duplicate-responsibility"]


def test_clause_numbers_must_exist() -> None:
    found = check(changed("procedures/qp-01.md", "clauses: ['7.5']", "clauses: ['7.6']"))
    assert rules(found) == ["clause.unknown"]
    assert found[0].message == "条款 7.6 在 GB/T 19001-2016（ISO 9001:2015）中不存在"
    found = check(changed("docs/manual/qm-01.md", 'clause("7.5")', 'clause("7.5.4")'))
    assert rules(found) == ["clause.unknown"]


def test_every_requirement_clause_is_addressed_or_excluded() -> None:
    found = check(changed("docs/manual/qm-01.md", "'9', ", ""))
    assert rules(found) == ["coverage.clause-not-addressed"]
    assert found[0].message == "条款 9 绩效评价 没有任何现行有效文件涉及，也没有删减说明"
    # A whole open section is named once; a partly covered one names what is open.
    files = changed("docs/manual/qm-01.md", "'9', ", "'9.1', '9.3', ")
    found = check(files)
    assert [f.message.split(" ")[1] for f in found] == ["9.2"]


def test_an_exclusion_needs_a_justification_and_covers_the_clause() -> None:
    files = changed("docs/manual/qm-01.md",
                    "  exclusions:\n  - {clause: '8.3', justification: "
                    "服务事项由法律法规规定，本局不设计服务。}\n",
                    "")
    assert rules(check(files)) == ["coverage.clause-not-addressed"]
    short = changed("docs/manual/qm-01.md", "服务事项由法律法规规定，本局不设计服务。", "不适用")
    parsed = parse_document("docs/manual/qm-01.md", short["docs/manual/qm-01.md"])
    assert [f.rule for f in parsed.findings] == ["schema.invalid"]


def test_an_excluded_clause_is_not_also_addressed() -> None:
    found = check(changed("procedures/qp-01.md", "clauses: ['7.5']", "clauses: ['7.5', '8.3']"))
    assert rules(found) == ["coverage.excluded-but-addressed"]
    assert found[0].severity.value == "warning"


def test_a_draft_does_not_cover_clauses() -> None:
    files = changed("procedures/qp-01.md", "state: effective", "state: draft")
    files["docs/manual/qm-01.md"] = files["docs/manual/qm-01.md"].replace("'7.5', ", "").replace(
        "related: [QP-01]", "related: []").replace('见 {{ doc("QP-01") }} 和 ', "")
    assert "coverage.clause-not-addressed" in rules(check(files))


def test_without_a_quality_manual_coverage_cannot_be_judged() -> None:
    files = changed("docs/manual/qm-01.md", "state: effective", "state: draft")
    assert "coverage.no-quality-manual" in rules(check(files))


def test_the_same_number_in_two_files() -> None:
    documents = load(mini_manual())
    copy = parse_document("procedures/copy.md", mini_manual()["procedures/qp-01.md"]).document
    assert copy is not None
    found = list(duplicate_numbers([*documents, copy]))
    assert rules(found) == ["document.duplicate-number"]
    assert found[0].message == "文件编号 QP-01 已被 procedures/copy.md 使用"
    assert found[0].path == "procedures/qp-01.md"


def test_unreadable_metadata_does_not_cascade_into_coverage_and_records() -> None:
    files = mini_manual()
    manual = Manual([d for d in load(files) if d.number != "QP-01"])
    context = CheckContext(manual, CLAUSES, in_force_by_state(manual), frozenset({"QP-01"}))
    assert run_checks(context) == []
    context = CheckContext(manual, CLAUSES, in_force_by_state(manual))
    assert {"record.not-produced", "reference.unknown-document"} <= set(rules(run_checks(context)))
