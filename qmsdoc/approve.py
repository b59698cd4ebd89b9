"""``qmsdoc approve``: how a person reviews (审核) or approves (批准) documents.

It acts only as the caller's own git identity, refuses with the reason when
the rules would not accept the approval, writes the approval record into each
document, and commits them with the ``Approved-by:`` / ``Reviewed-by:``
trailer (signed when the configuration requires signatures). No option lets
one person approve as another.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import git

from .approvals import Evidence
from .commit_dates import SKEW
from .errors import QmsdocError
from .findings import Finding
from .frontmatter import normalise, parse
from .gate import GateResult
from .history import APPROVED_BY, REVIEWED_BY, Commit, GitRepository
from .loader import parse_document
from .model import ApprovalRecord, Document, Right, State
from .people import Person
from .snapshots import Snapshot

_IDENT_RE = re.compile(r"^(.*) <(.*)> (\d+) ([+-]\d{4})$")


class ApprovalRefused(QmsdocError):
    """The approval would not be valid; the message says why."""


@dataclass(frozen=True)
class Caller:
    name: str
    email: str
    when: datetime.datetime
    head: str | None

    @property
    def commit(self) -> Commit:
        """The commit the approval will be, on top of the current branch."""
        return Commit.pending(self.name, self.email, self.when, self.head)


def caller(repository: GitRepository) -> Caller:
    """The identity and date git will put on the next commit."""
    try:
        author = repository.repo.git.var("GIT_AUTHOR_IDENT")
        committer = repository.repo.git.var("GIT_COMMITTER_IDENT")
    except git.GitCommandError:
        raise QmsdocError("git 不知道您是谁：先设置 git config user.name 和 user.email") from None
    name, email = _IDENT_RE.match(author).groups()[:2]  # type: ignore[union-attr]
    _, _, seconds, offset = _IDENT_RE.match(committer).groups()  # type: ignore[union-attr]
    sign = 1 if offset[0] == "+" else -1
    zone = datetime.timezone(sign * datetime.timedelta(hours=int(offset[1:3]),
                                                       minutes=int(offset[3:])))
    head = repository.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).strip()
    return Caller(name, email, datetime.datetime.fromtimestamp(int(seconds), zone), head or None)


def approve(gate: GateResult, numbers: list[str], meaning: Right,
            role: str | None = None) -> str:
    """Record the caller's review or approval of each document; returns the commit."""
    repository = gate.repository
    me = caller(repository)
    _refuse_backdating(gate, me)
    person = gate.register.by_email(me.email)
    if person is None:
        raise ApprovalRefused(
            f"您的 git 邮箱 {me.email} 不在人员名册 {gate.register.path} 中，不能审批。"
            "请确认 git config user.email 是您登记的邮箱")
    edits: dict[str, str] = {}
    approved: list[Document] = []
    for number in numbers:
        document, chosen = _refuse_unless_approvable(gate, number, meaning, person, me, role)
        record = {
            "meaning": meaning.key, "name": person.name, "email": me.email, "role": chosen,
            "date": me.when.date().isoformat(), "fingerprint": document.fingerprint,
        }
        text = (gate.settings.root / document.path).read_text(encoding="utf-8")
        edits[document.path] = record_approval(text, record, document.fingerprint,
                                               meaning is Right.APPROVE)
        approved.append(document)
    for path, text in edits.items():
        (gate.settings.root / path).write_text(text, encoding="utf-8")
    message = _message(meaning, approved, person, me)
    options = ["-S"] if gate.settings.require_signatures else []
    try:
        repository.repo.git.commit(*options, "--only", "-m", message, "--", *edits)
    except git.GitCommandError as error:
        for path in edits:  # leave the files as they were in git
            repository.repo.git.checkout("--", path)
        raise QmsdocError(f"提交失败，审批没有记录：{error.stderr.strip()}") from None
    return str(repository.repo.head.commit.hexsha)


def _refuse_backdating(gate: GateResult, me: Caller) -> None:
    """An approval dated before the history it follows would be judged at the wrong date."""
    latest = gate.judge.dates.latest_before(me.commit)
    if latest is not None and me.when < latest - SKEW:
        raise ApprovalRefused(
            f"您的提交日期 {me.when:%Y-%m-%d %H:%M} 早于仓库中已有提交的日期 {latest:%Y-%m-%d %H:%M}。"
            "审批提交必须使用真实的当前时间：请取消 GIT_COMMITTER_DATE / GIT_AUTHOR_DATE 设置，"
            "并核对电脑时钟")


def _message(meaning: Right, documents: list[Document], person: Person, me: Caller) -> str:
    """Subject, one line per document (version and fingerprint), and the trailer."""
    trailer = APPROVED_BY if meaning is Right.APPROVE else REVIEWED_BY
    subject = (f"{meaning.label} {documents[0].number} {documents[0].version}"
               if len(documents) == 1 else f"{meaning.label} {len(documents)} 份文件")
    lines = "\n".join(f"{d.number} {d.version} {d.title} ({d.fingerprint[:19]})"
                      for d in documents)
    return f"{subject}\n\n{lines}\n\n{trailer}: {person.name} <{me.email}>\n"


