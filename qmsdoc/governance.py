"""The governing files: the people register, the settings, and how the site is made.

Who holds which role (``people.yml``) and what the gate requires
(``qmsdoc.yml``) decide whether any approval counts; the site's settings
(``mkdocs.yml``) and hooks (``hooks/``, governed as one folder, so that adding
a file is a change too) decide what is published and run code while the site
is built. So changing them is controlled too. The first version ever committed
is the starting point. Every
later change counts once a commit that records it carries an ``Approved-by:``
trailer — as a merge request's merge commit does — from a person who, under
the register approved before, holds on that day a role whose job
responsibility may approve job responsibilities, who made none of the changes,
and who signed the commit if the settings approved before require signatures.
Until then the approved version stays in force: the gate warns, and fails in
strict mode. Settings changed without approval may only tighten the controls.
MkDocs reads its settings and hooks itself, so for them the approved version
cannot stay in force: building the staff site with an unapproved change fails.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .approvals import signature_problems
from .commit_dates import CommitDates
from .config import CONFIG_FILE, Settings, parse_settings
from .errors import QmsdocError
from .findings import Finding, Severity
from .history import APPROVED_BY, Commit, FileEvent, GitRepository
from .model import DocType, Right
from .people import Authorities, Person, Register, parse_register
from .signatures import Signature, verify

HOW_TO_APPROVE = ("通过合并请求提交修改，由有权批准岗位职责的人批准后合并"
                  "（合并提交带 Approved-by 尾注）")
SITE_CONFIG = "mkdocs.yml"
SITE_HOOKS = "hooks/"


@dataclass(frozen=True)
class GovernedApproval:
    """One ``Approved-by:`` of a change to a governed file, as judged."""

    name: str
    email: str
    on: datetime.date
    person: Person | None  # in the register approved before the change
    role: str | None  # the role that entitles, else the roles held (None: none)
    problems: tuple[tuple[str, str], ...]  # (message, hint); empty: the approval counts
    signature: Signature | None
    signature_required: bool  # by the settings approved before the change


@dataclass(frozen=True)
class GovernedChange:
    """A commit that changed a governed file or folder (for the audit trail)."""

    path: str  # the governed file, or folder ending in ``/``
    what: str
    commit: Commit
    on: datetime.date
    contents: tuple[tuple[str, str | None], ...]  # (path, blob after the commit; None: removed)
    kind: str  # START, CHANGE or RESTORED
    approvals: tuple[GovernedApproval, ...] = ()


START, CHANGE, RESTORED = "起点", "修改", "恢复为已批准的版本"


@dataclass(frozen=True)
class Governance:
    """The governing files in force, and what the history of their changes shows."""

    register: Register
    settings: Settings
    findings: tuple[Finding, ...]
    changes: tuple[GovernedChange, ...] = ()


Texts = dict[str, str]  # path -> text: one governed file, or every file of a governed folder


@dataclass
class _Governed:
    """A governed file, or a folder (``path`` ending in ``/``) governed as a whole."""

    path: str
    what: str  # how messages name it
    read_by_site: bool = False
    """Read by MkDocs itself: the approved version cannot stay in force in its place."""
    started: bool = False
    approved: Texts = field(default_factory=dict)  # the version in force
    current: Texts = field(default_factory=dict)  # as the commits walked so far leave it
    pending: list[Commit] = field(default_factory=list)  # changes since the approval
    last_valid: int = -1  # sequence of the last valid approval

    def covers(self, path: str) -> bool:
        return path.startswith(self.path) if self.path.endswith("/") else path == self.path

    def text(self, texts: Texts) -> str | None:
        """A governed file's text (``None``: absent); for a folder, not used."""
        return texts.get(self.path)


def governed(settings: Settings) -> list[_Governed]:
    """What is governed: who holds roles, what the gate requires, how the site is made."""
    return [_Governed(settings.people_file, "人员名册"), _Governed(CONFIG_FILE, "qmsdoc 设置"),
            _Governed(SITE_CONFIG, "网站设置（mkdocs.yml）", read_by_site=True),
            _Governed(SITE_HOOKS, "网站钩子（hooks/）", read_by_site=True)]


