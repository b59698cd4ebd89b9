"""Approvals as evidence read from git, and what they entitle to publish.

An approval (批准) or review (审核) counts only through a commit that carries an
``Approved-by:`` or ``Reviewed-by:`` trailer naming the person, as
``qmsdoc approve`` and GitLab's merge commit template write them. What was
approved is the document's content in that commit, bound by its fingerprint.
The front matter's approval records are a readable copy: each must match such
a commit, or it is a forgery.

The steps: :func:`collect_evidence` walks one document's file history;
:func:`judge` checks each piece of evidence against the register, the
authorities stated in the job responsibilities and the signatures; the
approved revisions follow from the valid evidence.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .commit_dates import CommitDates
from .findings import Finding, Severity
from .history import APPROVED_BY, REVIEWED_BY, Commit, FileEvent, identities
from .model import ApprovalRecord, Document, Right
from .people import Authorities, Person, Register
from .signatures import BAD, Signature
from .snapshots import Blobs, Snapshot

Identity = tuple[str, str]  # (name, e-mail)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One approval or review as git records it."""

    meaning: Right
    name: str
    email: str
    commit: Commit
    index: int  # position of the commit in the file's history
    snapshot: Snapshot  # the content approved (shared by texts differing only in records)
    blob: str  # the file exactly as this commit recorded it
    authors: frozenset[Identity]  # who wrote the revision approved

    @property
    def date(self) -> datetime.date:
        """The date the commit says (what the front matter's record repeats)."""
        return self.commit.date.date()

    def matches(self, record: ApprovalRecord) -> bool:
        return (record.meaning is self.meaning and record.email.lower() == self.email.lower()
                and record.fingerprint == self.snapshot.fingerprint and record.date == self.date)


@dataclass(frozen=True)
class FileEvidence:
    """Everything one document's history says about its approvals."""

    evidence: tuple[Evidence, ...]
    authoring: tuple[tuple[int, Commit], ...]  # (index, commit) of each content change
    unreadable: tuple[tuple[int, FileEvent], ...] = ()  # approvals of texts that do not parse
    authors_by_fingerprint: dict[str, frozenset[Identity]] = field(default_factory=dict)
    open_authors: frozenset[Identity] = frozenset()  # changes since the last approval commit

    def authors_of(self, fingerprint: str) -> frozenset[Identity]:
        """Who wrote the revision with this fingerprint, as far as git knows now."""
        return self.authors_by_fingerprint.get(fingerprint, frozenset()) | self.open_authors


def approval_signers(commit: Commit) -> tuple[tuple[Right, Identity], ...]:
    """Who a commit's trailers say reviewed or approved: reviews first, as they come first."""
    return _signers(commit.trailers) if commit.trailers else ()


@functools.cache
def _signers(trailers: tuple[tuple[str, str], ...]) -> tuple[tuple[Right, Identity], ...]:
    """Read once per distinct set of trailers: every step of the gate asks of every commit."""
    return (*((Right.REVIEW, who) for who in identities(trailers, REVIEWED_BY)),
            *((Right.APPROVE, who) for who in identities(trailers, APPROVED_BY)))


@functools.cache
def _shared(authors: frozenset[Identity]) -> frozenset[Identity]:
    """One object per distinct set of authors: a large history has tens of thousands of
    approvals, written by a few hundred sets of people."""
    return authors


