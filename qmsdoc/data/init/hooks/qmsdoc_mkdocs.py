"""MkDocs adapter for qmsdoc: the gate, the published pages and the navigation.

All logic lives in the ``qmsdoc`` package; this file only translates MkDocs
events into calls to it. The gate runs in ``on_pre_build``, before MkDocs
cleans the site folder. A `mkdocs build` takes the site folder's lock, writes
into a staging folder of its own and swaps it in atomically only when the
whole build has succeeded (``qmsdoc.deploy``).

Set ``QMSDOC_STRICT=1`` on release branches: unapproved text then fails the build.
This file and mkdocs.yml are governed: the staff build stops while either carries
a change nobody approved.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import markdown
from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url
from mkdocs.utils.templates import TemplateContext

# MkDocs puts this file's folder first on sys.path while it runs it: import the
# installed qmsdoc, never a module of the same name that someone put beside the hook.
sys.path[:] = [p for p in sys.path if p != os.path.dirname(__file__)]

import qmsdoc  # noqa: E402
from qmsdoc.active_content import clean_html  # noqa: E402
from qmsdoc.archive_pages import Theme, theme_stylesheets, write_archive  # noqa: E402
from qmsdoc.deploy import SiteRelease, open_release  # noqa: E402
from qmsdoc.forked import ForkedJob  # noqa: E402
from qmsdoc.macros import TEMPLATE_RE, settings_problems  # noqa: E402
from qmsdoc.preview import PreviewMemory, Rebuild  # noqa: E402
from qmsdoc.render import not_found_page  # noqa: E402
from qmsdoc.site import SitePlan  # noqa: E402
from qmsdoc.site_build import finish_site, prepared_gate, require_governed_settings  # noqa: E402
from qmsdoc.site_macros import site_macros  # noqa: E402

log = get_plugin_logger("qmsdoc")


class _Build:
    """State of one build; replaced at the start of every build (also under `serve`)."""

    def __init__(self, command: str, dirty: bool = False) -> None:
        self.command = command
        self.dirty = dirty  # `serve --dirty`: write only the pages a change touches
        self.rebuild: Rebuild | None = None
        self.rebuilt_urls: set[str] = set()
        self.plan: SitePlan | None = None
        self.files: Files | None = None
        self.release: SiteRelease | None = None  # lock and staging folder of a `mkdocs build`
        self.owns_release = False  # False when the caller (running MkDocs in-process) holds it
        self.finished = False  # every page written and no error (strict warnings count later)
        self.written: dict[str, str] = {}  # each page written: path in the site -> source path
        self.archive: ForkedJob | None = None  # the archive's pages, written beside MkDocs
        self.macros = False  # mkdocs-macros is configured: site pages may call list macros


_build = _Build("build")
_preview = PreviewMemory()  # what the preview's pages show: kept from one rebuild to the next


class _Unchanged(File):
    """A page of a dirty preview that shows what it showed in the last build: not rewritten."""

    def is_modified(self) -> bool:
        return False


class _Rebuilt(File):
    """A site page of a dirty preview: its lists and navigation may change with any document."""

    def is_modified(self) -> bool:
        return True


def on_startup(command: str, dirty: bool) -> None:
    global _build, _preview
    _build, _preview = _Build(command, dirty), PreviewMemory()
    if command == "serve" and dirty:
        logging.getLogger("mkdocs.commands.build").addFilter(_not_the_dirty_build_warning)


def _not_the_dirty_build_warning(record: logging.LogRecord) -> bool:
    """MkDocs warns at every `serve --dirty` build that pages it did not write may show stale
    links, which stops the preview of a strict site. The preview rewrites every page a change
    touches (qmsdoc.preview): the warning is not for it."""
    return not record.getMessage().startswith("A 'dirty' build is being performed")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _build
    _build = _Build(_build.command, _build.dirty)
    if _build.command == "build":
        try:
            _build.release, _build.owns_release = open_release(Path(config.site_dir), os.environ, log)
        except qmsdoc.QmsdocError as error:
            raise PluginError(f"qmsdoc：{error}") from None
        config.site_dir = str(_build.release.staging)
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    root = Path(config.config_file_path).parent
    try:
        if _build.command == "build":
            require_governed_settings(Path(config.config_file_path))
        gate = prepared_gate(root) or qmsdoc.run_gate(
            qmsdoc.load_settings(root), strict=os.environ.get("QMSDOC_STRICT") == "1",
            publishing=_build.command == "build",
            memory=_preview.gate if _build.command == "serve" else None)
    except qmsdoc.QmsdocError as error:
        raise PluginError(f"qmsdoc：{error}") from None
    for finding in gate.findings:
        if not finding.is_error:
            log.info(finding.format())
    if gate.errors:
        listed = "\n".join(f.format() for f in gate.errors)
        raise PluginError(f"qmsdoc 检查发现 {len(gate.errors)} 个错误，网站没有生成：\n{listed}")
    docs_dir = Path(config.docs_dir).resolve().relative_to(root.resolve()).as_posix()
    _build.plan = SitePlan(gate, docs_dir, preview=_build.command == "serve")
    gate.repository.forget_blobs()  # the plan holds the texts it publishes
    _build.macros = _bind_macros(config, _build.plan)


def _bind_macros(config: MkDocsConfig, plan: SitePlan) -> bool:
    """Give mkdocs-macros qmsdoc's macros, once its settings are known to be safe."""
    macros = config.plugins.get("macros")
    if macros is None:
        return False
    problems = settings_problems(macros.config)
    if problems:
        raise PluginError("qmsdoc：mkdocs.yml 中 macros 插件的设置会让页面运行代码，网站没有生成。"
                          f"请改为：{'；'.join(problems)}")
    macros.register_macros(site_macros(plan, lambda: _href(macros.page, _files())))
    return True


