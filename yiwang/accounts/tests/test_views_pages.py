"""Profile and API-token pages: plain HTML forms that work without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from yiwang.accounts import services
from yiwang.accounts.models import ApiToken, Role
from yiwang.accounts.tests.factories import login_as, make_citizen, make_department, make_staff

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/tokens/"


def test_pages_need_a_login(client) -> None:
    for path in ("/accounts/me/", TOKENS):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_profile_shows_the_masked_id_number_and_roles(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    html = client.get("/accounts/me/").content.decode()
    from yiwang.accounts.selectors import decrypt_id_number

    number = decrypt_id_number(citizen.person)
    assert number not in html
    assert number[:6] + "********" + number[-4:] in html
    staff = make_staff(make_department("示例局"), scope=Role.Scope.DEPARTMENT_SUBTREE)
    login_as(client, staff)
    html = client.get("/accounts/me/").content.decode()
    assert "示例局" in html and "本部门及下级" in html


def test_a_token_is_created_on_the_page_and_shown_once(client) -> None:
    citizen = make_citizen()
    login_as(client, citizen)
    response = client.post(TOKENS, {"name": "报表系统", "expires_in_days": "30"})
    assert response.status_code == 200
    plain = re.search(r'class="token-plain">(yw_[^<]+)<', response.content.decode()).group(1)
    assert (
        Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
    )
    assert plain not in client.get(TOKENS).content.decode()


def test_a_token_is_revoked_from_the_page(client) -> None:
    citizen = make_citizen()
    token, _plain = services.create_api_token(citizen, "旧系统")
    login_as(client, citizen)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "已撤销" in client.get(TOKENS).content.decode()


def test_another_users_token_answers_404_on_the_page(client) -> None:
    owner = make_citizen()
    token, _plain = services.create_api_token(owner, "别人的")
    login_as(client, make_citizen())
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": ""},
        {"name": "x" * 500, "expires_in_days": "30"},
        {"name": "ok", "expires_in_days": "-1"},
        {"name": "ok", "expires_in_days": "999999999999999999999"},
        {"name": "ok", "expires_in_days": "soon"},
        {"name": "\x00", "expires_in_days": "1"},
    ],
)
def test_garbage_token_forms_are_form_errors(client, data) -> None:
    login_as(client, make_citizen())
    response = client.post(TOKENS, data)
    assert response.status_code == 422
    assert not ApiToken.objects.exists()