def govern(settings: Settings, repository: GitRepository, events: dict[str, list[FileEvent]],
           authorities_at: Callable[[int], Authorities], dates: CommitDates,
           strict: bool, publishing: bool = False) -> Governance:
    """Walk the changes to the governed files in order and judge their approvals.

    ``events`` holds, per watched path (or folder), the commits that touched it.
    ``publishing``: the staff site is being built, and the site's own settings and
    hooks are read from the working tree, so an unapproved change to them is an error.
    """
    units = governed(settings)
    people, config = units[0], units[1]
    walk = sorted((e for unit in units for path, found in events.items() if unit.covers(path)
                   for e in found), key=lambda e: e.commit.sequence)
    repository.read_blobs(e.blob for e in walk if e.blob)
    signatures = _signatures(repository, people.path, walk)
    rejected: list[tuple[int, _Governed, Finding]] = []

    def unit_of(event: FileEvent) -> _Governed:
        return next(u for u in units if u.covers(event.path))

    changes: list[GovernedChange] = []
    for _, group in itertools.groupby(walk, key=lambda e: (e.commit.sequence, unit_of(e).path)):
        changed = list(group)
        unit = unit_of(changed[0])
        for event in changed:
            if event.blob:
                unit.current[event.path] = repository.blob_text(event.blob)
            else:
                unit.current.pop(event.path, None)
        commit = changed[0].commit
        on = dates.judged(commit).date()
        change = GovernedChange(unit.path, unit.what, commit, on,
                                tuple((e.path, e.blob) for e in changed), CHANGE)
        if not unit.started:  # the first version: the starting point
            unit.started, unit.approved = True, dict(unit.current)
            changes.append(dataclasses.replace(change, kind=START))
            continue
        if unit.current == unit.approved:
            unit.pending.clear()  # changed back to the approved version
            changes.append(dataclasses.replace(change, kind=RESTORED))
            continue
        unit.pending.append(commit)  # a merge too: it may join approved changes unapproved
        approvers = commit.identities(APPROVED_BY)
        if not approvers:
            changes.append(change)
            continue
        required = _approved_settings(settings, config.text(config.approved)).require_signatures
        register_before = _register(people.text(people.approved), people.path)
        authorities = authorities_at(commit.sequence)
        problems = [
            list(_approval_problems(unit, commit, on, who, register_before, authorities,
                                    signatures.get(commit.sha), required, settings))
            for who in approvers]
        changes.append(dataclasses.replace(change, approvals=tuple(
            _judged_approval(who, on, register_before, authorities, tuple(found),
                             signatures.get(commit.sha), required)
            for who, found in zip(approvers, problems, strict=True))))
        if any(not found for found in problems):
            unit.approved, unit.last_valid = dict(unit.current), commit.sequence
            unit.pending.clear()
            continue
        rejected += [(commit.sequence, unit,
                      Finding("governance.invalid-approval", Severity.ERROR, unit.path, None,
                              message, hint))
                     for found in problems for message, hint in found]
    findings = [dataclasses.replace(f, severity=Severity.WARNING) if at < unit.last_valid else f
                for at, unit, f in rejected]
    working = {unit.path: _working_texts(settings.root, unit) for unit in units}
    for unit in units:
        findings += _unapproved_change(unit, working[unit.path],
                                       strict or (publishing and unit.read_by_site))
    findings += _hooks_outside(working[SITE_CONFIG].get(SITE_CONFIG))
    in_force = {unit.path: unit.approved if unit.started else working[unit.path] for unit in units}
    return Governance(_register(people.text(in_force[people.path]), people.path),
                      _settings(settings, config.text(in_force[config.path])), tuple(findings),
                      tuple(changes))


def _judged_approval(who: tuple[str, str], on: datetime.date, register: Register,
                     authorities: Authorities, problems: tuple[tuple[str, str], ...],
                     signature: Signature | None, required: bool) -> GovernedApproval:
    person = register.by_email(who[1])
    held = person.roles_on(on) if person else []
    entitled = authorities.roles_with(Right.APPROVE, DocType.JOB_RESPONSIBILITY)
    role = next((r for r in held if r in entitled), "、".join(held) or None)
    return GovernedApproval(who[0], who[1], on, person, role, problems, signature, required)


