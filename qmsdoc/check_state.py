"""What a check leaves for the next one: each document's history, findings and status.

After one new commit to one document, most of a full check would judge again
what cannot have changed: every other document's approvals. So a check keeps,
besides its findings, per document: the bytes of its working file (their
SHA-256), its file events with the commits they belong to (and the dates those
are judged at), the findings about it and what the checks across documents need
of its status (:class:`~.gate.Summary`). The next check, when git shows that
the commits since changed nothing but the content of documents other than job
responsibilities (no merge, no governing file, no file added, removed or
renamed), judges again only the documents those commits or the working tree
changed, and everything that depends on more than one document:

- the governing files in force and the job responsibilities' authorities, from
  the events kept of those files (no commit since touched them);
- each changed document, from its events kept and those of the new commits;
- the dates of the new commits, resumed from the latest date of the history
  before them;
- the checks across documents, from every document's status summary.

Each of these steps is the full gate's own code (:mod:`.gate`), run on part of
the history; the tests compare the result with a full check's, finding for
finding. Anything else (a merge, a rename, a new document, another setting,
an edited job responsibility or governing file) is a full check.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import history_cache
from .approvals import collect_evidence
from .clauses import load_catalogue
from .commit_dates import CommitDates
from .config import CONFIG_FILE, Settings
from .derived_cache import finding_from_plain, plain_finding
from .findings import Finding
from .gate import (
    Judged,
    Judging,
    Summary,
    WorkingTree,
    across_documents,
    judge_documents,
    misdated,
    reviewed_blobs,
)
from .governance import SITE_CONFIG, SITE_HOOKS, governed
from .history import Change, Commit, FileEvent, GitRepository, History, read_commits
from .history_cache import dump_data, load_data
from .model import DocType
from .publication import next_change
from .snapshots import Blobs

FUTURE_DATE = "history.future-date"  # a finding the passing of time alone can take back
Tables = tuple[Iterable[tuple[str, Any]], Iterable[tuple[str, Any]]]


@dataclass
class CheckState:
    """One check's state, as kept (plain data only)."""

    commit: str
    """The commit checked."""
    commits: int
    """How many commits its history has."""
    latest: tuple[str, str]
    """The commit with the latest date in that history, and that date (ISO 8601)."""
    inputs: str
    """The key of what the findings depend on besides history and the documents."""
    findings: tuple[tuple[Any, ...], ...]
    """Every finding history decides."""
    dated: tuple[tuple[Any, ...], ...]
    """The findings about commit dates."""
    watched: bytes
    """The events of the governing files (:func:`_events`)."""
    documents: dict[str, tuple[str, bool, bytes, tuple[tuple[Any, ...], ...], Summary]]
    """Per path: SHA-256 of the working file, whether it had uncommitted changes, its
    events, the findings about it, its status summary."""
    alone: bool
    """Whether a document may be judged again alone: not with a register of controlled
    copies, which is judged against every document's status and the whole history."""

    def fields(self) -> Iterable[tuple[str, Any]]:
        """Everything but the documents, as the first table of the state's file."""
        return {"commit": self.commit, "commits": self.commits, "latest": self.latest,
                "inputs": self.inputs, "findings": self.findings, "dated": self.dated,
                "watched": self.watched, "alone": self.alone}.items()

    def tables(self) -> Tables:
        """The state as the two tables of its file: :meth:`fields`, then the documents."""
        return self.fields(), ((path, _plain_record(*record))
                               for path, record in self.documents.items())

    @classmethod
    def from_tables(cls, tables: tuple[dict[Any, Any], ...]) -> CheckState | None:
        try:
            fields, plain_documents = tables
            documents = {path: (digest, uncommitted, events, findings, Summary(*summary))
                         for path, (digest, uncommitted, events, findings, summary)
                         in plain_documents.items()}
            return cls(fields["commit"], fields["commits"], tuple(fields["latest"]),
                       fields["inputs"], fields["findings"], fields["dated"], fields["watched"],
                       documents, fields["alone"])
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def next_change(self) -> tuple[datetime.date, list[str]] | None:
        return next_change(c for record in self.documents.values() for c in record[4].coming)


