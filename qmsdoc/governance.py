"""The governing files: the people register and the settings.

Who holds which role (``people.yml``) and what the gate requires
(``qmsdoc.yml``) decide whether any approval counts, so changing them is
controlled too. The first version ever committed is the starting point. Every
later change counts once a commit that records it carries an ``Approved-by:``
trailer — as a merge request's merge commit does — from a person who, under
the register approved before, holds on that day a role whose job
responsibility may approve job responsibilities, who made none of the changes,
and who signed the commit if the settings approved before require signatures.
Until then the approved version stays in force: the gate warns, and fails in
strict mode. Settings changed without approval may only tighten the controls.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .approvals import signature_problems
from .commit_dates import CommitDates
from .config import CONFIG_FILE, Settings, parse_settings
from .errors import QmsdocError
from .findings import Finding, Severity
from .history import APPROVED_BY, Commit, FileEvent, GitRepository
from .model import DocType, Right
from .people import Authorities, Register, parse_register
from .signatures import Signature, verify

HOW_TO_APPROVE = ("通过合并请求提交修改，由有权批准岗位职责的人批准后合并"
                  "（合并提交带 Approved-by 尾注）")


@dataclass(frozen=True)
class Governance:
    """The governing files in force, and what the history of their changes shows."""

    register: Register
    settings: Settings
    findings: tuple[Finding, ...]


@dataclass
class _File:
    path: str
    what: str  # how messages name the file
    started: bool = False
    approved: str | None = None  # the text in force
    pending: list[Commit] = field(default_factory=list)  # changes since the approval
    last_valid: int = -1  # sequence of the last valid approval


def govern(settings: Settings, repository: GitRepository, events: dict[str, list[FileEvent]],
           authorities_at: Callable[[int], Authorities], dates: CommitDates,
           strict: bool) -> Governance:
    """Walk the changes to both governing files in order and judge their approvals."""
    people = _File(settings.people_file, "人员名册")
    config = _File(CONFIG_FILE, "qmsdoc 设置")
    files = {people.path: people, config.path: config}
    walk = sorted((e for path in files for e in events.get(path, [])),
                  key=lambda e: e.commit.sequence)
    repository.read_blobs(e.blob for e in walk if e.blob)
    signatures = _signatures(repository, people.path, walk)
    rejected: list[tuple[int, _File, Finding]] = []
    for event in walk:
        file = files[event.path]
        text = repository.blob_text(event.blob) if event.blob else None
        if not file.started:
            file.started, file.approved = True, text  # the first version: the starting point
            continue
        if text == file.approved:
            file.pending.clear()  # changed back to the approved text
            continue
        commit = event.commit
        if not commit.is_merge:
            file.pending.append(commit)
        approvers = commit.identities(APPROVED_BY)
        if not approvers:
            continue
        required = _approved_settings(settings, config.approved).require_signatures
        register_before = _register(people.approved, people.path)
        authorities = authorities_at(commit.sequence)
        problems = [
            list(_approval_problems(file, text, commit, dates.judged(commit).date(), who,
                                    register_before, authorities, signatures.get(commit.sha),
                                    required, settings))
            for who in approvers]
        if any(not found for found in problems):
            file.approved, file.last_valid = text, commit.sequence
            file.pending.clear()
            continue
        rejected += [(commit.sequence, file,
                      Finding("governance.invalid-approval", Severity.ERROR, file.path, None,
                              message, hint))
                     for found in problems for message, hint in found]
    findings = [dataclasses.replace(f, severity=Severity.WARNING) if at < file.last_valid else f
                for at, file, f in rejected]
    working = {path: _working_text(settings, path) for path in files}
    for file in files.values():
        findings += _unapproved_change(file, working[file.path], strict)
    in_force = {path: file.approved if file.started else working[path]
                for path, file in files.items()}
    return Governance(_register(in_force[people.path], people.path),
                      _settings(settings, in_force[config.path]), tuple(findings))


def _approval_problems(file: _File, text: str | None, commit: Commit, on: datetime.date,
                       who: tuple[str, str], register: Register, authorities: Authorities,
                       signature: Signature | None, signature_required: bool,
                       settings: Settings) -> Iterator[tuple[str, str]]:
    """Why this person's approval of the change does not count (nothing: it counts)."""
    name, email = who
    where = commit.describe()
    person = register.by_email(email)
    if person is None:
        yield (f"{where} 批准了{file.what}的修改，但 {name} <{email}> 不在修改前的人员名册中",
               "由修改前的名册中有权批准岗位职责的人批准")
        return
    entitled = authorities.roles_with(Right.APPROVE, DocType.JOB_RESPONSIBILITY)
    held = person.roles_on(on)
    if not set(held) & set(entitled):
        yield (f"{person.name}（{where}）无权批准{file.what}的修改："
               f"{on} 当天此人担任的岗位（{'、'.join(held) or '无'}）不能批准岗位职责",
               f"{file.what}的修改须由有权批准岗位职责的岗位批准：{'、'.join(entitled) or '无'}")
    own = {e.lower() for e in person.emails}
    if any(c.author_email.lower() in own for c in file.pending):
        yield (f"{person.name} 批准了自己对{file.what}所做的修改（{where}）",
               "修改人不能批准自己的修改：请由另一位有权批准岗位职责的人批准")
    if signature_required:
        for _, message, hint in signature_problems(signature, commit, person, Right.APPROVE):
            yield message, hint
    if text is not None and not _valid(file, text, settings):
        yield (f"{where} 批准的{file.what}有错误，不能生效", f"改正 {file.path} 后重新提交并批准")


