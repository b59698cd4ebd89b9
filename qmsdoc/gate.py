"""The gate: every check over a repository, with its history and approvals.

``run_gate`` is what ``qmsdoc check`` and the MkDocs hook both call. It loads
the working tree, reads git history once, judges every approval, works out
what each document publishes, and runs the checks over the manual. It raises
only when the run cannot continue; everything else is a finding.
"""

from __future__ import annotations

import datetime
import gc
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .approvals import (
    FileEvidence,
    Judge,
    approval_signers,
    approve_revisions,
    collect_evidence,
    unsupported_records,
)
from .checks import CheckContext, run_checks
from .clauses import ClauseCatalogue, load_catalogue
from .commit_dates import CommitDates
from .config import CONFIG_FILE, Settings
from .copies import CopyRegister, load_copies, register_findings
from .copies_evidence import entry_findings, line_commits
from .entitlement import AuthorityTimeline, settle_timeline
from .findings import Finding, Severity, sorted_findings
from .governance import Governance, GovernedChange, govern, governed
from .history import Commit, FileEvent, GitRepository, History, read_history
from .loader import LoadResult, load_manual
from .model import DocType, Document, Manual, State
from .pages import PagesInGit, SitePages, pages_in_git, read_site_pages
from .people import Authorities, Register, load_register, unknown_roles
from .publication import (
    DocumentStatus,
    coming_changes,
    later_commits,
    next_change,
    publication_day,
    publication_findings,
)
from .published_content import published_content_findings
from .signatures import verify
from .snapshots import Blobs, Snapshot, derive_while_reading
from .versions import review_findings, version_findings

if TYPE_CHECKING:
    from .gate_memory import GateMemory


@dataclass(frozen=True)
class GateResult:
    settings: Settings
    repository: GitRepository
    clauses: ClauseCatalogue
    register: Register
    authorities: Authorities
    judge: Judge
    manual: Manual
    statuses: dict[str, DocumentStatus]
    pages: SitePages
    findings: list[Finding]
    day: datetime.date
    """The day the site publishes for: what is in force is judged as of this day."""
    built_on: datetime.date
    """The day of the run: a ``day`` before it is a view of the past, after it a preview."""
    governed_changes: tuple[GovernedChange, ...] = ()
    """Every change to the people register, the settings, mkdocs.yml and hooks/, judged."""
    copies: CopyRegister | None = None
    """The register of controlled copies (受控文件发放回收登记) as the working file has it."""
    from_history: tuple[Finding, ...] = ()
    """The findings that history decides: all but the working tree's own and the site pages'."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    def published(self) -> list[DocumentStatus]:
        """Documents whose approved revision is in force, in path order."""
        return [s for s in self.statuses.values() if s.in_force]

    def next_change(self) -> tuple[datetime.date, list[str]] | None:
        """The next day the published site changes, and what takes effect then."""
        return next_change(c for s in self.statuses.values() for c in coming_changes(s))


def run_gate(settings: Settings, *, strict: bool = False, today: datetime.date | None = None,
             publishing: bool = False, built_on: datetime.date | None = None,
             read: ReadAlready | None = None,
             record: Callable[[Judged], None] | None = None,
             memory: GateMemory | None = None) -> GateResult:
    """Check the repository and decide what is published on ``today`` (see
    :func:`~qmsdoc.publication.publication_day`).

    ``publishing``: the staff site is about to be built from this working tree,
    so whatever MkDocs itself reads (its settings, the hooks) must be approved.
    ``built_on``: the day of the run (default: the real today); ``qmsdoc verify``
    rebuilds a site as it was built on its day. ``read``: what was read already
    (the working tree with ``strict`` as given here). ``record``: given what was judged.
    ``memory``: what the last run of this process judged, reused where it still applies
    (a preview, see :mod:`.gate_memory`), and then what this run judged.
    """
    with no_collections():
        return _run_gate(settings, strict, today or publication_day(), publishing,
                         built_on or datetime.date.today(), read, record, memory)


@contextmanager
def no_collections() -> Iterator[None]:
    """No cyclic garbage collection while the gate runs (and what keeps its results).

    Almost everything the gate creates lives until its result is built, and it
    makes few reference cycles: the collector's passes over a heap of hundreds of
    thousands of objects free next to nothing, and cost 5% of a check in a large
    repository. Reference counting still frees what is dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class WorkingTree:
    """What the gate reads from the working tree and the current commit alone, with
    what is wrong with it (the rest of the gate needs history)."""

    loaded: LoadResult
    tracked: set[str]
    """The document folders' files git tracks."""
    uncommitted: set[str]
    """The document folders' files with uncommitted changes."""
    pages_git: PagesInGit
    findings: list[Finding]
    strict: bool

    @classmethod
    def read(cls, settings: Settings, repository: GitRepository, strict: bool,
             background: Executor) -> WorkingTree:
        """Git's part runs in ``background`` while Python reads the files."""
        tracked = background.submit(repository.tracked, settings.document_folders)
        changed = background.submit(repository.changed, settings.document_folders)
        pages_git = background.submit(pages_in_git, settings, repository)
        loaded = load_manual(settings, repository.derived)
        findings = list(loaded.findings)
        findings += _repository_findings(repository, loaded.manual, tracked.result(),
                                         changed.result() if strict else set())
        return cls(loaded, tracked.result(), changed.result(), pages_git.result(), findings,
                   strict)

    def pages(self, settings: Settings, repository: GitRepository, clauses: ClauseCatalogue
              ) -> SitePages:
        """The site pages, checked against this manual (``settings``: those in force)."""
        return read_site_pages(settings, repository, self.pages_git, self.loaded.manual,
                               self.loaded.unreadable_numbers, clauses, self.strict)


