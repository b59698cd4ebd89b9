"""``qmsdoc review``: what a merge request changes in the manual, for the document controller.

For each controlled document changed between the base (the merge base with the
main branch) and HEAD: old and new version and whether the version rise is
right, the redline of metadata and body, who has reviewed and approved the new
text and who still must, what else the change touches, and the findings it
brings or fixes; and every change to a governed file, with whether it is
approved. The gate runs at HEAD here and at the base in another process
(:mod:`qmsdoc.review_base`); :mod:`qmsdoc.review_report` writes the report.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .config import Settings
from .errors import QmsdocError
from .findings import Finding
from .gate import GateResult, run_gate
from .governance import governed
from .history import GitRepository
from .loader import claimed_number, read_revision
from .model import DocType, Document, Right, State, Version
from .publication import DocumentStatus
from .redline import DocumentRedline, Redline, compare_documents, compare_texts
from .review_base import Base, FindingChanges, compare_findings, gate_at, resolve_base

GOVERNANCE_RULES = ("governance.unapproved-change", "governance.invalid-approval")


class ChangeKind(enum.Enum):
    ADDED = "新增"
    RENAMED = "改名"
    REVISED = "修订"
    WITHDRAWN = "作废"
    DELETED = "删除"
    RECORDS = "仅审批记录或状态"

    @property
    def label(self) -> str:
        return self.value


class Verdict(enum.Enum):
    OK = ("ok", "正确")
    NOTE = ("note", "注意")
    WRONG = ("wrong", "错误")

    def __init__(self, key: str, label: str) -> None:
        self.key = key
        self.label = label


@dataclass(frozen=True)
class VersionCheck:
    verdict: Verdict
    text: str


@dataclass(frozen=True)
class Signoff:
    """A review or approval git records for the new text, valid or with its problems."""

    meaning: Right
    name: str
    role: str | None
    on: datetime.date
    commit: str
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Candidates:
    """Who may still give a review or approval: the entitled roles and who holds them now."""

    right: Right
    roles: tuple[str, ...]
    people: tuple[str, ...]


@dataclass(frozen=True)
class ApprovalState:
    signoffs: tuple[Signoff, ...]
    outstanding: tuple[Right, ...]
    """What the new text still needs: a review (when required) and an approval."""
    candidates: tuple[Candidates, ...]
    authors: tuple[str, ...]
    """Who wrote the text: they may neither review nor approve it."""

    @property
    def summary(self) -> str:
        if not self.outstanding:
            return "已批准"
        if self.outstanding == (Right.APPROVE,):
            return "已审核，待批准" if any(s.valid for s in self.signoffs) else "待批准"
        return "待" + "、".join(r.label for r in self.outstanding)


@dataclass(frozen=True)
class Impact:
    cited_by: tuple[str, ...]
    roles: tuple[str, ...]
    records: tuple[str, ...]
    clauses: tuple[str, ...]
    registers: tuple[str, ...]


@dataclass(frozen=True)
class DocumentChange:
    number: str
    title: str
    kinds: tuple[ChangeKind, ...]
    old_path: str | None
    new_path: str | None
    old: Document | None
    new: Document | None
    version: VersionCheck
    notes: tuple[str, ...]
    redline: DocumentRedline | Redline
    """Metadata and body; only the texts when a side's metadata cannot be read."""
    approval: ApprovalState | None  # None: the document is deleted
    impact: Impact
    introduced: tuple[Finding, ...]
    fixed: tuple[Finding, ...]

    @property
    def kind_label(self) -> str:
        return "、".join(k.label for k in self.kinds)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    def version_change(self) -> str:
        old = str(self.old.version) if self.old else "—"
        new = str(self.new.version) if self.new else "—"
        return new if old == new else f"{old} → {new}"


