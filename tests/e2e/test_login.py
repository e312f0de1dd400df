"""Journeys: signing in as each kind of demo persona through the real forms, and signing out."""

from __future__ import annotations

from tests.e2e.conftest import Authenticator
from tests.e2e.pages import Visitor
from yiwang.accounts.demo import DEMO_PASSWORD


def test_a_citizen_signs_in_with_a_password_only(visitor: Visitor) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    assert visitor.path() == "/"
    assert visitor.signed_in_name() == "张伟"
    visitor.visit("/accounts/me/")
    assert visitor.heading() == "我的账户"
    assert "zhangwei" in visitor.main.inner_text()


def test_a_clerk_must_enter_the_code_from_the_authenticator(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    visitor.sign_in("clerk", DEMO_PASSWORD)
    assert visitor.path().startswith("/accounts/totp/")
    assert visitor.heading() == "动态口令验证"
    # Until the code is entered, the clerk's pages stay closed.
    visitor.visit("/accounts/me/")
    assert visitor.path().startswith("/accounts/totp/")
    visitor.enter_code(authenticator.code_for("clerk"))
    assert visitor.signed_in_name() == "周晓梅"
    visitor.visit("/accounts/me/")
    assert "窗口受理员" in visitor.main.inner_text()


def test_a_wrong_code_is_refused_and_the_clerk_stays_on_the_code_page(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    visitor.sign_in("clerk", DEMO_PASSWORD)
    right = authenticator.code_for("clerk")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    visitor.enter_code(wrong)
    assert visitor.heading() == "动态口令验证"
    assert "动态口令不正确或已过期。" in visitor.main.inner_text()


def test_the_audit_administrator_sees_only_the_audit_log(
    visitor: Visitor, authenticator: Authenticator
) -> None:
    visitor.sign_in("auditor", DEMO_PASSWORD)
    visitor.enter_code(authenticator.code_for("auditor"))
    assert visitor.signed_in_name() == "曹立新"
    assert visitor.nav_links() == ["首页", "证照核验", "审计日志"]
    audit_log = visitor.page.locator("nav.site-nav--wide").get_by_role("link", name="审计日志")
    # The ledger's list in Django's admin: outside the design system, so not followed here.
    assert audit_log.get_attribute("href") == "/admin/core/ledgerentry/"


def test_the_persona_switcher_signs_in_with_one_click(visitor: Visitor) -> None:
    visitor.visit("/accounts/demo/personas/")
    assert visitor.heading() == "切换演示身份"
    visitor.click_through(visitor.main.get_by_role("button", name="以“周晓梅”身份登录"))
    assert visitor.path() == "/"
    assert visitor.signed_in_name() == "周晓梅"
    assert "已切换为演示角色：周晓梅" in visitor.page.locator(".messages").inner_text()


def test_signing_out_ends_the_session(visitor: Visitor) -> None:
    visitor.sign_in("zhangwei", DEMO_PASSWORD)
    visitor.sign_out()
    assert visitor.path() == "/"
    assert visitor.signed_in_name() is None
    assert "登录" in visitor.nav_links()
    visitor.visit("/accounts/me/")
    assert visitor.path().startswith("/accounts/login/")


def test_a_wrong_password_shows_the_generic_error_and_opens_no_session(visitor: Visitor) -> None:
    visitor.sign_in("zhangwei", "not-the-password")
    assert visitor.path().startswith("/accounts/login/")
    assert visitor.alerts() == ["账号或密码错误，或账号已被临时锁定。请核对后重试，或稍后再试。"]
    assert visitor.signed_in_name() is None
    assert "sessionid" not in {c["name"] for c in visitor.page.context.cookies()}
    visitor.visit("/accounts/me/")
    assert visitor.path().startswith("/accounts/login/")