class ReadAlready(NamedTuple):
    """What a caller of :func:`run_gate` read before deciding to run it."""

    repository: GitRepository
    working: WorkingTree


def _run_gate(settings: Settings, strict: bool, today: datetime.date, publishing: bool,
              built_on: datetime.date, read: ReadAlready | None,
              record: Callable[[Judged], None] | None, memory: GateMemory | None) -> GateResult:
    with ThreadPoolExecutor(max_workers=2) as background:  # git works while Python reads files
        repository = GitRepository(settings.root) if read is None else read.repository
        head = repository.head() if memory is not None else ""
        log = None if memory is not None and memory.may_apply(head) else (
            background.submit(repository.log))
        working = (WorkingTree.read(settings, repository, strict, background)
                   if read is None else read.working)
        if log is not None:
            derive_while_reading(repository, log, settings.document_folders)
    look, judgement = None, None
    if memory is not None:
        look = memory.look(settings, repository, working, today, built_on, publishing)
        judgement = memory.recall(head, look, repository, working, today)
    if judgement is None:
        records = log.result() if log is not None else repository.log()
        judgement = judge_history(settings, repository, records, working, publishing, today)
        del records
    del log  # the whole log's text (tens of megabytes in a large history), parsed now
    history, judging, judged = judgement.history, judgement.judging, judgement.judged
    settings, loaded = judging.settings, working.loaded
    statuses = {status.working.number: status for status, _ in judged}
    of_documents = [f for _, found in judged for f in found]
    summaries = {number: Summary.of(status) for number, status in statuses.items()}
    clauses = load_catalogue(settings.standards)
    findings = [*judging.findings, *judgement.dated, *of_documents,
                *across_documents(settings, loaded, summaries, judging.timeline, clauses)]
    pages = working.pages(settings, repository, clauses)
    copies, copy_findings = _copies(settings, repository, history, judging.dates,
                                    judging.register, judging.timeline, statuses, today, strict)
    findings += copy_findings
    if record is not None:
        record(Judged(history, judging.dates, judgement.dated, judged, summaries,
                      copies.copies != ()))
    if memory is not None and look is not None:
        memory.keep(head, look, judgement)
    repository.save_cache()
    return GateResult(settings, repository, clauses, judging.register, judging.timeline.current,
                      judging.judge, loaded.manual, statuses, pages,
                      sorted_findings([*working.findings, *pages.findings, *findings]),
                      today, built_on, judging.governance.changes, copies, tuple(findings))


class Judgement(NamedTuple):
    """What history decides of a working tree: its approvals, dates and each document."""

    history: History
    evidence: dict[str, FileEvidence]
    judging: Judging
    dated: list[Finding]
    """The findings about commit dates."""
    judged: list[tuple[DocumentStatus, list[Finding]]]


