"""The preview (`mkdocs serve --dirty`) rebuilds only the pages a change touches.

Between two rebuilds of one preview, a page is written again only when what it
shows has changed: its signature covers its text with the citations expanded,
its card, notices and revision history, so a change to another document's title
or version reaches the pages that cite it; a register's signature is its whole
text. A change to the navigation (a title, a document added or withdrawn)
rebuilds every page. Site pages (which may list documents) are always rebuilt.

Working out every signature takes a third of a rebuild at 1,000 documents, so a
document's page keeps its signature while what it is made from has not changed:
the commit checked out, the day, the governed files and job responsibilities
(they decide every approval's validity), its own working text and those of the
documents it cites. Job responsibilities (which list the documents of their
role), the registers and the pages of revisions to come or withdrawn documents
are worked out every time.
MkDocs then writes only those pages; the search index of a rebuild is
completed with the entries of the pages it did not write, and the theme's
templates are compiled once per preview, not once per rebuild.

The gate itself judges again only the documents whose working text changed
(:mod:`.gate_memory`). Only the preview does this: the staff site is always
built whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from .gate_memory import GateMemory
from .model import DocType
from .render import relative_link

if TYPE_CHECKING:
    from .site import SitePage, SitePlan

SEARCH_INDEX = "search/search_index.json"


@dataclass
class Rebuild:
    """One rebuild: the pages to write, and what they will show once written."""

    unchanged: set[str]
    signatures: dict[str, str]
    inputs: dict[str, object]
    common: object
    navigation: str


@dataclass
class PreviewMemory:
    """What the last successful build of this preview wrote (kept while `serve` runs)."""

    signatures: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, object] = field(default_factory=dict)  # what each signature came from
    common: object = None  # what every page is made from besides documents' own texts
    navigation: str | None = None
    search_docs: list[dict[str, Any]] = field(default_factory=list)
    templates: TemplateCache = field(default_factory=lambda: TemplateCache())
    gate: GateMemory = field(default_factory=GateMemory)

    def plan_rebuild(self, plan: SitePlan, navigation: Any) -> Rebuild:
        common = _common_inputs(plan)
        same_common = common == self.common
        signatures, inputs = {}, {}
        for page in plan.pages():
            uri = page.src_uri
            inputs[uri] = _inputs(plan, page)
            if same_common and inputs[uri] is not None and self.inputs.get(uri) == inputs[uri]:
                signatures[uri] = self.signatures[uri]
            else:
                signatures[uri] = signature(plan, page)
        nav = json.dumps(navigation, ensure_ascii=False, sort_keys=True)
        unchanged = set() if nav != self.navigation else {
            uri for uri, text in signatures.items() if self.signatures.get(uri) == text}
        return Rebuild(unchanged, signatures, inputs, common, nav)

    def remember(self, rebuild: Rebuild, site_dir: Path, rebuilt_urls: set[str]) -> None:
        """After a successful build: what its pages show, and the full search index."""
        self.signatures, self.inputs = rebuild.signatures, rebuild.inputs
        self.common = rebuild.common
        self.navigation = rebuild.navigation
        self.search_docs = complete_search_index(site_dir, rebuilt_urls, self.search_docs)


def _common_inputs(plan: SitePlan) -> tuple[object, ...]:
    """What every page is made from besides documents' own texts."""
    gate = plan.gate
    governed = tuple((gate.settings.root / name).read_bytes() if (
        gate.settings.root / name).is_file() else None
        for name in ("qmsdoc.yml", gate.settings.people_file, gate.settings.copies_file))
    responsibilities = tuple(d for d in gate.manual if d.type is DocType.JOB_RESPONSIBILITY)
    return (gate.repository.head(), gate.day, governed, responsibilities)


def _inputs(plan: SitePlan, page: SitePage) -> object:
    """What a document's page is made from, or ``None`` when its signature is always
    worked out (see the module's docstring)."""
    if page.number is None or page.revision is not None or page.obsolete:
        return None
    document = plan.gate.statuses[page.number].working
    if document.type is DocType.JOB_RESPONSIBILITY:
        return None
    cited = tuple((number, status.working if (status := plan.gate.statuses.get(number)) else None)
                  for number, _ in document.cited_documents())
    return (page.markdown, document, cited)


def signature(plan: SitePlan, page: SitePage) -> str:
    """What a page of the plan shows, short of the navigation."""
    register = plan.register_markdown(page.src_uri,
                                      lambda target: relative_link(target, page.src_uri))
    if register is not None:
        shown = register
    else:
        text = plan.decorate_markdown(page, plan.expand_macros(page.markdown, page.src_uri))
        shown = plan.decorate_html(page, text)
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()


def complete_search_index(site_dir: Path, rebuilt_urls: set[str],
                          previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the entries of the pages this build did not write to the index it wrote.

    The search plugin indexes only the pages written; without this, searching
    the preview would find only the pages changed since it started.
    """
    index_file = site_dir / SEARCH_INDEX
    if not index_file.is_file():
        return previous
    index = json.loads(index_file.read_text(encoding="utf-8"))
    kept = [doc for doc in previous if doc["location"].split("#")[0] not in rebuilt_urls]
    index["docs"] = kept + index["docs"]
    index_file.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    return list(index["docs"])


class TemplateCache(jinja2.BytecodeCache):
    """Compiled theme templates, kept in memory between the rebuilds of one preview.

    Each rebuild makes a new template environment; Jinja keys a compiled
    template by its name and a checksum of its source, so an edited template
    is compiled again.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()