def collect_evidence(events: list[FileEvent], blobs: Blobs) -> FileEvidence:
    """Walk a file's history oldest first and collect the approval evidence.

    The authors of a revision are the authors of every commit that changed the
    content since the last approval commit (批准) — kept per fingerprint, so
    that an author cannot approve their own text after someone else's
    approval of the same text was rejected.
    """
    evidence: list[Evidence] = []
    authoring: list[tuple[int, Commit]] = []
    unreadable: list[tuple[int, FileEvent]] = []
    authors_of: dict[str, frozenset[Identity]] = {}
    chain: set[Identity] = set()
    for index, event in enumerate(events):
        commit = event.commit
        signers = approval_signers(commit)
        author = (commit.author_name, commit.author_email)
        if not signers:
            if not commit.is_merge and event.changes_blob and event.blob:
                chain.add(author)
                authoring.append((index, commit))
            continue
        if event.blob is None:
            continue  # the commit removed the file: there is no text to approve
        snapshot = blobs.snapshot(event.blob, event.path)
        if snapshot is None:
            unreadable.append((index, event))
            continue
        before = blobs.fingerprint(event.old_blob) if event.old_blob else None
        if not commit.is_merge and before != snapshot.fingerprint:
            chain.add(author)  # the approval commit itself changed the content
            authoring.append((index, commit))
        known = authors_of.get(snapshot.fingerprint, frozenset())
        authors = known if chain <= known else _shared(known | chain)
        authors_of[snapshot.fingerprint] = authors
        for meaning, (name, email) in signers:
            evidence.append(Evidence(meaning, name, email, commit, index, snapshot, event.blob,
                                     authors))
        if any(meaning is Right.APPROVE for meaning, _ in signers):
            chain = set()
    return FileEvidence(tuple(evidence), tuple(authoring), tuple(unreadable), authors_of,
                        frozenset(chain))


@dataclass(frozen=True, slots=True)
class Judged:
    """Evidence after the checks: who, in which role, and why it may not count."""

    evidence: Evidence
    on: datetime.date
    """The date it is judged at: its commit's date, never earlier than an ancestor's."""
    person: Person | None
    role: str | None
    problems: tuple[tuple[str, str, str], ...] = ()  # (rule, message, hint)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def display_name(self) -> str:
        return self.person.name if self.person else self.evidence.name


@dataclass(frozen=True)
class Judge:
    """What approvals are judged against.

    ``authorities_for`` answers the authorities a piece of evidence is judged
    under: the job responsibilities as approved before it (see
    :mod:`qmsdoc.entitlement`).
    """

    register: Register
    authorities_for: Callable[[Evidence], Authorities]
    signatures: dict[str, Signature] | None  # None: signatures not required
    require_review: bool
    dates: CommitDates

    def judge(self, evidence: Evidence, records: tuple[ApprovalRecord, ...]) -> Judged:
        on = self.dates.judged(evidence.commit).date()
        person = self.register.by_email(evidence.email)
        if person is None:
            return Judged(evidence, on, None, None, ((
                "approval.unknown-person",
                f"{evidence.commit.describe()} 中的{evidence.meaning.label}人 "
                f"{evidence.name} <{evidence.email}> 不在人员名册中",
                f"在 {self.register.path} 中登记此人及其岗位，或由名册中有权限的人重新"
                f"{evidence.meaning.label}"),))
        record = next((r for r in records if evidence.matches(r)), None)
        role, problems = self._role(evidence, on, person, record)
        problems += self._separation(evidence, person)
        problems += self._signature(evidence, person)
        problems += self._retroactive(evidence, on)
        return Judged(evidence, on, person, role, tuple(problems))

    def _role(self, evidence: Evidence, on: datetime.date, person: Person,
              record: ApprovalRecord | None) -> tuple[str | None, list[tuple[str, str, str]]]:
        doc_type = evidence.snapshot.type
        held = person.roles_on(on)
        authorities = self.authorities_for(evidence)
        entitled = authorities.roles_with(evidence.meaning, doc_type)
        what = f"{evidence.meaning.label}{doc_type.label}"
        who = f"{person.name}（{evidence.commit.describe()}）"
        if record is not None:
            if record.role not in held:
                return record.role, [("approval.role-not-held",
                                      f"{who}以“{record.role}”身份{evidence.meaning.label}，"
                                      f"但 {on} 当天此人不担任该岗位",
                                      f"核对 {self.register.path} 中的任职日期")]
            if record.role not in entitled:
                return record.role, [_not_entitled(authorities, who, what, record.role, entitled)]
            return record.role, []
        usable = [role for role in held if role in entitled]
        if usable:
            return usable[0], []
        ever = [t.role for t in person.roles if t.role in entitled]
        if ever:
            return None, [("approval.role-not-held",
                           f"{who}的{what}无效：{on} 当天此人不担任"
                           f"有权{evidence.meaning.label}的岗位（{'、'.join(ever)}）",
                           f"核对 {self.register.path} 中的任职日期，或由当天在任的人重新"
                           f"{evidence.meaning.label}")]
        return None, [_not_entitled(authorities, who, what, "、".join(held) or "无岗位", entitled)]

    def _separation(self, evidence: Evidence, person: Person) -> list[tuple[str, str, str]]:
        own = {e.lower() for e in person.emails}
        if any(email.lower() in own for _, email in evidence.authors):
            return [("approval.self-approval",
                     f"{person.name} {evidence.meaning.label}了自己编制的修订"
                     f"（{evidence.commit.describe()}）",
                     f"编制人不能{evidence.meaning.label}自己的修订：请由另一位有权限的人"
                     f"{evidence.meaning.label}")]
        return []

    def _retroactive(self, evidence: Evidence, on: datetime.date) -> list[tuple[str, str, str]]:
        """Nothing takes effect before it is approved (history entered afterwards excepted)."""
        effective = evidence.snapshot.effective_date
        if (evidence.meaning is not Right.APPROVE or effective >= on
                or evidence.commit.sha in self.dates.backfilled):
            return []
        what = "作废" if evidence.snapshot.withdrawn else f" {evidence.snapshot.version} 版"
        return [("approval.effective-before-approval",
                 f"{evidence.commit.describe()} 于 {on} 批准的{what}写明 {effective} 生效，"
                 "早于批准日期：文件不能追溯生效",
                 f"把 effective_date 改为 {on} 或以后的日期（作废时写作废生效的日期），"
                 "再重新审核、批准")]

    def _signature(self, evidence: Evidence, person: Person) -> list[tuple[str, str, str]]:
        if self.signatures is None:
            return []
        return signature_problems(self.signatures.get(evidence.commit.sha), evidence.commit,
                                  person, evidence.meaning)


