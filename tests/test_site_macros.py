"""Site pages compose with qmsdoc's macros through mkdocs-macros, and run nothing else.

The guard (hooks/qmsdoc_macros.py) is tried inside the real plugin on a bare
MkDocs project, with and without it; the macros and the gate's checks are tried
on a real manual built with the project's hook.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT, ManualRepo, mini_manual, new_repo
from .test_published_input import SITE_SETTINGS

MACROS_PLUGIN = """plugins:
  - macros:
      module_name: hooks/qmsdoc_macros
      render_by_default: false
      on_error_fail: true
      on_undefined: strict
"""
ESCAPE = "{{ cycler.__init__.__globals__.os.name }}"


def mkdocs_build(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    return subprocess.run([mkdocs, "build"], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1",
                               "QMSDOC_DATE": "2024-07-01", **env})


def bare_site(root: Path, guard: str, page: str) -> Path:
    """A MkDocs project with only mkdocs-macros, the given macros module and one page."""
    (root / "docs").mkdir(parents=True)
    (root / "hooks").mkdir()
    (root / "hooks/qmsdoc_macros.py").write_text(guard, encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: 测试\n" + MACROS_PLUGIN, encoding="utf-8")
    (root / "docs/index.md").write_text(page, encoding="utf-8")
    return root


GUARD = (PROJECT / "hooks/qmsdoc_macros.py").read_text(encoding="utf-8")
NO_GUARD = "def define_env(env):\n    pass\n"


def test_the_guard_stops_template_code_inside_the_renderer(tmp_path: Path) -> None:
    page = f"---\nrender_macros: true\n---\n# 通知\n\n系统：{ESCAPE}\n"
    unguarded = bare_site(tmp_path / "unguarded", NO_GUARD, page)
    assert mkdocs_build(unguarded).returncode == 0  # what the guard is for: the page runs code
    assert "系统：posix" in (unguarded / "site/index.html").read_text(encoding="utf-8")

    guarded = bare_site(tmp_path / "guarded", GUARD, page)
    result = mkdocs_build(guarded)
    assert result.returncode != 0
    assert "docs/index.md:6: {{ }} 中只能调用允许的宏" in result.stderr
    assert not (guarded / "site/index.html").exists()


@pytest.mark.parametrize("page, said", [
    ("---\nrender_macros: true\n---\n{% for x in range(3) %}x{% endfor %}\n", "{% %}"),
    ("---\nrender_macros: true\n---\n{# note #}\n", "{# #}"),
    ("---\nrender_macros: true\ntitle: '{{ 7 * 7 }}'\n---\n# 标题\n", "页首元数据 title"),
    ("---\nrender_macros: true\ndoc: 1\n---\n# 标题\n", "键 doc 与宏同名"),
    ("---\nrender_macros: true\n---\n{{ documents(type=config.site_name) }}\n", "不能是表达式"),
])
def test_the_guard_refuses_every_other_template_syntax(tmp_path: Path, page: str,
                                                       said: str) -> None:
    result = mkdocs_build(bare_site(tmp_path, GUARD, page))
    assert result.returncode != 0 and said in result.stderr, result.stderr


SITE = SITE_SETTINGS
HOME = """# 测试局

体系总体说明见 {{ doc("QM-01") }}。

## 程序文件

{{ documents(type="程序文件") }}

## 办公室归口的文件

{{ documents(department="办公室", role="文件管理员") }}

## 最近修订

{{ recent_revisions(days=365) }}
"""


def macro_site(root: Path, settings: str = SITE + MACROS_PLUGIN, home: str = HOME) -> ManualRepo:
    files = {**mini_manual(), "mkdocs.yml": settings, "docs/index.md": home,
             **{f"hooks/{name}": (PROJECT / "hooks" / name).read_text("utf-8")
                for name in ("qmsdoc_mkdocs.py", "qmsdoc_macros.py")}}
    repo = new_repo(root, files)
    repo.commit("Add the first edition and the site", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return repo


def test_the_home_page_lists_documents_and_recent_revisions(tmp_path: Path) -> None:
    repo = macro_site(tmp_path / "repo")
    result = mkdocs_build(repo.root)
    assert result.returncode == 0, result.stderr
    home = (repo.root / "site/index.html").read_text(encoding="utf-8")
    procedures = home[home.index("程序文件</h2>"):home.index("办公室归口的文件</h2>")]
    assert 'href="procedures/qp-01/">QP-01</a>' in procedures and "QM-01" not in procedures
    office = home[home.index("办公室归口的文件</h2>"):home.index("最近修订</h2>")]
    assert "QP-01" in office and "JR-01" not in office  # QP-01 names the role 文件管理员
    recent = home[home.index("最近修订</h2>"):]
    assert "2024-03-01" in recent and "QM-01" in recent
    # Controlled documents and registers never go through the template engine.
    assert "{{" not in (repo.root / "site/procedures/qp-01/index.html").read_text("utf-8")


@pytest.mark.parametrize("line, rule, said", [
    ("{% for x in range(3) %}x{% endfor %}", "template.forbidden", "{% %}"),
    ("{{ config.site_name }}", "template.forbidden", "只能调用允许的宏"),
    ('{{ documents(department="不存在科") }}', "template.bad-argument", "没有文件归口于“不存在科”"),
    ('{{ documents(type="policy") }}', "template.bad-argument", "文件类型 policy 不存在"),
    ('{{ doc(number="QM-01") }}', "template.forbidden", "写作 {{ doc(\"QP-05\") }}"),
])
def test_the_gate_refuses_a_committed_page_with_a_wrong_macro(tmp_path: Path, line: str,
                                                              rule: str, said: str) -> None:
    repo = macro_site(tmp_path / "repo")
    repo.write("docs/notice.md", f"# 通知\n\n{line}\n")
    repo.commit("Add a notice", date="2024-06-01")
    findings = [f for f in repo.gate().findings if f.path == "docs/notice.md"]
    assert [(f.rule, f.line) for f in findings] == [(rule, 3)], findings
    assert said in findings[0].message + findings[0].hint
    result = mkdocs_build(repo.root)
    assert result.returncode != 0 and not (repo.root / "site/notice").exists()


def test_unsafe_macro_settings_stop_the_build(tmp_path: Path) -> None:
    repo = macro_site(tmp_path / "repo", SITE + MACROS_PLUGIN.replace(
        "on_error_fail: true", "on_error_fail: false") + "      j2_variable_start_string: '[['\n")
    result = mkdocs_build(repo.root)
    assert result.returncode != 0
    assert "on_error_fail: True" in result.stderr and "删除 j2_variable_start_string" in result.stderr


def test_list_macros_need_the_plugin(tmp_path: Path) -> None:
    repo = macro_site(tmp_path / "repo", SITE)
    result = mkdocs_build(repo.root)
    assert result.returncode != 0
    assert "docs/index.md 调用了文件清单等宏，但 mkdocs.yml 没有启用 macros 插件" in result.stderr
    repo.write("docs/index.md", '# 测试局\n\n见 {{ doc("QM-01") }}。\n')
    repo.commit("Cite only", date="2024-06-01")
    assert mkdocs_build(repo.root).returncode == 0  # citations need no plugin
