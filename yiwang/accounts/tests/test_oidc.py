"""OIDC sign-in with the province identity service: claim mapping, without any network."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from yiwang.accounts import selectors, services
from yiwang.accounts.models import Person, User
from yiwang.accounts.oidc import ProvinceOIDCBackend
from yiwang.accounts.tests.factories import ledger_entries, make_person, random_id_number
from yiwang.core.errors import Conflict

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


class OfflineBackend(ProvinceOIDCBackend):
    """The real backend with the provider's userinfo call replaced by fixed claims."""

    def __init__(self, claims: dict[str, Any]) -> None:
        super().__init__()
        self.claims = claims

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict:
        return self.claims


def _claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "prov-0001", "id_card_no": ID_NUMBER, "name": "王小明", **extra}


def test_a_first_sign_in_creates_a_citizen_linked_to_a_new_person() -> None:
    user = OfflineBackend(_claims()).get_or_create_user("access", "id", {})
    assert user.kind == User.Kind.PERSON
    assert user.display_name == "王小明"
    assert user.external_subject == "prov-0001"
    assert not user.has_usable_password()
    person = selectors.find_person_by_id_number(ID_NUMBER)
    assert person.user == user and person.name == "王小明"
    assert person.realname_level == Person.RealNameLevel.BASIC
    assert ID_NUMBER not in user.username
    assert len(ledger_entries("auth.oidc_user_created")) == 1


def test_a_second_sign_in_finds_the_same_user_by_id_number() -> None:
    first = OfflineBackend(_claims()).get_or_create_user("a", "i", {})
    second = OfflineBackend(_claims(sub="prov-0001", name="王晓明")).get_or_create_user(
        "a", "i", {}
    )
    assert second == first
    second.refresh_from_db()
    assert second.display_name == "王晓明"
    assert User.objects.count() == 1


def test_a_walk_in_person_gets_his_account_on_first_sign_in() -> None:
    walk_in = make_person("赵六", id_number=ID_NUMBER)
    user = ProvinceOIDCBackend().create_user(_claims())
    walk_in.refresh_from_db()
    assert walk_in.user == user
    assert Person.objects.count() == 1


def test_claims_without_an_id_number_match_by_subject() -> None:
    backend = ProvinceOIDCBackend()
    user = backend.create_user({"sub": "prov-0002", "name": "无证号"})
    assert list(backend.filter_users_by_claims({"sub": "prov-0002"})) == [user]
    assert list(backend.filter_users_by_claims({"sub": "prov-9999"})) == []
    assert not Person.objects.exists()


def test_claims_are_verified() -> None:
    backend = ProvinceOIDCBackend()
    assert backend.verify_claims(_claims())
    assert backend.verify_claims({"sub": "x"})
    assert not backend.verify_claims({"id_card_no": ID_NUMBER})
    assert not backend.verify_claims(_claims(id_card_no="110105194912310021"))
    assert list(backend.filter_users_by_claims(_claims(id_card_no="bad"))) == []


@override_settings(YIWANG_OIDC_ID_NUMBER_CLAIM="idCardNumber", YIWANG_OIDC_NAME_CLAIM="realName")
def test_claim_names_are_configurable() -> None:
    number = random_id_number()
    person = make_person("钱七", id_number=number)
    backend = ProvinceOIDCBackend()
    claims = {"sub": "s-1", "idCardNumber": number, "realName": "钱七"}
    user = backend.create_user(claims)
    assert list(backend.filter_users_by_claims(claims)) == [user]
    person.refresh_from_db()
    assert person.user == user and user.display_name == "钱七"


def test_a_person_who_already_has_an_account_is_not_given_a_second_one() -> None:
    OfflineBackend(_claims()).get_or_create_user("a", "i", {})
    with pytest.raises(Conflict) as exc:
        services.create_oidc_user(subject="other-sub", name="冒名", id_number=ID_NUMBER)
    assert exc.value.code == "person_has_account"
