"""The site's navigation: a long list of documents by series, so that pages stay small."""

from __future__ import annotations

from qmsdoc.site import SERIES_ABOVE, SitePage, series_nav


def pages(numbers: list[str]) -> list[SitePage]:
    return [SitePage(f"records/{n.lower()}.md", f"{n} 表格 <{n}>", "", n) for n in numbers]


def test_a_long_list_of_two_part_numbers_is_listed_by_series_in_order() -> None:
    numbers = [f"QR-{s:02d}-{i:02d}" for s in range(1, 8) for i in range(1, 11)] + ["QR-08-01"]
    nav = series_nav(pages(numbers))
    assert [next(iter(item)) for item in nav] == [
        *(f"QR-{s:02d} 系列" for s in range(1, 8)), "QR-08-01 表格 &lt;QR-08-01&gt;"]
    first = nav[0]["QR-01 系列"]
    assert first[0] == {"QR-01-01 表格 &lt;QR-01-01&gt;": "records/qr-01-01.md"}
    assert len(first) == 10
    assert nav[-1] == {"QR-08-01 表格 &lt;QR-08-01&gt;": "records/qr-08-01.md"}


def test_a_short_list_and_one_part_numbers_stay_flat() -> None:
    short = [f"QR-{s:02d}-{i:02d}" for s in range(1, 3) for i in range(1, 11)]
    assert len(short) <= SERIES_ABOVE
    procedures = [f"QP-{i:02d}" for i in range(1, 100)]
    for numbers in (short, procedures):
        nav = series_nav(pages(numbers))
        assert [next(iter(item.values())) for item in nav] == [
            f"records/{n.lower()}.md" for n in numbers]
