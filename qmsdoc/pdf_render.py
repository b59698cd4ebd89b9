"""WeasyPrint, offline and with Chinese fonts: HTML in, PDF bytes out."""

from __future__ import annotations

import gc
import shutil
import subprocess
from typing import Any

from .errors import QmsdocError

FONT_PACKAGE = "fonts-noto-cjk"


def render_pdf(document: str) -> bytes:
    """Lay out ``document`` (HTML with its styles inline) as a PDF, fetching nothing."""
    # A layout leaves thousands of objects in reference cycles. Beside the large heap of
    # a build the cyclic collector seldom runs, and a build laying out 2,500 forms grew by
    # gigabytes; so they are freed here. Frozen, what existed before is left out of that
    # collection (fast; and a forked build job does not copy the pages it shares).
    gc.freeze()
    try:
        return _laid_out(document)
    finally:
        gc.collect()
        gc.unfreeze()


def _laid_out(document: str) -> bytes:
    require_chinese_fonts()
    try:
        import weasyprint
    except ImportError:
        raise QmsdocError("生成 PDF 需要 WeasyPrint：运行 make setup（或 pip install "
                          "'qmsdoc[site,pdf]'）后重试") from None
    pdf: bytes = weasyprint.HTML(string=document, url_fetcher=_offline_fetcher()).write_pdf()
    return pdf


def require_chinese_fonts() -> None:
    """Stop unless fontconfig knows a font for Chinese: WeasyPrint would print boxes."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise QmsdocError("找不到 fc-list（fontconfig），无法确认是否安装了中文字体。请安装 Debian 软件包 "
                          f"fontconfig 和 {FONT_PACKAGE}（apt-get install fontconfig {FONT_PACKAGE}）")
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                           check=False).stdout.strip()
    if not found:
        raise QmsdocError("没有找到中文字体，生成的 PDF 会把汉字显示成方框，所以没有生成。"
                          f"请安装 Debian 软件包 {FONT_PACKAGE}（apt-get install {FONT_PACKAGE}），"
                          "然后重新运行（可用 fc-list :lang=zh 检查）")


def _offline_fetcher() -> Any:
    """A URL fetcher that serves only ``data:`` addresses: no network, no local files."""
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"生成 PDF 时不读取外部资源：{url}")

    return OfflineFetcher()
