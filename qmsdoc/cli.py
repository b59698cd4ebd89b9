"""The ``qmsdoc`` command: a thin layer over the core functions.

Exit codes: 0 clean (warnings allowed), 1 errors found or approval refused,
2 the run could not start (usage, not a repository, unreadable configuration).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import datetime
import errno
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import cli_text
from .audit import audit_csv, audit_text, audit_trail
from .check_cache import check as check_repository
from .config import CONFIG_FILE, load_settings
from .errors import QmsdocError
from .findings import Finding, summary
from .gate import GateResult, run_gate
from .model import DocType, Right
from .pending import REVIEW_HORIZON_DAYS, pending_text, pending_work
from .people import Authorities
from .publication import DATE_VARIABLE
from .revision_history import history_rows
from .rules import RULES

cli_text.install()  # before the commands below are defined: click reads some texts then


class _Day(click.ParamType[datetime.date]):
    name = "日期"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> datetime.date:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} 不是日期：写作 年-月-日，例如 2026-12-01", param, ctx)


class _Uppercase(click.ParamType[str]):
    """Document numbers, versions and copy numbers are upper case (QP-05, A/1); typed in any case."""

    def __init__(self, name: str) -> None:
        self.name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return str(value).strip().upper()

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return self.name  # 文件编号 in the usage line, not the parameter's English name


NUMBER = _Uppercase("文件编号")
VERSION = _Uppercase("版本")

date_option = click.option(
    "--date", "today", type=_Day(), default=None, envvar=DATE_VARIABLE,
    help=f"按这一天判断哪一版现行有效、定期评审是否到期（默认今天；也可设环境变量 {DATE_VARIABLE}），"
         "例如核对 2026-12-01 起的情况")
effective_date_option = click.option(
    "--effective-date", "today", type=_Day(), default=None,
    help="新文件写的生效日期（默认今天）；批准前请改为实际生效的日期，不能早于批准日期")
root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=None,
    help=f"仓库根目录（默认：从当前目录向上找 {CONFIG_FILE}）")


def _root(root: Path | None) -> Path:
    if root is not None:
        return root.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise QmsdocError(f"当前目录及其上级都没有 {CONFIG_FILE}：请在质量手册仓库中运行，或用 --root 指定")


def _gate(root: Path | None, strict: bool = False, today: datetime.date | None = None
          ) -> GateResult:
    return run_gate(load_settings(_root(root)), strict=strict, today=today)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


class _Failure(click.ClickException):
    """A run that could not start: printed without a traceback, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"qmsdoc：{self.message}", err=True)


# What an operating system error means, and what to do about it.
_OS_PROBLEMS = {
    errno.ENOSPC: ("磁盘已满", "腾出磁盘空间后重新运行"),
    errno.EDQUOT: ("超出了磁盘配额", "腾出磁盘空间后重新运行"),
    errno.EFBIG: ("文件超过了系统允许的大小", "腾出磁盘空间或请管理员放宽限制后重新运行"),
    errno.EACCES: ("没有权限", "请管理员检查这个文件或目录的权限"),
    errno.EPERM: ("没有权限", "请管理员检查这个文件或目录的权限"),
    errno.EROFS: ("文件系统是只读的", "在可写的位置运行，或请管理员检查磁盘"),
    errno.ENOENT: ("文件或目录不存在（可能在运行中被移动或删除）", "确认文件在原处后重新运行"),
    errno.EISDIR: ("这是一个目录，不是文件", "把它改名或移出受控文件目录"),
    errno.EIO: ("磁盘读写出错", "请管理员检查磁盘后重新运行"),
    errno.EMFILE: ("同时打开的文件过多", "关闭其他程序后重新运行"),
}


def _os_problem(error: OSError) -> str:
    what, fix = _OS_PROBLEMS.get(error.errno or 0, (
        f"操作系统报告错误（{error.strerror or error}）", "排除问题后重新运行"))
    where = f"读写 {error.filename} 时" if error.filename else "读写文件时"
    return f"{where}{what}，命令没有完成：{fix}"


