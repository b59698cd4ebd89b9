"""Project settings, read from ``qmsdoc.yml`` at the repository root.

The file is read with the same bounded YAML reader as the documents, so every
value arrives as text; booleans and numbers are converted here. Every path
must stay inside the repository: qmsdoc never reads or publishes files outside it.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .clauses import DEFAULT_STANDARDS, SHIPPED
from .errors import QmsdocError
from .frontmatter import (
    MAX_BYTES,
    FrontMatterError,
    YamlText,
    load_yaml,
    read_limited,
    too_large,
)
from .validation import Schema

if TYPE_CHECKING:
    from jsonschema import ValidationError

CONFIG_FILE = "qmsdoc.yml"

# The spellings YAML 1.1 (and so PyYAML's safe_load, which qmsdoc used before) reads as booleans.
_BOOLEANS = {
    **dict.fromkeys(("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"), True),
    **dict.fromkeys(("false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"), False),
}
_TEXT = {"type": "string", "minLength": 1}
_BOOLEAN = {"enum": list(_BOOLEANS)}

# Each setting: its schema, and how to write it (for the messages).
_SETTINGS: dict[str, tuple[dict[str, Any], str]] = {
    "organisation": (_TEXT, "单位名称，例如 示范市市场监督管理局"),
    "document_folders": ({"type": "array", "items": _TEXT, "minItems": 1},
                         "受控文件目录的列表，例如 [docs/manual, procedures]"),
    "pages_folder": (_TEXT, "网站页面目录，例如 docs"),
    "people": (_TEXT, "人员名册文件，例如 people.yml"),
    "require_signatures": (_BOOLEAN, "true 或 false"),
    "require_review": (_BOOLEAN, "true 或 false"),
    "reissue_after": ({"type": "string", "pattern": "^[1-9][0-9]{0,3}$"}, "正整数，例如 5"),
    "copies": (_TEXT, "受控文件发放回收登记文件，例如 copies.yml"),
    "recall_within": ({"type": "string", "pattern": "^[0-9]{1,3}$"},
                      "旧版受控本应在新版生效后几天内收回，例如 7"),
    "history_backfilled_until": ({"type": "string", "pattern": "^[0-9a-f]{7,40}$"},
                                 "一个提交号（7 至 40 位十六进制），例如 5ade8e91"),
    "setting_up": (_BOOLEAN, "true 或 false（体系建立期间，条款覆盖缺口只作警告）"),
    "standards": ({"type": "array", "items": _TEXT, "minItems": 1, "uniqueItems": True},
                  "本手册覆盖的标准（国家标准号）的列表，例如 [GB/T 19001-2016, GB/T 24001-2016]"),
}
_PATHS = {"document_folders": "procedures", "pages_folder": "docs", "people": "people.yml",
          "copies": "copies.yml"}
_SCHEMA = Schema("config", {
    "type": "object",
    "additionalProperties": False,
    "required": ["organisation", "document_folders"],
    "properties": {name: schema for name, (schema, _) in _SETTINGS.items()},
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
    copies_file: str = "copies.yml"
    """The register of controlled copies (受控文件发放回收登记), written by ``qmsdoc issue``."""
    recall_within: int = 7
    """Days after a new revision takes effect within which old copies must be recalled."""
    history_backfilled_until: str | None = None
    """The last commit of history entered afterwards (补录): taken at its recorded dates."""
    setting_up: bool = False
    """The system is being set up (体系建立期间): clause coverage gaps are warnings."""
    standards: tuple[str, ...] = DEFAULT_STANDARDS
    """The standards the manual covers, by national number (``GB/T 24001-2016``)."""


def load_settings(root: Path) -> Settings:
    """Read ``qmsdoc.yml``; a missing or broken file stops the run."""
    path = root / CONFIG_FILE
    try:
        data, size = read_limited(path)
    except FileNotFoundError:
        raise QmsdocError(f"{path} 不存在：在仓库根目录创建 {CONFIG_FILE}（见 README）") from None
    if size > MAX_BYTES:
        raise QmsdocError(f"{CONFIG_FILE} {too_large(size).message}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise QmsdocError(f"{CONFIG_FILE} 不是 UTF-8 编码：用编辑器把它另存为 UTF-8 编码") from None
    return parse_settings(root, text)


def parse_settings(root: Path, text: str) -> Settings:
    """Settings from the text of ``qmsdoc.yml`` (the working file or a version in git)."""
    try:
        parsed = load_yaml(text)
    except FrontMatterError as error:
        raise QmsdocError(f"{CONFIG_FILE} 第 {error.line} 行{_setting_at(text, error.line)}"
                          f"{error.message}") from None
    data = parsed.data if parsed.data is not None else {}
    problems = _SCHEMA.errors(data)
    if problems:  # a misspelt setting first: it also explains a setting reported missing
        raise QmsdocError(_describe(min(problems, key=lambda p: p.validator != "additionalProperties"),
                                   parsed))
    for name, example in _PATHS.items():
        value = data.get(name)
        if isinstance(value, list):
            for index, item in enumerate(value):
                _check_inside(root, name, item, parsed.line_at([name, index]), example)
        elif value is not None:
            _check_inside(root, name, value, parsed.line_at([name]), example)
    for index, standard in enumerate(data.get("standards", ())):
        _check_shipped(standard, parsed.line_at(["standards", index]))
    return Settings(
        root=root,
        organisation=data["organisation"],
        document_folders=tuple(data["document_folders"]),
        pages_folder=data.get("pages_folder", "docs"),
        people_file=data.get("people", "people.yml"),
        require_signatures=_BOOLEANS[data.get("require_signatures", "false")],
        require_review=_BOOLEANS[data.get("require_review", "true")],
        reissue_after=int(data.get("reissue_after", "5")),
        copies_file=data.get("copies", "copies.yml"),
        recall_within=int(data.get("recall_within", "7")),
        history_backfilled_until=data.get("history_backfilled_until"),
        setting_up=_BOOLEANS[data.get("setting_up", "false")],
        standards=tuple(data.get("standards", DEFAULT_STANDARDS)),
    )


def _setting_at(text: str, line: int) -> str:
    """``（设置 name）`` for the top-level setting written on or above ``line``."""
    for row in reversed(text.split("\n")[:line]):
        name, colon, _ = row.partition(":")
        if colon and row[:1] not in (" ", "\t", "#", "-") and name.strip():
            return f"（设置 {name.strip()}）"
    return ""


def _describe(error: ValidationError, parsed: YamlText) -> str:
    """The first schema problem, in words: the file, the line, the setting, what to write."""
    path = list(error.absolute_path)
    if path:
        name = str(path[0])
        return (f"{CONFIG_FILE} 的 {name} 有误（第 {parsed.line_at(path)} 行）："
                f"值 {error.instance!r} 不对，应为：{_SETTINGS[name][1]}")
    if error.validator == "required":
        name = next(n for n in error.validator_value if n not in error.instance)
        return f"{CONFIG_FILE} 缺少设置 {name}：添加一行“{name}: …”，值为：{_SETTINGS[name][1]}"
    if error.validator == "additionalProperties":
        name = next(str(n) for n in error.instance if n not in _SETTINGS)
        close = difflib.get_close_matches(name, list(_SETTINGS), n=1, cutoff=0.6)
        guess = f"是不是要写 {close[0]}？" if close else ""
        return (f"{CONFIG_FILE} 的 {name} 有误（第 {parsed.line_at([name])} 行）：没有这个设置。"
                f"{guess}可用的设置：{'、'.join(_SETTINGS)}")
    return f"{CONFIG_FILE} 应当一行写一个“设置: 值”，例如 organisation: 示范市市场监督管理局"


def _check_shipped(standard: str, line: int) -> None:
    """A standard qmsdoc has no clause catalogue for stops the run."""
    if standard in SHIPPED:
        return
    close = difflib.get_close_matches(standard, list(SHIPPED), n=1, cutoff=0.6)
    guess = f"是不是要写 {close[0]}？" if close else ""
    raise QmsdocError(f"{CONFIG_FILE} 的 standards 有误（第 {line} 行）：qmsdoc 没有标准 "
                      f"{standard} 的条款目录。{guess}qmsdoc 附带的标准：{'、'.join(SHIPPED)}"
                      "（照此写国家标准号，含年代号）")


def _check_inside(root: Path, name: str, value: str, line: int, example: str) -> None:
    """A path setting that leads outside the repository stops the run."""
    base = root.resolve()
    if PurePosixPath(value).is_absolute():
        reason = "是绝对路径"
    elif os.path.normpath(value).split(os.sep)[0] == os.pardir:
        reason = "用 .. 指向了仓库以外"
    elif not (base / value).resolve().is_relative_to(base):
        reason = f"经符号链接指向了仓库以外的 {(base / value).resolve()}"
    else:
        return
    raise QmsdocError(f"{CONFIG_FILE} 的 {name} 有误（第 {line} 行）：{value!r} {reason}。"
                      f"qmsdoc 只读仓库内的文件：请写相对于仓库根目录的路径，例如 {example}")
