"""The review report in three forms: Markdown (a merge request comment), HTML, JSON.

Every text that comes from the repository (titles, summaries, names, diffs) is
escaped: a merge request comment must not turn a document title into a link
or an image, and the HTML page carries no script.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any

from .findings import Finding
from .governance import HOW_TO_APPROVE
from .model import Document
from .redline import DocumentRedline
from .review import ApprovalState, DocumentChange, GovernedChange, Review, Signoff

TITLE = "受控文件修改审查报告"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#!|~{}()])")


# --- the words both forms share -------------------------------------------------------------

def _heading(review: Review) -> str:
    return (f"比较：{review.base.described}（{review.base.sha[:8]}）→ HEAD（{review.head[:8]}），"
            f"按 {review.day} 判断哪一版现行有效。")


def _warnings(review: Review) -> Iterator[str]:
    if review.uncommitted:
        yield (f"工作区中有未提交的修改（{'、'.join(review.uncommitted)}）：本报告只比较已提交的内容，"
               "问题检查按工作区进行。")
    if review.base_problem:
        yield f"{review.base_problem}。下面的“新增问题”列出 HEAD 上的全部问题。"


def _totals(review: Review) -> str:
    introduced = review.findings.introduced
    errors = sum(f.is_error for f in introduced)
    return (f"本次修改新增 {len(introduced)} 个问题（其中 {errors} 个错误），"
            f"解决了 {len(review.findings.fixed)} 个问题；HEAD 上共有 {review.head_errors} 个错误"
            + ("，合并前必须改正。" if review.head_errors else "。"))


def _approval_state(change: DocumentChange) -> str:
    return change.approval.summary if change.approval else "—"


def _signoff(signoff: Signoff) -> str:
    role = f"（{signoff.role}）" if signoff.role else ""
    text = (f"{signoff.meaning.label}：{signoff.name}{role}，{signoff.on}，"
            f"提交 {signoff.commit}")
    return text if signoff.valid else f"{text}，无效：{'；'.join(signoff.problems)}"


def _approval_lines(state: ApprovalState) -> Iterator[str]:
    for signoff in state.signoffs:
        yield _signoff(signoff)
    if not state.signoffs:
        yield "新文本还没有人审核或批准"
    if state.outstanding:
        yield "还需要：" + "、".join(r.label for r in state.outstanding)
    for candidates in state.candidates:
        roles = "、".join(candidates.roles) or "没有任何岗位有此权限（见岗位职责的 authority）"
        people = "、".join(candidates.people) or "目前没有在任的人"
        yield f"可{candidates.right.label}的岗位：{roles}；可{candidates.right.label}的人：{people}"
    if state.authors:
        yield f"不能审核或批准（编制人）：{'、'.join(state.authors)}"


def _impact_lines(change: DocumentChange) -> Iterator[str]:
    impact = change.impact
    yield "引用本文件的文件：" + ("、".join(impact.cited_by) or "无")
    yield "涉及的岗位：" + ("、".join(impact.roles) or "无")
    yield "产生的记录：" + ("、".join(impact.records) or "无")
    yield "涉及的条款：" + ("、".join(impact.clauses) or "无")
    yield "生效后随之变化的登记页：" + ("、".join(impact.registers) or "无")


def _facts(change: DocumentChange) -> Iterator[str]:
    if change.old_path and change.new_path and change.old_path != change.new_path:
        yield f"文件：{change.new_path}（原 {change.old_path}）"
    else:
        yield f"文件：{change.path}"
    yield f"版本：{change.version_change()}；版本检查：{change.version.verdict.label}，{change.version.text}"
    document = change.new or change.old
    if document is not None:
        yield f"修订说明：{document.change_summary or '（未填写）'}"
    for note in change.notes:
        yield f"注意：{note}"


def _governed_lines(change: GovernedChange) -> Iterator[str]:
    yield "修改：" + "、".join(change.files)
    if change.approved:
        yield "状态：已批准"
    else:
        yield "状态：未批准。" + "；".join(change.problems)
        yield f"如何批准：{HOW_TO_APPROVE}"
        yield "可批准的人：" + ("、".join(change.approvers) or "目前没有在任且未参与修改的人")
    yield "修改人：" + ("、".join(change.authors) or "—")


def _finding(finding: Finding) -> str:
    location = f"{finding.path}:{finding.line}" if finding.line else finding.path
    text = f"{location}：{finding.severity.label}：{finding.message} [{finding.rule}]"
    return f"{text}（修改方法：{finding.hint}）" if finding.hint else text


def _unattached(review: Review, findings: Iterable[Finding]) -> list[Finding]:
    """Findings not about any changed document: shown once, after the documents."""
    shown = {id(f) for d in review.documents for f in (*d.introduced, *d.fixed)}
    return [f for f in findings if id(f) not in shown]


# --- Markdown --------------------------------------------------------------------------------

def _md(text: str) -> str:
    """Text shown as itself in Markdown: no links, images, emphasis or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _fence(text: str, language: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def markdown(review: Review) -> str:
    out = [f"# {TITLE}", "", _md(_heading(review)), ""]
    out += [f"> {_md(w)}\n" for w in _warnings(review)]
    out += ["## 概要", ""]
    if review.documents:
        out += ["| 文件 | 修改 | 版本 | 版本检查 | 审批状态 | 新增问题 |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {_md(_label(d))} | {d.kind_label} | {_md(d.version_change())} | "
                f"{d.version.verdict.label} | {_approval_state(d)} | {len(d.introduced)} |"
                for d in review.documents]
    else:
        out.append("本次修改没有改动受控文件。")
    out.append("")
    out += [f"- 受控设置：{_md(c.what)}{'已批准' if c.approved else '未批准'}"
            for c in review.governed]
    out += ["", _md(_totals(review)), ""]
    for change in review.documents:
        out += _markdown_document(change)
    if review.governed:
        out += ["## 受控设置的修改", ""]
        for governed_change in review.governed:
            out += [f"### {_md(governed_change.what)}", ""]
            out += [f"- {_md(line)}" for line in _governed_lines(governed_change)]
            out += ["", _fence(governed_change.diff, "diff"), ""]
    for title, findings in (("其他新增问题", _unattached(review, review.findings.introduced)),
                            ("其他已解决的问题", _unattached(review, review.findings.fixed))):
        if findings:
            out += [f"## {title}", "", *(f"- {_md(_finding(f))}" for f in findings), ""]
    return "\n".join(out).rstrip() + "\n"


def _label(change: DocumentChange) -> str:
    return f"{change.number}《{change.title}》" if change.title else change.number


def _markdown_document(change: DocumentChange) -> list[str]:
    out = [f"## {_md(_label(change))}（{change.kind_label}）", ""]
    out += [f"- {_md(line)}" for line in _facts(change)]
    if change.approval is not None:
        out += ["", "### 审批状态", "", *(f"- {_md(line)}" for line in _approval_lines(
            change.approval))]
    out += ["", "### 影响", "", *(f"- {_md(line)}" for line in _impact_lines(change))]
    for title, about in (("新增问题", change.introduced), ("已解决的问题", change.fixed)):
        if about:
            out += ["", f"### {title}", "", *(f"- {_md(_finding(f))}" for f in about)]
    # Quoted, so that the document's own headings stay inside its section.
    redline = change.redline.markdown().rstrip() if change.redline.changed else "（内容没有修改）"
    quoted = "\n".join(f"> {line}" if line else ">" for line in redline.split("\n"))
    out += ["", "### 修订对照", "", quoted, ""]
    return out


# --- HTML ------------------------------------------------------------------------------------

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.6; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.wrong { color: #b00020; font-weight: bold; } .note { color: #8a5a00; } .ok { color: #1b5e20; }
.warning { background: #fff4e0; border-left: 4px solid #e0a000; padding: .5rem 1rem; }
ins, .qms-ins { background: #d4f7d4; text-decoration: underline; }
del, .qms-del { background: #fbd6d6; text-decoration: line-through; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
"""


def _e(text: str) -> str:
    return html.escape(text)


def _list(lines: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"


def html_page(review: Review) -> str:
    out = [f"<h1>{_e(TITLE)}</h1>", f"<p>{_e(_heading(review))}</p>"]
    out += [f'<p class="warning">{_e(w)}</p>' for w in _warnings(review)]
    out.append("<h2>概要</h2>")
    if review.documents:
        rows = "".join(
            f"<tr><td>{_e(_label(d))}</td><td>{_e(d.kind_label)}</td>"
            f"<td>{_e(d.version_change())}</td>"
            f'<td class="{d.version.verdict.key}">{_e(d.version.verdict.label)}</td>'
            f"<td>{_e(_approval_state(d))}</td><td>{len(d.introduced)}</td></tr>"
            for d in review.documents)
        out.append("<table><thead><tr><th>文件</th><th>修改</th><th>版本</th><th>版本检查</th>"
                   f"<th>审批状态</th><th>新增问题</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        out.append("<p>本次修改没有改动受控文件。</p>")
    out.append(_list(f"受控设置：{c.what}{'已批准' if c.approved else '未批准'}"
                     for c in review.governed) if review.governed else "")
    out.append(f"<p>{_e(_totals(review))}</p>")
    for change in review.documents:
        out.append(f"<h2>{_e(_label(change))}（{_e(change.kind_label)}）</h2>")
        out.append(_list(_facts(change)))
        if change.approval is not None:
            out += ["<h3>审批状态</h3>", _list(_approval_lines(change.approval))]
        out += ["<h3>影响</h3>", _list(_impact_lines(change))]
        for title, about in (("新增问题", change.introduced), ("已解决的问题", change.fixed)):
            if about:
                out += [f"<h3>{title}</h3>", _list(map(_finding, about))]
        out += ["<h3>修订对照</h3>", change.redline.html() if change.redline.changed
                else "<p>（内容没有修改）</p>"]
    if review.governed:
        out.append("<h2>受控设置的修改</h2>")
        for governed_change in review.governed:
            out += [f"<h3>{_e(governed_change.what)}</h3>",
                    _list(_governed_lines(governed_change)),
                    f"<pre>{_e(governed_change.diff)}</pre>"]
    for title, findings in (("其他新增问题", _unattached(review, review.findings.introduced)),
                            ("其他已解决的问题", _unattached(review, review.findings.fixed))):
        if findings:
            out += [f"<h2>{title}</h2>", _list(map(_finding, findings))]
    body = "\n".join(part for part in out if part)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(TITLE)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n"
            "</body>\n</html>\n")


# --- JSON ------------------------------------------------------------------------------------

def json_data(review: Review) -> dict[str, Any]:
    return {
        "base": {"commit": review.base.sha, "described": review.base.described},
        "head": review.head,
        "date": review.day.isoformat(),
        "base_problem": review.base_problem,
        "uncommitted": list(review.uncommitted),
        "head_errors": review.head_errors,
        "documents": [_document_json(d) for d in review.documents],
        "governed": [{
            "path": c.path, "what": c.what, "files": list(c.files), "approved": c.approved,
            "problems": list(c.problems), "authors": list(c.authors),
            "approvers": list(c.approvers), "diff": c.diff,
        } for c in review.governed],
        "introduced": [f.to_json() for f in review.findings.introduced],
        "fixed": [f.to_json() for f in review.findings.fixed],
    }


def _document_json(change: DocumentChange) -> dict[str, Any]:
    redline = change.redline
    fields = redline.fields if isinstance(redline, DocumentRedline) else ()
    approval = change.approval
    return {
        "number": change.number, "title": change.title,
        "changes": [k.name.lower() for k in change.kinds],
        "old_path": change.old_path, "new_path": change.new_path,
        "old": _version_json(change.old), "new": _version_json(change.new),
        "version_check": {"verdict": change.version.verdict.key, "message": change.version.text},
        "notes": list(change.notes),
        "redline": {"fields": [{"name": f.name, "label": f.label, "old": f.old, "new": f.new}
                               for f in fields],
                    "text": redline.text()},
        "approval": None if approval is None else {
            "state": approval.summary,
            "signoffs": [{"meaning": s.meaning.key, "name": s.name, "role": s.role,
                          "date": s.on.isoformat(), "commit": s.commit, "valid": s.valid,
                          "problems": list(s.problems)} for s in approval.signoffs],
            "outstanding": [r.key for r in approval.outstanding],
            "candidates": [{"right": c.right.key, "roles": list(c.roles),
                            "people": list(c.people)} for c in approval.candidates],
            "authors": list(approval.authors),
        },
        "impact": {"cited_by": list(change.impact.cited_by), "roles": list(change.impact.roles),
                   "records": list(change.impact.records),
                   "clauses": list(change.impact.clauses),
                   "registers": list(change.impact.registers)},
        "introduced": [f.to_json() for f in change.introduced],
        "fixed": [f.to_json() for f in change.fixed],
    }


def _version_json(document: Document | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {"version": str(document.version), "state": document.state.key,
            "effective_date": document.effective_date.isoformat(),
            "change_summary": document.change_summary}
