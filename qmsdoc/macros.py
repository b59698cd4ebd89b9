"""The macros a site page may call, and the check that refuses any other template syntax.

The department composes its site pages (the home page, notices) with the
macros listed in ``MACROS``; mkdocs-macros renders them. Jinja can run code
(its sandbox has been escaped more than once), so no page may contain any
other template syntax: every ``{{ }}`` must be one call of a listed macro
with literal arguments, and ``{% %}``, ``{# #}``, variables, filters and
attribute access are refused. The gate runs this check before a build, and
the guard in ``hooks/qmsdoc_macros.py`` runs it again inside the renderer on
the text it is about to render. Controlled documents may use ``doc()`` and
``clause()`` only (``loader.template_findings``): their text is also printed
and archived without a template engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .findings import Finding, Severity
from .model import DocType, Manual

if TYPE_CHECKING:
    from jinja2 import nodes

TEMPLATE_RE = re.compile(r"\{\{|\{%|\{#")
MACRO_RE = re.compile(r"""\{\{\s*(doc|clause)\(\s*(["'])([^"'\n]*)\2\s*\)\s*\}\}""")
"""A citation as controlled documents write it: qmsdoc expands these itself."""
MACRO_MODULE = "hooks/qmsdoc_macros"
"""Where mkdocs.yml must point the plugin's ``module_name``: the guard lives there."""


@dataclass(frozen=True)
class Macro:
    """A macro's parameters: positional ones in order, and their value types."""

    name: str
    parameters: tuple[tuple[str, type], ...]
    example: str
    keyword_only: bool = False  # arguments by name only
    required: bool = False  # every parameter must be given


MACROS = {m.name: m for m in (
    Macro("doc", (("number", str),), '{{ doc("QP-05") }}', required=True),
    Macro("clause", (("ref", str),), '{{ clause("9.2") }}', required=True),
    Macro("documents", (("type", str), ("department", str), ("role", str)),
          '{{ documents(type="procedure", department="办公室", role="窗口受理人员") }}',
          keyword_only=True),
    Macro("recent_revisions", (("days", int),), "{{ recent_revisions(days=30) }}"),
)}


@dataclass(frozen=True)
class MacroCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    line: int = 1


@dataclass(frozen=True)
class TemplateProblem:
    line: int
    message: str


def examples() -> str:
    """How to write each macro, for messages."""
    return "、".join(m.example for m in MACROS.values())


def parse_calls(text: str, allowed: frozenset[str] = frozenset(MACROS)
                ) -> tuple[list[MacroCall], list[TemplateProblem]]:
    """The macro calls in a page's text, and every piece of template syntax that is not one.

    Parsed by Jinja itself (never rendered), with Jinja's default delimiters:
    the guard makes sure the renderer uses the same.
    """
    if not TEMPLATE_RE.search(text):
        return [], []
    import jinja2  # only for pages that call macros: a check of the rest runs without it
    from jinja2 import nodes

    environment = jinja2.Environment()
    try:
        tokens = list(environment.lex(text))
        template = environment.parse(text)
    except jinja2.TemplateSyntaxError as error:
        return [], [TemplateProblem(error.lineno, f"模板语法有误：{error.message}")]
    problems = [TemplateProblem(line, "出现了 {% %} 或 {# #}：网站页面只允许调用下列宏")
                for line, kind, _ in tokens if kind in ("block_begin", "comment_begin")]
    calls: list[MacroCall] = []
    for output in template.body:
        if not isinstance(output, nodes.Output):
            continue  # a block: reported from the tokens above
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            call = _macro_call(node, allowed)
            if isinstance(call, MacroCall):
                calls.append(call)
            else:
                problems.append(TemplateProblem(node.lineno, call))
    return calls, sorted(problems, key=lambda p: p.line)


def _macro_call(node: nodes.Node, allowed: frozenset[str]) -> MacroCall | str:
    """The call ``node`` makes, or why it is not an allowed macro call."""
    from jinja2 import nodes

    if not (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name)
            and node.node.name in allowed):
        return "{{ }} 中只能调用允许的宏，不能写变量、过滤器或其他表达式"
    macro = MACROS[node.node.name]
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        return f"宏 {macro.name} 的参数必须逐个写出"
    if macro.keyword_only and node.args:
        return f"宏 {macro.name} 的参数要写明名称，例如 {macro.example}"
    if len(node.args) > len(macro.parameters):
        return f"宏 {macro.name} 的参数太多，写法为 {macro.example}"
    arguments: dict[str, Any] = {}
    names = dict(macro.parameters)
    given = [(name, value) for (name, _), value in zip(macro.parameters, node.args, strict=False)]
    given += [(keyword.key, keyword.value) for keyword in node.kwargs]
    for name, value in given:
        if name not in names or name in arguments:
            return f"宏 {macro.name} 没有参数 {name}（或重复给出），写法为 {macro.example}"
        if not (isinstance(value, nodes.Const) and type(value.value) is names[name]):
            kind = "文字（加引号）" if names[name] is str else "整数"
            return f"宏 {macro.name} 的参数 {name} 只能是{kind}，不能是表达式"
        arguments[name] = value.value
    if macro.required and len(arguments) < len(macro.parameters):
        return f"宏 {macro.name} 缺少参数，写法为 {macro.example}"
    return MacroCall(macro.name, arguments, node.lineno)


def argument_problems(call: MacroCall, manual: Manual) -> Iterator[str]:
    """What is wrong with a list macro's arguments (documents and clauses are checked as
    citations, like a controlled document's)."""
    departments = {d.department for d in manual}
    roles = {role for d in manual for role in d.roles}
    if call.name == "documents":
        kind = call.arguments.get("type")
        if kind is not None and doc_type(kind) is None:
            yield (f"文件类型 {kind} 不存在；可写 "
                   + "、".join(f"{t.key}（{t.label}）" for t in DocType))
        department = call.arguments.get("department")
        if department is not None and department not in departments:
            yield f"没有文件归口于“{department}”；已有的归口部门：{'、'.join(sorted(departments))}"
        role = call.arguments.get("role")
        if role is not None and role not in roles:
            yield f"没有岗位“{role}”；已有的岗位：{'、'.join(sorted(roles))}"
    if call.name == "recent_revisions" and not 1 <= call.arguments.get("days", 90) <= 3660:
        yield "days 是 1 到 3660 之间的天数"


def doc_type(name: str) -> DocType | None:
    """A document type by its key (procedure) or its Chinese name (程序文件)."""
    return next((t for t in DocType if name in (t.key, t.label)), None)


SAFE_SETTINGS = {"module_name": MACRO_MODULE, "render_by_default": False,
                 "on_error_fail": True, "on_undefined": "strict"}


def settings_problems(settings: Mapping[str, Any]) -> list[str]:
    """What makes the mkdocs-macros settings in mkdocs.yml unsafe for a staff site."""
    problems = [f"{key}: {expected}" for key, expected in SAFE_SETTINGS.items()
                if settings.get(key) != expected]
    problems += [f"删除 {key}" for key in ("modules", "include_yaml", "j2_extensions")
                 if settings.get(key)]
    problems += [f"删除 {key}（页面只能用默认的 {{{{ }}}}）" for key, value in settings.items()
                 if key.startswith("j2_") and key != "j2_extensions" and value]
    return problems


def page_problems(markdown: str, meta: Mapping[str, Any]) -> list[TemplateProblem]:
    """Everything in a page about to be rendered that is not an allowed macro call.

    The page's front matter becomes template variables: a key named like a
    macro would replace it, and template syntax in a value (a title) is rendered.
    """
    problems = parse_calls(markdown)[1]
    problems += [TemplateProblem(1, f"页首元数据的键 {key} 与宏同名：请改名")
                 for key in meta if key in MACROS]
    problems += [TemplateProblem(1, f"页首元数据 {key} 中出现了模板语法：元数据中不能调用宏")
                 for key, value in meta.items() if TEMPLATE_RE.search(repr(value))]
    return problems


def page_findings(path: str, text: str, manual: Manual) -> Iterator[Finding]:
    """What the gate says of a site page's macros: refused syntax, wrong arguments.

    A ``doc()`` or ``clause()`` is written exactly as in a controlled document
    (``{{ doc("QP-05") }}``): qmsdoc expands those itself, and checks them as citations.
    """
    calls, problems = parse_calls(text)
    for problem in problems:
        yield Finding("template.forbidden", Severity.ERROR, path, problem.line, problem.message,
                      f"网站页面只能这样调用宏：{examples()}；其他花括号写法请删除或改写")
    lines = text.split("\n")
    for call in calls:
        if call.name in ("doc", "clause"):
            line = lines[call.line - 1] if call.line <= len(lines) else ""
            if sum(c.name in ("doc", "clause") and c.line == call.line for c in calls) > len(
                    MACRO_RE.findall(line)):
                yield Finding("template.forbidden", Severity.ERROR, path, call.line,
                              f"宏 {call.name} 的写法与受控文件中的引用不同",
                              f"写作 {MACROS[call.name].example}（一个带引号的参数，写在一行内）")
            continue
        for wrong in argument_problems(call, manual):
            yield Finding("template.bad-argument", Severity.ERROR, path, call.line,
                          f"宏 {call.name} 的参数有误：{wrong}", f"写法如 {MACROS[call.name].example}")