def judge_history(settings: Settings, repository: GitRepository, log: list[str],
                  working: WorkingTree, publishing: bool, today: datetime.date) -> Judgement:
    """Read history from ``log`` (the whole log's records) and judge every document by it."""
    manual = working.loaded.manual
    history = read_history(log, (d.path for d in manual if d.path in working.tracked),
                           watched=[unit.path for unit in governed(settings)])
    blobs = Blobs(repository, reviewed_blobs(history.events), manual)
    evidence = {d.number: collect_evidence(history.events.get(d.path, []), blobs)
                for d in manual}
    judging = Judging.of(settings, repository, history, manual, evidence, working.strict,
                         publishing,
                         lambda backfilled: CommitDates.read(history.commits, backfilled),
                         signed=(e.commit.sha for f in evidence.values() for e in f.evidence))
    dated = list(_date_findings(judging.dates, history, judging.settings))
    judged = judge_documents(manual, history, blobs, evidence, judging, today, working)
    return Judgement(history, evidence, judging, dated, judged)


def reviewed_blobs(events: dict[str, list[FileEvent]]) -> Iterator[str]:
    """The blobs before and after each change made by a commit signing a review or approval."""
    return (sha for found in events.values() for event in found
            if approval_signers(event.commit) for sha in (event.blob, event.old_blob) if sha)


@dataclass(frozen=True)
class Judging:
    """What approvals are judged against, as history has it: the governing files in
    force, the authorities the job responsibilities give, the dates commits count at."""

    settings: Settings
    """The settings in force."""
    register: Register
    timeline: AuthorityTimeline
    judge: Judge
    dates: CommitDates
    governance: Governance
    findings: list[Finding]
    """What is wrong with the governing files, their history and the job responsibilities."""

    @classmethod
    def of(cls, settings: Settings, repository: GitRepository, history: History, manual: Manual,
           evidence: dict[str, FileEvidence], strict: bool, publishing: bool,
           dates_with: Callable[[str | None], CommitDates], signed: Iterable[str] = ()
           ) -> Judging:
        """``evidence``: of the job responsibilities at least; ``dates_with``: the commit dates
        with history backfilled up to a commit (or none); ``signed``: the commits whose
        signatures to verify, if the settings in force require signatures."""
        responsibilities = [(d, evidence[d.number])
                            for d in manual.of_type(DocType.JOB_RESPONSIBILITY)]
        dates, governance = _govern(settings, repository, history, responsibilities, strict,
                                    publishing, dates_with)
        settings, register = governance.settings, governance.register
        findings = [*governance.findings, *load_register(settings)[1],  # the working file's own
                    *unknown_roles(register, manual)]
        signatures = verify(repository, signed, register) if settings.require_signatures else None

        def judge_with(timeline: AuthorityTimeline) -> Judge:
            return Judge(register, timeline.for_evidence, signatures, settings.require_review,
                         dates)

        timeline = settle_timeline(responsibilities, judge_with)
        return cls(settings, register, timeline, judge_with(timeline), dates, governance,
                   findings)


class Summary(NamedTuple):
    """What the checks across documents need to know of one document's status."""

    in_force: bool
    ever_approved: bool
    coming: tuple[tuple[int, str], ...]
    """(ordinal of the day, what happens) of each approved change still to take effect."""

    @classmethod
    def of(cls, status: DocumentStatus) -> Summary:
        return cls(status.in_force, status.latest is not None, coming_changes(status))


class Judged(NamedTuple):
    """What a full run of the gate judged, for a check to keep (see :mod:`.check_state`)."""

    history: History
    dates: CommitDates
    dated: list[Finding]
    """The findings about commit dates."""
    documents: list[tuple[DocumentStatus, list[Finding]]]
    summaries: dict[str, Summary]
    has_copies: bool