class _Context(click.Context):
    formatter_class = cli_text.ChineseFormatter


class _Command(click.Command):
    context_class = _Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = "[选项]"


class _Group(click.Group):
    context_class = _Context
    command_class = _Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = "[选项]"
        self.subcommand_metavar = "命令 [参数]..."

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QmsdocError as error:
            raise _Failure(str(error)) from None
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # the reader of the output went away: click ends quietly
            raise _Failure(_os_problem(error)) from None


@click.group(cls=_Group)
@click.version_option(package_name="qmsdoc")
def cli() -> None:
    """受控质量手册：检查、审批与修订记录（qmsdoc）。"""


@cli.command()
@root_option
@click.option("--strict", is_flag=True, help="发布分支用：未批准或未提交的修改一律报错")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出检查结果")
@date_option
def check(root: Path | None, strict: bool, as_json: bool, today: datetime.date | None) -> None:
    """运行全部检查；有错误时退出码为 1。"""
    _garbage_goes_with_the_process()
    outcome = check_repository(load_settings(_root(root)), strict=strict, today=today)
    if as_json:
        _print_json([f.to_json() for f in outcome.findings])
    else:
        for finding in outcome.findings:
            click.echo(finding.format())
        click.echo(summary(outcome.findings))
        change = outcome.next_change
        if change:
            day, what = change
            click.echo(f"网站下一次变化：{day}（{'、'.join(what)}）。请在这一天重新生成网站"
                       "（可设每日定时构建）。")
    sys.exit(1 if outcome.errors else 0)


@cli.command()
@root_option
@click.option("--strict", is_flag=True, help="发布分支用：未批准或未提交的修改一律报错")
@date_option
def build(root: Path | None, strict: bool, today: datetime.date | None) -> None:
    """先检查，再生成员工网站：检查出错时不生成，已发布的网站保持不变。"""
    from .site_build import build_site  # MkDocs: loaded only to build

    def report(findings: list[Finding]) -> None:
        for finding in findings:
            click.echo(finding.format(), err=True)
        click.echo(summary(findings), err=True)

    settings = load_settings(_root(root))
    try:
        built = build_site(settings, strict=strict or os.environ.get("QMSDOC_STRICT") == "1",
                           day=today, report=report)
    except OSError as error:
        raise _Failure(f"生成网站时{_os_problem(error)}。已发布的网站保持不变。") from None
    if not built:
        click.echo("网站没有生成：请先改正上面的错误。已发布的网站保持不变。", err=True)
        sys.exit(1)
    click.echo("网站已生成并发布。", err=True)


@cli.command()
def rules() -> None:
    """列出全部检查规则。"""
    for rule, text in RULES.items():
        click.echo(f"{rule}\n    {text}")


def _rights(authorities: Authorities, role: str) -> dict[Right, list[DocType]]:
    grants = authorities.grants.get(role, {})
    return {right: sorted(grants.get(right, ()), key=list(DocType).index) for right in Right}


@cli.command()
@root_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def people(root: Path | None, as_json: bool) -> None:
    """列出人员、岗位和各岗位的编制/审核/批准权限（按已批准的人员名册）。"""
    gate = _gate(root)
    if as_json:
        _print_json([{
            "name": person.name, "emails": list(person.emails), "department": person.department,
            "signing_keys": len(person.signing_keys),
            "roles": [{
                "role": term.role, "from": term.start.isoformat(),
                "to": term.end.isoformat() if term.end else None,
                "source": gate.authorities.sources.get(term.role),
                **{right.key: [t.key for t in types]
                   for right, types in _rights(gate.authorities, term.role).items()},
            } for term in person.roles],
        } for person in gate.register.people])
        return
    for finding in gate.findings:
        if finding.rule == "governance.unapproved-change" and finding.path == gate.register.path:
            click.echo(f"注意：{finding.message}\n", err=True)
    for person in gate.register.people:
        click.echo(f"{person.name}（{person.department}）{', '.join(person.emails)}")
        for term in person.roles:
            period = f"{term.start} 起" + (f"至 {term.end}" if term.end else "")
            source = gate.authorities.sources.get(term.role) or "无岗位职责"
            click.echo(f"  {term.role}（{period}，依据 {source}）")
            for right, types in _rights(gate.authorities, term.role).items():
                if types:
                    click.echo(f"    {right.label}：{'、'.join(t.label for t in types)}")