@dataclass(frozen=True)
class GovernedChange:
    path: str
    what: str
    files: tuple[str, ...]
    diff: str
    problems: tuple[str, ...]
    """What the gate at HEAD says about its approval: empty when approved."""
    authors: tuple[str, ...]
    approvers: tuple[str, ...]

    @property
    def approved(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Review:
    base: Base
    head: str
    day: datetime.date
    documents: tuple[DocumentChange, ...]
    governed: tuple[GovernedChange, ...]
    findings: FindingChanges
    base_problem: str | None
    """Why the gate could not run at the base (then every finding at HEAD counts as new)."""
    head_errors: int
    uncommitted: tuple[str, ...]
    """Controlled or governed files with changes not committed: not in the report."""


def make_review(settings: Settings, base: str | None, day: datetime.date) -> Review:
    repository = GitRepository(settings.root)
    resolved = resolve_base(repository, base)
    head = repository.run("rev-parse", "HEAD").strip()
    with ThreadPoolExecutor(max_workers=1) as background:
        at_base = background.submit(gate_at, GitRepository(settings.root), resolved.sha, day)
        gate = run_gate(settings, today=day)
        raw = _raw_changes(repository, resolved.sha, settings.document_folders)
        documents = [_document_change(gate, repository, change) for change in raw]
        governed_changes = list(_governed_changes(gate, repository, resolved.sha))
        base_problem = None
        try:
            base_findings = at_base.result()
        except QmsdocError as error:
            base_findings, base_problem = [], str(error)
    moved = {c.old_path: c.new_path for c in raw if c.old_path and c.new_path}
    findings = compare_findings(base_findings, gate.findings, moved)
    documents = [dataclasses.replace(
        d, introduced=tuple(_about(findings.introduced, d)),
        fixed=tuple(_about(findings.fixed, d))) for d in documents]
    uncommitted = repository.changed([*settings.document_folders,
                                      *(unit.path for unit in governed(settings))])
    return Review(resolved, head, day, tuple(sorted(documents, key=lambda d: d.number)),
                  tuple(governed_changes), findings, base_problem, len(gate.errors),
                  tuple(sorted(uncommitted)))


def _about(findings: Iterable[Finding], change: DocumentChange) -> Iterator[Finding]:
    paths = {change.old_path, change.new_path}
    return (f for f in findings if f.document == change.number or f.path in paths)


# --- what git changed -------------------------------------------------------------------------

@dataclass(frozen=True)
class RawChange:
    status: str  # A, M, D, R (renamed), C (copied) or T
    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None


def _raw_changes(repository: GitRepository, base: str, pathspecs: Iterable[str],
                 markdown_only: bool = True) -> list[RawChange]:
    """``git diff --raw -M BASE HEAD`` over the pathspecs."""
    output = repository.run("-c", "core.quotepath=false", "diff", "--raw", "-z", "--no-abbrev",
                            "-M", base, "HEAD", "--", *pathspecs)
    fields = iter(output.split("\0"))
    changes = []
    for header in fields:
        if not header.startswith(":"):
            continue
        _, _, old_blob, new_blob, status = header[1:].split(" ")
        first = next(fields)
        second = next(fields) if status[0] in "RC" else None
        kind = status[0]
        old_path = None if kind in "AC" else first
        new_path = second if second else (None if kind == "D" else first)
        changes.append(RawChange(kind, old_path, new_path, _blob(old_blob), _blob(new_blob)))
    if markdown_only:
        changes = [c for c in changes if (c.new_path or c.old_path or "").endswith(".md")]
    repository.read_blobs(sha for c in changes for sha in (c.old_blob, c.new_blob) if sha)
    return changes


def _blob(sha: str) -> str | None:
    return None if set(sha) == {"0"} else sha


# --- one document ------------------------------------------------------------------------------

def _document_change(gate: GateResult, repository: GitRepository, change: RawChange
                     ) -> DocumentChange:
    old_text = repository.blob_text(change.old_blob) if change.old_blob else None
    new_text = repository.blob_text(change.new_blob) if change.new_blob else None
    old = read_revision(change.old_path, old_text) if change.old_path and old_text else None
    new = read_revision(change.new_path, new_text) if change.new_path and new_text else None
    number = next((n for n in (new and new.number, old and old.number,
                               claimed_number(new_text or ""), claimed_number(old_text or ""))
                   if n), change.new_path or change.old_path or "")
    shown = new or old
    title = shown.title if shown else ""
    redline: DocumentRedline | Redline = (
        compare_documents(old, new) if (old or not old_text) and (new or not new_text)
        else compare_texts(old_text or "", new_text or ""))
    status = gate.statuses.get(number) if new else None
    reference = _reference(status, new) if status and new else None
    return DocumentChange(
        number, title, tuple(_kinds(change, old, new, old_text, new_text)),
        change.old_path, change.new_path, old, new,
        _version_check(old, new, reference, change), tuple(_notes(new, reference)),
        redline, _approval_state(gate, status, new) if status and new else None,
        _impact(gate, number, old, new), (), ())


def _content(document: Document) -> Document:
    """The document without what approving, revising or moving it changes by itself."""
    return dataclasses.replace(
        document, path="", version=Version("A", 0), state=State.DRAFT, change_summary="",
        effective_date=datetime.date.min, fingerprint="", approvals=(), citations=(),
        field_lines={}, body_line=0,
        exclusions=tuple(dataclasses.replace(e, line=0) for e in document.exclusions))


def _kinds(change: RawChange, old: Document | None, new: Document | None, old_text: str | None,
           new_text: str | None) -> Iterator[ChangeKind]:
    if change.status == "D":
        yield ChangeKind.DELETED
        return
    if change.old_path is None:
        yield ChangeKind.ADDED
        return
    if change.old_path != change.new_path:
        yield ChangeKind.RENAMED
    revised = (_content(old) != _content(new)) if old and new else old_text != new_text
    withdrawn = bool(new and new.state is State.OBSOLETE
                     and (old is None or old.state is not State.OBSOLETE))
    if revised and not withdrawn:
        yield ChangeKind.REVISED
    if withdrawn:
        yield ChangeKind.WITHDRAWN
    if not (revised or withdrawn or change.old_path != change.new_path):
        yield ChangeKind.RECORDS


def _reference(status: DocumentStatus, new: Document) -> Document | None:
    """The approved text the new one revises: the last approved before it."""
    texts = [r.snapshot for r in status.approvals.revisions]
    fingerprints = [s.fingerprint for s in texts]
    before = texts[:fingerprints.index(new.fingerprint)] if new.fingerprint in fingerprints \
        else texts
    return before[-1].document if before else None


def _version_check(old: Document | None, new: Document | None, reference: Document | None,
                   change: RawChange) -> VersionCheck:
    """Whether the new version follows the last approved one (versions.py's rules)."""
    if new is None:
        if change.status != "D":
            return VersionCheck(Verdict.WRONG, "新文本的元数据有错误，无法核对版本（见新增问题）")
        if old is not None and old.state is State.DRAFT:
            return VersionCheck(Verdict.OK, "删除了从未发布的草稿")
        return VersionCheck(Verdict.WRONG, "受控文件被删除：它的修订记录和网站页面随之消失。"
                            "应保留文件，改为作废（state: obsolete，写明 replaced_by 和生效日期）并经批准")
    if old is not None and old.version == new.version and _content(old) == _content(new):
        return VersionCheck(Verdict.OK, f"内容没有修改，版本不变（{new.version}）")
    if reference is None:
        if new.version == Version("A", 0):
            return VersionCheck(Verdict.OK, "首次发布，A/0")
        return VersionCheck(Verdict.NOTE, f"首次发布的文件一般为 A/0，这里是 {new.version}")
    before, after = reference.version, new.version
    same = _content(reference) == _content(new)
    following = " 或 ".join(str(v) for v in before.successors())
    if after < before:
        return VersionCheck(Verdict.WRONG, f"版本号倒退：已批准的是 {before}，新文本是 {after}；"
                            f"版本号只能升高，应为 {following}")
    if new.state is State.OBSOLETE and reference.state is not State.OBSOLETE:
        return VersionCheck(Verdict.OK, f"作废 {after} 版（作废不必提高版本号）")
    if after == before:
        if same:
            return VersionCheck(Verdict.OK, f"内容与已批准的 {before} 版相同，版本不变")
        return VersionCheck(Verdict.WRONG, f"内容有修改，但版本仍是已批准的 {before}：应改为 {following}")
    if after not in before.successors():
        return VersionCheck(Verdict.NOTE, f"版本号从 {before} 跳到 {after}：下一版本应为 {following}")
    if same:
        return VersionCheck(Verdict.NOTE, f"版本从 {before} 提高到 {after}，但除修订说明、生效日期外"
                            "内容与已批准的版本相同：没有修改就不必修订")
    how = "换版" if after.edition != before.edition else "修改"
    return VersionCheck(Verdict.OK, f"{before} → {after}（{how}）")


def _notes(new: Document | None, reference: Document | None) -> Iterator[str]:
    if new is None or reference is None or new.state is State.OBSOLETE:
        return
    if new.version != reference.version and new.change_summary == reference.change_summary:
        yield f"修订说明与 {reference.version} 版相同：请写明本次修改了什么（change_summary）"
    if new.version != reference.version and new.effective_date <= reference.effective_date:
        yield (f"生效日期 {new.effective_date} 不晚于 {reference.version} 版的 "
               f"{reference.effective_date}：请写明新版本的生效日期")


# --- who has signed, who still must -------------------------------------------------------------

def _approval_state(gate: GateResult, status: DocumentStatus, new: Document) -> ApprovalState:
    judged = [j for j in status.approvals.judged
              if j.evidence.snapshot.fingerprint == new.fingerprint and j.on <= gate.day]
    signoffs = tuple(Signoff(j.evidence.meaning, j.display_name, j.role, j.on,
                             j.evidence.commit.short, tuple(message for _, message, _ in j.problems))
                     for j in judged)
    approved = any(s.valid and s.meaning is Right.APPROVE for s in signoffs)
    reviewed = any(s.valid and s.meaning is Right.REVIEW for s in signoffs)
    outstanding: list[Right] = []
    if not approved:
        if gate.settings.require_review and not reviewed:
            outstanding.append(Right.REVIEW)
        outstanding.append(Right.APPROVE)
    authors = status.authors if new.fingerprint == status.working.fingerprint else frozenset()
    author_emails = {email.lower() for _, email in authors}
    names = sorted({_name(gate, name, email) for name, email in authors})
    candidates = tuple(_candidates(gate, right, new.type, author_emails) for right in outstanding)
    return ApprovalState(signoffs, tuple(outstanding), candidates, tuple(names))


def _name(gate: GateResult, name: str, email: str) -> str:
    person = gate.register.by_email(email)
    return person.name if person else name


def _candidates(gate: GateResult, right: Right, doc_type: DocType, excluded: set[str]
                ) -> Candidates:
    roles = tuple(gate.authorities.roles_with(right, doc_type))
    return Candidates(right, roles, tuple(_holders(gate, roles, excluded)))


def _holders(gate: GateResult, roles: Iterable[str], excluded: set[str]) -> Iterator[str]:
    """``陈立新（管理者代表）`` for each person holding one of the roles today, authors left out."""
    for person, held in gate.register.holders(roles, gate.day):
        if not {e.lower() for e in person.emails} & excluded:
            yield f"{person.name}（{'、'.join(held)}）"


# --- what else it touches -----------------------------------------------------------------------

_MASTER_LIST = "现行有效文件目录"
_COVERAGE = "条款覆盖矩阵"
_RESPONSIBILITIES = "职责分配矩阵"
_RECORDS = "记录清单"
_PROCESSES = (DocType.QUALITY_MANUAL, DocType.PROCEDURE, DocType.WORK_INSTRUCTION)


def _impact(gate: GateResult, number: str, old: Document | None, new: Document | None) -> Impact:
    shown = new or old
    citing = sorted(d.label for d in gate.manual if d.number != number
                    and any(cited == number for cited, _ in d.cited_documents()))
    return Impact(tuple(citing), shown.roles if shown else (), shown.records if shown else (),
                  tuple(gate.clauses.heading(c) for c in shown.clauses) if shown else (),
                  tuple(changed_registers(old, new)))


def changed_registers(old: Document | None, new: Document | None) -> Iterator[str]:
    """The generated registers that change when this revision takes effect.

    A withdrawn document leaves the registers (the master list keeps it among
    the withdrawn), so withdrawing or deleting one changes every register it was in.
    """
    shown = new or old
    if shown is None:
        return
    before = old if old and old.state is not State.OBSOLETE else None
    after = new if new and new.state is not State.OBSOLETE else None

    def differs(*names: str) -> bool:
        if before is None or after is None:
            return (before is None) != (after is None) and any(
                _value(d, n) for d in (before, after) if d for n in names)
        return any(_value(before, n) != _value(after, n) for n in names)

    if old is None or new is None or old.state != new.state and State.OBSOLETE in (
            old.state, new.state) or differs(*_LISTED):
        yield _MASTER_LIST
    if differs("clauses", "exclusions"):
        yield _COVERAGE
    if (shown.type in _PROCESSES and differs("roles")) or (
            shown.type is DocType.JOB_RESPONSIBILITY and differs("role")):
        yield _RESPONSIBILITIES
    if (shown.type is DocType.RECORD_TEMPLATE and differs("number", "keeper", "retention")) or (
            shown.type in (DocType.PROCEDURE, DocType.WORK_INSTRUCTION) and differs("records")):
        yield _RECORDS


_LISTED = ("number", "title", "version", "effective_date", "department")


def _value(document: Document, name: str) -> object:
    value = getattr(document, name)
    if name == "exclusions":
        return tuple((e.clause, e.justification) for e in value)
    return value


# --- governed files ------------------------------------------------------------------------------

def _governed_changes(gate: GateResult, repository: GitRepository, base: str
                      ) -> Iterator[GovernedChange]:
    units = governed(gate.settings)
    raw = _raw_changes(repository, base, [u.path for u in units], markdown_only=False)
    for unit in units:
        files = [c for c in raw if any(unit.covers(p) for p in (c.old_path, c.new_path) if p)]
        if not files:
            continue
        diff = repository.run("-c", "core.quotepath=false", "diff", "-M", base, "HEAD", "--",
                              unit.path)
        problems = tuple(f.message for f in gate.findings
                         if f.rule in GOVERNANCE_RULES and unit.covers(f.path))
        log = repository.run("log", "--no-merges", "--format=%an%x1f%ae", f"{base}..HEAD", "--",
                             unit.path)
        emails = {line.split("\x1f")[1].lower() for line in log.splitlines() if "\x1f" in line}
        authors = sorted({_name(gate, *line.split("\x1f")) for line in log.splitlines()
                          if "\x1f" in line})
        roles = gate.authorities.roles_with(Right.APPROVE, DocType.JOB_RESPONSIBILITY)
        yield GovernedChange(
            unit.path, unit.what,
            tuple(f"{c.status} {c.new_path or c.old_path}" for c in files), diff,
            problems, tuple(authors), tuple(_holders(gate, roles, emails)))

