"""Management system standards and their clauses, with the Chinese headings of GB/T adoptions.

A manual declares the standards it covers (``standards:`` in ``qmsdoc.yml``). A clause
reference names its standard by the national number (``"24001:6.1.2"``); a bare number
(``"7.5.3"``) is accepted only while the manual declares one standard.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources

import yaml

REQUIREMENT_SECTIONS = frozenset({"4", "5", "6", "7", "8", "9", "10"})

SHIPPED = {
    "GB/T 19001-2016": "gb-t-19001-2016.yaml",
    "GB/T 24001-2016": "gb-t-24001-2016.yaml",
    "GB/T 45001-2020": "gb-t-45001-2020.yaml",
}
"""The standards qmsdoc ships a catalogue for, by national number."""
DEFAULT_STANDARDS = ("GB/T 19001-2016",)


@dataclass(frozen=True)
class Clause:
    number: str
    parent: str | None
    title_zh: str | None
    is_requirement: bool

    @property
    def section(self) -> str:
        return self.number.split(".")[0]


def standard_key(national: str) -> str:
    """``19001`` for ``GB/T 19001-2016``: what a clause reference writes before the colon."""
    match = re.search(r"([0-9]+)-[0-9]{4}$", national)
    return match.group(1) if match else national


class Standard:
    """One standard's clause list: lookups by number, children, headings."""

    def __init__(self, clauses: list[Clause], national: str, label: str, title: str) -> None:
        self.national = national
        """``GB/T 24001-2016``"""
        self.key = standard_key(national)
        self.label = label
        """``GB/T 24001-2016（ISO 14001:2015）``"""
        self.title = title
        """``环境管理体系 要求及使用指南``"""
        self._by_number = {c.number: c for c in clauses}
        self._children: dict[str | None, list[Clause]] = {}
        for clause in clauses:
            self._children.setdefault(clause.parent, []).append(clause)

    def get(self, number: str) -> Clause | None:
        return self._by_number.get(number)

    def __contains__(self, number: object) -> bool:
        return number in self._by_number

    def numbers(self) -> list[str]:
        return list(self._by_number)

    def children(self, number: str | None) -> list[Clause]:
        return self._children.get(number, [])

    def ancestors(self, number: str) -> Iterator[str]:
        """The clause itself, then its parent, up to its section."""
        clause = self.get(number)
        while clause is not None:
            yield clause.number
            clause = self.get(clause.parent) if clause.parent else None

    def heading(self, number: str) -> str:
        """``7.5.3 成文信息的控制``; untitled paragraphs borrow their parent's heading."""
        for candidate in self.ancestors(number):
            title = self._by_number[candidate].title_zh
            if title:
                return f"{number} {title}"
        return number


@dataclass(frozen=True)
class ClauseProblem:
    """Why a clause reference cannot be followed: a finding's rule, message and hint."""

    rule: str
    message: str
    hint: str