def signature_problems(signature: Signature | None, commit: Commit, person: Person,
                       meaning: Right) -> list[tuple[str, str, str]]:
    """Why a commit's signature does not prove that this person approved (none: it does)."""
    where = commit.describe()
    if signature is None or not signature.is_signed:
        return [("approval.unsigned", f"{where} 没有签名，按配置不能作为{meaning.label}",
                 "用 qmsdoc approve 重新审批（已配置签名时它会签名提交）")]
    if signature.status in BAD:
        return [("approval.bad-signature", f"{where} 的签名无效：{signature.describe()}",
                 "用本人登记的密钥重新审批")]
    if not signature.belongs_to(person):
        return [("approval.unregistered-key",
                 f"{where} 的签名密钥（{signature.fingerprint or '未知'}）"
                 f"没有登记在 {person.name} 名下",
                 f"把该公钥加入人员名册中 {person.name} 的 signing_keys，或用已登记的密钥重新审批")]
    return []


def _not_entitled(authorities: Authorities, who: str, what: str, role: str,
                  entitled: list[str]) -> tuple[str, str, str]:
    sources = "、".join(f"{r}（{authorities.sources[r]}）" for r in entitled) or "无"
    return ("approval.not-entitled",
            f"{who}无权{what}：其岗位“{role}”的岗位职责没有这项权限",
            f"有权{what}的岗位：{sources}。请由担任这些岗位的人审批")


@dataclass(frozen=True, slots=True)
class Revision:
    """An approved revision: the content, its approval, reviews and authors."""

    snapshot: Snapshot
    approval: Judged
    reviews: tuple[Judged, ...]

    @property
    def authors(self) -> frozenset[Identity]:
        return self.approval.evidence.authors

    @property
    def date(self) -> datetime.date:
        """The day it was approved (as judged: never earlier than the history before it)."""
        return self.approval.on

    @property
    def effective_from(self) -> datetime.date:
        """The day it takes effect: its effective date, never before its approval."""
        return max(self.snapshot.effective_date, self.date)

    @property
    def blob(self) -> str:
        """The text as the approving commit recorded it: what staff read."""
        return self.approval.evidence.blob


