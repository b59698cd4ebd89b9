"""The document model: controlled documents as immutable values.

One identity per document (its number) and one per file (its POSIX path
relative to the repository root, which is also what git prints).
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar


class DocType(enum.Enum):
    """A document type, with its Chinese name and its numbering rule."""

    QUALITY_MANUAL = ("quality_manual", "质量手册", r"QM-[0-9]{2}", "QM-01")
    PROCEDURE = ("procedure", "程序文件", r"QP-[0-9]{2}", "QP-05")
    WORK_INSTRUCTION = ("work_instruction", "作业指导书", r"WI-[0-9]{2}-[0-9]{2}", "WI-10-01")
    JOB_RESPONSIBILITY = ("job_responsibility", "岗位职责", r"JR-[0-9]{2}", "JR-03")
    RECORD_TEMPLATE = ("record_template", "记录表格", r"QR-[0-9]{2}-[0-9]{2}", "QR-05-01")
    EXTERNAL_DOCUMENT = ("external_document", "外来文件", r"EX-[0-9]{2}", "EX-01")

    def __init__(self, key: str, label: str, number_pattern: str, example: str) -> None:
        self.key = key
        self.label = label
        self.number_re = re.compile(number_pattern + r"\Z")
        self.example = example

    @classmethod
    def from_key(cls, key: str) -> DocType:
        return next(t for t in cls if t.key == key)


class State(enum.Enum):
    """Lifecycle state of the text in a file."""

    DRAFT = ("draft", "草稿")
    IN_REVIEW = ("in_review", "审批中")
    EFFECTIVE = ("effective", "现行有效")
    OBSOLETE = ("obsolete", "已作废")

    def __init__(self, key: str, label: str) -> None:
        self.key = key
        self.label = label

    @classmethod
    def from_key(cls, key: str) -> State:
        return next(s for s in cls if s.key == key)


class Right(enum.Enum):
    """What a role may do with a type of document."""

    WRITE = ("write", "编制")
    REVIEW = ("review", "审核")
    APPROVE = ("approve", "批准")
    ISSUE = ("issue", "发放")  # controlled copies (受控本) of a type: issue and recall them

    def __init__(self, key: str, label: str) -> None:
        self.key = key
        self.label = label

    @classmethod
    def from_key(cls, key: str) -> Right:
        return next(r for r in cls if r.key == key)


VERSION_RE = re.compile(r"([A-Z])/([0-9]+)\Z")  # ASCII digits only: \d takes any script's


@dataclass(frozen=True, order=True, slots=True)
class Version:
    """A/0 style version: edition letter (版次) / amendment number (修改次数)."""

    edition: str
    amendment: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = VERSION_RE.match(text)
        if not match:
            raise ValueError(text)
        return cls(match.group(1), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.edition}/{self.amendment}"

    def successors(self) -> tuple[Version, ...]:
        """The versions a next revision may take: one more amendment, or a re-issue."""
        following = [Version(self.edition, self.amendment + 1)]
        if self.edition != "Z":
            following.append(Version(chr(ord(self.edition) + 1), 0))
        return tuple(following)


@dataclass(frozen=True, slots=True)
class Citation:
    """A ``{{ doc("QP-05") }}`` or ``{{ clause("9.2") }}`` in a document's text."""

    kind: str  # "doc" or "clause"
    target: str
    line: int


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A clause the quality manual excludes, with its written justification."""

    clause: str
    justification: str
    line: int


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """An approval as written in the front matter: a claim git must back."""

    meaning: Right
    name: str
    email: str
    role: str
    date: datetime.date
    fingerprint: str
    line: int


@dataclass(frozen=True, slots=True)
class Document:
    """One controlled document as read from one file (or one git blob)."""

    path: str
    number: str
    title: str
    type: DocType
    version: Version
    state: State
    department: str
    effective_date: datetime.date
    review_interval: int
    fingerprint: str
    body: str
    body_line: int
    clauses: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    change_summary: str = ""
    approvals: tuple[ApprovalRecord, ...] = ()
    role: str | None = None
    authority: Mapping[Right, tuple[DocType, ...]] = field(default_factory=dict)
    retention: str | None = None
    keeper: str | None = None
    exclusions: tuple[Exclusion, ...] = ()
    issuer: str | None = None
    reference: str | None = None
    replaced_by: str | None = None
    citations: tuple[Citation, ...] = ()
    field_lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        """The line of a front-matter field, or of the ``qms:`` key when absent."""
        return self.field_lines.get(name, self.field_lines.get("qms", 1))

    @property
    def label(self) -> str:
        """``QP-05《内部审核程序》``, the way documents are named in messages."""
        return f"{self.number}《{self.title}》"

    def cited_documents(self) -> Iterator[tuple[str, int]]:
        """Every document this one refers to, with the line that refers to it."""
        for number in self.related:
            yield number, self.line_of("related")
        for number in self.records:
            yield number, self.line_of("records")
        if self.replaced_by:
            yield self.replaced_by, self.line_of("replaced_by")
        for citation in self.citations:
            if citation.kind == "doc":
                yield citation.target, citation.line


T = TypeVar("T")


def repeats(items: Iterable[T], key: Callable[[T], str | None]) -> Iterator[tuple[T, T]]:
    """Each item whose key an earlier item already has, with that earlier item."""
    first: dict[str, T] = {}
    for item in items:
        value = key(item)
        if value is None:
            continue
        if value in first:
            yield item, first[value]
        else:
            first[value] = item


class Manual:
    """All controlled documents of a repository, sorted by path."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.documents = tuple(sorted(documents, key=lambda d: d.path))
        self._by_number: dict[str, Document] = {}
        for document in self.documents:
            # The first file wins; the loader reports the duplicate.
            self._by_number.setdefault(document.number, document)

    def get(self, number: str) -> Document | None:
        return self._by_number.get(number)

    def of_type(self, *types: DocType) -> list[Document]:
        return [d for d in self.documents if d.type in types]

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)
