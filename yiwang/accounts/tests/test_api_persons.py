"""Counter intake through the API: a clerk registers walk-in applicants and looks them up.

Personas: the counter clerk of the 西湖区 service centre (``accounts.register_person``), a reviewer
of the same centre without it, a citizen, and applicants living inside and outside 西湖区.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from yiwang.accounts import services
from yiwang.accounts.api import REGISTRATION_PURPOSE
from yiwang.accounts.models import Person
from yiwang.accounts.permissions import REGISTER_PERSON
from yiwang.accounts.tests.factories import (
    ledger_entries,
    login_as,
    make_citizen,
    make_department,
    make_person,
    make_region,
    make_staff,
    random_id_number,
)
from yiwang.core.models.idempotency import IdempotencyRecord

pytestmark = pytest.mark.django_db

API = "/api/v1/accounts/persons"
DISTRICT = "330106000000"  # 西湖区: the counter's region
STREET = "330106001000"  # a street in it
ELSEWHERE = "330102000000"  # another district


@pytest.fixture
def centre():
    return make_department("西湖区政务服务中心", region=DISTRICT)


@pytest.fixture
def clerk(centre):
    return make_staff(centre, capabilities=(REGISTER_PERSON,))


@pytest.fixture
def clerk_client(client: Client, clerk) -> Client:
    return login_as(client, clerk)


def applicant(**overrides: str) -> dict[str, str]:
    return {
        "name": "欧阳晓明",
        "id_number": random_id_number(address_code=DISTRICT[:6]),
        "phone": "13912345678",
        "address": "文三路90号2幢301室",
        **overrides,
    }


def post(client: Client, body: dict[str, str], key: str | None = None, **headers: str):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(API, data=json.dumps(body), content_type="application/json", **headers)


# --- registering ---------------------------------------------------------------------------------


def test_a_counter_clerk_registers_a_walk_in_applicant_and_sees_him_masked(
    clerk_client, clerk
) -> None:
    body = applicant()
    response = post(clerk_client, body)

    assert response.status_code == 201
    out = response.json()
    number = body["id_number"]
    assert out["masked_id_number"] == number[:6] + "********" + number[-4:]
    assert out["name"] == "欧阳**"
    assert out["phone"] == "139****5678"
    assert out["address"] == "文三路********"
    assert (out["region_code"], out["has_account"], out["realname_level"]) == (DISTRICT, False, 0)
    person = Person.objects.get(pk=out["id"])
    assert (person.name, person.phone, person.user_id) == ("欧阳晓明", "13912345678", None)


def test_registering_records_the_registration_and_the_clerks_view_of_the_person(
    clerk_client, clerk
) -> None:
    out = post(clerk_client, applicant()).json()
    registered = ledger_entries("accounts.person.registered", object_id=str(out["id"]))
    reads = ledger_entries("personal_data.read", object_id=str(out["id"]))
    assert [e.actor for e in registered] == [f"user:{clerk.pk}"]
    assert [e.actor for e in reads] == [f"user:{clerk.pk}"]
    assert json.loads(reads[0].payload_json)["purpose"] == REGISTRATION_PURPOSE


def test_an_applicant_may_be_placed_in_a_street_of_the_counters_region(clerk_client) -> None:
    make_region(STREET, "西溪街道")
    response = post(clerk_client, applicant(region_code=STREET))
    assert response.status_code == 201
    assert (response.json()["region_code"], response.json()["region_name"]) == (STREET, "西溪街道")


def test_a_region_outside_the_counters_region_is_refused(clerk_client) -> None:
    make_region(ELSEWHERE)
    response = post(clerk_client, applicant(region_code=ELSEWHERE))
    assert response.status_code == 422
    assert response.json()["code"] == "region_not_in_scope"
    assert response.json()["errors"][0]["field"] == "region_code"
    assert Person.objects.count() == 0


def test_the_same_id_number_twice_answers_409_person_exists(clerk_client) -> None:
    body = applicant()
    assert post(clerk_client, body).status_code == 201
    again = post(clerk_client, {**body, "name": "王芳"})
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "person_exists"
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"id_number": "110105194912310021"}, "invalid_id_number_checksum", "id_number"),
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"name": "  "}, "person_name_required", "name"),
    ],
)
def test_a_malformed_applicant_is_refused_naming_the_field(
    clerk_client, override, code, field
) -> None:
    response = post(clerk_client, applicant(**override))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["code"] == code
    assert Person.objects.count() == 0


def test_staff_without_the_capability_may_not_register(client, centre) -> None:
    login_as(client, make_staff(centre, capabilities=("cases.review",)))
    response = post(client, applicant())
    assert response.status_code == 403
    assert response.json()["code"] == "register_person_not_allowed"
    assert Person.objects.count() == 0


def test_a_citizen_may_not_register_persons(client) -> None:
    login_as(client, make_citizen())
    assert post(client, applicant()).status_code == 403


def test_registering_needs_authentication(client) -> None:
    assert post(client, applicant()).status_code == 401


def test_a_clerks_api_token_may_register(client, clerk) -> None:
    _token, plain = services.create_api_token(clerk, "counter terminal", by=clerk)
    response = post(client, applicant(), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 201


# --- idempotency ---------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_201_and_registers_once(clerk_client) -> None:
    body = applicant()
    first = post(clerk_client, body, key="intake-0001")
    again = post(clerk_client, body, key="intake-0001")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Person.objects.count() == 1
    person_id = str(first.json()["id"])
    assert len(ledger_entries("accounts.person.registered", object_id=person_id)) == 1
    assert len(ledger_entries("personal_data.read", object_id=person_id)) == 1


def test_the_same_key_for_another_applicant_answers_422_key_reused(clerk_client) -> None:
    assert post(clerk_client, applicant(), key="intake-0002").status_code == 201
    reused = post(clerk_client, applicant(), key="intake-0002")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Person.objects.count() == 1


def test_a_duplicate_refused_with_a_key_is_refused_the_same_way_on_retry(clerk_client) -> None:
    body = applicant()
    post(clerk_client, body)
    first = post(clerk_client, body, key="intake-0003")
    again = post(clerk_client, body, key="intake-0003")
    assert first.status_code == again.status_code == 409
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


def test_another_clerks_identical_key_is_his_own(client, centre, clerk) -> None:
    other = make_staff(centre, capabilities=(REGISTER_PERSON,))
    login_as(client, clerk)
    assert post(client, applicant(), key="shared-key").status_code == 201
    login_as(client, other)
    second = post(client, applicant(), key="shared-key")
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert IdempotencyRecord.objects.filter(key="shared-key").count() == 2


def test_a_malformed_key_answers_400(clerk_client) -> None:
    response = post(clerk_client, applicant(), key="not a key")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"


# --- looking up ----------------------------------------------------------------------------------


@pytest.fixture
def residents():
    inside = [make_person(region=DISTRICT) for _ in range(3)]
    inside.append(make_person(region=make_region(STREET)))
    outside = [make_person(region=ELSEWHERE) for _ in range(2)]
    return inside, outside


def test_the_list_shows_the_persons_of_the_counters_region_masked(clerk_client, residents) -> None:
    inside, _outside = residents
    body = clerk_client.get(API, {"purpose": "核对申请人身份"}).json()
    assert body["count"] == 4
    assert {p["id"] for p in body["items"]} == {p.pk for p in inside}
    for item in body["items"]:
        assert item["masked_id_number"][6:14] == "********"
        assert item["phone"] == "139****0000"


def test_every_person_listed_is_recorded_as_a_personal_data_access(
    clerk_client, clerk, residents
) -> None:
    inside, outside = residents
    clerk_client.get(API, {"purpose": "核对申请人身份"})
    reads = ledger_entries("personal_data.read", actor=f"user:{clerk.pk}")
    assert sorted(int(e.object_id) for e in reads) == sorted(p.pk for p in inside)
    assert {json.loads(e.payload_json)["purpose"] for e in reads} == {"核对申请人身份"}


def test_the_list_is_paginated(clerk_client, clerk, residents) -> None:
    inside, _outside = residents
    first = clerk_client.get(API, {"purpose": "核对", "limit": 3}).json()
    second = clerk_client.get(API, {"purpose": "核对", "limit": 3, "offset": 3}).json()
    assert (first["count"], len(first["items"]), len(second["items"])) == (4, 3, 1)
    seen = [p["id"] for p in first["items"] + second["items"]]
    assert sorted(seen) == sorted(p.pk for p in inside)
    assert seen == sorted(seen, reverse=True)  # newest first
    assert clerk_client.get(API, {"purpose": "核对", "limit": 101}).status_code == 422
    huge = clerk_client.get(API, {"purpose": "核对", "offset": 9517977700188579840})
    assert huge.status_code == 422  # not an overflow deep in the database driver


def test_looking_at_others_without_a_purpose_is_refused(clerk_client, residents) -> None:
    response = clerk_client.get(API)
    assert response.status_code == 422
    assert response.json()["code"] == "purpose_required"


def test_one_person_in_the_region_is_shown_and_the_access_recorded(
    clerk_client, clerk, residents
) -> None:
    person = residents[0][0]
    response = clerk_client.get(f"{API}/{person.pk}", {"purpose": "受理营业执照申请"})
    assert response.status_code == 200
    assert response.json()["id"] == person.pk
    [read] = ledger_entries("personal_data.read", object_id=str(person.pk))
    assert read.actor == f"user:{clerk.pk}"


def test_a_person_outside_the_region_answers_404_and_nothing_is_recorded(
    clerk_client, residents
) -> None:
    stranger = residents[1][0]
    response = clerk_client.get(f"{API}/{stranger.pk}", {"purpose": "核对"})
    assert response.status_code == 404
    assert response.json()["code"] == "person_not_found"
    assert ledger_entries("personal_data.read", object_id=str(stranger.pk)) == []


def test_staff_without_a_region_role_or_the_capability_see_no_persons(
    client, centre, residents
) -> None:
    login_as(client, make_staff(centre, capabilities=("cases.review",)))
    assert client.get(API, {"purpose": "核对"}).json() == {
        "items": [],
        "count": 0,
        "limit": 20,
        "offset": 0,
    }
    assert client.get(f"{API}/{residents[0][0].pk}", {"purpose": "核对"}).status_code == 404


def test_a_citizen_sees_himself_unmasked_without_giving_a_purpose(client, residents) -> None:
    citizen = make_citizen(region=DISTRICT)
    login_as(client, citizen)
    body = client.get(API).json()
    assert body["count"] == 1
    [me] = body["items"]
    assert me["id"] == citizen.person.pk
    assert me["name"] == citizen.person.name and "*" not in me["masked_id_number"]
    assert me["has_account"] is True
