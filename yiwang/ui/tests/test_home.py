"""The home page says what the platform offers, in each of the three languages."""

from __future__ import annotations

import pytest
from django.test import override_settings

from yiwang.ui.tests.helpers import inspect_page
from yiwang.ui.views import OFFERS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_messages")]


@pytest.mark.parametrize(
    ("language", "html_lang", "heading", "offer"),
    [
        ("zh-hans", "zh-Hans", "一网通办，一次办好", "个人数据宝"),
        ("zh-hant", "zh-Hant", "一網通辦，一次辦好", "個人數據寶"),
        ("en", "en", "Every government service online, done in one go", "Personal Data Vault"),
    ],
)
def test_the_home_page_speaks_each_language(client, language, html_lang, heading, offer) -> None:
    client.cookies["django_language"] = language
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert inspect_page(html).html_lang == html_lang
    assert f'<h1 class="hero__title" id="hero-title">{heading}</h1>' in html
    assert offer in html


def test_simplified_chinese_is_the_default(client) -> None:
    html = client.get("/").content.decode()
    assert inspect_page(html).html_lang == "zh-Hans"
    assert "一网通办，一次办好" in html


def test_a_browser_asking_for_traditional_chinese_gets_it(client) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.8").content.decode()
    assert inspect_page(html).html_lang == "zh-Hant"


def test_the_home_page_presents_every_offer_without_dead_links(client) -> None:
    html = client.get("/").content.decode()
    for offer in OFFERS:
        assert str(offer.title) in html
    # 一网通办 is open (the catalogue); the sections still to come say so instead of a dead link.
    assert '<a class="card__link" href="/services/">一网通办</a>' in html
    assert '<a class="card__link" href="/licences/">电子证照</a>' in html
    assert '<a class="card__link" href="/ratings/public/">好差评</a>' in html
    assert html.count('class="card__link"') == 3
    assert html.count("即将开放") == len(OFFERS) - 3


@override_settings(ROOT_URLCONF="yiwang.ui.tests.urls")
def test_an_offer_links_to_its_section_once_the_section_exists(client) -> None:
    html = client.get("/").content.decode()
    assert '<a class="card__link" href="/services/">一网通办</a>' in html
    assert '<a class="card__link" href="/vault/index/">个人数据宝</a>' in html


def test_in_demo_mode_the_home_page_offers_the_persona_switcher(client) -> None:
    html = client.get("/").content.decode()
    assert 'href="/accounts/demo/personas/"' in html


@override_settings(YIWANG_DEMO=False)
def test_outside_demo_mode_there_is_no_persona_switcher_or_demo_banner(client) -> None:
    html = client.get("/").content.decode()
    assert "/accounts/demo/" not in html
    assert "demo-banner" not in html
