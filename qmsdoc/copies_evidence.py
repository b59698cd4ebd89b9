"""Who wrote each entry of the register of controlled copies, and whether they could.

The register is not governed like ``people.yml`` (an approval per change):
its entries are records of what the document controller did, written by
``qmsdoc issue`` and ``qmsdoc recall`` as the controller's own commits. What
makes an entry count is the commit that wrote it, judged as approvals are: git
blame names the commit of the line holding the copy number (the issue) and of
the line holding the recall date; its author must be in the people register and
on the commit's judged date hold a role whose approved job responsibility
grants ``authority: issue`` for the document's type, and must be the person the
entry names. As with approvals, without signatures the author of a commit is
what it says; a protected main branch is what makes it true.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from .commit_dates import CommitDates
from .copies import CopyRegister
from .findings import Finding, Severity
from .history import Commit, GitRepository
from .model import DocType, Right
from .people import Authorities, Register

_HEADER = re.compile(r"^([0-9a-f]{40}) [0-9]+ ([0-9]+)", re.MULTILINE)
_UNCOMMITTED = "0" * 40
_ISSUE = ("number", "document", "version", "holder", "issued_on", "issued_by")  # key line first
_RECALL = ("recalled_on", "recalled_by", "outcome")


def line_commits(repository: GitRepository, path: str) -> dict[int, str]:
    """The commit that last wrote each line of the working file (zeros: not committed)."""
    output = repository.run("blame", "--porcelain", "--", path, check=False)
    return {int(line): sha for sha, line in _HEADER.findall(output)}


def entry_findings(register: CopyRegister, lines: Mapping[int, str], commits: Mapping[str, Commit],
                   dates: CommitDates, people: Register,
                   authorities_at: Callable[[int], Authorities],
                   types: Mapping[str, DocType], strict: bool) -> Iterator[Finding]:
    """Every entry's issue and recall, written by someone entitled to issue that document."""
    for copy in register.copies:
        doc_type = types.get(copy.document)
        if doc_type is None:
            continue  # reported as an unknown document
        steps: list[tuple[tuple[str, ...], str, str]] = [(_ISSUE, "发放", copy.issued_by)]
        if copy.recalled_on is not None and copy.recalled_by is not None:
            steps.append((_RECALL, "收回", copy.recalled_by))
        for fields, action, named in steps:
            written = {line: lines.get(line, _UNCOMMITTED) for line in sorted(
                copy.field_lines[name] for name in fields if name in copy.field_lines)}
            loose = next((line for line, sha in written.items() if sha not in commits), None)
            if loose is not None:
                yield Finding("copies.uncommitted", Severity.ERROR if strict else Severity.WARNING,
                              register.path, loose,
                              f"发放号 {copy.number} 的{action}登记有未提交的修改，不能证明是谁登记的",
                              f"用 qmsdoc {'issue' if action == '发放' else 'recall'} 登记（它会提交）；"
                              "手工修改的请撤销", copy.document)
                continue
            key_sha = written[copy.field_lines[fields[0]]]  # the commit that made the entry
            judged: set[str] = set()
            for line, sha in written.items():
                if sha in judged:
                    continue
                judged.add(sha)
                commit = commits[sha]
                problem = _unentitled(commit, dates, people, authorities_at(commit.sequence),
                                      doc_type, action, named if sha == key_sha else None)
                if problem:
                    yield Finding("copies.not-entitled", Severity.ERROR, register.path, line,
                                  f"发放号 {copy.number} 的{action}登记（提交 {commit.short}，"
                                  f"{commit.author_name}）无效：{problem}",
                                  "受控本由有发放权限的岗位（岗位职责 authority: issue）的人员用 "
                                  "qmsdoc issue / qmsdoc recall 以本人身份登记", copy.document)


def _unentitled(commit: Commit, dates: CommitDates, people: Register, authorities: Authorities,
                doc_type: DocType, action: str, named: str | None) -> str | None:
    """Why the commit's author could not write this step (or, ``named``: was not the person
    the entry names), or ``None`` when they could."""
    person = people.by_email(commit.author_email)
    if person is None:
        return f"提交人的邮箱 {commit.author_email} 不在人员名册中"
    if named is not None and person.name != named:
        return f"登记的{action}人是 {named}，提交人却是 {person.name}"
    day = dates.judged(commit).date()
    roles = person.roles_on(day)
    if not any(authorities.allows(role, Right.ISSUE, doc_type) for role in roles):
        held = "、".join(roles) or "没有岗位"
        return f"{person.name} 在 {day} 担任的岗位（{held}）没有{doc_type.label}的发放权限"
    return None
