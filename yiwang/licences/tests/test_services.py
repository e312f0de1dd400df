"""Issuance, status changes, share links and 一证通办 uses (services), with personas: the citizen
(holder), another citizen, the licence officer of the issuing department (A) and of another (B)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.accounts.selectors import decrypt_id_number
from yiwang.accounts.tests.factories import ledger_entries
from yiwang.cases.models import Notification
from yiwang.cases.services import submit_online
from yiwang.cases.tests.factories import all_materials, full_form
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import validate_licence_id
from yiwang.licences import selectors, services, states
from yiwang.licences.models import LicenceEvent, LicenceStatus, LicenceUse
from yiwang.licences.tests.factories import (
    issue_to_citizen,
    issue_to_enterprise,
    make_licence_type,
)

pytestmark = pytest.mark.django_db


def test_an_issued_licence_has_a_valid_national_identifier_with_a_daily_serial(lcast):
    first = issue_to_citizen(lcast)
    second = issue_to_citizen(lcast)
    parsed = validate_licence_id(first.licence_id)
    assert parsed.type_code == lcast.person_type.code
    assert parsed.issuer_uscc == lcast.dept_a.uscc
    assert parsed.version == "001"
    today = timezone.localdate().strftime("%Y%m%d")
    assert first.serial == f"{today}001"
    assert second.serial == f"{today}002"


def test_the_signed_document_holds_the_holder_and_content_and_is_encrypted_at_rest(lcast):
    licence = issue_to_citizen(lcast, start_date="2026-01-05")
    document = selectors.document_of(licence)
    person = lcast.citizen.person
    assert document["holder"] == {
        "kind": "person",
        "name": person.name,
        "id": decrypt_id_number(person),
    }
    assert document["content"]["start_date"] == "2026-01-05"
    assert document["issuer"]["uscc"] == lcast.dept_a.uscc
    assert decrypt_id_number(person).encode() not in bytes(licence.document_encrypted)


def test_validity_follows_the_type_and_a_permanent_type_has_no_end(lcast):
    licence = issue_to_citizen(lcast)
    start = licence.valid_from
    assert licence.valid_until == start.replace(year=start.year + 5) - dt.timedelta(days=1)
    assert issue_to_enterprise(lcast).valid_until is None


def test_it_refuses_content_that_breaks_the_type_schema_and_lists_every_failure(lcast):
    with pytest.raises(ValidationFailed) as caught:
        services.issue(
            licence_type=lcast.person_type,
            issuer=lcast.dept_a,
            content={"holder_name": "", "start_date": "2026-13-01", "colour": "红"},
            holder_person=lcast.citizen.person,
        )
    errors = caught.value.details["errors"]
    assert caught.value.code == "invalid_licence_content"
    assert set(errors) == {
        "content.holder_name",
        "content.shop_name",
        "content.start_date",
        "content.colour",
    }


def test_an_enterprise_type_needs_an_enterprise_holder(lcast):
    with pytest.raises(ValidationFailed) as caught:
        services.issue(
            licence_type=lcast.enterprise_type,
            issuer=lcast.dept_a,
            content={"name": "x", "scope": "y"},
            holder_person=lcast.citizen.person,
        )
    assert caught.value.code == "holder_kind_mismatch"


def test_issuance_is_in_the_ledger_with_the_holder_and_the_holder_is_told(lcast):
    licence = issue_to_citizen(lcast)
    [entry] = ledger_entries("licences.issued", object_id=licence.licence_id)
    assert entry.payload["subject_person_id"] == lcast.citizen.person.pk
    assert entry.payload["digest"] == licence.document_sm3
    assert Notification.objects.filter(
        user=lcast.citizen, title__contains=lcast.person_type.name
    ).exists()
    assert LicenceEvent.objects.filter(licence=licence, action="issue").count() == 1


def test_an_officer_issues_by_hand_for_his_department_only(lcast):
    holder_id = decrypt_id_number(lcast.citizen.person)
    content = {"holder_name": lcast.citizen.person.name, "shop_name": "手工签发店"}
    licence = services.issue_by_hand(
        lcast.officer_a,
        licence_type=lcast.person_type,
        issuer=lcast.dept_a,
        content=content,
        holder_id=holder_id,
    )
    assert licence.issued_by == lcast.officer_a
    assert licence.holder_person == lcast.citizen.person
    with pytest.raises(PermissionDenied) as caught:
        services.issue_by_hand(
            lcast.officer_b,
            licence_type=lcast.person_type,
            issuer=lcast.dept_a,
            content=content,
            holder_id=holder_id,
        )
    assert caught.value.code == "licence_issue_not_allowed"


def test_by_hand_issuance_finds_an_enterprise_by_uscc_and_refuses_unknown_holders(lcast):
    licence = services.issue_by_hand(
        lcast.officer_a,
        licence_type=lcast.enterprise_type,
        issuer=lcast.dept_a,
        content={"name": lcast.enterprise.name, "scope": "餐饮服务"},
        holder_id=lcast.enterprise.uscc,
    )
    assert licence.holder_enterprise == lcast.enterprise
    with pytest.raises(NotFound) as caught:
        services.issue_by_hand(
            lcast.officer_a,
            licence_type=lcast.person_type,
            issuer=lcast.dept_a,
            content={"holder_name": "某", "shop_name": "某"},
            holder_id="11010519491231002X",
        )
    assert caught.value.code == "holder_unknown"
    with pytest.raises(ValidationFailed):
        services.issue_by_hand(
            lcast.officer_a,
            licence_type=lcast.person_type,
            issuer=lcast.dept_a,
            content={},
            holder_id="110105194912310021",
        )


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("revoke", "revoked"),
        ("cancel", "cancelled"),
        ("withdraw", "withdrawn"),
        ("invalidate", "invalid"),
    ],
)
def test_each_status_change_needs_a_reason_is_final_logged_and_told(lcast, action, status):
    licence = issue_to_citizen(lcast)
    with pytest.raises(ValidationFailed) as caught:
        services.change_status(lcast.officer_a, licence, action, "  ")
    assert caught.value.code == "reason_required"
    changed = services.change_status(lcast.officer_a, licence, action, "经核查，材料虚假")
    assert changed.status == status
    assert changed.status_reason == "经核查，材料虚假"
    [entry] = ledger_entries(f"licences.{action}", object_id=licence.licence_id)
    assert entry.payload["to"] == status
    label = LicenceStatus(status).label
    assert Notification.objects.filter(user=lcast.citizen, title__contains=str(label)).exists()
    with pytest.raises(Conflict) as again:
        services.change_status(lcast.officer_a, licence, "revoke", "再次")
    assert again.value.code == "illegal_transition"


def test_an_officer_of_another_department_cannot_change_a_licence_status(lcast):
    licence = issue_to_citizen(lcast)
    for user in (lcast.officer_b, lcast.base.approver_a, lcast.citizen):
        with pytest.raises(PermissionDenied) as caught:
            services.change_status(user, licence, "revoke", "理由")
        assert caught.value.code == "licence_status_not_allowed"
    licence.refresh_from_db()
    assert licence.status == "valid"


def test_the_transition_table_prints_every_action():
    text = states.table()
    for action in ("revoke", "cancel", "withdraw", "invalidate"):
        assert action in text


# --- share links ---------------------------------------------------------------------------------


def test_the_holder_shares_a_time_limited_link_that_stops_working_when_revoked(lcast):
    licence = issue_to_citizen(lcast)
    made = services.create_share_link(lcast.citizen, licence, hours=24)
    assert services.open_share_link(made.token).licence == licence
    assert made.token not in made.link.token_digest
    services.revoke_share_link(lcast.citizen, made.link)
    with pytest.raises(NotFound) as caught:
        services.open_share_link(made.token)
    assert caught.value.code == "share_link_not_found"


def test_a_share_link_expires(lcast):
    licence = issue_to_citizen(lcast)
    made = services.create_share_link(lcast.citizen, licence, hours=1)
    made.link.expires_at = timezone.now() - dt.timedelta(seconds=1)
    made.link.save(update_fields=["expires_at"])
    with pytest.raises(NotFound):
        services.open_share_link(made.token)


def test_only_the_holder_shares_for_a_sane_duration_and_only_a_valid_licence(lcast):
    licence = issue_to_citizen(lcast)
    for stranger in (lcast.base.other_citizen, lcast.officer_a):
        with pytest.raises(PermissionDenied):
            services.create_share_link(stranger, licence, hours=1)
    for hours in (0, 24 * 31, "abc"):
        with pytest.raises(ValidationFailed) as caught:
            services.create_share_link(lcast.citizen, licence, hours=hours)
        assert caught.value.code == "invalid_share_duration"
    services.change_status(lcast.officer_a, licence, "cancel", "持证人申请注销")
    with pytest.raises(Conflict):
        services.create_share_link(lcast.citizen, licence, hours=1)


def test_the_enterprise_agent_sees_and_shares_the_enterprise_licence(lcast):
    licence = issue_to_enterprise(lcast)
    assert licence in selectors.wallet(lcast.base.agent)
    assert licence not in selectors.wallet(lcast.citizen)
    assert services.create_share_link(lcast.base.agent, licence, hours=2).token


# --- 一证通办 ------------------------------------------------------------------------------------


@pytest.fixture
def case_of_citizen(lcast):
    return submit_online(
        lcast.citizen, lcast.base.item, form=full_form(), materials=all_materials()
    )


def test_a_clerk_fetches_the_applicants_licences_for_a_case_with_a_purpose(lcast, case_of_citizen):
    licence = issue_to_citizen(lcast)
    revoked = issue_to_citizen(lcast)
    services.change_status(lcast.officer_a, revoked, "revoke", "错误签发")
    found = services.fetch_for_case(
        lcast.base.reviewer_a,
        case_number=case_of_citizen.number,
        holder_id=decrypt_id_number(lcast.citizen.person),
        purpose="核验申请人经营资格",
    )
    assert found == [licence]
    use = LicenceUse.objects.get(licence=licence)
    assert use.case == case_of_citizen
    assert case_of_citizen.number in use.purpose
    [entry] = ledger_entries("personal_data.read", object_id=str(lcast.citizen.person.pk))
    assert entry.payload["licence_id"] == licence.licence_id
    assert entry.payload["purpose"].startswith("核验申请人经营资格")


def test_fetching_without_a_purpose_or_with_a_long_one_is_refused(lcast, case_of_citizen):
    issue_to_citizen(lcast)
    holder = decrypt_id_number(lcast.citizen.person)
    for purpose, code in (
        ("", "purpose_required"),
        ("   ", "purpose_required"),
        ("事" * 201, "purpose_too_long"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            services.fetch_for_case(
                lcast.base.reviewer_a,
                case_number=case_of_citizen.number,
                holder_id=holder,
                purpose=purpose,
            )
        assert caught.value.code == code
    assert not LicenceUse.objects.exists()


def test_a_clerk_of_another_department_cannot_fetch_licences_for_the_case(lcast, case_of_citizen):
    issue_to_citizen(lcast)
    with pytest.raises(PermissionDenied) as caught:
        services.fetch_for_case(
            lcast.base.reviewer_b,
            case_number=case_of_citizen.number,
            holder_id=decrypt_id_number(lcast.citizen.person),
            purpose="核验",
        )
    assert caught.value.code == "case_not_in_department"
    assert not LicenceUse.objects.exists()


def test_a_clerk_cannot_fetch_someone_elses_licences_through_a_case(lcast, case_of_citizen):
    issue_to_citizen(lcast, user=lcast.base.other_citizen)
    with pytest.raises(PermissionDenied) as caught:
        services.fetch_for_case(
            lcast.base.reviewer_a,
            case_number=case_of_citizen.number,
            holder_id=decrypt_id_number(lcast.base.other_citizen.person),
            purpose="核验",
        )
    assert caught.value.code == "holder_not_case_party"


def test_a_revoked_or_expired_licence_is_not_usable_as_material(lcast):
    licence = issue_to_citizen(lcast)
    services.require_usable(licence)
    licence.valid_until = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(Conflict) as expired:
        services.require_usable(licence)
    assert expired.value.code == "licence_expired"
    services.change_status(lcast.officer_a, licence, "withdraw", "违法经营")
    licence.refresh_from_db()
    with pytest.raises(Conflict) as revoked:
        services.require_usable(licence)
    assert revoked.value.code == "licence_revoked"


def test_a_type_can_be_switched_off_for_new_issuance(lcast):
    old = make_licence_type()
    old.is_active = False
    old.save()
    with pytest.raises(ValidationFailed) as caught:
        services.issue(
            licence_type=old,
            issuer=lcast.dept_a,
            content={"holder_name": "a", "shop_name": "b"},
            holder_person=lcast.citizen.person,
        )
    assert caught.value.code == "licence_type_inactive"
