"""PDF copies of the documents in force, and the whole manual as one book.

Each PDF shows the approved text in force on the gate's day (from git, never
the working file) with its card and 修订记录, and on every page the
organisation, number, title, version, the copy's marking (非受控副本 with the
print date, or 受控本 with its 发放号 and holder) and 第 X 页 共 Y 页.
WeasyPrint lays the pages out: CJK fonts are embedded as subsets (Chromium
would embed Type 3 fonts), and nothing is fetched from the network.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .errors import QmsdocError
from .gate import GateResult
from .pdf_html import book_html, document_html
from .pdf_render import render_pdf
from .publication import DocumentStatus


@dataclass(frozen=True)
class Marking:
    """What every page's header and footer say besides number, title and version."""

    controlled_copy: str | None = None
    """发放号: "受控本 发放号 X" on every page; ``None``: "非受控副本 打印日期 D"."""
    holder: str | None = None
    """持有人 of a controlled copy."""
    printed_on: datetime.date | None = None
    """The print date of an uncontrolled copy (default: today)."""

    def text(self) -> str:
        """The marking as printed at the foot of every page."""
        if self.controlled_copy is not None:
            holder = f" 持有人 {self.holder}" if self.holder else ""
            return f"受控本 发放号 {self.controlled_copy}{holder}"
        return f"非受控副本 打印日期 {self.printed_on or datetime.date.today()}"


def document_pdf(gate: GateResult, number: str, marking: Marking = Marking()) -> bytes:
    """The revision of ``number`` in force on ``gate.day``, with its card and 修订记录.

    Raises :class:`QmsdocError` when the document does not exist or is not in force.
    """
    status = in_force(gate, number)
    return render_pdf(document_html(gate, status, marking.text()))


def book_pdf(gate: GateResult, numbers: list[str] | None = None,
             marking: Marking = Marking()) -> bytes:
    """The manual as one book: cover, contents, then each document in force (``numbers``:
    only these, in this order; default: every document in force, by number)."""
    chosen = ([in_force(gate, number) for number in numbers] if numbers is not None
              else sorted(gate.published(), key=lambda s: s.working.number))
    if not chosen:
        raise QmsdocError("没有现行有效的文件，无法生成手册 PDF：先审核、批准文件并等到生效日期")
    return render_pdf(book_html(gate, chosen, marking.text()))


def in_force(gate: GateResult, number: str) -> DocumentStatus:
    """The status of a document in force on the gate's day, or a Chinese error saying why not."""
    status = gate.statuses.get(number)
    if status is None:
        known = "、".join(sorted(gate.statuses)[:8])
        raise QmsdocError(f"没有编号为 {number} 的受控文件。请检查编号（现有文件：{known} 等）")
    if not status.in_force or status.published is None:
        state = "已作废" if status.withdrawn else "尚未批准生效"
        raise QmsdocError(f"{status.working.label} {state}，{gate.day} 没有现行有效的版本，"
                          "不能生成 PDF。只有现行有效的文件可以打印或发放")
    return status