@cli.command()
@root_option
@click.argument("number", type=NUMBER)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@date_option
def history(root: Path | None, number: str, as_json: bool, today: datetime.date | None) -> None:
    """显示一个文件的修订记录（版本、生效日期、修订说明、编制、审核、批准、提交）。"""
    gate = _gate(root, today=today)
    status = gate.statuses.get(number)
    if status is None:
        raise QmsdocError(f"没有编号为 {number} 的受控文件")
    rows = history_rows(status, gate.register)
    if as_json:
        _print_json({"document": number, "title": status.working.title,
                     "revisions": [row.to_json() for row in rows]})
        return
    click.echo(f"{status.working.label} 修订记录")
    for row in rows:
        if row.periodic_review:
            click.echo(f"{row.version}  {row.status}  提交 {row.commit}")
            click.echo(f"    {row.change_summary}  审核：{'、'.join(row.reviewed_by)}")
            continue
        click.echo(f"{row.version}  {row.status}  生效 {row.effective_date or '—'}  "
                   f"批准 {row.approved_on or '—'}  提交 {row.commit or '—'}")
        click.echo(f"    修订说明：{row.change_summary}")
        click.echo(f"    编制：{'、'.join(row.written_by) or '—'}  审核：{'、'.join(row.reviewed_by) or '—'}"
                   f"  批准：{row.approved_by or '—'}")


@cli.command(name="approve")
@root_option
@click.argument("numbers", type=NUMBER, nargs=-1, required=True)
@click.option("--review", is_flag=True, help="记录审核（默认记录批准）")
@click.option("--role", metavar="岗位", help="您以哪个岗位审批（您担任多个有权岗位时）")
def approve_command(root: Path | None, numbers: tuple[str, ...], review: bool,
                    role: str | None) -> None:
    """以您本人的 git 身份审核或批准文件，并提交记录。"""
    from .approve import ApprovalRefused, approve  # GitPython: loaded only to write

    gate = _gate(root)
    meaning = Right.REVIEW if review else Right.APPROVE
    try:
        sha = approve(gate, list(numbers), meaning, role)
    except ApprovalRefused as refusal:
        click.echo(f"未记录{meaning.label}：{refusal}", err=True)
        sys.exit(1)
    click.echo(f"已记录{meaning.label}：{'、'.join(numbers)}（提交 {sha[:8]}）")


@cli.command()
@root_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.option("--days", type=click.IntRange(0, 3650), default=REVIEW_HORIZON_DAYS, show_default=True,
              metavar="天数",
              help="列出多少天内到期的定期评审")
@date_option
def status(root: Path | None, as_json: bool, days: int, today: datetime.date | None) -> None:
    """待办事项：审批中的修订及尚需的审核、批准，已批准待生效的修订，到期和逾期的定期评审。"""
    work = pending_work(_gate(root, today=today), days)
    if as_json:
        _print_json(work.to_json())
    else:
        click.echo(pending_text(work))


@cli.command()
@root_option
@click.option("--from", "start", type=_Day(), default=None, help="从这一天起（含）")
@click.option("--to", "end", type=_Day(), default=None, help="到这一天止（含）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.option("--csv", "as_csv", is_flag=True,
              help="以 CSV 输出（UTF-8 带 BOM，可直接用 Excel、WPS 打开），"
                   "例如 qmsdoc audit --csv > 审批记录.csv")