def judge_documents(documents: Iterable[Document], history: History, blobs: Blobs,
                    evidence: dict[str, FileEvidence], judging: Judging, today: datetime.date,
                    working: WorkingTree) -> list[tuple[DocumentStatus, list[Finding]]]:
    """Each document's status on ``today``, with what is wrong with its history and texts."""
    documents = list(documents)
    settings, strict = judging.settings, working.strict
    texts_then = _texts_then(history, documents, blobs, judging.dates, today)
    judged = []
    for document in documents:
        file = evidence[document.number]
        approvals = approve_revisions(file, judging.judge, document.approvals, document.path,
                                      document.number)
        changes = later_commits(approvals, file.authoring, today)
        past = document.number in texts_then
        if past:  # what was written by that day, not what was written since
            changes = tuple(c for c in changes if judging.dates.judged(c).date() <= today)
        status = DocumentStatus(document, approvals, today, changes,
                                document.path in working.uncommitted,
                                file.authors_of(document.fingerprint), past,
                                texts_then.get(document.number))
        findings = [*approvals.findings, *unsupported_records(document, approvals),
                    *_unreadable_in_force(status)]
        if document.path in working.tracked:  # an untracked file is reported once, as untracked
            findings += publication_findings(status, strict)
        findings += version_findings(status, settings.reissue_after)
        findings += review_findings(status, today)
        findings += published_content_findings(status)
        judged.append((status, findings))
    return judged


def across_documents(settings: Settings, loaded: LoadResult, summaries: dict[str, Summary],
                     timeline: AuthorityTimeline, clauses: ClauseCatalogue) -> list[Finding]:
    """The checks over the whole manual, given each document's status."""
    manual = loaded.manual
    findings = list(_unapproved_authority(timeline, manual, summaries, settings))
    findings += run_checks(CheckContext(manual, clauses, _in_force(manual, summaries),
                                        loaded.unreadable_numbers,
                                        _setting_up(settings, manual, summaries)))
    return findings


def _copies(settings: Settings, repository: GitRepository, history: History, dates: CommitDates,
            register: Register, timeline: AuthorityTimeline, statuses: dict[str, DocumentStatus],
            today: datetime.date, strict: bool) -> tuple[CopyRegister, list[Finding]]:
    """The register of controlled copies, and whatever is wrong with it or due from it."""
    copies, findings, text = load_copies(settings)
    if text is None or not copies.copies:
        return copies, findings
    findings += register_findings(copies, statuses, today, settings.recall_within)
    findings += entry_findings(copies, line_commits(repository, copies.path),
                               {c.sha: c for c in history.commits}, dates, register, timeline.at,
                               {n: s.working.type for n, s in statuses.items()}, strict)
    return copies, findings


def _texts_then(history: History, documents: list[Document], blobs: Blobs, dates: CommitDates,
                day: datetime.date) -> dict[str, Snapshot | None]:
    """The documents whose history goes on after ``day`` (a view of the past), each with
    its text as the last commit on or before that day left it (``None``: no text yet)."""
    last: dict[str, FileEvent | None] = {}
    for document in documents:
        events = history.events.get(document.path, [])
        if any(dates.judged(e.commit).date() > day for e in events):
            last[document.number] = next((e for e in reversed(events)
                                          if dates.judged(e.commit).date() <= day), None)
    blobs.read(e.blob for e in last.values() if e and e.blob)
    return {number: blobs.snapshot(event.blob, event.path) if event and event.blob else None
            for number, event in last.items()}


def _govern(settings: Settings, repository: GitRepository, history: History,
            responsibilities: list[tuple[Document, FileEvidence]], strict: bool,
            publishing: bool, dates_with: Callable[[str | None], CommitDates]
            ) -> tuple[CommitDates, Governance]:
    """The governing files in force, and the dates commits are judged at.

    Changes to the register are judged under the job responsibilities' approvals
    as git records them (an invalid one among those is reported on its own
    document). Whether history was entered afterwards is itself a setting, so
    when the approved settings say so, the changes are judged again with it.
    """
    authorities_at = AuthorityTimeline.claimed(responsibilities).at
    dates = dates_with(None)
    governance = govern(settings, repository, history.watched, authorities_at, dates, strict,
                        publishing)
    backfilled = governance.settings.history_backfilled_until
    if backfilled:
        dates = dates_with(backfilled)
        governance = govern(settings, repository, history.watched, authorities_at, dates,
                            strict, publishing)
    return dates, governance


def _date_findings(dates: CommitDates, history: History, settings: Settings) -> Iterable[Finding]:
    """Commits of the manual with impossible dates; a backfill setting that names no commit."""
    backfilled = settings.history_backfilled_until
    if backfilled and not dates.backfilled:
        yield Finding("config.unknown-commit", Severity.ERROR, CONFIG_FILE, None,
                      f"history_backfilled_until 写的提交 {backfilled} 不在本仓库的历史中",
                      "写补录历史最后一个提交的完整提交号（git log 可查看），或删除这一设置")
    yield from misdated(dates, history, history.commits)


