"""Persons: encrypted ID numbers, blind-index lookup, access records; enterprises and agents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from yiwang.accounts import selectors, services
from yiwang.accounts.models import EnterpriseAgent, Person, Role
from yiwang.accounts.tests.factories import (
    ledger_entries,
    make_citizen,
    make_department,
    make_person,
    make_region,
    make_staff,
    random_id_number,
)
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import make_uscc

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


def _raw_row(person: Person) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number_encrypted, id_number_index, name FROM accounts_person WHERE id = %s",
            [person.pk],
        )
        return cursor.fetchone()


def test_it_never_stores_the_id_number_in_plain_text() -> None:
    person = services.register_person("测试人", ID_NUMBER)
    encrypted, index, _name = _raw_row(person)
    raw = bytes(encrypted)
    assert ID_NUMBER.encode() not in raw
    assert ID_NUMBER[:17].encode() not in raw
    assert ID_NUMBER not in index
    assert len(raw) == 12 + 18 + 16  # nonce || ciphertext || tag
    assert selectors.decrypt_id_number(person) == ID_NUMBER


def test_two_encryptions_of_the_same_number_differ_but_the_index_is_stable() -> None:
    first = services.register_person("甲", ID_NUMBER)
    encrypted_first = bytes(first.id_number_encrypted)
    index_first = first.id_number_index
    first.delete()
    second = services.register_person("甲", ID_NUMBER)
    assert bytes(second.id_number_encrypted) != encrypted_first
    assert second.id_number_index == index_first


def test_it_finds_a_person_by_id_number_through_the_blind_index() -> None:
    person = services.register_person("张三", ID_NUMBER)
    make_person()  # another one that must not match
    assert selectors.find_person_by_id_number(ID_NUMBER) == person
    assert selectors.find_person_by_id_number(ID_NUMBER.lower()) == person
    assert selectors.find_person_by_id_number(random_id_number()) is None


def test_it_refuses_a_second_registration_of_the_same_id_number() -> None:
    services.register_person("张三", ID_NUMBER)
    with pytest.raises(Conflict) as exc:
        services.register_person("张三丰", ID_NUMBER.lower())
    assert exc.value.code == "person_exists"
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("110105194912310021", "invalid_id_number_checksum"),
        ("11010519491331002X", "invalid_id_number_birth_date"),
        ("1101051949123100", "invalid_id_number_format"),
        ("", "invalid_id_number_format"),
    ],
)
def test_it_rejects_an_invalid_id_number(id_number: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.register_person("张三", id_number)
    assert exc.value.code == code
    assert exc.value.field == "id_number"


def test_a_ciphertext_moved_to_another_row_fails_authentication() -> None:
    from yiwang.core.crypto import CryptoError

    victim = services.register_person("甲", ID_NUMBER)
    other = make_person()
    Person.objects.filter(pk=other.pk).update(id_number_encrypted=victim.id_number_encrypted)
    other.refresh_from_db()
    with pytest.raises(CryptoError):
        selectors.decrypt_id_number(other)


def test_the_owner_sees_his_full_number_and_the_read_is_recorded() -> None:
    citizen = make_citizen()
    number = selectors.decrypt_id_number(citizen.person)
    assert services.reveal_id_number(citizen, citizen.person, "") == number
    entry = ledger_entries("personal_data.read")[-1]
    assert entry.payload["subject_person_id"] == citizen.person.pk
    assert entry.actor == f"user:{citizen.pk}"


def test_staff_in_scope_see_the_staff_mask_and_the_read_names_the_subject() -> None:
    region = make_region("330102001001")
    staff = make_staff(make_department(region="330102000000"), scope=Role.Scope.REGION_SUBTREE)
    person = make_person(region=region)
    number = selectors.decrypt_id_number(person)
    shown = services.reveal_id_number(staff, person, "办理户籍业务")
    assert shown == number[:6] + "********" + number[-4:]
    entry = ledger_entries("personal_data.read")[-1]
    assert entry.object_id == str(person.pk)
    assert entry.payload["subject_person_id"] == person.pk
    assert entry.payload["purpose"] == "办理户籍业务"
    assert entry.payload["full"] is False
    assert number not in entry.payload_json


def test_staff_need_a_purpose_to_see_someone_elses_number() -> None:
    staff = make_staff(make_department(region="330102000000"), scope=Role.Scope.REGION_SUBTREE)
    person = make_person(region="330102001001")
    with pytest.raises(ValidationFailed) as exc:
        services.reveal_id_number(staff, person, "  ")
    assert exc.value.code == "purpose_required"
    assert ledger_entries("personal_data.read") == []


def test_staff_outside_the_persons_region_get_not_found() -> None:
    staff = make_staff(make_department(region="330103000000"), scope=Role.Scope.REGION_SUBTREE)
    person = make_person(region="330102001001")
    with pytest.raises(NotFound):
        services.reveal_id_number(staff, person, "核验")


def test_a_calling_service_that_checked_access_may_reveal_outside_the_region_scope() -> None:
    clerk = make_staff(scope=Role.Scope.OWN_DEPARTMENT)
    person = make_person()
    shown = services.reveal_id_number(clerk, person, "受理办件", access_checked=True)
    assert "*" in shown


def test_only_a_role_with_the_capability_sees_the_full_number() -> None:
    department = make_department(region="330102000000")
    clerk = make_staff(
        department,
        scope=Role.Scope.REGION_SUBTREE,
        capabilities=("accounts.read_full_id_number",),
    )
    reviewer = make_staff(department, scope=Role.Scope.REGION_SUBTREE)
    person = make_person(region="330102001001")
    number = selectors.decrypt_id_number(person)
    assert services.reveal_id_number(clerk, person, "窗口核验", full=True) == number
    assert ledger_entries("personal_data.read")[-1].payload["full"] is True
    with pytest.raises(PermissionDenied):
        services.reveal_id_number(reviewer, person, "窗口核验", full=True)


def test_a_citizen_cannot_see_another_citizens_number() -> None:
    citizen = make_citizen()
    other = make_person()
    with pytest.raises(NotFound):
        services.reveal_id_number(citizen, other, "好奇")


def _uscc(n: int) -> str:
    return make_uscc("9", "1", "330102", f"MA{n:06d}")


def test_it_creates_an_enterprise_with_a_valid_uscc_and_refuses_a_duplicate() -> None:
    region = make_region("330102001000")
    legal = make_person()
    enterprise = services.create_enterprise("测试有限公司", _uscc(1), legal, region)
    assert enterprise.legal_representative == legal
    with pytest.raises(Conflict) as exc:
        services.create_enterprise("另一家公司", _uscc(1), legal, region)
    assert exc.value.code == "enterprise_exists"
    with pytest.raises(ValidationFailed) as exc2:
        services.create_enterprise("坏代码公司", _uscc(2)[:-1] + "0", legal, region)
    assert exc2.value.code.startswith("invalid_uscc")


def test_only_the_legal_representative_adds_agents_and_a_removed_agent_can_return() -> None:
    region = make_region("330102001000")
    boss = make_citizen()
    stranger = make_citizen()
    agent_person = make_person()
    enterprise = services.create_enterprise("示例公司", _uscc(3), boss.person, region)
    with pytest.raises(PermissionDenied):
        services.add_agent(enterprise, agent_person, by=stranger)
    agent = services.add_agent(enterprise, agent_person, by=boss, valid_until=dt.date(2030, 1, 1))
    with pytest.raises(Conflict):
        services.add_agent(enterprise, agent_person, by=boss)
    services.remove_agent(agent, by=boss)
    assert not EnterpriseAgent.objects.get(pk=agent.pk).is_active
    again = services.add_agent(enterprise, agent_person, by=boss)
    assert again.pk == agent.pk and again.is_active
    assert len(ledger_entries("accounts.enterprise_agent.added")) == 2


def test_a_citizen_sees_the_enterprises_he_represents_or_acts_for() -> None:
    region = make_region("330102001000")
    boss = make_citizen()
    helper = make_citizen()
    outsider = make_citizen()
    enterprise = services.create_enterprise("可见公司", _uscc(4), boss.person, region)
    services.add_agent(enterprise, helper.person, by=boss)
    assert list(selectors.enterprises_visible_to(boss)) == [enterprise]
    assert list(selectors.enterprises_visible_to(helper)) == [enterprise]
    assert list(selectors.enterprises_visible_to(outsider)) == []
    with pytest.raises(NotFound):
        selectors.get_enterprise_for_user(outsider, enterprise.pk)