def inputs_key(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode() + b"\0\0")
    return digest.hexdigest()


def working_inputs(settings: Settings, working: WorkingTree, digests: dict[str, str],
                   day: datetime.date, built_on: datetime.date) -> str:
    """Everything besides git, the commits and each document's own text and state that the
    findings kept depend on."""
    manual = working.loaded.manual
    return inputs_key(history_cache.code_key(), working.strict, day, built_on, settings,
                      [(d.path, d.number, d.type) for d in manual],
                      [digests.get(d.path) for d in manual.of_type(DocType.JOB_RESPONSIBILITY)],
                      sorted(working.loaded.unreadable_numbers), sorted(working.tracked),
                      _governed_files(settings))


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


def kept_state(judged: Judged, head: str, inputs: str, findings: Iterable[Finding],
               digests: dict[str, str]) -> Tables | None:
    """The state a full check leaves, as the tables :meth:`CheckState.tables` gives; ``None``
    if it may not be kept (a commit dated in the future: time alone changes its findings).

    Each document's events are made into bytes as the table is written, not all at once:
    at 10,000 documents they are tens of megabytes, beside everything the check holds."""
    kept = tuple(plain_finding(f) for f in findings)
    if any(f[0] == FUTURE_DATE for f in kept) or not judged.history.commits:
        return None
    history, dates = judged.history, judged.dates
    latest = dates.latest[head]
    state = CheckState(head, len(history.commits), (latest, dates.dates[latest].isoformat()),
                       inputs, kept, tuple(plain_finding(f) for f in judged.dated),
                       _events([e for events in history.watched.values() for e in events],
                               dates), {}, not judged.has_copies)
    documents = ((status.working.path, _plain_record(
        digests.get(status.working.path, ""), status.uncommitted,
        _events(history.events.get(status.working.path, []), dates),
        tuple(plain_finding(f) for f in found), judged.summaries[status.working.number]))
        for status, found in judged.documents)
    return state.fields(), documents


def _plain_record(digest: str, uncommitted: bool, events: bytes,
                  findings: tuple[tuple[Any, ...], ...], summary: Summary) -> tuple[Any, ...]:
    return digest, uncommitted, events, findings, tuple(summary)


def rejudge(state: CheckState, log: list[str], head: str, settings: Settings,
            repository: GitRepository, working: WorkingTree, digests: dict[str, str],
            day: datetime.date, history_paths: list[str]) -> tuple[list[Finding], CheckState] | None:
    """What history decides now, judging again only what changed since ``state``; ``log``:
    the commits since (:meth:`~.history.GitRepository.log_since`). ``None``: a full check
    is needed."""
    new = read_commits(log, state.commits)
    manual = working.loaded.manual
    by_path = {document.path: document for document in manual}
    if new is None or set(by_path) != set(state.documents):
        return None
    changed_by_commits = _documents_changed(new, by_path, history_paths)
    if changed_by_commits is None:
        return None
    changed = changed_by_commits | {
        path for path, record in state.documents.items()
        if (digests.get(path, ""), path in working.uncommitted) != record[:2]}
    if not changed:
        findings = [finding_from_plain(f) for f in state.findings]
        return findings, state  # nothing new: the commits since touched no document
    if not state.alone or any(by_path[path].type is DocType.JOB_RESPONSIBILITY
                              for path in changed):
        return None

    known: dict[str, tuple[datetime.datetime, str | None]] = {}
    dated: dict[str, datetime.datetime] = {}
    backfilled: set[str] = set()
    reading = [path for path, document in by_path.items()
               if path in changed or document.type is DocType.JOB_RESPONSIBILITY]
    events = {path: _read_events(state.documents[path][2], known, dated, backfilled)
              for path in reading}
    watched_events = _read_events(state.watched, known, dated, backfilled)
    latest, latest_date = state.latest
    dated[latest] = datetime.datetime.fromisoformat(latest_date)
    for commit, changes in new:
        for kind, path, _, blob, old_blob in changes:
            if path in changed_by_commits:
                events[path].append(FileEvent(commit, kind, path, blob, old_blob))
    commits = [commit for commit, _ in new]
    dates = CommitDates.resumed(known, dated, backfilled, (state.commit, latest), commits)
    history = History(events, _watched(settings, watched_events), commits)

    blobs = Blobs(repository, reviewed_blobs(events), manual)
    evidence = {by_path[path].number: collect_evidence(found, blobs)
                for path, found in events.items()}
    judging = Judging.of(settings, repository, history, manual, evidence, working.strict, False,
                         lambda _: dates)
    if judging.settings != settings:
        return None
    now_dated = [*map(finding_from_plain, state.dated), *misdated(dates, history, history.commits)]
    judged = judge_documents((by_path[path] for path in sorted(changed)), history, blobs,
                             evidence, judging, day, working)
    documents = dict(state.documents)
    for status, found in judged:
        path = status.working.path
        documents[path] = (digests.get(path, ""), status.uncommitted,
                           _events(events[path], dates), tuple(plain_finding(f) for f in found),
                           Summary.of(status))
    summaries = {by_path[path].number: record[4] for path, record in documents.items()}
    of_documents = [finding_from_plain(f) for record in documents.values() for f in record[3]]
    clauses = load_catalogue(settings.standards)
    findings = [*judging.findings, *now_dated, *of_documents,
                *across_documents(settings, working.loaded, summaries, judging.timeline, clauses)]
    last = dates.latest[head]
    return findings, CheckState(
        head, state.commits + len(new), (last, dates.dates[last].isoformat()), state.inputs,
        tuple(plain_finding(f) for f in findings), tuple(plain_finding(f) for f in now_dated),
        state.watched, documents, state.alone)


