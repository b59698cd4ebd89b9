"""``qmsdoc issue`` and ``qmsdoc recall``: the document controller's register of copies.

Both act as the caller's own git identity, like ``qmsdoc approve``: the caller
must hold today a role whose approved job responsibility grants the right to
issue (``authority: issue``) the document's type. Each writes the register and
commits it with the caller as author; ``qmsdoc issue`` also writes one PDF per
copy, stamped 受控本 with its copy number and holder on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import git

from .approve import Caller, caller
from .commit_dates import SKEW
from .config import Settings
from .copies import Copy, CopyRegister, Outcome, load_copies, with_issued, with_recalled
from .errors import QmsdocError
from .gate import GateResult, run_gate
from .history import GitRepository
from .model import DocType, Right
from .people import Person


class CopyRefused(QmsdocError):
    """The caller may not issue or recall this copy; the message says why."""


@dataclass(frozen=True)
class Issued:
    copies: tuple[Copy, ...]
    commit: str
    files: tuple[Path, ...]


PdfWriter = Callable[[GateResult, Copy], bytes]


def issue(settings: Settings, number: str, holder: str, count: int, output: Path,
          render: PdfWriter | None = None) -> Issued:
    """Issue ``count`` controlled copies of the revision of ``number`` in force today."""
    gate, me = _gate_as_caller(settings)
    status = gate.statuses.get(number)
    if status is None:
        raise CopyRefused(f"没有编号为 {number} 的受控文件")
    if not status.in_force:
        state = "已作废" if status.withdrawn else "还没有现行有效的版本"
        raise CopyRefused(f"{status.working.label} {state}：只能发放现行有效的文件")
    if not holder.strip():
        raise CopyRefused("请用 --to 写明持有人（人员或部门）")
    person = _controller(gate, me, status.working.type, "发放")
    register = _register(gate)
    version = status.published_document.version
    copies = tuple(Copy(n, number, version, holder.strip(), me.when.date(), person.name)
                   for n in register.next_numbers(number, version, count))
    render = render or stamped_pdf
    pdfs = [(copy, render(gate, copy)) for copy in copies]  # a missing font stops before commit
    text = with_issued(_text(gate), register, copies)
    listed = "、".join(c.number for c in copies)
    sha = _commit(gate, text, f"发放 {number} {version} 受控本 {len(copies)} 份：{listed}\n\n"
                              f"持有人：{holder.strip()}\n发放人：{person.name}\n")
    output.mkdir(parents=True, exist_ok=True)
    files = []
    for copy, pdf in pdfs:
        file = output / f"{copy.number}.pdf"
        file.write_bytes(pdf)
        files.append(file)
    return Issued(copies, sha, tuple(files))


def recall(settings: Settings, copy_number: str, kept: bool) -> tuple[Copy, str]:
    """Record that a copy came back: destroyed, or kept marked 作废留存."""
    gate, me = _gate_as_caller(settings)
    register = _register(gate)
    copy = register.get(copy_number)
    if copy is None:
        raise CopyRefused(f"发放回收登记 {register.path} 中没有发放号 {copy_number}")
    if copy.recalled_on is not None:
        raise CopyRefused(f"发放号 {copy_number} 已于 {copy.recalled_on} 由 {copy.recalled_by} 收回")
    status = gate.statuses[copy.document]
    person = _controller(gate, me, status.working.type, "收回")
    outcome = Outcome.KEPT if kept else Outcome.DESTROYED
    text = with_recalled(_text(gate) or "", register, copy, me.when.date(), person.name, outcome)
    sha = _commit(gate, text, f"收回 {copy.document} {copy.version} 受控本 {copy_number}"
                              f"（{outcome.label}）\n\n持有人：{copy.holder}\n收回人：{person.name}\n")
    return copy, sha


def stamped_pdf(gate: GateResult, copy: Copy) -> bytes:
    """The PDF of a copy: the revision in force, 受控本 with its number and holder on every page."""
    from .pdf import Marking, document_pdf  # WeasyPrint: loaded only to write PDFs

    return document_pdf(gate, copy.document, Marking(controlled_copy=copy.number,
                                                     holder=copy.holder))


def _gate_as_caller(settings: Settings) -> tuple[GateResult, Caller]:
    """The gate as of the day of the caller's commit, and the caller."""
    me = caller(GitRepository(settings.root))
    gate = run_gate(settings, today=me.when.date())
    latest = gate.judge.dates.latest_before(me.commit)
    if latest is not None and me.when < latest - SKEW:
        raise CopyRefused(f"您的提交日期 {me.when:%Y-%m-%d %H:%M} 早于仓库中已有提交的日期 "
                          f"{latest:%Y-%m-%d %H:%M}：请使用真实的当前时间，并核对电脑时钟")
    return gate, me


def _controller(gate: GateResult, me: Caller, doc_type: DocType, action: str) -> Person:
    """The caller, if today they hold a role entitled to issue this type of document."""
    person = gate.register.by_email(me.email)
    if person is None:
        raise CopyRefused(f"您的 git 邮箱 {me.email} 不在人员名册 {gate.register.path} 中，"
                          f"不能{action}受控本。请确认 git config user.email 是您登记的邮箱")
    day = me.when.date()
    roles = person.roles_on(day)
    if not any(gate.authorities.allows(role, Right.ISSUE, doc_type) for role in roles):
        entitled = gate.authorities.roles_with(Right.ISSUE, doc_type)
        raise CopyRefused(
            f"{person.name} 今天（{day}）担任的岗位（{'、'.join(roles) or '无'}）没有"
            f"{doc_type.label}的发放权限，不能{action}受控本。有此权限的岗位："
            f"{'、'.join(entitled) or '无（须在岗位职责的 authority 中写 issue）'}")
    return person


def _register(gate: GateResult) -> CopyRegister:
    """The register, refused when it has mistakes: entries are appended to a readable file."""
    register, findings, _ = load_copies(gate.settings)
    if gate.repository.run("status", "--porcelain", "--", register.path).strip():
        raise CopyRefused(f"发放回收登记 {register.path} 有未提交的修改：登记只由 qmsdoc issue 和 "
                          f"qmsdoc recall 写入并提交。请撤销手工修改（git checkout -- {register.path}）")
    if findings:
        listed = "\n".join(f.format() for f in findings)
        raise CopyRefused(f"发放回收登记 {register.path} 有错误，请先改正：\n{listed}")
    return register


def _text(gate: GateResult) -> str | None:
    file = gate.settings.root / gate.settings.copies_file
    return file.read_text(encoding="utf-8") if file.is_file() else None


def _commit(gate: GateResult, text: str, message: str) -> str:
    """Write the register and commit it alone, as the caller; undone if the commit fails."""
    path = gate.settings.copies_file
    file = gate.settings.root / path
    before = file.read_bytes() if file.is_file() else None
    file.write_text(text, encoding="utf-8")
    repository = gate.repository
    options = ["-S"] if gate.settings.require_signatures else []
    try:
        repository.repo.git.add("--", path)
        repository.repo.git.commit(*options, "-m", message, "--", path)
    except git.GitCommandError as error:
        if before is None:
            repository.repo.git.rm("--cached", "--quiet", "--ignore-unmatch", "--", path)
            file.unlink()
        else:
            file.write_bytes(before)
            repository.repo.git.reset("--quiet", "--", path)
        raise QmsdocError(f"提交失败，登记没有记录：{error.stderr.strip()}") from None
    return str(repository.repo.head.commit.hexsha)
