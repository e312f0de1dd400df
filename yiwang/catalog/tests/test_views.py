"""The public catalogue pages: search, item, bundle — readable by anyone, without JavaScript."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.catalog import services
from yiwang.catalog.tests.factories import LICENSING_STEPS, make_item, material_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def food():
    item = make_item(
        name="食品经营许可",
        item_type="licensing",
        legal_limit=20,
        promised_limit=5,
        steps=LICENSING_STEPS,
        result_name="食品经营许可证",
        result_sample="食品经营许可证（样本）",
        cross_region_modes=["online", "proxy"],
        materials=[
            material_data(
                key="licence",
                name="营业执照",
                trust_level="A",
                licence_type="11100000000013338W011",
            ),
            material_data(key="plan", name="经营场所平面图", trust_level="C"),
        ],
    )
    other = make_item(name="个体工商户登记")
    services.create_or_update_bundle(
        None,
        {
            "code": "startup",
            "name": "开店一件事",
            "summary": "一次办好",
            "department_uscc": item.department.uscc,
            "members": [item.implementation_code, other.implementation_code],
        },
    )
    return item


def test_the_catalogue_page_lists_bundles_and_items(client: Client, food):
    response = client.get("/services/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "食品经营许可" in text and "开店一件事" in text
    assert 'method="get"' in text


@pytest.mark.parametrize("query", ["食品", "shipin", "食品經營"])
def test_the_search_box_finds_items(client: Client, food, query):
    text = client.get("/services/", {"q": query}).content.decode()
    assert "食品经营许可" in text and "个体工商户登记" not in text


def test_a_search_without_results_says_so(client: Client, food):
    text = client.get("/services/", {"q": "火星移民"}).content.decode()
    assert "没有找到符合条件的事项" in text


def test_the_item_page_shows_every_national_field_in_chinese(client: Client, food):
    response = client.get(f"/services/items/{food.implementation_code}/")
    assert response.status_code == 200
    text = response.content.decode()
    for label in (
        "基本编码",
        "实施编码",
        "事项类型",
        "行使层级",
        "实施主体",
        "设定依据",
        "受理条件",
        "法定时限",
        "承诺时限",
        "办件类型",
        "到现场次数",
        "网办深度",
        "是否收费",
        "办理流程",
        "申请材料",
        "结果名称",
        "结果样本",
        "咨询电话",
        "投诉电话",
        "版本",
    ):
        assert label in text, label
    assert "20 个工作日" in text and "5 个工作日" in text
    assert "A 实施机关核发（直接使用）" in text
    assert "全程网办" in text and "异地代收代办" in text
    assert "开店一件事" in text


def test_an_unknown_item_or_bundle_is_a_404_page(client: Client, food):
    assert client.get("/services/items/NOPE/").status_code == 404
    assert client.get("/services/bundles/nope/").status_code == 404


def test_an_old_version_page_says_it_is_history(client: Client, food):
    services.publish_item(None, services.draft_new_version(None, food.implementation_code))
    text = client.get(f"/services/items/{food.implementation_code}/v1/").content.decode()
    assert "历史版本" in text


def test_the_bundle_page_lists_members_and_the_merged_form(client: Client, food):
    response = client.get("/services/bundles/startup/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "食品经营许可" in text and "个体工商户登记" in text
    assert text.count("申请人姓名") == 1


def test_pages_have_no_inline_script_or_style(client: Client, food):
    for url in (
        "/services/",
        f"/services/items/{food.implementation_code}/",
        "/services/bundles/startup/",
    ):
        text = client.get(url).content.decode()
        assert "style=" not in text and "<script>" not in text