def _valid(file: _File, text: str, settings: Settings) -> bool:
    if file.path == settings.people_file:
        return not parse_register(text, file.path)[1]
    try:
        parse_settings(settings.root, text)
    except QmsdocError:
        return False
    return True


def _unapproved_change(file: _File, working: str | None, strict: bool) -> Iterator[Finding]:
    """The working text differs from the approved one: it is not in force."""
    if not file.started:
        if working is not None:
            yield Finding("history.untracked", Severity.ERROR, file.path, None,
                          f"{file.what}没有纳入 git 管理，无法核实它的修改是否经过批准",
                          f"运行 git add {file.path} 并提交")
        return
    if working == file.approved:
        return
    if file.pending:
        changes = "、".join(c.describe() for c in file.pending)
        what = f"{file.what}在批准后又被修改（{changes}），修改尚未批准"
    else:
        what = f"{file.what}有未提交的修改，尚未批准"
    yield Finding("governance.unapproved-change", Severity.ERROR if strict else Severity.WARNING,
                  file.path, None, f"{what}：检查仍按已批准的版本进行", HOW_TO_APPROVE)


def _working_text(settings: Settings, path: str) -> str | None:
    file = settings.root / path
    return file.read_text(encoding="utf-8") if file.is_file() else None


def _register(text: str | None, path: str) -> Register:
    return parse_register(text, path)[0] if text is not None else Register([], path)


def _approved_settings(working: Settings, approved: str | None) -> Settings:
    """The settings as approved (the working ones if there is no readable approved text)."""
    try:
        return parse_settings(working.root, approved) if approved is not None else working
    except QmsdocError:
        return working


def _settings(working: Settings, approved: str | None) -> Settings:
    """The working settings, with the controls at least as strict as the approved ones."""
    before = _approved_settings(working, approved)
    return dataclasses.replace(
        working, require_signatures=working.require_signatures or before.require_signatures,
        require_review=working.require_review or before.require_review,
        history_backfilled_until=before.history_backfilled_until)


def _signatures(repository: GitRepository, people_path: str, walk: list[FileEvent]
                ) -> dict[str, Signature]:
    """Signatures of the approving commits, checked against every key any register listed."""
    approving = [e.commit.sha for e in walk if e.commit.identities(APPROVED_BY)]
    if not approving:
        return {}
    everyone = [person for e in walk if e.path == people_path and e.blob
                for person in _register(repository.blob_text(e.blob), people_path).people]
    return verify(repository, approving, Register(everyone, people_path))