def _documents_changed(new: list[tuple[Commit, list[Change]]], by_path: dict[str, Any],
                       history_paths: list[str]) -> set[str] | None:
    """The documents the new commits change; ``None`` if they do anything else to a path
    whose history the gate reads (add, remove, rename, change a governing file)."""
    changed: set[str] = set()
    for _, changes in new:
        for kind, path, old_path, _, _ in changes:
            if not any(_under(p, prefix) for p in (path, old_path) if p
                       for prefix in history_paths):
                continue
            if kind != "M" or path not in by_path:
                return None
            changed.add(path)
    return changed


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/") or prefix in ("", ".")


def _watched(settings: Settings, events: list[FileEvent]) -> dict[str, list[FileEvent]]:
    """The governing files' events by watched path, as :func:`~.history.read_history` has them."""
    watched: dict[str, list[FileEvent]] = {unit.path: [] for unit in governed(settings)}
    folders = [path for path in watched if path.endswith("/")]
    for event in events:
        key = event.path if event.path in watched else next(
            (folder for folder in folders if event.path.startswith(folder)), None)
        if key is not None:
            watched[key].append(event)
    return watched


def _events(events: list[FileEvent], dates: CommitDates) -> bytes:
    """A file's events with their commits and the dates those are judged at, as bytes: only
    the few documents a check judges again are ever read back."""
    rows = []
    for event in events:
        commit = event.commit
        before = dates.before.get(commit.sha)
        rows.append((commit.sha, commit.parents, commit.author_name, commit.author_email,
                     commit.date.isoformat(), commit.subject, commit.trailers, commit.sequence,
                     before, dates.dates[before].isoformat() if before else None,
                     commit.sha in dates.backfilled,
                     event.status, event.path, event.blob, event.old_blob))
    return dump_data(tuple(rows))


def _read_events(content: bytes, known: dict[str, tuple[datetime.datetime, str | None]],
                 dated: dict[str, datetime.datetime], backfilled: set[str]) -> list[FileEvent]:
    """The events :func:`_events` kept; what they say of commit dates goes into the others."""
    events = []
    for (sha, parents, name, email, date, subject, trailers, sequence, before, before_date,
         was_backfilled, status, path, blob, old_blob) in load_data(content):
        commit = Commit(sha, parents, name, email, datetime.datetime.fromisoformat(date),
                        subject, trailers, sequence)
        known[sha] = (commit.date, before)
        if before is not None:
            dated[before] = datetime.datetime.fromisoformat(before_date)
        if was_backfilled:
            backfilled.add(sha)
        events.append(FileEvent(commit, status, path, blob, old_blob))
    return events