class ClauseCatalogue:
    """The clauses of the standards a manual declares, and how references to them resolve."""

    def __init__(self, standards: Sequence[Standard]) -> None:
        self.standards = tuple(standards)
        self._by_key = {s.key: s for s in self.standards}

    @property
    def several(self) -> bool:
        """More than one standard is declared: references must name theirs."""
        return len(self.standards) > 1

    @property
    def standard(self) -> str:
        """The declared standards, for messages: ``GB/T 19001-2016（ISO 9001:2015）``."""
        return "、".join(s.label for s in self.standards)

    def resolve(self, reference: str) -> tuple[Standard, str] | ClauseProblem:
        """The standard and clause number a reference names, or why it names none."""
        key, colon, number = reference.partition(":")
        if not colon:  # ``"7.5.3"``; ``"24001:6.1.2"`` names the standard by its number
            number = reference
            if self.several:
                return self._ambiguous(number)
            standard = self.standards[0]
        elif key.strip() in self._by_key:
            standard = self._by_key[key.strip()]
        else:
            return self._not_declared(reference, key.strip())
        if number not in standard:
            return ClauseProblem("clause.unknown", f"条款 {reference} 在 {standard.label}中不存在",
                                 f"{self._guess(standard, number)}条款号以 {standard.national} "
                                 "的目录为准")
        return standard, number

    def qualifier(self, standard: Standard) -> str | None:
        """What tells this standard's clauses apart from the others' (none when it is alone)."""
        return standard.key if self.several else None

    def heading_in(self, standard: Standard, number: str) -> str:
        """``7.5.3 成文信息的控制``, or ``GB/T 24001-2016 6.1.2 环境因素`` among several."""
        heading = standard.heading(number)
        return f"{standard.national} {heading}" if self.several else heading

    def heading(self, reference: str) -> str:
        """The heading a reference shows; an unresolvable one is shown as written."""
        found = self.resolve(reference)
        return reference if isinstance(found, ClauseProblem) else self.heading_in(*found)

    def anchor_of(self, reference: str) -> tuple[str, str | None]:
        """The clause number and standard qualifier a link to the clause matrix is made of."""
        found = self.resolve(reference)
        if isinstance(found, ClauseProblem):
            return reference, None
        return found[1], self.qualifier(found[0])

    def _example(self, number: str) -> str:
        first = self.standards[0]
        return f'"{first.key}:{number}"' if self.several else f'"{number}"'

    def _guess(self, standard: Standard, number: str) -> str:
        close = difflib.get_close_matches(number, standard.numbers(), n=1)
        return f"是不是 {standard.heading(close[0])}？" if close else ""

    def _ambiguous(self, number: str) -> ClauseProblem:
        having = [s for s in self.standards if number in s]
        declared = "、".join(s.national for s in self.standards)
        ways = "、".join(f'"{s.key}:{number}"（{s.national} {s.heading(number)}）' for s in having)
        return ClauseProblem(
            "clause.ambiguous",
            f"条款 {number} 没有写明属于哪个标准：本手册声明了 {declared}，"
            + (f"其中 {'、'.join(s.national for s in having)} 都有条款 {number}" if len(having) > 1
               else f"条款 {number} 可能属于 {having[0].national}" if having
               else f"它们都没有条款 {number}"),
            "声明了多个标准时，条款号前要写标准号和冒号，"
            + (f"写作 {ways}" if having else f"例如 {self._example(number)}"))

    def _not_declared(self, reference: str, key: str) -> ClauseProblem:
        declared = "、".join(s.national for s in self.standards)
        shipped = [n for n in SHIPPED if standard_key(n) == key]
        if shipped:
            return ClauseProblem(
                "clause.standard-not-declared",
                f"条款 {reference} 属于 {shipped[0]}，但本手册没有声明这个标准（声明的是：{declared}）",
                f"如果本手册覆盖 {shipped[0]}，把它加入 qmsdoc.yml 的 standards；否则改正条款引用")
        return ClauseProblem(
            "clause.standard-not-declared",
            f"条款 {reference} 前的 {key} 不是本手册声明的标准（声明的是：{declared}），"
            f"qmsdoc 也不附带它的条款目录（附带的是：{'、'.join(SHIPPED)}）",
            "条款引用写作 标准号:条款号，例如 "
            + "、".join(f'"{s.key}:7.5"' for s in self.standards)
            + "；不在本手册范围内的标准，其条款不能引用")


@functools.cache  # shipped data, read once per process
def load_standard(national: str) -> Standard:
    """The shipped catalogue of one standard (``national`` must be a key of ``SHIPPED``)."""
    text = (resources.files("qmsdoc") / "data" / "standards" / SHIPPED[national]).read_text(
        encoding="utf-8")
    data = yaml.load(text, Loader=yaml.CSafeLoader)
    clauses = [
        Clause(
            number=item["number"],
            parent=item["parent"],
            title_zh=item["title_zh"],
            is_requirement=item["number"].split(".")[0] in REQUIREMENT_SECTIONS,
        )
        for item in data["clauses"]
    ]
    about = data["standard"]
    return Standard(clauses, about["national_adoption"],
                    f"{about['national_adoption']}（{about['id']}）", about["title_zh"])


def load_catalogue(standards: Sequence[str] = DEFAULT_STANDARDS) -> ClauseCatalogue:
    """The clauses of the declared standards (national numbers checked by the settings)."""
    return ClauseCatalogue([load_standard(national) for national in standards])
