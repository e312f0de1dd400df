"""A NUL character anywhere in a URL or a JSON body is a clear 400, never a 500 (PostgreSQL
refuses NUL in text; SQLite would store it)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/AB%00CD",
        "/api/v1/licences/verify?licence_id=1.2.156%00&digest=00",
        "/api/v1/catalog/items?q=%00",
        "/api/v1/catalog/items?q%00=1",
    ],
)
def test_an_api_url_with_nul_is_a_problem_400(path):
    response = Client().get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "nul_character"


def test_a_page_url_with_nul_is_a_400_page_in_chinese():
    response = Client().get("/services/?q=%E8%90%A5%00")
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        '{"document": {"a": "\\u0000"}, "signature": "AA=="}',
        '{"document": {}, "signature": "A\x00"}',
    ],
)
def test_a_json_body_with_nul_is_refused(body):
    response = Client().post("/api/v1/licences/verify", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


def test_ordinary_requests_pass():
    assert Client().get("/api/v1/catalog/items?q=营业执照").status_code == 200
    response = Client().post(
        "/api/v1/licences/verify",
        '{"document": {}, "signature": "AA=="}',
        content_type="application/json",
    )
    assert response.status_code == 422