def on_files(files: Files, config: MkDocsConfig) -> Files:
    plan = _plan()
    controlled = plan.controlled_uris()
    for file in list(files):
        if file.src_uri in controlled:
            files.remove(file)  # replaced by the approved text below, or not published
        elif not plan.preview and _in_docs(file, config):  # staff site: committed files only
            files.remove(file)
            content = plan.site_files.get(file.src_uri)
            if content is not None:
                files.append(File.generated(config, file.src_uri, content=content,
                                            inclusion=file.inclusion))
        elif _build.dirty and file.is_documentation_page() and _in_docs(file, config):
            files.remove(file)
            files.append(_Rebuilt(file.src_uri, file.src_dir, file.dest_dir,
                                  file.use_directory_urls, inclusion=file.inclusion))
    config.nav = plan.nav(sorted(f.src_uri for f in files.documentation_pages()))
    if plan.preview and _build.dirty:
        _build.rebuild = _preview.plan_rebuild(plan, config.nav)
    for page in plan.pages():
        # A revision not yet in force and a withdrawn document are reached from the pages
        # that link to them, not the navigation.
        inclusion = InclusionLevel.NOT_IN_NAV if page.hidden else InclusionLevel.INCLUDED
        unchanged = _build.rebuild is not None and page.src_uri in _build.rebuild.unchanged
        files.append((_Unchanged if unchanged else File).generated(
            config, page.src_uri, content=page.markdown, inclusion=inclusion))
    try:  # the images and attachments the published texts link to, as approved
        assets = plan.published_assets()
    except qmsdoc.QmsdocError as error:
        raise PluginError(f"qmsdoc：{error}") from None
    for src_uri, content in assets:
        files.append(File.generated(config, src_uri, content=content))
    _build.files = files
    return files


@event_priority(50)  # before mkdocs-macros: it renders only the site pages that need it
def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    plan = _plan()
    href = _href(page, files)
    # qmsdoc reads its metadata itself. Left in page.meta, it would make the theme
    # look up icons and subtitles in it for every navigation entry of every page.
    page.meta.pop("qms", None)
    page.meta["render_macros"] = False
    register = plan.register_markdown(page.file.src_uri, href)
    if register is not None:
        return register
    markdown = plan.expand_macros(markdown, page.file.src_uri, href)
    controlled = plan.page_at(page.file.src_uri)
    if controlled is None:
        # A site page's other macros (lists of documents...) are mkdocs-macros' to render.
        page.meta["render_macros"] = bool(TEMPLATE_RE.search(markdown))
        if page.meta["render_macros"] and not _build.macros:
            raise PluginError(f"qmsdoc：{plan.docs_dir / page.file.src_uri} 调用了文件清单等宏，"
                              "但 mkdocs.yml 没有启用 macros 插件，网站没有生成。请按 qmsdoc init "
                              "生成的 mkdocs.yml 加上 macros 插件的设置，或删去这些宏")
        return markdown
    if controlled.hidden:  # a revision not yet in force, a withdrawn document: not for search
        page.meta["search"] = {"exclude": True}
    return plan.decorate_markdown(controlled, markdown)


