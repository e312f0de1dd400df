"""The header shows each kind of user the links meant for them, and never a dead one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings

from yiwang.accounts.models import Role, User
from yiwang.accounts.services import revoke_role
from yiwang.accounts.tests.factories import make_user
from yiwang.ui.navigation import build_navigation, navigation_for
from yiwang.ui.tests.helpers import grant, inspect_page, make_staff_with

pytestmark = pytest.mark.django_db

WITH_SECTIONS = override_settings(ROOT_URLCONF="yiwang.ui.tests.urls")


def test_an_anonymous_visitor_sees_the_home_page_the_services_and_the_login() -> None:
    assert build_navigation(AnonymousUser()).keys == [
        "home",
        "services",
        "hotline",
        "ratings",
        "verify_licence",
        "login",
    ]


def test_entries_whose_section_does_not_exist_yet_are_left_out(citizen: User) -> None:
    assert build_navigation(citizen).keys == [
        "home",
        "services",
        "hotline",
        "ratings",
        "verify_licence",
        "my_cases",
        "my_licences",
        "my_tickets",
        "my_ratings",
    ]


@WITH_SECTIONS
def test_an_anonymous_visitor_sees_the_public_sections_once_they_exist() -> None:
    assert build_navigation(AnonymousUser()).keys == [
        "home",
        "services",
        "hotline",
        "ratings",
        "opendata",
        "login",
    ]


@WITH_SECTIONS
def test_a_citizen_sees_the_public_sections_and_his_own_space(citizen: User) -> None:
    assert build_navigation(citizen).keys == [
        "home",
        "services",
        "hotline",
        "ratings",
        "opendata",
        "my_cases",
        "my_licences",
        "my_tickets",
        "my_ratings",
        "vault",
    ]


@WITH_SECTIONS
def test_a_counter_clerk_sees_the_case_workbench_and_the_shared_office(clerk: User) -> None:
    assert build_navigation(clerk).keys == ["home", "workbench", "office"]


@WITH_SECTIONS
def test_a_role_opens_an_entry_by_capability_when_its_code_is_unknown() -> None:
    operator = make_staff_with("night_shift_operator", capabilities=("hotline.intake",))
    assert build_navigation(operator).keys == ["home", "hotline_desk", "office"]


@WITH_SECTIONS
def test_a_department_handler_gets_his_worklist_not_the_agents_desk() -> None:
    handler = make_staff_with("hotline_handler", capabilities=("hotline.handle",))
    assert build_navigation(handler).keys == ["home", "hotline_department", "office"]


@WITH_SECTIONS
def test_a_staff_member_with_several_roles_sees_each_roles_entries() -> None:
    user = make_staff_with("counter_clerk")
    grant(user, "leader", capabilities=("insight.view",))
    assert build_navigation(user).keys == ["home", "workbench", "office", "insight"]


@WITH_SECTIONS
def test_a_staff_member_without_roles_sees_no_workbench() -> None:
    assert build_navigation(make_user(kind=User.Kind.STAFF)).keys == ["home"]


@WITH_SECTIONS
def test_a_revoked_role_no_longer_opens_its_entry() -> None:
    user = make_staff_with("hotline_agent")
    assignment = user.staff_roles.get()
    revoke_role(None, assignment)
    assert build_navigation(user).keys == ["home"]


@WITH_SECTIONS
def test_the_audit_administrator_gets_only_the_audit_log(audit_admin: User) -> None:
    navigation = build_navigation(audit_admin)
    assert navigation.keys == ["home", "audit_log"]
    assert navigation.items[1].url == "/admin/core/ledgerentry/"


@WITH_SECTIONS
def test_system_and_security_administrators_get_the_admin_site(system_admin: User) -> None:
    security_admin = make_staff_with("security_admin", admin_duty=Role.AdminDuty.SECURITY)
    assert build_navigation(system_admin).keys == ["home", "admin"]
    assert build_navigation(security_admin).keys == ["home", "admin"]


def test_the_entry_for_the_current_page_is_marked_current(citizen: User) -> None:
    on_home = build_navigation(AnonymousUser(), "/")
    on_login = build_navigation(AnonymousUser(), "/accounts/login/")
    assert [item.key for item in on_home.items if item.current] == ["home"]
    assert [item.key for item in on_login.items if item.current] == ["login"]


@WITH_SECTIONS
def test_the_longest_matching_entry_wins(system_admin: User) -> None:
    navigation = build_navigation(system_admin, "/admin/accounts/user/")
    assert [item.key for item in navigation.items if item.current] == ["admin"]
    assert [
        item.key for item in build_navigation(system_admin, "/elsewhere/").items if item.current
    ] == []


def test_the_navigation_is_built_once_per_request(clerk: User, django_assert_num_queries) -> None:
    request = RequestFactory().get("/")
    request.user = clerk
    with django_assert_num_queries(1):
        first = navigation_for(request)
        second = navigation_for(request)
    assert first is second


def test_the_header_marks_the_current_page_for_assistive_technology(client) -> None:
    page = inspect_page(client.get("/").content.decode())
    # Two renderings (wide bar, mobile menu), both pointing at the home page.
    assert page.current_links == ["/", "/"]


def test_the_header_shows_a_signed_in_citizen_a_logout_button(citizen: User, client_as) -> None:
    html = client_as(citizen).get("/").content.decode()
    assert 'action="/accounts/logout/"' in html
    assert str(citizen) in html
    assert 'href="/accounts/login/"' not in html
