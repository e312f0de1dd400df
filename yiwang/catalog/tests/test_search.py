"""Search by Chinese words (jieba), pinyin and 简/繁 variants."""

from __future__ import annotations

import pytest

from yiwang.catalog import selectors
from yiwang.catalog.search import index_text, query_terms
from yiwang.catalog.tests.factories import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    return {
        "licence": make_item(name="营业执照遗失补领", keywords="补办 丢失"),
        "startup": make_item(name="企业设立登记", keywords="营业执照 开公司"),
        "food": make_item(name="食品经营许可", keywords="餐饮 饭店"),
        "elderly": make_item(name="老年人优待证办理", summary="年满60周岁的老年人"),
    }


def found(query: str) -> set[str]:
    return {i.name for i in selectors.search_items(query)}


@pytest.mark.parametrize("query", ["营业执照", "yingyezhizhao", "營業執照"])
def test_simplified_pinyin_and_traditional_find_the_same_items(catalogue, query):
    assert found(query) == {"营业执照遗失补领", "企业设立登记"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("yyzz", {"营业执照遗失补领", "企业设立登记"}),  # initials
        ("ying ye zhi zhao", {"营业执照遗失补领", "企业设立登记"}),  # spaced pinyin
        ("YingYe", {"营业执照遗失补领", "企业设立登记"}),  # case does not matter
        ("食品", {"食品经营许可"}),
        ("shipin", {"食品经营许可"}),
        ("飯店", {"食品经营许可"}),  # traditional keyword
        ("老年人 优待证", {"老年人优待证办理"}),  # every term must match
        ("老年人 营业执照", set()),
        ("补办营业执照", {"营业执照遗失补领"}),  # jieba splits the query into words
    ],
)
def test_more_spellings(catalogue, query, expected):
    assert found(query) == expected


def test_an_empty_query_lists_everything(catalogue):
    assert len(found("")) == 4


def test_only_published_items_are_found(catalogue):
    make_item(name="营业执照草稿事项", publish=False)
    assert "营业执照草稿事项" not in found("营业执照")


def test_the_index_holds_words_full_pinyin_and_initials():
    tokens = index_text("營業執照").split()
    assert {"营业执照", "营业", "执照", "yingyezhizhao", "yyzz", "yingye"} <= set(tokens)


def test_query_terms_are_normalised_like_the_index():
    assert query_terms("營業執照") == ["营业执照"]
    assert query_terms("Ying'Ye ZhiZhao") == ["yingyezhizhao"]
    assert query_terms("   ") == []
