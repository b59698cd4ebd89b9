"""Fixtures: real git repositories in temporary folders, with scripted people and dates.

``ManualRepo`` writes a small but complete manual (one of each document type,
three people with separate duties), commits as scripted authors on scripted
dates, and approves through the real ``qmsdoc approve`` command.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from qmsdoc import load_settings, run_gate
from qmsdoc.cli import cli
from qmsdoc.gate import GateResult

PROJECT = Path(__file__).resolve().parent.parent

# Three people, each with one role: writer, reviewer, approver.
PEOPLE = {
    "王局长": ("wang@example.gov.cn", "局长"),
    "陈代表": ("chen@example.gov.cn", "管理者代表"),
    "李文管": ("li@example.gov.cn", "文件管理员"),
}
ALL_TYPES = ["quality_manual", "procedure", "work_instruction", "job_responsibility",
             "record_template", "external_document"]


def front(meta: dict[str, Any], body: str) -> str:
    """A document's text from its ``qms`` metadata and body."""
    dumped = yaml.safe_dump({"qms": meta}, allow_unicode=True, sort_keys=False,
                            default_flow_style=None, width=200)
    return f"---\n{dumped}---\n\n{body.strip()}\n"


def meta(number: str, title: str, doc_type: str, **extra: Any) -> dict[str, Any]:
    base = {"number": number, "title": title, "type": doc_type, "version": "A/0",
            "state": "effective", "department": "办公室", "effective_date": "2024-03-01",
            "review_interval": 12, "change_summary": "首次发布"}
    base.update(extra)
    return base


def mini_manual() -> dict[str, str]:
    """Path -> text of a manual that passes every check once approved."""
    responsibility = {
        "JR-01": ("局长岗位职责", "局长", {"approve": ALL_TYPES}),
        "JR-02": ("管理者代表岗位职责", "管理者代表", {"review": ALL_TYPES}),
        "JR-03": ("文件管理员岗位职责", "文件管理员", {"write": ALL_TYPES}),
    }
    files = {
        "docs/manual/qm-01.md": front(meta(
            "QM-01", "质量手册", "quality_manual", related=["QP-01"],
            clauses=["4", "5", "6", "7.1", "7.2", "7.3", "7.4", "7.5", "8.1", "8.2", "8.4", "8.5",
                     "8.6", "8.7", "9", "10"],
            exclusions=[{"clause": "8.3", "justification": "服务事项由法律法规规定，本局不设计服务。"}]),
            '本手册描述本局如何工作，见 {{ doc("QP-01") }} 和 {{ clause("7.5") }}。'),
        "procedures/qp-01.md": front(meta(
            "QP-01", "文件控制程序", "procedure", related=["QM-01"], records=["QR-01-01"],
            roles=["文件管理员"], clauses=["7.5"]),
            "## 1 目的\n\n文件管理员维护受控文件。"),
        "records_templates/qr-01-01.md": front(meta(
            "QR-01-01", "文件发放登记表", "record_template", related=["QP-01"],
            retention="10年", keeper="办公室"), "| 日期 | 文件 |\n| --- | --- |\n| | |"),
    }
    for number, (title, role, authority) in responsibility.items():
        files[f"responsibilities/{number.lower()}.md"] = front(
            meta(number, title, "job_responsibility", role=role, authority=authority),
            f"## 1 职责\n\n{role}的职责。")
    return files


SETTINGS = """organisation: 测试局
document_folders: [docs/manual, procedures, responsibilities, records_templates]
pages_folder: docs
people: people.yml
require_signatures: {signatures}
require_review: true
reissue_after: 5
"""


def register_text(keys: dict[str, str] | None = None, roles: dict[str, list[dict[str, str]]] | None = None
                  ) -> str:
    people = []
    for name, (email, role) in PEOPLE.items():
        entry: dict[str, Any] = {
            "name": name, "emails": [email], "department": "办公室",
            "roles": (roles or {}).get(name, [{"role": role, "from": "2020-01-01"}])}
        if keys and name in keys:
            entry["signing_keys"] = [keys[name]]
        people.append(entry)
    return yaml.safe_dump({"people": people}, allow_unicode=True, sort_keys=False)


