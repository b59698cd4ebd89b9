"""mkdocs-macros adapter: the guard that lets a page call qmsdoc's macros and nothing else.

mkdocs.yml points the macros plugin here (``module_name``). Before the plugin
renders a page, the guard refuses the page if its text or front matter holds
any template syntax other than a call of one of qmsdoc's macros with literal
arguments (``qmsdoc.macros``): Jinja would run it as code on the build machine.
The macros themselves are bound to the build by the qmsdoc hook. This file is
governed like mkdocs.yml and hooks/qmsdoc_mkdocs.py.
"""

from __future__ import annotations

import os
from typing import Any

from mkdocs.exceptions import PluginError

from qmsdoc.macros import examples, page_problems


def on_pre_page_macros(env: Any) -> None:
    problems = page_problems(env.markdown, env.page.meta)
    if problems:
        where = _path(env)
        # Lines as in the file: MkDocs has taken the front matter off the page's text.
        skipped = max(0, env.page.file.content_string.count("\n") - env.markdown.count("\n"))
        listed = "\n".join(f"{where}:{p.line + skipped}: {p.message}" for p in problems)
        raise PluginError(f"qmsdoc：页面中有不允许的模板语法，网站没有生成：\n{listed}\n"
                          f"页面只能这样调用宏：{examples()}")


def _path(env: Any) -> str:
    """The page's file as the repository names it (a site page lives in the docs folder)."""
    src_uri: str = env.page.file.src_uri
    in_docs: str = os.path.relpath(os.path.join(env.conf["docs_dir"], src_uri), env.project_dir)
    return in_docs if os.path.exists(os.path.join(env.project_dir, in_docs)) else src_uri
