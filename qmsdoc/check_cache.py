"""``qmsdoc check`` without reading history again, where git proves it has nothing new to say.

Most of a check's time goes into history: reading it, following every file,
judging every approval. What that part finds depends on nothing but the
commits that changed the paths it reads history for (the document folders,
the governed files, the register of copies), the working files, the settings,
the options and the day. So a check keeps that part of its findings, with the
commit it was made at, in the git folder (``.git/qmsdoc-cache/check``), and
the next check uses them instead of reading history when

- its key is the same: qmsdoc's code and data, git's configuration, the
  options (strict, the day judged, the day of the run), the settings, the
  bytes of every controlled document, governed file and register of copies in
  the working tree, and which documents git tracks and finds changed;
- the commit checked then is the current one or an ancestor of it, and no
  commit since changed any of those paths (``git log --raw`` of those commits,
  a merge against each of its parents).

The working tree's own findings and the site pages (published as committed,
so any commit may change them) are checked again every time. Never kept: a
run with a commit dated in the future (time alone changes its findings), one
that verifies signatures (the keyring is outside git), one whose settings in
force are not the working file's, and one whose backfilled history ends at an
abbreviated commit id. The file is written as the other caches
are: checksummed, plain data only, replaced whole.
"""

from __future__ import annotations

import datetime
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import history_cache
from .clauses import load_catalogue
from .config import CONFIG_FILE, Settings
from .derived_cache import finding_from_plain, plain_finding
from .findings import Finding, sorted_findings
from .gate import GateResult, ReadAlready, WorkingTree, run_gate
from .governance import SITE_CONFIG, SITE_HOOKS
from .history import GitRepository
from .publication import publication_day

_FILE = "check"
_NOT_KEPT = "history.future-date"  # a finding the passing of time alone can take back


@dataclass(frozen=True)
class CheckOutcome:
    """What ``qmsdoc check`` reports."""

    findings: list[Finding]
    next_change: tuple[datetime.date, list[str]] | None
    """The next day the published site changes, and what takes effect then."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]


def check(settings: Settings, *, strict: bool = False,
          today: datetime.date | None = None) -> CheckOutcome:
    """The gate's findings, as :func:`~qmsdoc.gate.run_gate` gives them."""
    day, built_on = today or publication_day(), datetime.date.today()
    repository = GitRepository(settings.root)
    place = _place(repository) if history_cache.enabled() else None
    if place is None:
        return _outcome(run_gate(settings, strict=strict, today=day, built_on=built_on))
    file, head = place
    key = history_cache.git_identity(repository, str(file.parent.parent))
    kept = history_cache.read_file(file, key)
    kept_now = kept[0] if kept is not None and len(kept) == 1 and _applies(
        kept[0], settings, repository, head) else None
    with ThreadPoolExecutor(max_workers=1) as background:
        if not kept_now:  # history is read while Python reads the files
            background.submit(repository.read_log_ahead)
        working = WorkingTree.read(settings, repository, strict, background)
    inputs = _inputs(settings, repository, working, strict, day, built_on)
    if kept_now is not None and kept_now.get("inputs") == inputs:
        pages = working.pages(settings, repository, load_catalogue(settings.standards), strict)
        from_history = [finding_from_plain(f) for f in kept_now["findings"]]
        repository.save_cache()
        return CheckOutcome(sorted_findings([*working.findings, *pages.findings,
                                             *from_history]), _next_change(kept_now))
    gate = run_gate(settings, strict=strict, today=day, built_on=built_on,
                    read=ReadAlready(repository, working))
    if _keepable(gate, settings):
        change = gate.next_change()
        history_cache.write_file(file, key, ({
            "commit": head, "inputs": inputs,
            "findings": tuple(plain_finding(f) for f in gate.from_history),
            "next_change": None if change is None else (change[0].toordinal(), tuple(change[1])),
        }.items(),))
    return _outcome(gate)


def _outcome(gate: GateResult) -> CheckOutcome:
    return CheckOutcome(gate.findings, gate.next_change())


def _place(repository: GitRepository) -> tuple[Path, str] | None:
    """The cache file and the current commit; ``None``: no cache (no commit yet, or a
    shallow clone, whose history a fetch can deepen)."""
    if not repository.has_commits():
        return None
    git_dir, shallow, head = repository.run(
        "rev-parse", "--path-format=absolute", "--git-common-dir", "--is-shallow-repository",
        "HEAD").split("\n")[:3]
    if shallow != "false":
        return None
    return Path(git_dir) / history_cache.FOLDER / _FILE, head


def _inputs(settings: Settings, repository: GitRepository, working: WorkingTree, strict: bool,
            day: datetime.date, built_on: datetime.date) -> str:
    """Everything besides git and the commits that the findings kept depend on."""
    digest = hashlib.sha256()
    for part in (history_cache.code_key(),
                 repr((strict, day, built_on, settings)),
                 repr(repository.derived.parsed_files()),
                 repr(sorted(working.loaded.unreadable_numbers)),
                 repr(working.findings),
                 repr((sorted(working.tracked), sorted(working.uncommitted))),
                 repr(_governed_files(settings))):
        digest.update(part.encode() + b"\0\0")
    return digest.hexdigest()


def _history_paths(settings: Settings) -> list[str]:
    """The paths whose history the gate reads."""
    return [*settings.document_folders, settings.people_file, CONFIG_FILE, SITE_CONFIG,
            SITE_HOOKS, settings.copies_file]


def _governed_files(settings: Settings) -> list[tuple[str, str]]:
    """(path, SHA-256 of the bytes) of the governed files and the register of copies in the
    working tree (what is under hooks/ too)."""
    root, files = settings.root, []
    for path in (settings.people_file, CONFIG_FILE, SITE_CONFIG, settings.copies_file):
        files.append((path, _file_digest(root / path)))
    hooks = root / SITE_HOOKS
    for file in sorted(hooks.rglob("*")) if hooks.is_dir() else ():
        files.append((file.relative_to(root).as_posix(), _file_digest(file)))
    return files


def _file_digest(file: Path) -> str:
    if file.is_symlink():
        return f"link {file.readlink()}"
    if not file.is_file():
        return "directory" if file.is_dir() else "none"
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _applies(stored: dict[str, Any], settings: Settings, repository: GitRepository,
             head: str) -> bool:
    """The kept findings still hold: no commit since touched a path history is read for."""
    since = stored.get("commit")
    if not isinstance(since, str):
        return False
    changed = repository.changed_since(since, head)
    return changed is not None and not any(
        _under(path, prefix) for path in changed for prefix in _history_paths(settings))


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/") or prefix in ("", ".")


def _keepable(gate: GateResult, settings: Settings) -> bool:
    """Whether the findings may be kept: see the module's notes. (An abbreviated commit id
    in ``history_backfilled_until`` could come to name two commits: a new commit matters.)"""
    backfilled = settings.history_backfilled_until
    return (gate.settings == settings and not settings.require_signatures
            and (backfilled is None or len(backfilled) == 40)
            and not any(f.rule == _NOT_KEPT for f in gate.from_history))


def _next_change(stored: dict[str, Any]) -> tuple[datetime.date, list[str]] | None:
    change = stored.get("next_change")
    if change is None:
        return None
    day, numbers = change
    return datetime.date.fromordinal(day), list(numbers)
