"""The cases API: apply with an Idempotency-Key (a double submit makes one case), follow it,
and the staff worklist and decisions."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from yiwang.accounts.tests.factories import login_as
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import Cast, png_upload
from yiwang.workflow import services as wf

API = "/api/v1/cases"


def body(cast: Cast) -> dict:
    return {
        "item": cast.item.implementation_code,
        "form": {"shop_name": "湖滨小吃店", "area": 30, "category": "catering"},
        "materials": {
            "id_card": {"source": "upload"},
            "floor_plan": {"source": "upload"},
            "safety_rules": {"source": "commitment"},
        },
    }


def post(client: Client, url: str, data: dict, **headers) -> object:
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_a_double_submit_with_one_key_creates_one_case(cast: Cast) -> None:
    client = login_as(Client(), cast.citizen)
    first = post(client, API, body(cast), HTTP_IDEMPOTENCY_KEY="key-1")
    second = post(client, API, body(cast), HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == second.json()["number"]
    assert Case.objects.count() == 1


def test_form_errors_come_back_as_problem_details_listing_each_field(cast: Cast) -> None:
    client = login_as(Client(), cast.citizen)
    data = body(cast)
    data["form"] = {"area": "x"}
    response = post(client, API, data)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "form_invalid"
    fields = {e["field"] for e in problem["details"]["errors"]}
    assert {"shop_name", "area", "category"} <= fields


def test_the_applicant_uploads_follows_and_the_reviewer_decides(cast: Cast) -> None:
    wf.publish_definition(
        cast.item.implementation_code,
        "审查",
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    citizen = login_as(Client(), cast.citizen)
    number = post(citizen, API, body(cast)).json()["number"]
    for key in ("id_card", "floor_plan"):
        response = citizen.post(f"{API}/{number}/materials/{key}", {"file": png_upload()})
        assert response.status_code == 201, response.content
    assert [c["number"] for c in citizen.get(API).json()["results"]] == [number]

    reviewer = login_as(Client(), cast.reviewer_a)
    assert [c["number"] for c in reviewer.get(f"{API}/worklist").json()["results"]] == [number]
    assert post(reviewer, f"{API}/{number}/accept", {"mode": "normal"}).json()["status"] == (
        "in_review"
    )
    done = post(reviewer, f"{API}/{number}/review", {"outcome": "approve", "comment": "同意"})
    assert done.json()["status"] == "completed"
    titles = [e["title"] for e in citizen.get(f"{API}/{number}/timeline").json()]
    assert titles[0] == "提交申请" and "送达办结" in titles


@pytest.mark.parametrize("who", ["other_citizen", "outsider", "reviewer_b"])
def test_an_outsider_gets_404_on_anothers_case(cast: Cast, who: str) -> None:
    citizen = login_as(Client(), cast.citizen)
    number = post(citizen, API, body(cast)).json()["number"]
    client = login_as(Client(), getattr(cast, who))
    assert client.get(f"{API}/{number}").status_code == 404
    assert post(client, f"{API}/{number}/reject", {"reason": "x"}).status_code == 404
    assert Case.objects.get(number=number).status == "submitted"
