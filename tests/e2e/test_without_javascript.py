"""Journeys with JavaScript switched off: every form is a plain HTML form and still works."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.pages import PHONE, Visitor
from yiwang.accounts.demo import DEMO_PASSWORD


def test_without_javascript_a_citizen_signs_in_switches_language_and_signs_out(
    visitor_without_javascript: Visitor,
) -> None:
    visitor = visitor_without_javascript
    visitor.visit("/")
    assert visitor.page.evaluate("() => typeof window.htmx") == "undefined"  # really no scripts

    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    assert visitor.signed_in_name() == "张伟"

    visitor.click_through(
        visitor.page.locator("form.lang-switch").get_by_role("button", name="English")
    )
    assert visitor.html_lang() == "en"
    assert visitor.heading() == "Every government service online, done in one go"

    visitor.sign_out()
    assert visitor.signed_in_name() is None


def test_without_javascript_the_persona_switcher_and_the_phone_menu_work(
    open_visitor: Callable[..., Visitor],
) -> None:
    visitor = open_visitor(javascript=False, viewport=PHONE, is_mobile=True)
    visitor.visit("/accounts/demo/personas/")
    visitor.click_through(visitor.main.get_by_role("button", name="以“张伟”身份登录"))
    assert visitor.path() == "/"
    menu = visitor.page.locator("details.site-menu")
    menu.locator("summary").click()  # <details> opens without scripts
    assert menu.get_attribute("open") is not None
    assert visitor.nav_links()[0] == "首页"
    assert "张伟" in menu.inner_text()
    visitor.click_through(menu.get_by_role("button", name="退出"))  # signing out from the menu
    assert visitor.signed_in_name() is None
