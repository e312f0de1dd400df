"""Domain errors are rendered once: problem+json for the API, a page for HTML."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from config.api import on_domain_error, on_validation_error
from config.errors import page_not_found, server_error
from yiwang.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from yiwang.core.problems import PROBLEM_CONTENT_TYPE, problem_from_error


def test_a_domain_error_keeps_its_stable_code_status_and_message() -> None:
    error = Conflict("case_already_accepted", "办件已受理，不能重复受理。")
    assert (error.code, error.status, error.message) == (
        "case_already_accepted",
        409,
        "办件已受理，不能重复受理。",
    )


def test_a_problem_body_follows_rfc_9457() -> None:
    error = ValidationFailed(
        "invalid_uscc_checksum", "统一社会信用代码校验码不正确。", field="uscc"
    )
    body = problem_from_error(error, "/api/v1/x")
    assert body["type"].endswith("/invalid_uscc_checksum")
    assert body["status"] == 422
    assert body["title"] == "Validation failed"
    assert body["detail"] == "统一社会信用代码校验码不正确。"
    assert body["instance"] == "/api/v1/x"
    assert body["errors"] == [
        {
            "field": "uscc",
            "code": "invalid_uscc_checksum",
            "message": "统一社会信用代码校验码不正确。",
        }
    ]


@pytest.mark.parametrize(
    ("error", "status"),
    [(DomainError("x"), 400), (NotFound(), 404), (Conflict(), 409), (ValidationFailed(), 422)],
)
def test_the_api_renders_each_domain_error_as_problem_json(
    rf: RequestFactory, error, status
) -> None:
    response = on_domain_error(rf.get("/api/v1/anything"), error)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert json.loads(response.content)["code"] == error.code


def test_the_api_renders_schema_errors_as_422_with_fields(rf: RequestFactory) -> None:
    from ninja.errors import ValidationError

    exc = ValidationError([{"loc": ["body", "payload", "uscc"], "type": "missing", "msg": "必填"}])
    response = on_validation_error(rf.post("/api/v1/x"), exc)
    body = json.loads(response.content)
    assert response.status_code == 422
    assert body["errors"] == [{"field": "payload.uscc", "code": "missing", "message": "必填"}]


def test_an_unknown_api_path_answers_problem_json_404(client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert json.loads(response.content)["code"] == "not_found"


@pytest.mark.django_db
def test_an_unknown_page_answers_an_html_404(client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_server_error_handler_answers_problem_json_under_the_api(rf: RequestFactory) -> None:
    response = server_error(rf.get("/api/v1/boom"))
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"


def test_page_not_found_under_open311_is_problem_json(rf: RequestFactory) -> None:
    response = page_not_found(rf.get("/open311/v2/nothing.json"))
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


@pytest.mark.django_db
def test_the_api_health_endpoint_checks_the_database(client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_openapi_document_is_served(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Yiwang API"
