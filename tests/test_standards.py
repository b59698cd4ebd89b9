"""Integrated systems: a manual covers GB/T 19001, GB/T 24001 and GB/T 45001 at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmsdoc import load_settings
from qmsdoc.clauses import SHIPPED, load_catalogue
from qmsdoc.errors import QmsdocError
from qmsdoc.registers import COVERAGE_URI
from qmsdoc.site import SitePlan

from .conftest import SETTINGS, ManualRepo, front, meta, mini_manual, register_text
from .test_scaffold import init

ALL_THREE = "standards: [GB/T 19001-2016, GB/T 24001-2016, GB/T 45001-2020]\n"
NINE = ["4", "5", "6", "7.1", "7.2", "7.3", "7.4", "7.5", "8.1", "8.2", "8.4", "8.5", "8.6", "8.7",
        "9", "10"]


def settings_repo(root: Path, files: dict[str, str], standards: str = ALL_THREE) -> ManualRepo:
    """A repository whose first, trusted settings declare ``standards``."""
    root.mkdir(parents=True)
    repo = ManualRepo(root)
    repo.git("init", "-q")
    repo.write("qmsdoc.yml", SETTINGS.format(signatures="false") + standards)
    repo.write("people.yml", register_text())
    repo.commit("Set up qmsdoc", paths=("qmsdoc.yml", "people.yml"), date="2024-01-02")
    for path, text in files.items():
        repo.write(path, text.replace("state: effective", "state: in_review"))
    return repo


def line_of(repo: ManualRepo, path: str, text: str) -> int:
    return next(n for n, line in enumerate(repo.read(path).splitlines(), 1) if text in line)


def procedure(number: str, title: str, clauses: list[str], body: str) -> str:
    return front(meta(number, title, "procedure", related=["QM-01"], roles=["文件管理员"],
                      clauses=clauses), f"## 1 目的\n\n{body}")


def integrated_manual() -> dict[str, str]:
    """The mini manual for three standards: GB/T 24001 8.2 and GB/T 45001 5.4 left open."""
    files = mini_manual()
    files["docs/manual/qm-01.md"] = front(meta(
        "QM-01", "管理手册", "quality_manual", related=["QP-01", "QP-02", "QP-03"],
        clauses=[f"19001:{c}" for c in NINE]
        + ["24001:4", "24001:5", "24001:6.1.1", "24001:6.1.3", "24001:6.1.4", "24001:6.2",
           "24001:7", "24001:8.1", "24001:9", "24001:10"]
        + ["45001:4", "45001:5.1", "45001:5.2", "45001:5.3", "45001:6", "45001:7", "45001:9",
           "45001:10"],
        exclusions=[{"clause": "19001:8.3", "justification": "服务事项由法律法规规定，本局不设计服务。"}]),
        '本手册描述本局如何工作，见 {{ doc("QP-01") }} 和 {{ clause("19001:7.5") }}。')
    files["procedures/qp-01.md"] = files["procedures/qp-01.md"].replace("'7.5'", "'19001:7.5'")
    files["procedures/qp-02.md"] = procedure(
        "QP-02", "环境因素识别与评价程序", ["24001:6.1.2"],
        '按 {{ clause("24001:6.1.2") }} 识别环境因素。')
    files["procedures/qp-03.md"] = procedure(
        "QP-03", "变更管理程序", ["45001:8"], '按 {{ clause("45001:8.1.3") }} 管理变更。')
    return files


@pytest.fixture
def integrated(tmp_path: Path) -> ManualRepo:
    repo = settings_repo(tmp_path / "repo", integrated_manual())
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01", "QP-02", "QP-03"], date="2024-02-20")
    return repo


def test_shipped_catalogues_carry_the_national_headings() -> None:
    catalogue = load_catalogue(list(SHIPPED))
    expected = {
        "19001:7.5.3": "GB/T 19001-2016 7.5.3 成文信息的控制",
        "24001:6.1.2": "GB/T 24001-2016 6.1.2 环境因素",
        "24001:6.1.3": "GB/T 24001-2016 6.1.3 合规义务",
        "24001:7.5.3": "GB/T 24001-2016 7.5.3 文件化信息的控制",
        "24001:8.2": "GB/T 24001-2016 8.2 应急准备和响应",
        "24001:9.1.2": "GB/T 24001-2016 9.1.2 合规性评价",
        "45001:5.4": "GB/T 45001-2020 5.4 工作人员的协商和参与",
        "45001:6.1.2.3": "GB/T 45001-2020 6.1.2.3 职业健康安全机遇和职业健康安全管理体系的其他机遇的评价",
        "45001:8.1.2": "GB/T 45001-2020 8.1.2 消除危险源和降低职业健康安全风险",
        "45001:8.1.4.2": "GB/T 45001-2020 8.1.4.2 承包方",
        "45001:10.2": "GB/T 45001-2020 10.2 事件、不符合和纠正措施",
    }
    assert {ref: catalogue.heading(ref) for ref in expected} == expected
    for standard in catalogue.standards:  # sections 4-10 are all there, each clause's parent too
        assert {c.section for c in standard.children(None) if c.is_requirement} == {
            "4", "5", "6", "7", "8", "9", "10"}
        assert all(standard.get(c.parent) for n in standard.numbers()
                   if (c := standard.get(n)) and c.parent)


def test_an_integrated_manual_is_covered_per_standard(integrated: ManualRepo) -> None:
    gate = integrated.gate()
    assert {f.rule for f in gate.errors} == {"coverage.clause-not-addressed"}
    gaps = sorted(f.message.split(" 没有")[0] for f in gate.errors)
    assert gaps == ["条款 GB/T 24001-2016 8.2 应急准备和响应",
                    "条款 GB/T 45001-2020 5.4 工作人员的协商和参与"]
    assert all(f.path == "docs/manual/qm-01.md" for f in gate.errors)
    assert '"24001:条款号"' in min(f.hint for f in gate.errors)


def test_the_clause_matrix_has_one_section_per_standard(integrated: ManualRepo) -> None:
    plan = SitePlan(integrated.gate(), "docs")
    matrix = plan.register_markdown(COVERAGE_URI, lambda uri: uri)
    assert matrix is not None
    sections = [line for line in matrix.splitlines() if line.startswith("## ")]
    assert sections == ["## GB/T 19001-2016 质量管理体系 要求",
                        "## GB/T 24001-2016 环境管理体系 要求及使用指南",
                        "## GB/T 45001-2020 职业健康安全管理体系 要求及使用指南"]
    environment = matrix[matrix.index(sections[1]):matrix.index(sections[2])]
    assert ('<span id="gbt24001-6-1-2"></span>6.1.2</td><td>　　环境因素</td>'
            '<td><a href="procedures/qp-02.md">QP-02</a></td><td>已覆盖</td>') in environment
    assert '<span id="gbt24001-8-2"></span>8.2</td><td>　应急准备和响应</td><td></td><td>未覆盖</td>' \
        in environment
    quality = matrix[:matrix.index(sections[1])]
    assert '<span id="gbt19001-8-3"></span>8.3' in quality and "删减：服务事项" in quality
    # Citations name their standard and link to its section of the matrix.
    text = plan.expand_macros('{{ clause("45001:8.1.3") }}', "procedures/qp-03.md")
    assert text == ('<a href="../registers/clause-coverage.md#gbt45001-8-1-3">'
                    'GB/T 45001-2020 8.1.3 变更管理</a>')


def test_a_bare_number_among_several_standards_is_refused(tmp_path: Path) -> None:
    files = integrated_manual()
    files["procedures/qp-02.md"] = procedure("QP-02", "应急准备程序", ["8.2"],
                                             '按 {{ clause("8.2") }} 准备。')
    repo = settings_repo(tmp_path / "repo", files)
    repo.commit("Add the first edition", date="2024-02-01")
    found = [f for f in repo.gate().errors if f.rule == "clause.ambiguous"]
    path = "procedures/qp-02.md"
    assert [(f.path, f.line) for f in found] == [
        (path, line_of(repo, path, "clauses:")), (path, line_of(repo, path, "{{ clause"))]
    assert found[0].message == (
        "条款 8.2 没有写明属于哪个标准：本手册声明了 GB/T 19001-2016、GB/T 24001-2016、"
        "GB/T 45001-2020，其中 GB/T 19001-2016、GB/T 24001-2016、GB/T 45001-2020 都有条款 8.2")
    assert '"24001:8.2"（GB/T 24001-2016 8.2 应急准备和响应）' in found[0].hint
    refused = repo.approve("QP-02", person="陈代表", date="2024-02-10", review=True)
    assert refused.exit_code == 1 and "clause.ambiguous" in refused.output


def test_a_clause_of_a_standard_not_declared_is_refused(tmp_path: Path) -> None:
    """The issue's defect: ISO 13485 8.5.2 passed because ISO 9001 has an 8.5.2 too."""
    files = mini_manual()
    files["procedures/qp-02.md"] = procedure("QP-02", "医疗器械标识程序", ["13485:8.5.2"],
                                             '按 {{ clause("24001:6.1.2") }} 标识。')
    repo = settings_repo(tmp_path / "repo", files, standards="")
    repo.commit("Add the first edition", date="2024-02-01")
    found = {f.line: f for f in repo.gate().errors if f.rule == "clause.standard-not-declared"}
    path = "procedures/qp-02.md"
    metadata, text = line_of(repo, path, "clauses:"), line_of(repo, path, "{{ clause")
    assert set(found) == {metadata, text}
    assert found[metadata].message.startswith("条款 13485:8.5.2 前的 13485 不是本手册声明的标准"
                                        "（声明的是：GB/T 19001-2016）")
    assert "qmsdoc 也不附带它的条款目录" in found[metadata].message
    assert found[text].message == ("条款 24001:6.1.2 属于 GB/T 24001-2016，但本手册没有声明这个标准"
                                 "（声明的是：GB/T 19001-2016）")
    assert "standards" in found[text].hint


