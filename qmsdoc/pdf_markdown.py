"""Markdown to HTML outside MkDocs, with the Markdown extensions of the site's mkdocs.yml."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .config import Settings
from .errors import QmsdocError
from .governance import site_settings

SITE_CONFIG = "mkdocs.yml"
DEFAULT_EXTENSIONS: list[Any] = ["toc", "tables", "admonition", "attr_list", "def_list"]


def markdown_converter(settings: Settings) -> Callable[[str], str]:
    """A converter with mkdocs.yml's extensions (read inertly: options given as Python objects,
    such as toc's slugify, are left at their defaults); without mkdocs.yml, plain tables,
    admonitions and attribute lists."""
    try:
        import markdown
    except ImportError:
        raise QmsdocError("生成 PDF 需要 Markdown 组件：运行 make setup（或 pip install "
                          "'qmsdoc[site,pdf]'）后重试") from None
    path = settings.root / SITE_CONFIG
    listed = (site_settings(path.read_text(encoding="utf-8")).get("markdown_extensions")
              if path.is_file() else None)
    names, configs = _extensions(listed if isinstance(listed, list) else DEFAULT_EXTENSIONS)
    converter = markdown.Markdown(extensions=names, extension_configs=configs)
    return lambda text: converter.reset().convert(text)


def _extensions(listed: list[Any]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """MkDocs's list of names and ``{name: {option: value}}`` as Python-Markdown takes them."""
    names: list[str] = []
    configs: dict[str, dict[str, Any]] = {}
    for item in listed:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            for name, options in item.items():
                names.append(str(name))
                if isinstance(options, dict):
                    configs[str(name)] = {k: v for k, v in options.items() if v is not None}
    return names, configs
