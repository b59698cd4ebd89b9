"""Project settings, read from ``qmsdoc.yml`` at the repository root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import QmsdocError
from .validation import Schema

CONFIG_FILE = "qmsdoc.yml"

_SCHEMA = Schema({
    "type": "object",
    "additionalProperties": False,
    "required": ["organisation", "document_folders"],
    "properties": {
        "organisation": {"type": "string", "minLength": 1},
        "document_folders": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "pages_folder": {"type": "string"},
        "people": {"type": "string"},
        "require_signatures": {"type": "boolean"},
        "require_review": {"type": "boolean"},
        "reissue_after": {"type": "integer", "minimum": 1},
        "history_backfilled_until": {"type": "string", "pattern": "^[0-9a-f]{7,40}$"},
    },
})


@dataclass(frozen=True)
class Settings:
    """What qmsdoc needs to know about a repository; passed in, never global."""

    root: Path
    organisation: str
    document_folders: tuple[str, ...]
    pages_folder: str = "docs"
    people_file: str = "people.yml"
    require_signatures: bool = False
    require_review: bool = True
    reissue_after: int = 5
    history_backfilled_until: str | None = None
    """The last commit of history entered afterwards (补录): taken at its recorded dates."""


def load_settings(root: Path) -> Settings:
    """Read ``qmsdoc.yml``; a missing or broken file stops the run."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QmsdocError(f"{path} 不存在：在仓库根目录创建 {CONFIG_FILE}（见 README）") from None
    return parse_settings(root, text)


def parse_settings(root: Path, text: str) -> Settings:
    """Settings from the text of ``qmsdoc.yml`` (the working file or a version in git)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise QmsdocError(f"{CONFIG_FILE} 无法读取：{error}") from None
    problems = _SCHEMA.errors(data or {})
    if problems:
        where = "/".join(str(p) for p in problems[0].absolute_path) or "顶层"
        raise QmsdocError(f"{CONFIG_FILE} 的 {where} 有误：{problems[0].message}")
    return Settings(
        root=root,
        organisation=data["organisation"],
        document_folders=tuple(data["document_folders"]),
        pages_folder=data.get("pages_folder", "docs"),
        people_file=data.get("people", "people.yml"),
        require_signatures=data.get("require_signatures", False),
        require_review=data.get("require_review", True),
        reissue_after=data.get("reissue_after", 5),
        history_backfilled_until=data.get("history_backfilled_until"),
    )