@date_option
def audit(root: Path | None, start: datetime.date | None, end: datetime.date | None,
          as_json: bool, as_csv: bool, today: datetime.date | None) -> None:
    """审批记录：每一次编制、审核、批准（含定期评审）和受控设置的修改及其批准，按日期排列，注明是否有效。"""
    if as_json and as_csv:
        raise QmsdocError("--json 和 --csv 只能选一个")
    if start and end and start > end:
        raise QmsdocError(f"--from {start} 晚于 --to {end}：起始日期不能晚于截止日期")
    events = audit_trail(_gate(root, today=today), start, end)
    if as_csv:
        click.echo(audit_csv(events), nl=False)  # bytes: written as they are
    elif as_json:
        _print_json([event.to_json() for event in events])
    else:
        click.echo(audit_text(events))


@cli.command()
@click.argument("built", metavar="生成的网站", type=click.Path(file_okay=False, path_type=Path))
@click.argument("served", metavar="服务器目录", type=click.Path(file_okay=False, path_type=Path))
def publish(built: Path, served: Path) -> None:
    """把生成好的网站（例如 site）整体换入网页服务器的目录。

    先在服务器目录旁边复制，再一步替换：读者看到的总是完整的旧网站或完整的新网站。
    """
    import logging

    from .deploy import publish_copy

    publish_copy(built.resolve(), served.resolve(), os.environ, logging.getLogger("qmsdoc"))
    click.echo(f"网站已发布到 {served}。", err=True)


@cli.command(name="diff")
@root_option
@click.argument("number", type=NUMBER)
@click.argument("versions", type=VERSION, nargs=-1)
@click.option("--html", "as_html", is_flag=True, help="输出 HTML 片段")
@click.option("--markdown", "as_markdown", is_flag=True, help="输出 Markdown（用于合并请求评论）")
@click.option("--color/--no-color", default=None, help="用颜色标出修改（默认：输出到终端时）")
def diff_command(root: Path | None, number: str, versions: tuple[str, ...], as_html: bool,
                 as_markdown: bool, color: bool | None) -> None:
    """比较一个文件的两个版本的文字和元数据（红线）。

    例如 qmsdoc diff QP-11 A/0 A/1；只写一个版本时与它的上一版比较；不写版本时比较最新批准的
    版本与工作稿（“工作稿”也可作为版本写）。
    """
    from .redline import compare_documents, pick_texts

    gate = _gate(root)
    status = gate.statuses.get(number)
    if status is None:
        raise QmsdocError(f"没有编号为 {number} 的受控文件")
    (old_label, old), (new_label, new) = pick_texts(status, versions)
    redline = compare_documents(old, new)
    if as_html:
        click.echo(redline.html())
        return
    if as_markdown:
        click.echo(f"**{status.working.label}：{old_label} → {new_label}**\n\n{redline.markdown()}")
        return
    shown_in_colour = sys.stdout.isatty() if color is None else color
    click.echo(f"{status.working.label}：{old_label} → {new_label}")
    click.echo(redline.text(shown_in_colour) if redline.changed else "两个版本的内容相同。")