def misdated(dates: CommitDates, history: History, commits: list[Commit]) -> Iterator[Finding]:
    """Those of ``commits`` that change the manual and are dated before an ancestor or in
    the future."""
    governing = {e.commit.sha for events in history.watched.values() for e in events}

    def touched(shas: list[str]) -> dict[str, list[str]]:
        """The controlled and governing files each of these commits changed."""
        wanted, paths = set(shas), dict[str, list[str]]()
        for path, events in (*history.events.items(), *history.watched.items()):
            for event in events:
                if event.commit.sha in wanted:
                    paths.setdefault(event.commit.sha, []).append(path)
        return {sha: sorted(found) for sha, found in paths.items()}

    def decisive(commit: Commit) -> bool:
        return bool(approval_signers(commit)) or commit.sha in governing

    now = datetime.datetime.now(datetime.UTC)
    yield from dates.findings(commits, touched, decisive, now)


def _unreadable_in_force(status: DocumentStatus) -> Iterable[Finding]:
    """A text in force, or to take effect, must be a valid document: the site shows its metadata."""
    working = status.working
    for revision in (status.published, *status.coming):
        if revision is not None and revision.snapshot.document is None:
            when = "现行有效的" if revision is status.published else "已批准待生效的"
            yield Finding("approval.unreadable-content", Severity.ERROR, working.path, None,
                          f"{working.label} {when}版本（{revision.approval.evidence.commit.describe()}"
                          "批准）元数据有错误，无法发布",
                          "修正文件并重新审核、批准", working.number)


def _unapproved_authority(timeline: AuthorityTimeline, manual: Manual,
                          summaries: dict[str, Summary], settings: Settings) -> Iterable[Finding]:
    """Documents published while no job responsibility is approved: their authority is unproved."""
    published = sorted(d.number for d in manual
                       if summaries[d.number].in_force and d.type is not DocType.JOB_RESPONSIBILITY)
    if published and not timeline.set_up:
        yield Finding("approval.authority-not-approved", Severity.ERROR, settings.people_file, None,
                      f"还没有任何岗位职责被批准，{'、'.join(published[:5])} 等文件的审批权限没有依据",
                      "先审核、批准岗位职责（可与其他文件一起审批）")


def _repository_findings(repository: GitRepository, manual: Manual, tracked: set[str],
                         forbidden_changes: set[str]) -> Iterable[Finding]:
    """A history that cannot be trusted: shallow, untracked, or (strict) uncommitted."""
    if repository.is_shallow():
        yield Finding("history.shallow", Severity.ERROR, ".", None,
                      "这是浅克隆（shallow clone），缺少完整的 git 历史，无法核实审批和修订记录",
                      "运行 git fetch --unshallow，或在 CI 中设置完整克隆（GitLab: GIT_DEPTH: 0；"
                      "GitHub: fetch-depth: 0）")
    for document in manual:
        if document.path not in tracked:
            yield Finding("history.untracked", Severity.ERROR, document.path, None,
                          f"{document.label} 没有纳入 git 管理，无法证明它的审批",
                          f"运行 git add {document.path} 并提交", document.number)
    for path in sorted(forbidden_changes):
        yield Finding("history.uncommitted", Severity.ERROR, path, None,
                      "有未提交的修改；发布分支上的受控文件必须与 git 中的版本一致",
                      "提交或撤销这些修改（git status 可查看）")


def _setting_up(settings: Settings, manual: Manual, summaries: dict[str, Summary]) -> bool:
    """The system is being set up: declared so, or no quality manual was ever approved."""
    return settings.setting_up or not any(
        summaries[d.number].ever_approved for d in manual.of_type(DocType.QUALITY_MANUAL))


def _in_force(manual: Manual, summaries: dict[str, Summary]) -> frozenset[str]:
    """In force for the checks: approved and effective, or declared effective now.

    A document whose working text says obsolete is treated as withdrawn, so that
    whatever still cites it is found before the withdrawal is approved.
    """
    return frozenset(
        d.number for d in manual
        if d.state is not State.OBSOLETE and (summaries[d.number].in_force
                                              or d.state is State.EFFECTIVE))
