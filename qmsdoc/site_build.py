"""``qmsdoc build``: the staff site, checked before MkDocs reads anything it could run.

MkDocs runs code while it reads ``mkdocs.yml`` (``!!python`` tags) and loads
its hooks. So the gate runs first, with nothing but qmsdoc's own code: it stops
the build when the site's settings or hooks carry a change nobody approved,
as well as for every other error. Only then does MkDocs run, in this process,
taking the gate's result (the hook does not run it again) and the lock and
staging folder this command holds (see :mod:`qmsdoc.deploy`).
"""

from __future__ import annotations

import datetime
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .deploy import SiteRelease, lock_timeout
from .errors import QmsdocError
from .findings import Finding
from .gate import GateResult, run_gate
from .governance import SITE_CONFIG, site_settings
from .historical import mark_site, view_notice
from .manifest import write_manifest
from .site import SitePlan
from .wayfinding import write_feed

log = logging.getLogger("mkdocs.plugins.qmsdoc")


@dataclass(frozen=True)
class PreparedBuild:
    """A gate already run for the build in progress in this process."""

    root: Path
    gate: GateResult


_prepared: list[PreparedBuild] = []  # the build this process runs, while MkDocs runs it


def prepared_gate(root: Path) -> GateResult | None:
    """The gate ``qmsdoc build`` ran for this repository, when it is the one running MkDocs."""
    return next((p.gate for p in _prepared if p.root == root.resolve()), None)


def require_governed_settings(config_file: Path) -> None:
    """The staff site is built with the governed mkdocs.yml, never with another settings file."""
    if config_file.name != SITE_CONFIG:
        raise QmsdocError(f"员工网站只能用受控的 {SITE_CONFIG} 生成，本次用的是 {config_file.name}："
                          f"它的修改不受审批控制。请用 make site（qmsdoc build）发布")


def build_site(settings: Settings, *, strict: bool, day: datetime.date | None,
               report: Callable[[list[Finding]], None],
               built_on: datetime.date | None = None) -> Path | None:
    """Check, build and publish the staff site: the folder published, or ``None`` (site
    untouched) if the check fails.

    ``report`` receives the findings before anything is built. ``built_on``: the day
    the build is taken to run on (default today), for a rebuild by ``qmsdoc verify``.
    """
    root = settings.root.resolve()
    config_file = root / SITE_CONFIG
    if not config_file.is_file():
        raise QmsdocError(f"{config_file} 不存在：员工网站由 {SITE_CONFIG} 设置，请在仓库根目录创建它")
    site_dir = root / str(site_settings(config_file.read_text(encoding="utf-8")).get(
        "site_dir") or "site")
    with SiteRelease(site_dir, timeout=lock_timeout(os.environ), log=log) as release:
        gate = run_gate(settings, strict=strict, today=day, publishing=True, built_on=built_on)
        report(gate.findings)
        if gate.errors:
            return None
        with _prepared_for(PreparedBuild(root, gate)), _mkdocs_log():
            _run_mkdocs(config_file, release.staging)
        release.publish()
    return site_dir


def finish_site(site_dir: Path, plan: SitePlan, written: Mapping[str, str]) -> None:
    """The last step of a build, once every page is written: mark a site built for another
    day than today on every page, then write the manifest of the pages as they are."""
    try:
        write_feed(site_dir, plan)
        mark_site(site_dir, view_notice(plan.gate.day, plan.gate.built_on))
        write_manifest(site_dir, plan, written)
    except OSError as error:
        raise QmsdocError(f"网站没有发布：写入 {error.filename or site_dir} 时出错（{error.strerror}），"
                          "已发布的网站保持不变；请检查磁盘空间和目录权限后重新构建") from None


@contextmanager
def _prepared_for(build: PreparedBuild) -> Iterator[None]:
    _prepared.append(build)
    try:
        yield
    finally:
        _prepared.remove(build)


def _run_mkdocs(config_file: Path, staging: Path) -> None:
    """``mkdocs build`` into ``staging``, as its command runs it, with its failures as ours."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    os.environ.setdefault("DISABLE_MKDOCS_2_WARNING", "true")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    try:
        config = load_config(config_file=str(config_file))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
        if Path(config.site_dir).resolve() != staging.resolve():
            raise QmsdocError(
                f"MkDocs 把网站写到了 {config.site_dir}，而不是本次构建的临时目录：hooks/ 中的钩子与"
                "安装的 qmsdoc 版本不一致。请用与 qmsdoc 同一版本的 hooks/qmsdoc_mkdocs.py（经批准后合并）")
    except (Abort, ConfigurationError) as error:
        raise QmsdocError(f"MkDocs 没有生成网站：{error.message if isinstance(error, Abort) else error}"
                          "（已发布的网站保持不变）") from None


@contextmanager
def _mkdocs_log() -> Iterator[None]:
    """MkDocs's warnings and errors on standard error, as its own command shows them."""
    logger = logging.getLogger("mkdocs")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
