"""Click's own words in Chinese: usage line, headings, built-in help and errors.

Click marks these texts for gettext, but reads them through the process-wide ``messages`` domain
and the user's locale, which on an office PC may be anything. So this module hands click's
modules a translation of its own, whatever the locale. A text click adds or rewords in a later
version shows in English until it is added here; ``tests/test_cli_text.py`` checks that every
text below is still one click uses, and that help and errors show no English.
"""

from __future__ import annotations

import gettext
import unicodedata

import click
from click import _compat, core, decorators, exceptions, formatting, parser, types

# click's text -> Chinese. Placeholders in braces are filled by click and kept as they are.
TEXTS: dict[str, str] = {
    "Options": "选项",
    "Positional arguments": "参数",
    "Commands": "命令",
    "Show this message and exit.": "显示帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看用法。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令：请写出要运行的命令，例如 check。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Invalid value: {message}": "取值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不能写值。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是数字。",
    "{value} is not in the range {range}.": "{value} 不在允许的范围 {range} 内。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "Aborted!": "已中止。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，这里要的是目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录，这里要的是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读：请管理员检查权限。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写：请管理员检查权限。",
}

# click's (singular, plural) -> Chinese (singular, plural).
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("多写了参数（{args}）", "多写了参数（{args}）"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("选项 {name!r} 后面要写一个值。", "选项 {name!r} 后面要写 {nargs} 个值。"),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("您是不是要写 {possibility}？", "（您是不是要写其中之一：{possibilities}？）"),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("{value!r} 不是 {choice}。", "{value!r} 不是 {choices} 之一。"),
}


class _Chinese(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return TEXTS.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        one, many = PLURALS.get((msgid1, msgid2), (msgid1, msgid2))
        return one if n == 1 else many


def _display_width(text: str) -> int:
    """Terminal columns: a Chinese character takes two, so help columns line up."""
    plain = _compat.strip_ansi(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


class ChineseFormatter(click.HelpFormatter):
    """用法： and headings with a Chinese colon (选项：) instead of click's ``Usage:``, ``Options:``."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


_CLICK_MODULES = (core, decorators, exceptions, formatting, parser, types)


def install() -> None:
    """Give click's modules the Chinese texts; call before any command is defined."""
    chinese = _Chinese()
    for module in _CLICK_MODULES:  # each did ``from gettext import gettext as _, ngettext``
        for name, translate in (("_", chinese.gettext), ("ngettext", chinese.ngettext)):
            if hasattr(module, name):
                setattr(module, name, translate)
    vars(formatting)["term_len"] = _display_width  # measures the help's first column
