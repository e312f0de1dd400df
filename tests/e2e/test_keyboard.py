"""Journeys with the keyboard alone: skip link, Tab order, a visible focus ring, Enter submits."""

from __future__ import annotations

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor, has_focus_ring
from yiwang.accounts.demo import DEMO_PASSWORD


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_main_content(
    visitor: Visitor,
) -> None:
    visitor.visit("/")
    skip = visitor.tab()
    assert (skip["tag"], skip["text"]) == ("a", "跳到主要内容")
    assert has_focus_ring(skip), skip
    box = visitor.page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link stays off screen"
    visitor.page.keyboard.press("Enter")
    assert visitor.focused()["id"] == "main"
    # The next Tab stop is the first control inside the main content, not the header again.
    after = visitor.tab()
    assert visitor.page.evaluate(
        "() => document.querySelector('main').contains(document.activeElement)"
    )
    assert has_focus_ring(after), after


def test_a_clerk_signs_in_and_passes_the_second_factor_with_the_keyboard_alone(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    keyboard = visitor.page.keyboard
    visitor.visit("/accounts/login/")
    username = visitor.focused()  # the username field takes the focus when the page opens
    assert (username["tag"], username["name"]) == ("input", "username")
    assert has_focus_ring(username), username
    keyboard.type("clerk")
    password = visitor.tab()
    assert (password["tag"], password["name"]) == ("input", "password")
    assert has_focus_ring(password), password
    keyboard.type(DEMO_PASSWORD)
    button = visitor.tab()
    assert (button["tag"], button["text"]) == ("button", "登录")
    assert has_focus_ring(button), button
    visitor.tab(backwards=True)
    visitor.press_enter()  # Enter in the password field submits the form

    assert visitor.heading() == "动态口令验证"
    code = visitor.focused()  # the code field takes the focus when the page opens
    assert (code["tag"], code["name"]) == ("input", "code")
    assert has_focus_ring(code), code
    keyboard.type(authenticator.code_for("clerk"))
    verify = visitor.tab()
    assert (verify["tag"], verify["text"]) == ("button", "验证")
    assert has_focus_ring(verify), verify
    sign_out = visitor.tab()
    assert (sign_out["tag"], sign_out["text"]) == ("button", "退出登录")
    visitor.tab(backwards=True)
    visitor.tab(backwards=True)
    visitor.press_enter()

    assert visitor.path() == "/"
    assert visitor.signed_in_name() == "周晓梅"
