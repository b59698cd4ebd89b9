"""``qmsdoc check`` without judging history again, where git proves it has nothing new to say.

Most of a check's time goes into history: reading it, following every file,
judging every approval. What that part finds depends on nothing but the
commits that changed the paths it reads history for (the document folders,
the governed files, the register of copies), the working files, the settings,
the options and the day. So a check keeps that part, with the commit it was
made at, in the git folder (``.git/qmsdoc-cache/check``): its findings, and per
document what :mod:`.check_state` needs to judge that document again alone.
The next check uses them when

- its key is the same: qmsdoc's code and data, git's configuration, the
  options (strict, the day judged, the day of the run), the settings, the
  bytes of every job responsibility, governed file and register of copies in
  the working tree, which documents there are (path, number, type), which
  git tracks and which cannot be read;
- the commit checked then is the current one or an ancestor of it.

Then it judges again only the documents whose working file (bytes, uncommitted
or not) or history changed since, if the commits since changed nothing else
whose history is read (:func:`.check_state.rejudge`); otherwise it is a full
check. The working tree's own findings and the site pages (published as
committed, so any commit may change them) are checked again every time. Never
kept: a run with a commit dated in the future (time alone changes its
findings), one that verifies signatures (the keyring is outside git), one whose
settings in force are not the working file's, and one whose backfilled history
ends at an abbreviated commit id. With a register of copies (judged against the
whole history) it is kept, but a changed document means a full check. The file
is written as the other caches are: checksummed, plain data only, replaced whole.

A full check reads the whole log in the background while Python reads the
working files, then derives the approved texts the log names as it arrives
(:func:`.snapshots.derive_while_reading`): in a large history git's pass is
most of the time, and Python would otherwise wait for it.
"""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import history_cache
from .check_state import FUTURE_DATE, CheckState, kept_state, rejudge, working_inputs
from .clauses import load_catalogue
from .config import CONFIG_FILE, Settings
from .findings import Finding, sorted_findings
from .gate import GateResult, Judged, ReadAlready, WorkingTree, no_collections, run_gate
from .governance import SITE_CONFIG, SITE_HOOKS
from .history import GitRepository
from .publication import publication_day
from .snapshots import derive_while_reading

_FILE = "check"


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
    with no_collections():
        return _check(settings, strict, today)


def _check(settings: Settings, strict: bool, today: datetime.date | None) -> CheckOutcome:
    day, built_on = today or publication_day(), datetime.date.today()
    repository = GitRepository(settings.root)
    place = _place(repository) if history_cache.enabled() else None
    if place is None:
        return _outcome(run_gate(settings, strict=strict, today=day, built_on=built_on))
    file, head = place
    key = history_cache.git_identity(repository, str(file.parent.parent))
    kept = history_cache.read_file(file, key)
    state = CheckState.from_tables(kept) if kept is not None else None
    since = repository.log_since(state.commit, head) if state is not None else None
    with ThreadPoolExecutor(max_workers=2) as background:  # the log, and the small queries
        # A full check's history is read while Python reads the files, then derives texts.
        reading = background.submit(repository.read_log_ahead) if since is None else None
        working = WorkingTree.read(settings, repository, strict, background)
        if reading is not None:
            derive_while_reading(repository, reading, settings.document_folders)
    digests = dict(repository.derived.parsed_files())
    inputs = working_inputs(settings, working, digests, day, built_on)
    if state is not None and since is not None and state.inputs == inputs and _keepable(settings):
        rejudged = rejudge(state, since, head, settings, repository, working, digests, day,
                           _history_paths(settings))
        if rejudged is not None:
            from_history, now = rejudged
            pages = working.pages(settings, repository, load_catalogue(settings.standards))
            if now is not state and not any(f.rule == FUTURE_DATE for f in from_history):
                history_cache.write_file(file, key, now.tables())
            repository.save_cache()
            return CheckOutcome(sorted_findings([*working.findings, *pages.findings,
                                                 *from_history]), now.next_change)
    recorded: list[Judged] = []
    gate = run_gate(settings, strict=strict, today=day, built_on=built_on,
                    read=ReadAlready(repository, working), record=recorded.append)
    left = kept_state(recorded[0], head, inputs, gate.from_history, digests) if (
        recorded and gate.settings == settings and _keepable(settings)) else None
    if left is not None:
        history_cache.write_file(file, key, left)
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


def _history_paths(settings: Settings) -> list[str]:
    """The paths whose history the gate reads."""
    return [*settings.document_folders, settings.people_file, CONFIG_FILE, SITE_CONFIG,
            SITE_HOOKS, settings.copies_file]


def _keepable(settings: Settings) -> bool:
    """Whether findings under these settings may be kept: see the module's notes. (An
    abbreviated commit id in ``history_backfilled_until`` could come to name two commits:
    a new commit matters.)"""
    backfilled = settings.history_backfilled_until
    return not settings.require_signatures and (backfilled is None or len(backfilled) == 40)
