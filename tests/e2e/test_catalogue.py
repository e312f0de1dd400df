"""Journeys: an anonymous visitor finds a service in the catalogue (办事服务) and reads its page."""

from __future__ import annotations

from tests.e2e.pages import Visitor


def test_chinese_words_pinyin_and_traditional_characters_find_the_same_items(
    visitor: Visitor,
) -> None:
    firsts = {}
    for query in ("营业执照", "yingyezhizhao", "營業執照"):
        visitor.search_catalogue(query)
        results = visitor.catalogue_results()
        assert results, f"no result for {query!r}"
        assert "个体工商户登记" in results or "企业设立登记" in results, (query, results)
        firsts[query] = results[:5]
    assert firsts["yingyezhizhao"] == firsts["营业执照"]
    assert firsts["營業執照"] == firsts["营业执照"]


def test_an_item_page_shows_its_time_limits_materials_and_process_diagram(
    visitor: Visitor,
) -> None:
    visitor.search_catalogue("个体工商户登记")
    visitor.click_through(visitor.main.get_by_role("link", name="个体工商户登记", exact=True))
    assert visitor.heading() == "个体工商户登记"

    limits = visitor.summary_rows()
    assert limits["法定时限"] == "3 个工作日"
    assert limits["承诺时限"] == "1 个工作日"

    materials = visitor.main.get_by_role("table", name="申请材料清单")
    names = materials.locator("tbody tr td:first-child").all_inner_texts()
    assert [n.splitlines()[0] for n in names] == [
        "申请人居民身份证",
        "个体工商户登记申请书",
        "经营场所使用证明",
    ]
    assert "可告知承诺" in materials.inner_text()

    diagram = visitor.main.locator("figure.catalog-diagram svg")
    assert diagram.count() == 1
    assert diagram.locator("title").first.text_content(), "the diagram has no <title>"
    assert "审查" in diagram.inner_html() and "决定" in diagram.inner_html()
    assert visitor.main.get_by_role("link", name="在线办理").is_visible()


def test_a_version_of_an_item_has_its_own_page(visitor: Visitor) -> None:
    """The page of the version a case was filed under (linked from the version list once an item
    has several; the demo items have one)."""
    visitor.search_catalogue("个体工商户登记")
    visitor.click_through(visitor.main.get_by_role("link", name="个体工商户登记", exact=True))
    visitor.visit(visitor.path() + "v1/")
    assert visitor.heading() == "个体工商户登记"
    assert visitor.summary_rows()["法定时限"] == "3 个工作日"
