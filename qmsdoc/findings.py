"""Findings: what every check reports, in one shape.

A finding names the file (a POSIX path relative to the repository root), the
line, the stable rule id, the severity, a message for a document controller
and a hint on how to fix it. The location never lives inside the message.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def label(self) -> str:
        return "错误" if self is Severity.ERROR else "警告"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str
    line: int | None
    message: str
    hint: str = ""
    document: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """``path:line: 错误：message [rule]`` plus an indented hint line."""
        location = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{location}: {self.severity.label}：{self.message} [{self.rule}]"
        if self.hint:
            text += f"\n    修改方法：{self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "file": self.path,
            "line": self.line,
            "document": self.document,
            "message": self.message,
            "hint": self.hint,
        }


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sorted by file and line, so a controller can fix them top to bottom."""
    return sorted(
        set(findings), key=lambda f: (f.path, f.line or 0, f.rule, f.message)
    )


def summary(findings: list[Finding]) -> str:
    errors = sum(f.is_error for f in findings)
    warnings = len(findings) - errors
    if not findings:
        return "检查通过：没有发现问题。"
    return f"共 {errors} 个错误、{warnings} 个警告。"
