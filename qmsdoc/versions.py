"""A/0 versions: every approved change raises the version, and versions only go up."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from .findings import Finding, Severity
from .model import State, Version
from .publication import DocumentStatus


def version_findings(status: DocumentStatus, reissue_after: int) -> Iterator[Finding]:
    working = status.working
    line = working.line_of("version")
    revisions = status.approvals.revisions
    for position in range(1, len(revisions)):
        before, after = revisions[position - 1].snapshot, revisions[position].snapshot
        withdrawal = after.withdrawn and not before.withdrawn
        severity = Severity.ERROR if position == len(revisions) - 1 else Severity.WARNING
        if after.version < before.version:
            yield Finding("version.decreased", severity, working.path, line,
                          f"版本号倒退：{before.version} 之后批准的修订是 {after.version}",
                          f"版本号只能升高：下一次修订用 {_next(before.version)}", working.number)
        elif after.version == before.version and not withdrawal:
            yield Finding("version.not-raised", severity, working.path, line,
                          f"批准的修订内容有变化，但版本号仍是 {after.version}",
                          f"每次批准的修订都要提高版本号，例如 {_next(before.version)}",
                          working.number)
        elif after.version > before.version and after.version not in before.version.successors():
            yield Finding("version.skipped", Severity.WARNING, working.path, line,
                          f"版本号从 {before.version} 跳到了 {after.version}",
                          f"下一版本应为 {_next(before.version)}", working.number)
    latest = status.latest
    if latest is None:
        return
    if status.pending and not status.past and working.version <= latest.snapshot.version and (
            working.state is not State.OBSOLETE):
        yield Finding("version.not-raised", Severity.WARNING, working.path, line,
                      f"修订中的文件版本号 {working.version} 没有高于最新批准的 "
                      f"{latest.snapshot.version}",
                      f"按修订幅度改为 {_next(latest.snapshot.version)}", working.number)
    if status.published is None:
        return
    version = status.published.snapshot.version
    if version.amendment >= reissue_after and status.in_force:
        yield Finding("version.reissue-suggested", Severity.WARNING, working.path, line,
                      f"{working.label} 已修改 {version.amendment} 次（{version}），建议换版",
                      f"下次修订时整理全文，换版为 {version.successors()[-1]}", working.number)


def _next(version: Version) -> str:
    return " 或 ".join(str(v) for v in version.successors())


def review_findings(status: DocumentStatus, today: datetime.date) -> Iterator[Finding]:
    """A document in force is reviewed at least once per review interval."""
    due = status.next_review_due()
    if due is None:
        return
    working = status.working
    last = status.last_reviewed()
    if due < today:
        yield Finding("review.overdue", Severity.WARNING, working.path,
                      working.line_of("review_interval"),
                      f"{working.label} 上次审核或批准是 {last}，评审周期 {working.review_interval} "
                      f"个月，应在 {due} 前完成定期评审",
                      "由有审核权限的人评审全文；内容无须修改时用 qmsdoc approve --review 记录评审",
                      working.number)