@cli.command(name="verify")
@root_option
@click.argument("site_dir", metavar="网站目录", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出核对结果")
def verify_command(root: Path | None, site_dir: Path, as_json: bool) -> None:
    """核对已发布的网站：按构建清单从 git 重新生成网站，逐页比较；
    指出构建后被修改、缺失、多出、不是由批准的文本生成的页面。有不一致时退出码为 1。"""
    from .verify import verify_site  # MkDocs: loaded only to rebuild

    if not site_dir.is_dir():
        raise QmsdocError(f"网站目录 {site_dir} 不存在：请给出已发布网站的目录，例如 site")
    result = verify_site(_root(root), site_dir.resolve(), shown=site_dir.as_posix())
    manifest = result.manifest
    if as_json:
        _print_json({"site": site_dir.as_posix(), "passed": result.passed,
                     "day": manifest.day.isoformat() if manifest else None,
                     "commit": manifest.commit if manifest else None,
                     "pages": len(manifest.pages) if manifest else 0,
                     "findings": [f.to_json() for f in result.findings]})
    else:
        for finding in result.findings:
            click.echo(finding.format())
        if manifest is not None:
            verdict = "一致" if result.passed else "不一致"
            click.echo(f"网站 {site_dir.as_posix()}：{len(manifest.pages)} 个页面，"
                       f"{manifest.day} 的网站（提交 {manifest.commit[:12]}，{manifest.built_on} 生成），"
                       f"与 git {verdict}。")
        click.echo(summary(result.findings))
    sys.exit(0 if result.passed else 1)


@cli.command()
@root_option
@click.argument("base", metavar="[基点]", required=False)
@click.option("--html", "as_html", is_flag=True, help="输出一个独立的 HTML 页面")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部内容")
@date_option
def review(root: Path | None, base: str | None, as_html: bool, as_json: bool,
           today: datetime.date | None) -> None:
    """审查从基点（git 提交或分支）到 HEAD 的修改（默认基点：与主分支的合并基点），输出合并请求评论用的报告。

    报告能生成时退出码为 0（其中的错误由 qmsdoc check 把关）；无法比较时为 2。
    """
    from .publication import publication_day
    from .review import make_review
    from .review_report import html_page, json_data, markdown

    if as_html and as_json:
        raise QmsdocError("--html 和 --json 只能选一个")
    made = make_review(load_settings(_root(root)), base, today or publication_day())
    if as_json:
        _print_json(json_data(made))
    else:
        click.echo(html_page(made) if as_html else markdown(made), nl=False)


@cli.command(name="pdf")
@root_option
@click.argument("numbers", type=NUMBER, nargs=-1)
@click.option("--book", is_flag=True,
              help="把这些文件（默认全部现行有效文件）合成一本手册：封面、目录、各文件")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="输出位置：每个文件一份 PDF 时是目录（默认 pdf），合成手册时是文件"
                   "（默认 质量手册-日期.pdf）；只生成一个文件时也可写 xxx.pdf")
@date_option
def pdf(root: Path | None, numbers: tuple[str, ...], book: bool, output: Path | None,
        today: datetime.date | None) -> None:
    """生成现行有效文件的 PDF（非受控副本，每页有文件编号、版本、打印日期和页码）。

    检查出错时不生成。需要中文字体（Debian 软件包 fonts-noto-cjk）；生成时不访问网络。
    """
    from .pdf import write_pdfs  # WeasyPrint: loaded only to print

    gate = _gate(root, today=today)
    if gate.errors:
        for finding in gate.errors:
            click.echo(finding.format(), err=True)
        click.echo(f"检查发现 {len(gate.errors)} 个错误，没有生成 PDF：请先改正上面的错误。", err=True)
        sys.exit(1)
    target = output or Path(f"质量手册-{gate.day}.pdf" if book else "pdf")
    for path in write_pdfs(gate, list(numbers), target, book=book):
        click.echo(f"已生成 {path}")


@cli.command(name="issue")
@root_option
@click.argument("number", type=NUMBER)
@click.option("--to", "holder", metavar="持有人", required=True,
              help="持有人（人员或部门），例如 政务服务中心窗口")
@click.option("--copies", "count", type=click.IntRange(1, 99), default=1, show_default=True, metavar="份数",
              help="发放几份")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="受控本 PDF 写入的目录")
def issue_command(root: Path | None, number: str, holder: str, count: int, output: Path) -> None:
    """发放受控本：登记发放号并提交，每份写一个盖“受控本”、发放号和持有人的 PDF。

    只能发放现行有效的文件；您今天须担任有发放权限的岗位（岗位职责 authority: issue）。
    """
    from .issue import CopyRefused, issue  # GitPython: loaded only to write

    try:
        issued = issue(load_settings(_root(root)), number, holder, count, output)
    except CopyRefused as refusal:
        click.echo(f"未发放：{refusal}", err=True)
        sys.exit(1)
    first = issued.copies[0]
    click.echo(f"已发放 {first.document} {first.version} 受控本 {len(issued.copies)} 份，"
               f"持有人 {first.holder}（提交 {issued.commit[:8]}）：")
    for copy, file in zip(issued.copies, issued.files, strict=True):
        click.echo(f"  {copy.number}  {file}")


