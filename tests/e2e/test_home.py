"""Journeys: the home page, the language switch, a phone, a missing page."""

from __future__ import annotations

from tests.e2e.pages import Visitor
from yiwang.ui.views import OFFERS


def test_the_home_page_shows_what_the_platform_offers(visitor: Visitor) -> None:
    visitor.visit("/")
    page = visitor.page
    assert visitor.html_lang() == "zh-Hans"
    assert visitor.heading() == "一网通办，一次办好"
    offers = page.get_by_role("region", name="平台服务").get_by_role("heading", level=3)
    assert offers.all_inner_texts() == [str(offer.title) for offer in OFFERS]
    assert visitor.nav_links() == ["首页", "办事服务", "12345 诉求", "好差评", "证照核验", "登录"]
    visitor.click_through(visitor.main.get_by_role("link", name="登录办事"))
    assert visitor.path() == "/accounts/login/"


def test_the_language_switch_turns_the_page_into_traditional_chinese_and_english(
    visitor: Visitor,
) -> None:
    visitor.visit("/accounts/login/")
    switch = visitor.page.locator("form.lang-switch")

    visitor.click_through(switch.get_by_role("button", name="English"))
    assert visitor.path() == "/accounts/login/"  # back on the same page
    assert visitor.html_lang() == "en"
    assert visitor.heading() == "Sign in"

    visitor.click_through(switch.get_by_role("button", name="繁體中文"))
    assert visitor.html_lang() == "zh-Hant"
    assert visitor.heading() == "登錄"

    visitor.visit("/")  # the choice sticks (cookie) from page to page
    assert visitor.heading() == "一網通辦，一次辦好"
    assert switch.get_by_role("button", name="繁體中文").get_attribute("aria-current") == "true"

    visitor.click_through(switch.get_by_role("button", name="简体中文"))
    assert visitor.html_lang() == "zh-Hans"
    assert visitor.heading() == "一网通办，一次办好"


def test_on_a_phone_the_navigation_folds_into_a_menu(phone_visitor: Visitor) -> None:
    phone_visitor.visit("/")
    page = phone_visitor.page
    assert not page.locator("nav.site-nav--wide").is_visible()
    menu = page.locator("details.site-menu")
    menu.locator("summary").click()
    assert menu.get_attribute("open") is not None
    assert phone_visitor.nav_links() == [
        "首页",
        "办事服务",
        "12345 诉求",
        "好差评",
        "证照核验",
        "登录",
    ]
    phone_visitor.check_page()  # axe again, with the menu open
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px wide)"


def test_an_unknown_address_shows_the_friendly_not_found_page(visitor: Visitor) -> None:
    visitor.visit("/no-such-page/", status=404)
    assert visitor.heading() == "页面未找到"
    visitor.click_through(visitor.main.get_by_role("link", name="返回首页"))
    assert visitor.path() == "/"
