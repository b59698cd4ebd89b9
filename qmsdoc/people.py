"""Who is who: the people register, and the rights roles hold.

The register (``people.yml``) maps each person to git e-mail addresses, a
department, optional signing keys and the roles they hold, each for a period.
What a role may write, review and approve is not stated here: it comes from
the job responsibility documents (岗位职责), the single source of authority.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .findings import Finding, Severity
from .frontmatter import FrontMatterError, load_yaml
from .model import DocType, Document, Right
from .validation import Schema

_DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"}
_SCHEMA = Schema("people", {
    "type": "object",
    "required": ["people"],
    "additionalProperties": False,
    "properties": {"people": {"type": "array", "items": {
        "type": "object",
        "required": ["name", "emails", "department", "roles"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "emails": {"type": "array", "minItems": 1,
                       "items": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$"}},
            "department": {"type": "string", "minLength": 1},
            "signing_keys": {"type": "array", "items": {
                "type": "string", "pattern": r"^(ssh-|ecdsa-|sk-|gpg:)"}},
            "roles": {"type": "array", "items": {
                "type": "object", "required": ["role", "from"], "additionalProperties": False,
                "properties": {"role": {"type": "string", "minLength": 1},
                               "from": _DATE, "to": _DATE}}},
        },
    }}},
})


@dataclass(frozen=True)
class RoleTerm:
    role: str
    start: datetime.date
    end: datetime.date | None

    def covers(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Person:
    name: str
    emails: tuple[str, ...]
    department: str
    signing_keys: tuple[str, ...]
    roles: tuple[RoleTerm, ...]
    line: int

    def roles_on(self, day: datetime.date) -> list[str]:
        return [term.role for term in self.roles if term.covers(day)]


class Register:
    """The people register with look-ups by e-mail (case-insensitive)."""

    def __init__(self, people: Iterable[Person], path: str) -> None:
        self.people = tuple(people)
        self.path = path
        self._by_email = {e.lower(): p for p in self.people for e in p.emails}

    def by_email(self, email: str) -> Person | None:
        return self._by_email.get(email.lower())

    def holders(self, roles: Iterable[str], day: datetime.date) -> list[tuple[Person, list[str]]]:
        """Each person holding one of ``roles`` on ``day``, with the ones they hold."""
        wanted = set(roles)
        held = ((person, [role for role in person.roles_on(day) if role in wanted])
                for person in self.people)
        return [(person, roles_held) for person, roles_held in held if roles_held]


def load_register(settings: Settings) -> tuple[Register, list[Finding]]:
    """Read the register; problems become findings and the register may be partial."""
    path = settings.people_file
    file = settings.root / path
    if not file.is_file():
        return Register([], path), [Finding(
            "people.missing-register", Severity.ERROR, path, None,
            "人员名册不存在，无法核实谁有权审核和批准",
            f"创建 {path}（格式见 README 的“人员名册”一节）")]
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return Register([], path), [Finding("people.invalid", Severity.ERROR, path, None,
                                            "人员名册不是 UTF-8 编码",
                                            "用编辑器把文件另存为 UTF-8 编码")]
    return parse_register(text, path)


def parse_register(text: str, path: str) -> tuple[Register, list[Finding]]:
    """The register from its text (the working file or a version in git)."""
    try:
        parsed = load_yaml(text)
    except FrontMatterError as error:
        return Register([], path), [Finding("people.invalid", Severity.ERROR, path, error.line,
                                            "人员名册" + error.message, "改正该行的写法")]
    findings = [
        Finding("people.invalid", Severity.ERROR, path,
                parsed.line_at(list(error.absolute_path)),
                f"人员名册第 {_where(error.absolute_path)} 项有误：{error.message}",
                "每人写 name、emails（列表）、department、roles（role 与 from 日期）")
        for error in _SCHEMA.errors(parsed.data)
    ]
    if findings:
        return Register([], path), findings
    people = [
        Person(
            name=item["name"],
            emails=tuple(item["emails"]),
            department=item["department"],
            signing_keys=tuple(item.get("signing_keys", ())),
            roles=tuple(
                RoleTerm(term["role"], datetime.date.fromisoformat(term["from"]),
                         datetime.date.fromisoformat(term["to"]) if "to" in term else None)
                for term in item["roles"]),
            line=parsed.line_at(["people", index]),
        )
        for index, item in enumerate(parsed.data["people"])
    ]
    register = Register(people, path)
    return register, list(_duplicate_emails(register))


def _where(path: Iterable[Any]) -> str:
    return "/".join(str(p + 1) if isinstance(p, int) else str(p) for p in path)


def _duplicate_emails(register: Register) -> Iterator[Finding]:
    owner: dict[str, Person] = {}
    for person in register.people:
        for email in person.emails:
            other = owner.setdefault(email.lower(), person)
            if other is not person:
                yield Finding("people.duplicate-email", Severity.ERROR, register.path,
                              person.line, f"邮箱 {email} 同时登记给了 {other.name} 和 {person.name}",
                              "一个 git 邮箱只能属于一个人")


@dataclass(frozen=True, eq=False)
class Authorities:
    """Which role may write, review or approve which type of document."""

    grants: dict[str, dict[Right, frozenset[DocType]]]
    sources: dict[str, str]  # role -> number of the job responsibility that states it

    @classmethod
    def from_documents(cls, documents: Iterable[Document]) -> Authorities:
        grants: dict[str, dict[Right, frozenset[DocType]]] = {}
        sources: dict[str, str] = {}
        for document in documents:
            if document.type is DocType.JOB_RESPONSIBILITY and document.role:
                grants[document.role] = {r: frozenset(t) for r, t in document.authority.items()}
                sources[document.role] = document.number
        return cls(grants, sources)

    def allows(self, role: str, right: Right, doc_type: DocType) -> bool:
        return doc_type in self.grants.get(role, {}).get(right, frozenset())

    @functools.cache  # noqa: B019 - the instances are immutable and few
    def roles_with(self, right: Right, doc_type: DocType) -> list[str]:
        return [role for role in self.grants if self.allows(role, right, doc_type)]


def unknown_roles(register: Register, documents: Iterable[Document]) -> Iterator[Finding]:
    """Every role in the register has a job responsibility document."""
    described = {d.role for d in documents if d.type is DocType.JOB_RESPONSIBILITY}
    for person in register.people:
        for term in person.roles:
            if term.role not in described:
                yield Finding("people.unknown-role", Severity.ERROR, register.path, person.line,
                              f"{person.name} 的岗位“{term.role}”没有岗位职责文件",
                              "岗位名称要与岗位职责文件的 role 完全一致")