def _refuse_unless_approvable(gate: GateResult, number: str, meaning: Right, person: Person,
                              me: Caller, role: str | None) -> tuple[Document, str]:
    """The document and the role to approve in, or the reason it cannot be approved."""
    status = gate.statuses.get(number)
    if status is None:
        raise ApprovalRefused(f"没有编号为 {number} 的受控文件（或其元数据有错误）")
    document = status.working
    action = meaning.label
    if status.uncommitted:
        raise ApprovalRefused(f"{document.label} 有未提交的修改。审批的是 git 中的内容："
                              "请编制人先提交修改")
    blocking = [f for f in gate.errors if _own_problem(f, document)]
    if blocking:
        listed = "\n".join(f.format() for f in blocking)
        raise ApprovalRefused(f"{document.label} 还有错误，改正后才能{action}：\n{listed}")
    latest = status.latest
    if meaning is Right.APPROVE and not status.pending:
        raise ApprovalRefused(f"{document.label} {document.version} 已经批准，无须再次批准")
    if latest is not None and status.pending and document.state is not State.OBSOLETE and (
            document.version <= latest.snapshot.version):
        raise ApprovalRefused(f"{document.label} 的修订版本号 {document.version} 没有高于已批准的 "
                              f"{latest.snapshot.version}：请编制人先提高版本号")
    for judged in status.approvals.judged:
        if (judged.valid and judged.person == person and judged.evidence.meaning is meaning
                and judged.evidence.snapshot.fingerprint == document.fingerprint
                and not (meaning is Right.REVIEW and not status.pending)):
            raise ApprovalRefused(f"您已于 {judged.evidence.date} {action}过 {document.label} 的这一版内容")
    # Judge the approval this would record, by the same rules the gate applies.
    hypothetical = Evidence(meaning, person.name, me.email, me.commit, -1,
                            Snapshot.of(document), "", status.authors)
    chosen = () if role is None else (
        ApprovalRecord(meaning, person.name, me.email, role, me.when.date(), document.fingerprint, 0),)
    verdict = gate.judge.judge(hypothetical, chosen)
    problems = [p for p in verdict.problems if not p[0].startswith("approval.unsigned")]
    if problems:
        raise ApprovalRefused("\n".join(f"不能{action}：{message}（{hint}）"
                                        for _, message, hint in problems))
    if meaning is Right.APPROVE and gate.settings.require_review:
        reviews = [j for j in status.approvals.judged
                   if j.valid and j.evidence.meaning is Right.REVIEW and j.person != person
                   and j.evidence.snapshot.fingerprint == document.fingerprint]
        if not reviews:
            raise ApprovalRefused(f"{document.label} 的这一版内容还没有经过他人有效审核："
                                  "请先由有审核权限的人运行 qmsdoc approve --review "
                                  f"{document.number}")
    assert verdict.role is not None
    return document, verdict.role


# Findings reported on a document that are about the whole system, not the document:
# a manual is built up step by step, so they never block approving it.
_ABOUT_THE_SYSTEM = frozenset({"coverage.clause-not-addressed", "record.not-produced"})


def _own_problem(finding: Finding, document: Document) -> bool:
    """An error in the document itself, which must be put right before approving it.

    Findings about other documents never block. Approval findings are left out
    too: approving is what settles them, and the approval is judged on its own.
    """
    return (finding.path == document.path and finding.document in (None, document.number)
            and not finding.rule.startswith("approval.")
            and finding.rule not in _ABOUT_THE_SYSTEM)


def record_approval(text: str, record: dict[str, str], fingerprint: str,
                    make_effective: bool) -> str:
    """The document text with the record added (and ``state: effective`` for 批准).

    Records of earlier revisions (another fingerprint) are dropped: the record
    list describes the current text. Only these two fields change, which the
    fingerprint leaves out, so the approved content stays byte for byte.
    """
    text = normalise(text)
    front = parse(text)
    assert front is not None and front.node is not None
    lines = text.split("\n")
    yaml_end = front.body_line - 2  # index of the closing --- line
    qms = next(value for key, value in front.node.value if key.value == "qms")
    indent = " " * qms.value[0][0].start_mark.column
    keys = [(key.value, key.start_mark.line + 1, value) for key, value in qms.value]
    kept = [r for r in front.data["qms"].get("approvals", []) if r.get("fingerprint") == fingerprint]
    block = [f"{indent}approvals:"]
    for item in [*kept, record]:
        block += [f"{indent}  - meaning: {item['meaning']}"]
        block += [f"{indent}    {key}: {_scalar(item[key])}"
                  for key in ("name", "email", "role", "date", "fingerprint")]
    state = next((value for name, _, value in keys if name == "state"), None)
    if make_effective and state is not None and state.value != State.OBSOLETE.key:
        line = state.start_mark.line + 1
        lines[line] = (lines[line][:state.start_mark.column] + State.EFFECTIVE.key
                       + lines[line][state.end_mark.column:])
    starts = [line for _, line, _ in keys]
    existing = next((line for name, line, _ in keys if name == "approvals"), None)
    if existing is None:
        end = yaml_end
        while end > 1 and not lines[end - 1].strip():
            end -= 1
        lines[end:end] = block
    else:
        following = [line for line in starts if line > existing]
        end = following[0] if following else yaml_end
        lines[existing:end] = block
    result = "\n".join(lines)
    check = parse_document("check.md", result).document
    if check is None or check.fingerprint != fingerprint:
        raise QmsdocError("写入审批记录时改变了文件内容，已中止（这是 qmsdoc 的缺陷，请报告）")
    return result


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as the same text."""
    plain = re.fullmatch(r"\w[\w@.\-:/+·]*", value) and not re.fullmatch(
        r"\d+(\.\d+)?|true|false|null|yes|no|on|off", value, re.IGNORECASE)
    return value if plain else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
