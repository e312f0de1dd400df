"""The authorisation matrix: every routed endpoint has exactly one access rule, and each rule
holds for every verb and persona (tests/security/authz/; docs/testing.md explains how to add
an entry)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.security.authz import (
    AUDITOR,
    Case,
    Listing,
    ObjectEntry,
    World,
    all_cases,
    cases_for,
    coverage,
    discover,
    discovered_apis,
    html_methods,
    load_entries,
)

HOW_TO = (
    "Add an entry for each to the ENTRIES list of tests/security/matrix_<app>.py (see the "
    "section 'Authorisation matrix' in docs/testing.md for the entry kinds: Public, "
    "AnonymousFlow, Authenticated, Listing, Owned, Scoped, Restricted, DemoOnly, AdminSite)."
)


@pytest.fixture
def world(db) -> World:
    cache.clear()  # login-failure counters and rate limits live in the cache
    return World()


def _ids(case: Case) -> str:
    return str(case)


# --- coverage ------------------------------------------------------------------------------------


def test_every_endpoint_is_governed_by_an_entry() -> None:
    uncovered = coverage().uncovered
    assert not uncovered, (
        "These endpoints are not in the authorisation matrix:\n  "
        + "\n  ".join(f"{e.key}  (verbs: {', '.join(sorted(e.methods))})" for e in uncovered)
        + "\n"
        + HOW_TO
    )


def test_no_endpoint_is_governed_by_two_entries() -> None:
    ambiguous = coverage().ambiguous
    assert not ambiguous, (
        "These endpoints match more than one matrix entry; narrow the selectors so that "
        "exactly one entry governs each:\n  "
        + "\n  ".join(
            f"{key}: {', '.join(map(str, entries))}" for key, entries in ambiguous.items()
        )
    )


def test_no_entry_is_stale() -> None:
    stale = coverage().stale
    assert not stale, (
        "These patterns of matrix entries match no endpoint (renamed or removed?); update or "
        "delete them:\n  " + "\n  ".join(f"{pattern!r} in {entry}" for entry, pattern in stale)
    )


def test_every_list_an_entry_names_exists() -> None:
    keys = {e.key for e in discover()}
    missing = [(str(entry), key) for entry in load_entries() for key in entry.referenced()]
    missing = [(entry, key) for entry, key in missing if key not in keys]
    assert not missing, f"Entries name list endpoints that do not exist: {missing}"


def test_every_listing_is_proven_by_an_object_entry() -> None:
    named = {key for entry in load_entries() for key in entry.referenced()}
    report = coverage()
    unproven = [
        endpoint.key
        for entry in load_entries()
        if isinstance(entry, Listing)
        for endpoint in report.matched[id(entry)]
        if "GET" in endpoint.methods and endpoint.key not in named
    ]
    assert not unproven, (
        "These lists are filtered per user, but no Owned/Scoped entry names them in lists=, so "
        f"nothing proves an outsider's object stays out: {unproven}"
    )


def test_every_api_operation_of_the_openapi_schema_is_discovered() -> None:
    discovered = {e.key for e in discover() if e.is_api}
    documented = {
        f"{method.upper()} {path}"
        for api in discovered_apis()
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method in operations
    }
    assert discovered_apis(), "no NinjaAPI found in the URLconf"
    assert documented <= discovered, f"not discovered: {sorted(documented - discovered)}"


def test_every_object_entry_checks_every_verb_for_every_outsider() -> None:
    report = coverage()
    for entry in load_entries():
        if not isinstance(entry, ObjectEntry):
            continue
        cases = [c for c in all_cases() if c.entry is entry and c.check == "denied"]
        for endpoint in report.matched[id(entry)]:
            for method in endpoint.methods:
                for persona in entry.outsiders or ():
                    assert any(
                        c.endpoint == endpoint and c.method == method and c.persona == persona
                        for c in cases
                    ), f"{endpoint.key} {method} as {persona} is not checked"


def test_discovery_reads_the_verbs_a_view_accepts() -> None:
    from django.contrib.auth.decorators import login_required
    from django.views.decorators.http import require_http_methods, require_POST
    from django.views.generic import View

    @login_required
    @require_POST
    def post_only(request):  # pragma: no cover - never called
        raise AssertionError

    @require_http_methods(["GET", "POST"])
    def get_or_post(request):  # pragma: no cover - never called
        raise AssertionError

    class Detail(View):
        def get(self, request):  # pragma: no cover - never called
            raise AssertionError

        def delete(self, request):  # pragma: no cover - never called
            raise AssertionError

    def anything(request):  # pragma: no cover - never called
        raise AssertionError

    assert html_methods(post_only) == {"POST"}
    assert html_methods(get_or_post) == {"GET", "POST"}
    assert html_methods(Detail.as_view()) == {"GET", "DELETE"}
    assert html_methods(anything) == {"GET", "POST", "PUT", "PATCH", "DELETE"}


# --- the rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_for("denied"), ids=_ids)
def test_an_outsider_is_refused_and_changes_nothing(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("anonymous"), ids=_ids)
def test_an_anonymous_visitor_is_sent_to_sign_in(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("reach"), ids=_ids)
def test_the_rightful_user_gets_through(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("unlisted"), ids=_ids)
def test_an_object_never_appears_in_an_outsiders_list(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("listed"), ids=_ids)
def test_an_object_appears_in_its_rightful_users_list(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("own_data"), ids=_ids)
def test_a_signed_in_user_sees_his_own_data_only(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("token_refused"), ids=_ids)
def test_an_operation_closed_to_tokens_refuses_them(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("idempotency"), ids=_ids)
def test_an_idempotency_key_never_replays_another_users_answer(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("expect"), ids=_ids)
def test_an_open_endpoint_answers_as_declared_and_shows_nobodys_data(
    case: Case, world: World
) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("demo_off"), ids=_ids)
def test_a_demo_only_endpoint_does_not_exist_outside_demo_mode(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("admin_changelist"), ids=_ids)
def test_an_admin_changelist_opens_only_for_its_administrators(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("admin_index"), ids=_ids)
def test_the_admin_index_lists_only_what_the_user_may_open(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("admin_routes"), ids=_ids)
def test_no_admin_route_lets_a_non_administrator_in(case: Case, world: World) -> None:
    case.run(world)


@pytest.mark.parametrize("case", cases_for("admin_read_only"), ids=_ids)
def test_the_ledger_is_read_only_in_the_admin(case: Case, world: World) -> None:
    case.run(world)


def test_every_check_has_cases() -> None:
    checks = {c.check for c in all_cases()}
    assert checks >= {
        "denied",
        "anonymous",
        "reach",
        "unlisted",
        "listed",
        "own_data",
        "token_refused",
        "idempotency",
        "expect",
        "demo_off",
        "admin_changelist",
        "admin_index",
        "admin_routes",
        "admin_read_only",
    }


def test_an_administrator_whose_duty_is_revoked_loses_the_admin_site(world: World) -> None:
    from django.test import Client

    from yiwang.accounts import services
    from yiwang.accounts.models import StaffRole
    from yiwang.accounts.tests.factories import login_as

    auditor = world.must(AUDITOR)
    assert login_as(Client(), auditor).get("/admin/core/ledgerentry/").status_code == 200

    services.revoke_role(None, StaffRole.objects.active().get(user=auditor))

    auditor.refresh_from_db()
    assert not auditor.is_staff
    response = login_as(Client(), auditor).get("/admin/core/ledgerentry/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
