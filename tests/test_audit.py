"""qmsdoc audit: the approval trail, as an auditor exports and questions it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from qmsdoc.cli import cli

from .conftest import ManualRepo
from .test_approvals import revise
from .test_governance import NEW_DIRECTOR, add_person, merge


def trail(repo: ManualRepo, *args: str) -> list[dict[str, object]]:
    result = repo.qmsdoc("audit", "--json", "--date", "2025-03-01", *args)
    assert result.exit_code == 0, result.output
    data: list[dict[str, object]] = json.loads(result.output)
    return data


def test_every_authoring_review_and_approval_in_date_order(approved_repo: ManualRepo) -> None:
    events = [(e["date"], e["subject"], e["meaning"], e["person"], e["role"], e["valid"])
              for e in trail(approved_repo) if e["subject"] == "QP-01"]
    assert events == [
        ("2024-02-01", "QP-01", "编制", "李文管", "文件管理员", None),
        ("2024-02-20", "QP-01", "审核", "陈代表", "管理者代表", True),
        ("2024-02-20", "QP-01", "批准", "王局长", "局长", True),
    ]
    dates = [e["date"] for e in trail(approved_repo)]
    assert dates == sorted(dates)
    first = next(e for e in trail(approved_repo) if e["meaning"] == "编制")
    assert str(first["fingerprint"]).startswith("sha256:") and len(str(first["commit"])) == 40
    assert first["signature"] == ""  # authoring: nothing to sign
    approval = next(e for e in trail(approved_repo) if e["meaning"] == "批准")
    assert approval["signature"] == "未要求"


def test_a_periodic_review_is_a_review_event_marked_as_such(approved_repo: ManualRepo) -> None:
    approved_repo.approve("QP-01", person="陈代表", date="2025-01-15", review=True)
    [review] = [e for e in trail(approved_repo, "--from", "2025-01-01")]
    assert (review["subject"], review["meaning"], review["periodic_review"], review["version"],
            review["valid"]) == ("QP-01", "审核", True, "A/0", True)
    text = approved_repo.qmsdoc("audit", "--from", "2025-01-01", "--date", "2025-03-01").output
    lines = text.splitlines()
    assert lines[0].split() == ["日期", "文件", "版本", "事项", "人员（岗位）", "提交", "内容指纹",
                                "签名", "有效"]
    assert lines[1].split()[:5] == ["2025-01-15", "QP-01", "A/0", "审核（定期评审）",
                                    "陈代表（管理者代表）"]
    assert lines[-1] == "共 1 条记录，其中无效的审批 0 条。"


def test_the_csv_opens_in_a_spreadsheet_and_carries_invalid_approvals(
        approved_repo: ManualRepo) -> None:
    revise(approved_repo)
    approved_repo.trailer_commit("Approved-by: 李文管 <li@example.gov.cn>", person="李文管",
                                 date="2024-05-09")
    result = approved_repo.qmsdoc("audit", "--csv", "--date", "2025-03-01")
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == ["日期", "文件编号或受控设置", "名称", "版本", "事项", "定期评审", "人员",
                             "邮箱", "岗位", "提交", "内容指纹", "签名", "是否有效", "规则", "原因"]
    [invalid] = [r for r in rows if r["是否有效"] == "无效"]
    assert (invalid["日期"], invalid["文件编号或受控设置"], invalid["版本"], invalid["事项"],
            invalid["人员"]) == ("2024-05-09", "QP-01", "A/1", "批准", "李文管")
    assert "approval.self-approval" in invalid["规则"].split()
    assert "李文管 批准了自己编制的修订" in invalid["原因"]
    text = approved_repo.qmsdoc("audit", "--date", "2025-03-01").output
    assert "    无效原因：" in text and "[approval." in text
    assert "其中无效的审批 1 条" in text


def test_changes_to_governed_files_and_their_approvals(approved_repo: ManualRepo) -> None:
    approved_repo.git("checkout", "-q", "-b", "register")
    add_person(approved_repo, NEW_DIRECTOR)
    merge(approved_repo, "register", "王局长 <wang@example.gov.cn>", date="2024-04-25")
    events = [(e["date"], e["subject"], e["meaning"], e["person"], e["role"], e["valid"], e["rule"])
              for e in trail(approved_repo) if e["subject"] == "people.yml"]
    assert events == [
        ("2024-01-02", "people.yml", "起点", "李文管", "", None, ""),
        ("2024-04-20", "people.yml", "修改", "李文管", "", None, ""),
        ("2024-04-25", "people.yml", "批准", "王局长", "局长", True, ""),
    ]
    # An approval by someone not entitled: invalid, with the reason.
    add_person(approved_repo, {**NEW_DIRECTOR, "name": "周新", "emails": ["zhou@example.gov.cn"]},
               date="2024-05-02")
    approved_repo.edit("people.yml", "周新", "周新新")
    approved_repo.commit("Fix a name", person="李文管", date="2024-05-03", paths=("people.yml",),
                         trailers=("Approved-by: 陈代表 <chen@example.gov.cn>",))
    [rejected] = [e for e in trail(approved_repo, "--from", "2024-05-03", "--to", "2024-05-03")
                  if e["meaning"] == "批准"]
    assert (rejected["person"], rejected["valid"], rejected["rule"]) == (
        "陈代表", False, "governance.invalid-approval")
    assert "无权批准人员名册的修改" in str(rejected["reason"])


def test_from_and_to_bound_the_trail(approved_repo: ManualRepo) -> None:
    assert {e["date"] for e in trail(approved_repo, "--from", "2024-02-10", "--to", "2024-02-10")
            } == {"2024-02-10"}
    assert trail(approved_repo, "--from", "2024-02-21") == []
    assert {e["date"] for e in trail(approved_repo, "--to", "2024-02-01")} == {
        "2024-01-02", "2024-02-01"}
    backwards = approved_repo.qmsdoc("audit", "--from", "2024-03-01", "--to", "2024-02-01")
    assert backwards.exit_code == 2 and "起始日期不能晚于截止日期" in backwards.output
    both = approved_repo.qmsdoc("audit", "--json", "--csv")
    assert both.exit_code == 2 and "只能选一个" in both.output


def test_the_sample_trail_shows_its_withdrawal_and_periodic_review(sample_clone: Path) -> None:
    def run(*args: str) -> list[dict[str, object]]:
        result = CliRunner().invoke(cli, ["audit", "--json", "--root", str(sample_clone), *args])
        assert result.exit_code == 0, result.output
        data: list[dict[str, object]] = json.loads(result.output)
        return data

    day = run("--from", "2025-08-25", "--to", "2025-08-25")
    assert [(e["subject"], e["version"], e["meaning"]) for e in day] == [
        ("QP-11", "A/1", "批准"), ("QP-13", "A/0（作废）", "批准")]
    [jr07] = [e for e in run("--from", "2026-03-16", "--to", "2026-03-16") if e["subject"] == "JR-07"]
    assert (jr07["meaning"], jr07["periodic_review"], jr07["person"], jr07["role"]) == (
        "审核", True, "陈立新", "管理者代表")
