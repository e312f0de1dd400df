"""The demo seed (fictional 示范市) and the demo persona switcher."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from yiwang.accounts import demo, selectors
from yiwang.accounts.login_session import SECOND_FACTOR_KEY
from yiwang.accounts.models import (
    Department,
    Enterprise,
    EnterpriseAgent,
    Person,
    Region,
    Role,
    StaffRole,
    User,
)
from yiwang.accounts.tests.factories import ledger_entries, login_as, make_citizen
from yiwang.core.identifiers import validate_resident_id, validate_uscc

pytestmark = pytest.mark.django_db

PERSONAS = "/accounts/demo/personas/"


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = (Region, Department, Role, StaffRole, User, Person, Enterprise, EnterpriseAgent)
    return {m.__name__: m.objects.count() for m in models}


def test_seed_demo_runs_twice_without_duplicating_anything() -> None:
    first_output = _seed()
    counts = _counts()
    second_output = _seed()
    assert _counts() == counts
    assert "created nothing" in second_output
    # The same logins (and TOTP secrets) are printed both times.
    assert first_output.split("\n", 1)[1] == second_output.split("\n", 1)[1]


def test_the_demo_world_is_realistic_and_valid() -> None:
    _seed()
    assert Region.objects.get(code=demo.CITY).name == "示范市"
    assert Region.objects.filter(level="district").count() == 2
    assert Region.objects.filter(level="township").count() >= 4
    assert Region.objects.filter(level="village").count() >= 6
    assert Department.objects.count() >= 10
    for department in Department.objects.all():
        assert validate_uscc(department.uscc) == department.uscc
        assert department.uscc[2:8] == department.region.code[:6]
    for enterprise in Enterprise.objects.all():
        assert validate_uscc(enterprise.uscc).startswith("9")
    for index, spec in enumerate(demo.CITIZENS):
        number = demo.citizen_id_number(spec, index)
        parsed = validate_resident_id(number)
        assert parsed.address_code in {"339902", "339903"}
        assert parsed.male is spec.male and parsed.birth_date == spec.birth
        assert selectors.find_person_by_id_number(number).name == spec.name
    assert EnterpriseAgent.objects.filter(is_active=True).count() >= 3


def test_every_role_has_a_staff_member_with_a_confirmed_second_factor() -> None:
    _seed()
    held = set(StaffRole.objects.active().values_list("role__code", flat=True))
    assert held == {r.code for r in demo.ROLES}
    for user in User.objects.filter(kind=User.Kind.STAFF):
        assert user.totp_confirmed_at is not None
        assert user.check_password(demo.DEMO_PASSWORD)


def test_the_login_table_lists_usernames_passwords_and_totp_secrets() -> None:
    output = _seed()
    assert "示范市" in output and "虚构" in output
    for spec in demo.STAFF:
        assert spec.username in output
    auditor = User.objects.get(username="auditor")
    from yiwang.accounts import services

    assert services.totp_secret(auditor) in output
    assert demo.DEMO_PASSWORD in output


@override_settings(YIWANG_DEMO=False)
def test_seed_demo_refuses_to_run_outside_demo_mode() -> None:
    with pytest.raises(CommandError):
        _seed()
    assert not User.objects.exists()


@override_settings(YIWANG_DEMO=False)
def test_the_persona_switcher_does_not_exist_outside_demo_mode(client) -> None:
    make_citizen(username="zhangwei")
    assert client.get(PERSONAS).status_code == 404
    assert client.post(PERSONAS, {"username": "zhangwei"}).status_code == 404
    assert client.session.get("_auth_user_id") is None


def test_the_persona_switcher_lists_personas_and_signs_in_with_the_second_factor(client) -> None:
    _seed()
    page = client.get(PERSONAS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "审计管理员" in html and "csrfmiddlewaretoken" in html
    response = client.post(PERSONAS, {"username": "approver"})
    assert response.status_code == 302
    approver = User.objects.get(username="approver")
    assert client.session["_auth_user_id"] == str(approver.pk)
    assert client.session[SECOND_FACTOR_KEY] is True
    assert client.get("/accounts/me/").status_code == 200
    entry = ledger_entries("auth.demo_persona_login")[-1]
    assert entry.object_id == str(approver.pk)


def test_the_persona_switcher_needs_post_and_a_csrf_token() -> None:
    from django.test import Client

    _seed()
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(PERSONAS, {"username": "approver"}).status_code == 403
    assert browser.session.get("_auth_user_id") is None


@pytest.mark.parametrize("data", [{}, {"username": "nobody"}, {"username": "x" * 500}])
def test_the_persona_switcher_refuses_unknown_personas(client, data) -> None:
    _seed()
    assert client.post(PERSONAS, data).status_code == 404


def test_the_persona_switcher_never_signs_in_as_a_non_demo_user(client) -> None:
    _seed()
    make_citizen(username="real-person")
    assert client.post(PERSONAS, {"username": "real-person"}).status_code == 404


def test_switching_persona_replaces_the_previous_session(client) -> None:
    _seed()
    login_as(client, User.objects.get(username="zhangwei"))
    client.post(PERSONAS, {"username": "auditor"})
    auditor = User.objects.get(username="auditor")
    assert client.session["_auth_user_id"] == str(auditor.pk)
    assert client.get("/api/v1/accounts/departments").json() == []


def test_the_persona_switcher_explains_how_to_seed_when_empty(client) -> None:
    page = client.get(PERSONAS)
    assert page.status_code == 200
    assert "seed_demo" in page.content.decode()
