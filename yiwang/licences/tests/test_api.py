"""The e-licence API (/api/v1/licences), with personas: the holder, another citizen, the licence
officer of the issuing department (A), the officer of another department (B), a reviewer of the
case's department (一证通办) and an anonymous caller. Errors are problem+json with stable codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from yiwang.accounts import services as account_services
from yiwang.accounts.selectors import decrypt_id_number
from yiwang.accounts.tests.factories import login_as
from yiwang.cases.services import submit_online
from yiwang.cases.tests.factories import all_materials, full_form
from yiwang.core.identifiers import make_licence_id
from yiwang.licences import selectors, services
from yiwang.licences.models import Licence, LicenceUse, ShareLink
from yiwang.licences.tests.factories import LicenceCast, issue_to_citizen, issue_to_enterprise

pytestmark = pytest.mark.django_db

API = "/api/v1/licences"


def post(client: Client, url: str, data: dict, **headers) -> object:
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def problem_code(response) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()["code"]


# --- the holder ----------------------------------------------------------------------------------


def test_the_wallet_lists_the_callers_licences_only(lcast: LicenceCast):
    own = issue_to_citizen(lcast)
    firm = issue_to_enterprise(lcast)
    mine = login_as(Client(), lcast.citizen).get(f"{API}/mine")
    assert mine.status_code == 200
    assert [row["licence_id"] for row in mine.json()] == [own.licence_id]
    assert mine.json()[0]["status"] == "valid" and mine.json()[0]["expired"] is False
    agents = login_as(Client(), lcast.base.agent).get(f"{API}/mine").json()
    assert [row["licence_id"] for row in agents] == [firm.licence_id]
    assert login_as(Client(), lcast.base.other_citizen).get(f"{API}/mine").json() == []


def test_an_anonymous_caller_gets_401_on_everything_but_verification(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    client = Client()
    for url in (f"{API}/mine", f"{API}/{licence.licence_id}", f"{API}/{licence.licence_id}/json"):
        response = client.get(url)
        assert response.status_code == 401 and problem_code(response) == "not_authenticated"
    assert post(client, f"{API}/{licence.licence_id}/share-links", {"hours": 1}).status_code == 401


def test_a_bearer_token_reads_the_holders_licence_with_labelled_content(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    _token, secret = account_services.create_api_token(lcast.citizen, "钱包")
    response = Client().get(
        f"{API}/{licence.licence_id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["licence_id"] == licence.licence_id  # dots in the path are fine
    assert {"key": "shop_name", "label": "店铺名称", "value": "示范小吃店"} in body["content"]
    assert [e["action"] for e in body["events"]] == ["issue"]
    assert body["verification_url"].endswith(
        f"/licences/verify/{licence.licence_id}/?d={licence.digest_short}"
    )
    assert not LicenceUse.objects.exists()


def test_strangers_get_404_and_the_issuing_officers_look_is_recorded(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    for stranger in (lcast.base.other_citizen, lcast.officer_b, lcast.base.outsider):
        client = login_as(Client(), stranger)
        for suffix in ("", "/json"):
            response = client.get(f"{API}/{licence.licence_id}{suffix}")
            assert response.status_code == 404
            assert problem_code(response) == "licence_not_found"
    assert not LicenceUse.objects.exists()
    officer = login_as(Client(), lcast.officer_a)
    assert officer.get(f"{API}/{licence.licence_id}").status_code == 200
    use = LicenceUse.objects.get()
    assert (use.purpose, use.department) == ("证照管理查看", lcast.dept_a)
    holder_view = login_as(Client(), lcast.citizen).get(f"{API}/{licence.licence_id}").json()
    assert holder_view["uses"][0]["purpose"] == "证照管理查看"


def test_a_malformed_licence_id_in_the_path_is_refused(lcast: LicenceCast):
    response = login_as(Client(), lcast.citizen).get(f"{API}/not-a-licence/json")
    assert response.status_code == 422


def test_the_json_form_verifies_and_a_changed_copy_does_not(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    form = login_as(Client(), lcast.citizen).get(f"{API}/{licence.licence_id}/json").json()
    assert form["signature_algorithm"] == "SM2-with-SM3"
    good = post(
        Client(), f"{API}/verify", {"document": form["document"], "signature": form["signature"]}
    )
    assert good.status_code == 200 and good.json()["result"] == "valid"
    form["document"]["holder"]["name"] = "冒名者"
    bad = post(
        Client(), f"{API}/verify", {"document": form["document"], "signature": form["signature"]}
    )
    assert (bad.json()["result"], bad.json()["reason"]) == ("tampered", "bad_signature")


# --- public verification -------------------------------------------------------------------------


def verify(licence_id: str, digest: str = "") -> object:
    query = f"licence_id={licence_id}" + (f"&digest={digest}" if digest else "")
    return Client().get(f"{API}/verify?{query}")


def test_verification_by_reference_gives_each_result(lcast: LicenceCast):
    valid = issue_to_citizen(lcast)
    revoked = issue_to_citizen(lcast)
    services.change_status(lcast.officer_a, revoked, "withdraw", "违法经营")
    expired = issue_to_citizen(lcast)
    expired.valid_until = timezone.localdate() - dt.timedelta(days=1)
    expired.save(update_fields=["valid_until"])
    wrong = ("0" if valid.digest_short[0] != "0" else "1") + valid.digest_short[1:]
    unknown = make_licence_id(lcast.person_type.code, lcast.dept_a.uscc, "19990101001", 1)
    results = {
        "valid": verify(valid.licence_id, valid.digest_short),
        "revoked": verify(revoked.licence_id, revoked.digest_short),
        "expired": verify(expired.licence_id),
        "tampered": verify(valid.licence_id, wrong),
        "unknown": verify(unknown),
    }
    for expected, response in results.items():
        assert response.status_code == 200
        assert response.json()["result"] == expected
    assert results["revoked"].json()["licence"]["status"] == "withdrawn"
    assert results["unknown"].json()["licence"] is None


def test_public_verification_shows_no_id_number_and_writes_no_session(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    response = verify(licence.licence_id, licence.digest_short)
    text = response.content.decode()
    person = lcast.citizen.person
    assert decrypt_id_number(person) not in text and person.name not in text
    assert not response.cookies  # no session, no CSRF cookie: nothing is written for a caller


def test_a_malformed_id_or_digest_is_422_problem_json(lcast: LicenceCast):
    response = verify("1.2.156.3005.2.NOPE")
    assert response.status_code == 422 and problem_code(response) == "invalid_licence_id_format"
    licence = issue_to_citizen(lcast)
    assert verify(licence.licence_id, "not-hex!").status_code == 422
    assert Client().get(f"{API}/verify").status_code == 422


def test_a_presented_document_that_is_not_a_licence_is_422(lcast: LicenceCast):
    response = post(Client(), f"{API}/verify", {"document": {"a": 1}, "signature": "AA=="})
    assert response.status_code == 422 and problem_code(response) == "malformed_licence_json"


def test_an_uploaded_json_form_and_pdf_verify(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    raw = json.dumps(selectors.json_form_of(licence)).encode()
    response = Client().post(f"{API}/verify/file", {"file": SimpleUploadedFile("l.json", raw)})
    assert response.status_code == 200 and response.json()["result"] == "valid"
    pdf = login_as(Client(), lcast.citizen).get(f"/licences/{licence.licence_id}/pdf").content
    response = Client().post(f"{API}/verify/file", {"file": SimpleUploadedFile("l.pdf", pdf)})
    assert response.status_code == 200 and response.json()["result"] == "valid"
    assert "file" in response.json()["checked"]


def test_an_upload_without_licence_data_or_too_big_is_422(lcast: LicenceCast):
    bare_pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = Client().post(f"{API}/verify/file", {"file": SimpleUploadedFile("x.pdf", bare_pdf)})
    assert response.status_code == 422 and problem_code(response) == "no_licence_in_pdf"
    huge = SimpleUploadedFile("x.json", b" " * (5 * 1024 * 1024 + 1))
    response = Client().post(f"{API}/verify/file", {"file": huge})
    assert response.status_code == 422 and problem_code(response) == "file_too_large"


def test_the_key_directory_is_public(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    rows = Client().get(f"{API}/keys").json()
    [row] = [r for r in rows if r["key_id"] == licence.key.key_id]
    assert row["department_uscc"] == lcast.dept_a.uscc and row["status"] == "active"
    assert row["public_key"] == licence.key.public_hex
    assert Client().get(row["pem_url"]).status_code == 200


# --- status changes ------------------------------------------------------------------------------


def test_the_issuing_officer_changes_the_status_and_others_are_refused(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    url = f"{API}/{licence.licence_id}/status"
    holder = post(login_as(Client(), lcast.citizen), url, {"action": "revoke", "reason": "x"})
    assert holder.status_code == 403 and problem_code(holder) == "licence_status_not_allowed"
    other = post(login_as(Client(), lcast.officer_b), url, {"action": "revoke", "reason": "x"})
    assert other.status_code == 404
    officer = login_as(Client(), lcast.officer_a)
    no_reason = post(officer, url, {"action": "revoke", "reason": " "})
    assert no_reason.status_code == 422 and problem_code(no_reason) == "reason_required"
    done = post(officer, url, {"action": "invalidate", "reason": "营业执照已注销"})
    assert done.status_code == 200 and done.json()["status"] == "invalid"
    again = post(officer, url, {"action": "revoke", "reason": "再次"})
    assert again.status_code == 409 and problem_code(again) == "illegal_transition"


# --- share links ---------------------------------------------------------------------------------


def test_the_share_link_life_cycle(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    holder = login_as(Client(), lcast.citizen)
    made = post(holder, f"{API}/{licence.licence_id}/share-links", {"hours": 24})
    assert made.status_code == 201
    body = made.json()
    assert body["url"].startswith("http://testserver/licences/shared/")
    path = body["url"].removeprefix("http://testserver")
    assert Client().get(path).status_code == 200
    stranger = login_as(Client(), lcast.base.other_citizen)
    assert stranger.delete(f"{API}/share-links/{body['id']}").status_code == 404
    assert holder.delete(f"{API}/share-links/{body['id']}").status_code == 204
    assert Client().get(path).status_code == 404


def test_only_the_holder_shares_and_for_at_most_30_days(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    url = f"{API}/{licence.licence_id}/share-links"
    officer = post(login_as(Client(), lcast.officer_a), url, {"hours": 1})
    assert officer.status_code == 403 and problem_code(officer) == "not_licence_holder"
    assert post(login_as(Client(), lcast.base.other_citizen), url, {"hours": 1}).status_code == 404
    assert post(login_as(Client(), lcast.citizen), url, {"hours": 24 * 31}).status_code == 422
    assert not ShareLink.objects.exists()


def test_a_retried_share_request_makes_one_link(lcast: LicenceCast):
    licence = issue_to_citizen(lcast)
    holder = login_as(Client(), lcast.citizen)
    url = f"{API}/{licence.licence_id}/share-links"
    first = post(holder, url, {"hours": 2}, HTTP_IDEMPOTENCY_KEY="share-1")
    second = post(holder, url, {"hours": 2}, HTTP_IDEMPOTENCY_KEY="share-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert ShareLink.objects.count() == 1


# --- 一证通办 ------------------------------------------------------------------------------------


@pytest.fixture
def case_of_citizen(lcast):
    return submit_online(
        lcast.citizen, lcast.base.item, form=full_form(), materials=all_materials()
    )


def lookup(user, case, holder_id: str, purpose: str = "核验经营资格") -> object:
    query = f"case={case.number}&holder_id={holder_id}&purpose={purpose}"
    return login_as(Client(), user).get(f"{API}/lookup?{query}")


def test_a_clerk_of_the_cases_department_fetches_the_applicants_licences(lcast, case_of_citizen):
    licence = issue_to_citizen(lcast)
    holder_id = decrypt_id_number(lcast.citizen.person)
    response = lookup(lcast.base.reviewer_a, case_of_citizen, holder_id)
    assert response.status_code == 200
    assert [row["licence_id"] for row in response.json()] == [licence.licence_id]
    use = LicenceUse.objects.get()
    assert use.case == case_of_citizen and use.purpose.startswith("核验经营资格")


def test_a_lookup_without_purpose_or_from_another_department_is_refused(lcast, case_of_citizen):
    issue_to_citizen(lcast)
    holder_id = decrypt_id_number(lcast.citizen.person)
    missing = lookup(lcast.base.reviewer_a, case_of_citizen, holder_id, purpose="")
    assert missing.status_code == 422 and problem_code(missing) == "purpose_required"
    foreign = lookup(lcast.base.reviewer_b, case_of_citizen, holder_id)
    assert foreign.status_code == 403 and problem_code(foreign) == "case_not_in_department"
    citizen = lookup(lcast.citizen, case_of_citizen, holder_id)
    assert citizen.status_code == 403
    assert not LicenceUse.objects.exists()


# --- issuance by hand ----------------------------------------------------------------------------


def issue_body(lcast: LicenceCast, **overrides) -> dict:
    body = {
        "type_code": lcast.person_type.code,
        "issuer_uscc": lcast.dept_a.uscc,
        "holder_id": decrypt_id_number(lcast.citizen.person),
        "content": {"holder_name": lcast.citizen.person.name, "shop_name": "湖滨小馆"},
    }
    body.update(overrides)
    return body


def test_the_officer_issues_by_hand_once_per_idempotency_key(lcast: LicenceCast):
    officer = login_as(Client(), lcast.officer_a)
    first = post(officer, f"{API}/issue", issue_body(lcast), HTTP_IDEMPOTENCY_KEY="issue-1")
    second = post(officer, f"{API}/issue", issue_body(lcast), HTTP_IDEMPOTENCY_KEY="issue-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["licence_id"] == second.json()["licence_id"]
    licence = Licence.objects.get()
    assert licence.issued_by == lcast.officer_a and licence.holder_person == lcast.citizen.person


def test_issuance_refuses_bad_content_unknown_types_and_other_departments(lcast: LicenceCast):
    officer = login_as(Client(), lcast.officer_a)
    bad = post(officer, f"{API}/issue", issue_body(lcast, content={"shop_name": ""}))
    assert bad.status_code == 422 and problem_code(bad) == "invalid_licence_content"
    unknown = post(officer, f"{API}/issue", issue_body(lcast, type_code="NOPE"))
    assert unknown.status_code == 422 and problem_code(unknown) == "unknown_licence_type"
    other = post(login_as(Client(), lcast.officer_b), f"{API}/issue", issue_body(lcast))
    assert other.status_code == 404 and problem_code(other) == "issuer_not_found"
    citizen = post(login_as(Client(), lcast.citizen), f"{API}/issue", issue_body(lcast))
    assert citizen.status_code in (403, 404)
    assert not Licence.objects.exists()


def test_verification_by_reference_costs_one_query(lcast: LicenceCast, django_assert_num_queries):
    licence = issue_to_citizen(lcast)
    client = Client()
    url = f"{API}/verify?licence_id={licence.licence_id}&digest={licence.digest_short}"
    with django_assert_num_queries(1):
        assert client.get(url).json()["result"] == "valid"


def test_text_a_database_cannot_hold_is_refused_as_bad_input(lcast: LicenceCast):
    """NUL (PostgreSQL cannot store it) stops at the middleware with its own code."""
    document = {"format": "yiwang.licence.v1", "licence_id": "x", "key_id": "k\u0000"}
    response = post(Client(), f"{API}/verify", {"document": document, "signature": "AA=="})
    assert response.status_code == 400 and problem_code(response) == "nul_character"
    officer = login_as(Client(), lcast.officer_a)
    response = officer.get(f"{API}/lookup?case=A%00&holder_id=x&purpose=核验")
    assert response.status_code == 400 and problem_code(response) == "nul_character"
    response = post(officer, f"{API}/issue", issue_body(lcast, type_code="A\u0000"))
    assert response.status_code == 400 and not Licence.objects.exists()