@dataclass(frozen=True)
class Approvals:
    """One document's judged evidence and the revisions it approves, oldest first."""

    judged: tuple[Judged, ...]
    revisions: tuple[Revision, ...]
    """Each approved text once, in the order of approval (which one is in force on a
    given day is for :mod:`qmsdoc.publication` to say)."""
    findings: tuple[Finding, ...] = field(default=())
    authoring: tuple[tuple[int, Commit], ...] = ()
    """(index, commit) of each change to the content (编制), oldest first."""


def approve_revisions(file: FileEvidence, judge: Judge, records: tuple[ApprovalRecord, ...],
                      path: str, number: str) -> Approvals:
    """Judge every piece of evidence and derive the approved revisions.

    A problem is an error while no valid approval follows it; once a later
    approval supersedes it, it stays visible as a warning in the history.
    """
    judged = [judge.judge(e, records) for e in file.evidence]
    revisions: list[Revision] = []
    for index, item in enumerate(judged):
        if item.evidence.meaning is not Right.APPROVE or not item.valid:
            continue
        reviews = tuple(
            r for r in judged[:index + 1]
            if r.evidence.meaning is Right.REVIEW and r.valid
            and r.evidence.snapshot.fingerprint == item.evidence.snapshot.fingerprint
            and r.person != item.person
        )
        if judge.require_review and not reviews:
            judged[index] = Judged(item.evidence, item.on, item.person, item.role, ((
                "approval.not-reviewed",
                f"{item.display_name}批准的内容（{item.evidence.commit.describe()}）未经他人有效审核",
                "先由有审核权限的另一人用 qmsdoc approve --review 审核，再批准"),))
            continue
        fingerprints = {r.snapshot.fingerprint for r in revisions}
        if item.evidence.snapshot.fingerprint not in fingerprints:
            revisions.append(Revision(item.evidence.snapshot, judged[index], reviews))
    last_valid = max((j.evidence.index for j in judged
                      if j.valid and j.evidence.meaning is Right.APPROVE), default=-1)
    findings = [
        Finding("approval.unreadable-content",
                Severity.ERROR if index > last_valid else Severity.WARNING, path, None,
                f"{event.commit.describe()} 记录了审批，但该提交中的文件元数据无法读取，审批无效",
                "修正文件后重新审核、批准", number)
        for index, event in file.unreadable]
    for item in judged:
        severity = Severity.ERROR if item.evidence.index > last_valid else Severity.WARNING
        line = next((r.line for r in records if item.evidence.matches(r)), None)
        for rule, message, hint in item.problems:
            findings.append(Finding(rule, severity, path, line, message, hint, number))
    findings += [_taken_from_approval(revision, path, number) for revision in revisions
                 if revision.snapshot.effective_date < revision.date]
    return Approvals(tuple(judged), tuple(revisions), tuple(findings), file.authoring)


def _taken_from_approval(revision: Revision, path: str, number: str) -> Finding:
    """A revision entered afterwards (补录) whose effective date precedes its approval."""
    what = "作废" if revision.snapshot.withdrawn else f" {revision.snapshot.version} 版"
    return Finding(
        "approval.effective-before-approval", Severity.WARNING, path, None,
        f"补录的历史中，{revision.approval.evidence.commit.describe()} 批准的{what}写明 "
        f"{revision.snapshot.effective_date} 生效，早于批准日期：按批准日期 {revision.date} 起生效",
        "历史无法更改，此处仅作记录；以后的修订请写明不早于批准日期的生效日期", number)


def unsupported_records(document: Document, approvals: Approvals) -> Iterator[Finding]:
    """Front-matter approval records that no commit in git backs."""
    for record in document.approvals:
        if not any(j.evidence.matches(record) for j in approvals.judged):
            yield Finding(
                "approval.no-evidence", Severity.ERROR, document.path, record.line,
                f"审批记录（{record.name} {record.date} {record.meaning.label}）在 git 历史中"
                "找不到对应的审批提交：审批只能由本人用 qmsdoc approve 记录",
                "删除这条记录，由本人运行 qmsdoc approve"
                f"{' --review' if record.meaning is Right.REVIEW else ''} {document.number}",
                document.number)
