"""The accounts API: who am I, scope-filtered departments, API tokens, problem+json errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from yiwang.accounts import services
from yiwang.accounts.models import ApiToken, Role
from yiwang.accounts.tests.factories import (
    ledger_entries,
    login_as,
    make_citizen,
    make_department,
    make_staff,
    make_user,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/accounts"


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def tree():
    bureau = make_department("市局", region="330100000000")
    branch = make_department("东区分局", region="330102000000", parent=bureau)
    other = make_department("他局", region="330100000000")
    return bureau, branch, other


def test_me_describes_a_citizen_with_a_masked_id_number(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    body = client.get(f"{API}/me").json()
    assert body["kind"] == "person"
    assert body["username"] == citizen.username
    assert len(body["masked_id_number"]) == 18 and body["masked_id_number"][6:14] == "********"
    assert body["roles"] == [] and body["departments"] == []
    assert body["second_factor_required"] is False


def test_me_lists_a_staff_members_roles_and_departments(client, tree) -> None:
    bureau, _branch, _other = tree
    staff = make_staff(bureau, scope=Role.Scope.DEPARTMENT_SUBTREE)
    login_as(client, staff)
    body = client.get(f"{API}/me").json()
    assert body["kind"] == "staff" and body["masked_id_number"] == ""
    assert [r["scope"] for r in body["roles"]] == ["department_subtree"]
    assert body["departments"] == [{"id": bureau.pk, "name": "市局"}]


def test_the_department_list_follows_the_data_scope(client, tree) -> None:
    bureau, branch, other = tree
    login_as(client, make_staff(bureau, scope=Role.Scope.DEPARTMENT_SUBTREE))
    ids = {d["id"] for d in client.get(f"{API}/departments").json()}
    assert ids == {bureau.pk, branch.pk}
    assert client.get(f"{API}/departments/{branch.pk}").json()["uscc"] == branch.uscc


def test_a_department_outside_the_scope_answers_404_problem_json(client, tree) -> None:
    _bureau, branch, other = tree
    login_as(client, make_staff(branch))
    response = client.get(f"{API}/departments/{other.pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "department_not_found"


def test_the_auditor_sees_no_departments_through_the_api(client, tree) -> None:
    bureau, _branch, _other = tree
    auditor = make_staff(bureau, scope=Role.Scope.REGION_SUBTREE, admin_duty="audit")
    login_as(client, auditor)
    assert client.get(f"{API}/departments").json() == []
    assert client.get(f"{API}/departments/{bureau.pk}").status_code == 404
    assert client.get(f"{API}/me").json()["roles"][0]["admin_duty"] == "audit"


def test_anonymous_requests_get_401_problem_json(client) -> None:
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"


def test_a_token_is_created_once_and_authenticates_machine_calls(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    response = client.post(
        f"{API}/tokens",
        data={"name": "对接系统", "expires_in_days": 30},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    plain = body["token"]
    assert plain.startswith(f"yw_{body['prefix']}_")
    stored = ApiToken.objects.get(pk=body["id"])
    assert plain not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    machine = Client()
    me = machine.get(f"{API}/me", **_bearer(plain))
    assert me.status_code == 200 and me.json()["id"] == citizen.pk
    listed = client.get(f"{API}/tokens").json()
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    assert ledger_entries("accounts.api_token.created")[-1].payload["prefix"] == body["prefix"]


def test_a_token_cannot_mint_more_tokens(client) -> None:
    user = make_user()
    _token, plain = services.create_api_token(user, "机器")
    response = client.post(
        f"{API}/tokens", data={"name": "x"}, content_type="application/json", **_bearer(plain)
    )
    assert response.status_code == 401


def test_revoked_expired_and_unknown_tokens_get_401_problem_json(client) -> None:
    user = make_user()
    revoked, revoked_plain = services.create_api_token(user, "旧令牌")
    services.revoke_api_token(user, revoked)
    expired, expired_plain = services.create_api_token(user, "过期令牌")
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    for plain in (revoked_plain, expired_plain, "yw_nothing_here", "garbage", "x" * 5000):
        for method, path in (("get", f"{API}/me"), ("delete", f"{API}/tokens/{revoked.pk}")):
            response = getattr(client, method)(path, **_bearer(plain))
            assert response.status_code == 401, (plain, method)
            assert response["Content-Type"] == "application/problem+json"


def test_a_token_of_an_inactive_user_is_refused(client) -> None:
    user = make_user()
    _token, plain = services.create_api_token(user, "令牌")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(f"{API}/me", **_bearer(plain)).status_code == 401


def test_a_user_revokes_his_own_token_but_gets_404_for_anothers(client) -> None:
    owner = make_citizen()
    other = make_citizen()
    token, plain = services.create_api_token(owner, "我的令牌")
    foreign, _foreign_plain = services.create_api_token(other, "别人的令牌")
    login_as(client, owner)
    response = client.delete(f"{API}/tokens/{foreign.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "token_not_found"
    assert ApiToken.objects.get(pk=foreign.pk).revoked_at is None
    assert client.delete(f"{API}/tokens/{token.pk}").status_code == 204
    assert Client().get(f"{API}/me", **_bearer(plain)).status_code == 401
    assert client.delete(f"{API}/tokens/{token.pk}").status_code == 204  # idempotent


def test_session_writes_need_the_csrf_token(tree) -> None:
    citizen = make_citizen()
    browser = Client(enforce_csrf_checks=True)
    login_as(browser, citizen)
    response = browser.post(f"{API}/tokens", data={"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    browser.get("/accounts/tokens/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        f"{API}/tokens",
        data={"name": "x"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201


def test_a_bearer_client_needs_no_csrf_token() -> None:
    user = make_user()
    token, plain = services.create_api_token(user, "令牌")
    machine = Client(enforce_csrf_checks=True)
    assert machine.delete(f"{API}/tokens/{token.pk}", **_bearer(plain)).status_code == 204


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "expires_in_days": 0},
        {"name": "ok", "expires_in_days": 366},
        {"name": "ok", "expires_in_days": "soon"},
        [],
        "garbage",
    ],
)
def test_bad_token_requests_get_422_problem_json(client, payload) -> None:
    login_as(client, make_citizen())
    response = client.post(
        f"{API}/tokens", data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code in {400, 422}
    assert response["Content-Type"] == "application/problem+json"


def test_a_malformed_json_body_is_not_a_500(client) -> None:
    login_as(client, make_citizen())
    response = client.post(f"{API}/tokens", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
