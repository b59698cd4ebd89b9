"""ISO 9001:2015 clauses with their GB/T 19001-2016 Chinese headings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import yaml

REQUIREMENT_SECTIONS = frozenset({"4", "5", "6", "7", "8", "9", "10"})


@dataclass(frozen=True)
class Clause:
    number: str
    parent: str | None
    title_zh: str | None
    is_requirement: bool

    @property
    def section(self) -> str:
        return self.number.split(".")[0]


class ClauseCatalogue:
    """Lookups over the clause list: by number, children, headings."""

    def __init__(self, clauses: list[Clause], standard: str) -> None:
        self.standard = standard
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


def load_catalogue() -> ClauseCatalogue:
    text = resources.files("qmsdoc").joinpath("data/iso9001-2015-clauses.yaml").read_text(
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
    standard = f"{data['standard']['national_adoption']}（{data['standard']['id']}）"
    return ClauseCatalogue(clauses, standard)