@cli.command(name="recall")
@root_option
@click.option("--done", "copy_number", type=_Uppercase("发放号"), help="登记这份受控本已收回")
@click.option("--kept", is_flag=True, help="收回后作废留存（默认：收回销毁）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出应收回的受控本")
@date_option
def recall_command(root: Path | None, copy_number: str | None, kept: bool, as_json: bool,
                   today: datetime.date | None) -> None:
    """列出应收回的旧版受控本；--done 发放号 登记收回（--kept：作废留存）。"""
    from .copies import recall_list

    if copy_number is None:
        if kept:
            raise QmsdocError("--kept 只能与 --done 发放号 一起用")
        gate = _gate(root, today=today)
        due = recall_list(gate.copies, gate.statuses, gate.day) if gate.copies else []
        if as_json:
            _print_json([{"copy": d.copy.number, "document": d.copy.document,
                          "version": str(d.copy.version), "holder": d.copy.holder,
                          "issued_on": d.copy.issued_on.isoformat(), "due_since": d.since.isoformat(),
                          "in_force": d.now, "days_due": d.days_due(gate.day)} for d in due])
            return
        click.echo(f"应收回的受控本（{gate.day}）：{len(due)} 份")
        for d in due:
            click.echo(f"  {d.copy.number}  {d.copy.document} {d.copy.version}（现行 {d.now}）  "
                       f"持有人 {d.copy.holder}  自 {d.since} 起应收回（{d.days_due(gate.day)} 天）")
        return
    from .issue import CopyRefused, recall

    try:
        copy, sha = recall(load_settings(_root(root)), copy_number, kept)
    except CopyRefused as refusal:
        click.echo(f"未登记收回：{refusal}", err=True)
        sys.exit(1)
    outcome = "作废留存" if kept else "收回销毁"
    click.echo(f"已登记收回 {copy.number}（{copy.document} {copy.version}，持有人 {copy.holder}），"
               f"{outcome}（提交 {sha[:8]}）")


@cli.command(name="init")
@click.argument("target", metavar="目录", type=click.Path(path_type=Path))
@click.option("--org", "organisation", metavar="名称", required=True,
              help="单位名称，例如 示范市市场监督管理局")
@click.option("--name", metavar="姓名", help="第一位人员（局长）的姓名（默认：git 设置的用户名）")
@click.option("--email", metavar="邮箱", help="第一位人员（局长）的邮箱（默认：git 设置的邮箱）")
@click.option("--standard", "standards", metavar="标准", multiple=True,
              help="本手册覆盖的标准（国家标准号），可写多次，例如 --standard \"GB/T 19001-2016\" "
                   "--standard \"GB/T 24001-2016\"（默认：只有 GB/T 19001-2016）")
@effective_date_option
def init_command(target: Path, organisation: str, name: str | None, email: str | None,
                 standards: tuple[str, ...], today: datetime.date | None) -> None:
    """在一个新的空目录中建立文件库：设置、人员名册、网站、质量手册和两份岗位职责（审批中）。"""
    from .scaffold import init_manual

    sha = init_manual(target, organisation, name, email, today or datetime.date.today(),
                      standards)
    click.echo(f"已在 {target} 建立 {organisation} 的文件库（提交 {sha[:8]}）。"
               f"下一步：cd {target}，按 README.md 补全人员名册，编写质量手册和岗位职责后送审。")