class ManualRepo:
    """A git repository holding a manual, driven as its people would drive it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    # --- files -------------------------------------------------------------
    def write(self, path: str, text: str) -> Path:
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        return file

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def edit(self, path: str, old: str, new: str) -> None:
        text = self.read(path)
        assert old in text, f"{old!r} not in {path}"
        self.write(path, text.replace(old, new, 1))

    # --- git ---------------------------------------------------------------
    def env(self, person: str, date: str) -> dict[str, str]:
        email = PEOPLE[person][0] if person in PEOPLE else f"{person}@example.org"
        stamp = f"{date}T10:00:00+08:00"
        return {**os.environ, "GIT_AUTHOR_NAME": person, "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": person, "GIT_COMMITTER_EMAIL": email,
                "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}

    def git(self, *args: str, person: str = "李文管", date: str = "2024-01-10") -> str:
        result = subprocess.run(["git", *args], cwd=self.root, env=self.env(person, date),
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def commit(self, message: str, *, person: str = "李文管", date: str = "2024-01-10",
               paths: tuple[str, ...] = (".",), trailers: tuple[str, ...] = ()) -> str:
        self.git("add", "--", *paths, person=person, date=date)
        body = message + ("\n\n" + "\n".join(trailers) if trailers else "")
        self.git("commit", "-q", "--allow-empty", "-m", body, person=person, date=date)
        return self.git("rev-parse", "HEAD").strip()

    def trailer_commit(self, *trailers: str, person: str, date: str,
                       path: str = "procedures/qp-01.md") -> str:
        """A hand-made commit with trailers, touching the document as a forger would.

        It flips the state between in_review and effective, which the fingerprint
        leaves out, so the approved content is the content already there.
        """
        text = self.read(path)
        flipped = (text.replace("state: in_review", "state: effective") if "state: in_review" in text
                   else text.replace("state: effective", "state: in_review"))
        self.write(path, flipped)
        return self.commit("Approve by hand", person=person, date=date, paths=(path,),
                           trailers=trailers)

    # --- qmsdoc ------------------------------------------------------------
    def qmsdoc(self, *args: str, person: str = "李文管", date: str = "2024-01-10") -> Result:
        env = self.env(person, date)
        return self.runner.invoke(cli, [*args, "--root", str(self.root)], env=env)

    def approve(self, *numbers: str, person: str, date: str, review: bool = False) -> Result:
        args = ["approve", *(["--review"] if review else []), *numbers]
        return self.qmsdoc(*args, person=person, date=date)

    def gate(self, strict: bool = False, today: datetime.date = datetime.date(2024, 7, 1)
             ) -> GateResult:
        return run_gate(load_settings(self.root), strict=strict, today=today)

    def rules(self, strict: bool = False, errors_only: bool = True) -> set[str]:
        findings = self.gate(strict).findings
        return {f.rule for f in findings if f.is_error or not errors_only}

    def approve_all(self, numbers: list[str], date: str = "2024-02-20") -> None:
        """Review by 陈代表, then approval by 王局长, of committed documents."""
        for meaning, person in (("review", "陈代表"), ("approve", "王局长")):
            result = self.approve(*numbers, person=person, date=date, review=meaning == "review")
            assert result.exit_code == 0, result.output


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No user or system git configuration leaks into the tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")


def new_repo(root: Path, files: dict[str, str], *, signatures: bool = False,
             register: str | None = None) -> ManualRepo:
    root.mkdir(parents=True)
    repo = ManualRepo(root)
    repo.git("init", "-q")
    repo.write("qmsdoc.yml", SETTINGS.format(signatures=str(signatures).lower()))
    repo.write("people.yml", register or register_text())
    repo.commit("Set up qmsdoc", paths=("qmsdoc.yml", "people.yml"), date="2024-01-02")
    for path, text in files.items():
        repo.write(path, text.replace("state: effective", "state: in_review"))
    return repo


@pytest.fixture
def draft_repo(tmp_path: Path) -> ManualRepo:
    """The mini manual written and committed by 李文管, not yet approved."""
    repo = new_repo(tmp_path / "repo", mini_manual())
    repo.commit("Add the first edition", date="2024-02-01")
    return repo


@pytest.fixture
def approved_repo(draft_repo: ManualRepo) -> ManualRepo:
    """The mini manual reviewed by 陈代表 and approved by 王局长."""
    draft_repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    draft_repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return draft_repo


@pytest.fixture(scope="session")
def sample_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh clone of this project: the sample manual with its real git history."""
    target = tmp_path_factory.mktemp("sample") / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(target)], check=True)
    yield target
    shutil.rmtree(target, ignore_errors=True)