def _approval_problems(file: _Governed, commit: Commit, on: datetime.date,
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
    if any(c.author_email.lower() in own for c in file.pending if not c.is_merge):
        yield (f"{person.name} 批准了自己对{file.what}所做的修改（{where}）",
               "修改人不能批准自己的修改：请由另一位有权批准岗位职责的人批准")
    if signature_required:
        for _, message, hint in signature_problems(signature, commit, person, Right.APPROVE):
            yield message, hint
    text = file.text(file.current)
    if text is not None and not _valid(file, text, settings):
        yield (f"{where} 批准的{file.what}有错误，不能生效", f"改正 {file.path} 后重新提交并批准")


def _valid(file: _Governed, text: str, settings: Settings) -> bool:
    if file.path == settings.people_file:
        return not parse_register(text, file.path)[1]
    if file.path != CONFIG_FILE:
        return True
    try:
        parse_settings(settings.root, text)
    except QmsdocError:
        return False
    return True


def _unapproved_change(file: _Governed, working: Texts, is_error: bool) -> Iterator[Finding]:
    """The working version differs from the approved one: it is not in force."""
    if not file.started:
        if working and not file.read_by_site:
            yield Finding("history.untracked", Severity.ERROR, file.path, None,
                          f"{file.what}没有纳入 git 管理，无法核实它的修改是否经过批准",
                          f"运行 git add {file.path} 并提交")
        return
    if working == file.approved:
        return
    changed = sorted(p for p in {*working, *file.approved}
                     if working.get(p) != file.approved.get(p))
    if file.pending:
        changes = "、".join(c.describe() for c in file.pending)
        what = f"{file.what}在批准后又被修改（{changes}），修改尚未批准"
    else:
        what = f"{file.what}有未提交的修改，尚未批准"
    consequence = ("员工网站不能用未经批准的设置或代码生成" if file.read_by_site
                   else "检查仍按已批准的版本进行")
    yield Finding("governance.unapproved-change", Severity.ERROR if is_error else Severity.WARNING,
                  changed[0], None, f"{what}：{consequence}",
                  HOW_TO_APPROVE + "；若是误改，撤销这些修改（git status 可查看）")


def _working_texts(root: Path, file: _Governed) -> Texts:
    """The governed file, or every file of the governed folder, as in the working tree."""
    paths = ([file.path] if not file.path.endswith("/") else sorted(
        p.relative_to(root).as_posix() for p in (root / file.path).rglob("*")
        if (p.is_file() or p.is_symlink()) and "__pycache__" not in p.parts))
    texts = {}
    for path in paths:
        target = root / path
        if target.is_file() or target.is_symlink():
            texts[path] = target.read_bytes().decode("utf-8", errors="replace")
    return texts


def _hooks_outside(site_config: str | None) -> Iterator[Finding]:
    """MkDocs runs every hook mkdocs.yml lists: only those in the governed folder are approved."""
    for hook in _listed_hooks(site_config):
        if not posixpath.normpath(hook).startswith(SITE_HOOKS):
            yield Finding("governance.hook-outside", Severity.ERROR, SITE_CONFIG, None,
                          f"mkdocs.yml 的 hooks 中列出的 {hook} 不在 {SITE_HOOKS} 目录中，"
                          "它的修改不受审批控制",
                          f"把钩子文件移到 {SITE_HOOKS} 中，并相应修改 mkdocs.yml")


def _listed_hooks(site_config: str | None) -> list[str]:
    hooks = site_settings(site_config).get("hooks") if site_config is not None else None
    return [h for h in hooks if isinstance(h, str)] if isinstance(hooks, list) else []


def site_settings(text: str) -> dict[str, Any]:
    """mkdocs.yml read without running any of its ``!!python`` tags (``{}`` if unreadable)."""
    try:
        data = yaml.load(text, Loader=_InertLoader)  # noqa: S506 - constructs nothing
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


class _InertLoader(yaml.SafeLoader):
    """Reads MkDocs's YAML, turning every tag it does not know (``!!python/...``) into None."""


_InertLoader.add_multi_constructor("", lambda loader, suffix, node: None)


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
        recall_within=min(working.recall_within, before.recall_within),
        setting_up=working.setting_up and before.setting_up,
        copies_file=before.copies_file, history_backfilled_until=before.history_backfilled_until)


def _signatures(repository: GitRepository, people_path: str, walk: list[FileEvent]
                ) -> dict[str, Signature]:
    """Signatures of the approving commits, checked against every key any register listed."""
    approving = [e.commit.sha for e in walk if e.commit.identities(APPROVED_BY)]
    if not approving:
        return {}
    everyone = [person for e in walk if e.path == people_path and e.blob
                for person in _register(repository.blob_text(e.blob), people_path).people]
    return verify(repository, approving, Register(everyone, people_path))