@cli.command(name="new")
@root_option
@click.argument("type_name", metavar="文件类型")
@click.option("--number", type=NUMBER, required=True, help="文件编号，例如 QP-05")
@click.option("--title", metavar="名称", required=True, help="文件名称，例如 内部审核程序")
@click.option("--department", metavar="部门", help="归口部门（默认：办公室）")
@effective_date_option
def new_command(root: Path | None, type_name: str, number: str, title: str,
                department: str | None, today: datetime.date | None) -> None:
    """新建一份审批中的文件（文件类型写中文名或英文键，例如 程序文件 或 procedure）。"""
    from .scaffold import new_document

    settings = load_settings(_root(root))
    path = new_document(settings, type_name, number, title, department,
                        today or datetime.date.today())
    click.echo(f"已新建 {path.relative_to(settings.root).as_posix()}：填写正文后提交，再送审核、批准。")


@cli.command(name="import")
@root_option
@click.argument("files", metavar="文件...", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--type", "type_name", metavar="类型",
              help="文件类型，写中文名或英文键（默认：按编号判断，例如 QP- 为程序文件）")
@click.option("--number", type=NUMBER, help="文件编号（默认：取自表头或第一个标题；只导入一个文件时可用）")
@click.option("--department", metavar="部门", help="归口部门（默认：办公室）")
@effective_date_option
def import_command(root: Path | None, files: tuple[Path, ...], type_name: str | None,
                   number: str | None, department: str | None, today: datetime.date | None) -> None:
    """导入已有的 Word（.docx）或 Markdown 文件，成为审批中的文件，并报告未能导入的内容。"""
    from .importer import import_files

    settings = load_settings(_root(root))
    for done in import_files(settings, list(files), type_name, number, department,
                             today or datetime.date.today()):
        where = done.path.relative_to(settings.root).as_posix()
        click.echo(f"已导入 {done.source} → {where}（{done.number} {done.title}，审批中）")
        if done.images:
            click.echo(f"  图片 {len(done.images)} 张，放在 {where.removesuffix('.md')}/")
        if done.lost:
            click.echo("  未能导入的内容：")
            for text in done.lost:
                click.echo(f"  - {text}")
        else:
            click.echo("  没有发现未能导入的内容。")
    click.echo("请核对正文和元数据（适用条款、记录、岗位等）后提交，再送审核、批准。")


class _Process:
    """The context's ``obj`` when a command runs as the ``qmsdoc`` process (:func:`main`),
    which ends with the command (not, say, in a test's ``CliRunner``)."""


def _garbage_goes_with_the_process() -> None:
    """No cyclic collection for the rest of a command run as the ``qmsdoc`` process: what a
    check leaves in reference cycles (hundreds of thousands of objects at 10,000 documents,
    0.3 s to traverse) is dropped with the process instead."""
    if isinstance(click.get_current_context().obj, _Process):
        gc.disable()


_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _one_malloc_arena() -> None:
    """One glibc malloc arena for the whole process. A check reads the log in a worker
    thread, and glibc gives each thread an arena of its own: the log's texts, freed once
    parsed, stayed in that thread's arena while the main thread grew its own (23 MiB
    more at the peak of a check at 10,000 documents / 100,000 commits). Without glibc
    (another C library, another system) nothing changes."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)


def main() -> None:
    """The ``qmsdoc`` command: ends without taking apart what the command built.

    A command over a large repository leaves hundreds of thousands of objects, many
    in reference cycles; freeing them one by one at exit took a fifth of a check at
    10,000 documents. Once the command is done, the exit handlers run as at any exit,
    the output is flushed, and the process ends with the command's exit status.
    """
    _one_malloc_arena()
    try:
        cli.main(prog_name="qmsdoc", obj=_Process())
        status: object = 0
    except SystemExit as done:
        status = done.code
    if not isinstance(status, int):
        if status is not None:
            print(status, file=sys.stderr)
        status = 0 if status is None else 1
    atexit._run_exitfuncs()  # what interpreter shutdown runs first
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # the reader went away
            stream.flush()
    os._exit(status)
