"""Record templates' forms as PDF on the staff site, in a real MkDocs build."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from qmsdoc.forms import CACHE_FOLDER

from .conftest import ManualRepo
from .test_published_input import build, published, site_repo  # noqa: F401 - fixture

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")


def test_a_record_template_page_offers_its_form_as_pdf(site_repo: ManualRepo) -> None:  # noqa: F811
    result = build(site_repo)
    assert result.returncode == 0, result.stderr
    page = published(site_repo, "records_templates/qr-01-01/index.html")
    assert re.search(r'打印用表格：<a href="QR-01-01_A-0.pdf">', page)
    form = site_repo.root / "site/records_templates/qr-01-01/QR-01-01_A-0.pdf"
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(form), "-"], capture_output=True,
                                             text=True, check=True).stdout)
    assert "QR-01-01文件发放登记表版本A/0" in text and "第1页共1页" in text
    assert "记录表格保管部门办公室保管期限10年" in text
    assert "修订记录" not in text and "打印日期" not in text  # a blank form, not a copy
    assert "打印用表格" not in published(site_repo, "procedures/qp-01/index.html")

    # The next build copies the form from the cache instead of laying it out again.
    cache = site_repo.root / CACHE_FOLDER
    (cached,) = cache.iterdir()
    cached.write_bytes(b"%PDF-1.7 cached")
    assert build(site_repo).returncode == 0
    assert form.read_bytes() == b"%PDF-1.7 cached"