@event_priority(-100)  # after the search plugin has indexed the page: these are not for search
def on_page_context(context: TemplateContext, page: Page, config: MkDocsConfig,
                    nav: Navigation) -> TemplateContext:
    plan = _plan()
    controlled = plan.page_at(page.file.src_uri)
    if page.content is not None:
        if controlled:
            page.content = plan.decorate_html(controlled, page.content, _href(page, _files()))
        # The gate has refused active content; the allow-list is the second line.
        page.content = clean_html(page.content)
    return context


def on_post_template(output: str, template_name: str, config: MkDocsConfig) -> str:
    if template_name != "404.html":
        return output
    try:
        return not_found_page(output)
    except qmsdoc.QmsdocError as error:
        raise PluginError(f"qmsdoc：{error}") from None


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    _build.written[page.file.dest_uri] = page.file.src_uri
    _build.rebuilt_urls.add(page.url)
    try:  # after clean_html: the print header's <style> and date script are qmsdoc's own
        return _plan().print_ready(page.file.src_uri, page.title or "", output)
    except qmsdoc.QmsdocError as error:
        raise PluginError(f"qmsdoc：{error}") from None


def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    """Start writing the archive (every approved text, static: MkDocs would render each
    with the whole navigation) beside MkDocs, which now renders the pages."""
    plan = _plan()
    if plan.preview:
        env.bytecode_cache = _preview.templates
        return env
    theme = Theme(config.site_name, theme_stylesheets(map(Path, config.theme.dirs),
                                                      config.extra_css))

    def page_url(src_uri: str) -> str | None:
        file = files.get_file_from_path(src_uri)
        return file.url if file else None

    def write() -> int:
        converter = markdown.Markdown(extensions=config.markdown_extensions,
                                      extension_configs=config.mdx_configs)
        return write_archive(plan, Path(config.site_dir),
                             lambda text: converter.reset().convert(text), page_url, theme)

    _build.archive = ForkedJob(write, "存档页面")
    return env


def on_post_build(config: MkDocsConfig) -> None:
    if _build.archive is not None:
        try:
            _build.archive.result()
        except qmsdoc.QmsdocError as error:
            raise PluginError(f"qmsdoc：{error}") from None
    if _build.rebuild is not None:
        _preview.remember(_build.rebuild, Path(config.site_dir), _build.rebuilt_urls)
    _build.finished = True


def on_build_error(error: Exception) -> None:
    # Also after on_post_build: --strict aborts on warnings only once every page is written.
    _build.finished = False
    if _build.archive is not None:
        _build.archive.cancel()
    if _build.release is not None and _build.owns_release:
        _build.release.close()


def on_shutdown() -> None:
    """Mark and seal (manifest) the staged site, publish it if the build succeeded and this
    hook holds the release; release the lock in any case."""
    release = _build.release
    if release is None:
        return
    try:
        if _build.finished:
            finish_site(release.staging, _plan(), _build.written)
            if _build.owns_release:
                release.publish()
    except qmsdoc.QmsdocError as error:
        raise PluginError(f"qmsdoc：{error}") from None
    finally:
        if _build.owns_release:
            release.close()


def _in_docs(file: File, config: MkDocsConfig) -> bool:
    """A file read from the docs folder (not the theme's, not generated by a plugin)."""
    source = file.abs_src_path
    return file.generated_by is None and source is not None and Path(source).is_relative_to(
        Path(config.docs_dir))


def _href(page: Page, files: Files) -> Callable[[str], str]:
    """Links from a page: to a MkDocs page by its source path, to an archive page by address."""
    def href(target: str) -> str:
        file = files.get_file_from_path(target)
        return file.url_relative_to(page.file) if file else get_relative_url(target, page.url)
    return href


def _files() -> Files:
    if _build.files is None:
        raise PluginError("qmsdoc：文件列表没有准备好（on_files 未执行）")
    return _build.files


def _plan() -> SitePlan:
    if _build.plan is None:
        raise PluginError("qmsdoc：检查没有运行（on_pre_build 未执行）")
    return _build.plan