def test_one_standard_keeps_bare_numbers_and_accepts_the_prefixed_form(
        approved_repo: ManualRepo) -> None:
    assert load_settings(approved_repo.root).standards == ("GB/T 19001-2016",)
    gate = approved_repo.gate()
    assert gate.findings == []
    plan = SitePlan(gate, "docs")
    assert plan.expand_macros('{{ clause("19001:7.5.3") }} {{ clause("7.5") }}', "index.md") == (
        '<a href="registers/clause-coverage.md#iso-7-5-3">7.5.3 成文信息的控制</a> '
        '<a href="registers/clause-coverage.md#iso-7-5">7.5 成文信息</a>')
    matrix = plan.register_markdown(COVERAGE_URI, lambda uri: uri)
    assert matrix is not None and "## " not in matrix
    assert "GB/T 19001-2016（ISO 9001:2015） 第 4–10 章" in matrix


def test_an_unknown_standard_in_the_settings_stops_the_run(tmp_path: Path) -> None:
    repo = settings_repo(tmp_path / "repo", {},
                         standards="standards:\n  - GB/T 19001-2016\n  - GB/T 24001-2015\n")
    with pytest.raises(QmsdocError) as error:
        load_settings(repo.root)
    assert str(error.value) == (
        "qmsdoc.yml 的 standards 有误（第 10 行）：qmsdoc 没有标准 GB/T 24001-2015 的条款目录。"
        "是不是要写 GB/T 24001-2016？qmsdoc 附带的标准：GB/T 19001-2016、GB/T 24001-2016、"
        "GB/T 45001-2020（照此写国家标准号，含年代号）")
    result = repo.qmsdoc("check")
    assert result.exit_code == 2 and "GB/T 24001-2015" in result.output


def test_init_declares_the_standards_given(tmp_path: Path) -> None:
    repo, output = init(tmp_path / "one", "--standard", "GB/T 19001-2016",
                        "--standard", "GB/T 45001-2020")
    assert "已在" in output, output
    assert "standards: [GB/T 19001-2016, GB/T 45001-2020]\n" in repo.read("qmsdoc.yml")
    assert load_settings(repo.root).standards == ("GB/T 19001-2016", "GB/T 45001-2020")
    assert not repo.gate().errors  # the new manual passes the gate in its set-up state
    plain, output = init(tmp_path / "two")
    assert "standards: [GB/T 19001-2016]\n" in plain.read("qmsdoc.yml"), output
    _, refused = init(tmp_path / "three", "--standard", "ISO 13485:2016")
    assert not (tmp_path / "three").exists()
    assert refused.startswith("exit 2: qmsdoc：--standard ISO 13485:2016 有误："
                              "qmsdoc 没有这个标准的条款目录。可选的标准：GB/T 19001-2016、"
                              "GB/T 24001-2016、GB/T 45001-2020"), refused
