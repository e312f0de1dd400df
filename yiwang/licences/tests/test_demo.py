"""The demo e-licences: the catalogue's licence types with sources that fit the demo items, the
signed licences of the demo world (one revoked, one expired), idempotent seeding, and the approver
role's licence capabilities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from yiwang.accounts import demo as accounts_demo
from yiwang.accounts.models import Enterprise, Role, User
from yiwang.accounts.tests.factories import ledger_entries
from yiwang.cases import shared
from yiwang.cases.services.base import staff_can
from yiwang.catalog.demo import LICENCE_TYPES, seed_catalog
from yiwang.catalog.models import ItemStatus, ServiceItem
from yiwang.core.demo import registered_seeders
from yiwang.licences import selectors, verification
from yiwang.licences.demo import TYPES, seed_licences
from yiwang.licences.models import HolderKind, Licence, LicenceStatus, LicenceType

pytestmark = pytest.mark.django_db

SOURCES = ("applicant.", "enterprise.", "case.", "item.", "issuer.", "form.")


@pytest.fixture
def seeded():
    with override_settings(YIWANG_DEMO=True):
        accounts_demo.seed_demo()
        seed_catalog()
        yield seed_licences()


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _verifies(licence: Licence) -> str:
    """The verdict on the licence's signed document (signature, registry, status)."""
    document = selectors.document_of(licence)
    return verification.verify_document(document, bytes(licence.signature)).result


def test_the_seeder_runs_after_the_catalogue_and_before_the_demo_cases():
    order = registered_seeders()
    assert order.index("catalog") < order.index("licences") < order.index("cases")


def test_every_licence_type_of_the_demo_catalogue_is_registered(seeded):
    assert seeded["licence types"] == len(LICENCE_TYPES) == len(TYPES)
    registered = dict(LicenceType.objects.filter(is_active=True).values_list("key", "code"))
    assert registered == LICENCE_TYPES
    assert LicenceType.objects.get(key="hukou").name == "居民户口簿"
    for licence_type in LicenceType.objects.all():
        for field in licence_type.fields:
            source = field.get("source", "")
            assert source in ("today",) or source.startswith((*SOURCES, "const:")), field


def test_validity_follows_the_type(seeded):
    years = dict(LicenceType.objects.values_list("key", "validity_years"))
    assert years["business_licence"] is None  # 长期
    assert years["food_licence"] == 5
    assert years["social_security_card"] == 10
    assert years["marriage_certificate"] is None


def test_the_birth_registration_issues_a_household_register(seeded):
    item = ServiceItem.objects.get(name="出生登记", status=ItemStatus.PUBLISHED)
    assert item.result_licence_type == LICENCE_TYPES["hukou"]


def test_each_item_that_issues_a_licence_gives_the_content_its_type_requires(seeded):
    """A required ``form.<key>`` source names a field of every item issuing that type (one that
    the applicant must fill or that is filled for him); person types fit every such item,
    enterprise types every item an enterprise applies for."""
    items = ServiceItem.objects.filter(status=ItemStatus.PUBLISHED).exclude(result_licence_type="")
    checked = 0
    for item in items:
        licence_type = LicenceType.objects.get(code=item.result_licence_type)
        if licence_type.holder_kind == HolderKind.ENTERPRISE and not item.for_enterprises:
            continue  # 个体工商户登记: no enterprise on the case, the department issues by hand
        fields = {f["key"]: f for f in item.form_fields}
        for spec in licence_type.fields:
            source = spec.get("source", "")
            if not (spec["required"] and source.startswith("form.")):
                continue
            key = source.removeprefix("form.")
            assert key in fields, f"{item.name}: {licence_type.name} needs the form field {key}"
            assert fields[key].get("required", True) or fields[key].get("source")
            checked += 1
    assert checked >= 15


def test_zhangwei_holds_a_signed_marriage_certificate_usable_for_the_birth_registration(seeded):
    zhangwei = _user("zhangwei")
    [marriage] = [
        lic for lic in selectors.wallet(zhangwei) if lic.type.key == "marriage_certificate"
    ]
    assert marriage.issuer.short_name == "市民政局"
    assert marriage.status == LicenceStatus.VALID and marriage.valid_until is None
    assert _verifies(marriage) == verification.VALID
    assert selectors.document_of(marriage)["content"]["spouse_name"] == "李娜"
    birth_registration = ServiceItem.objects.get(name="出生登记", status=ItemStatus.PUBLISHED)
    material = birth_registration.materials.get(key="marriage")
    options = shared.licence_options(zhangwei.person, None, [material.licence_type])
    assert options == {
        material.licence_type: [(marriage.licence_id, f"结婚证 {marriage.licence_id}")]
    }
    # His wife holds her own.
    assert selectors.wallet(_user("lina")).filter(type__key="marriage_certificate").count() == 1


def test_the_restaurant_holds_its_business_licence_and_its_food_licence(seeded):
    restaurant = Enterprise.objects.get(name="示范市湖滨餐饮管理有限公司")
    business = Licence.objects.get(holder_enterprise=restaurant, type__key="business_licence")
    food = Licence.objects.get(holder_enterprise=restaurant, type__key="food_licence")
    assert business.valid_until is None
    assert food.valid_until.year - food.valid_from.year == 5
    for licence in (business, food):
        assert licence.issuer.short_name == "市市场监管局"
        assert _verifies(licence) == verification.VALID
    content = selectors.document_of(business)["content"]
    assert content["legal_representative"] == "刘洋"
    assert content["uscc"] == restaurant.uscc and content["business_scope"]
    # The legal representative and the agent see them in their wallets.
    for username in ("liuyang", "wangfang"):
        assert {business, food} <= set(selectors.wallet(_user(username)))
    # Every demo enterprise has its 营业执照.
    assert (
        Licence.objects.filter(type__key="business_licence").count() == Enterprise.objects.count()
    )


def test_a_revoked_and_an_expired_licence_are_in_zhangweis_wallet_for_the_verification_demo(seeded):
    wallet = list(selectors.wallet(_user("zhangwei")))
    [revoked] = [lic for lic in wallet if lic.status == LicenceStatus.REVOKED]
    assert revoked.type.key == "food_licence" and revoked.status_reason
    assert verification.verify_reference(revoked.licence_id).result == verification.REVOKED
    [expired] = [
        lic
        for lic in wallet
        if lic.valid_until is not None and lic.valid_until < timezone.localdate()
    ]
    assert expired.type.key == "residence_permit" and expired.status == LicenceStatus.VALID
    assert verification.verify_reference(expired.licence_id).result == verification.EXPIRED
    assert expired.valid_until - expired.valid_from == dt.timedelta(days=364)


def test_seeding_again_creates_nothing(seeded):
    counts = (LicenceType.objects.count(), Licence.objects.count())
    with override_settings(YIWANG_DEMO=True):
        assert seed_licences() == {}
    assert (LicenceType.objects.count(), Licence.objects.count()) == counts


def test_seeding_brings_a_changed_licence_type_back_to_the_demo_definition(seeded):
    LicenceType.objects.filter(key="food_licence").update(validity_years=3, fields=[])
    with override_settings(YIWANG_DEMO=True):
        assert seed_licences() == {"licence types updated": 1}
    food = LicenceType.objects.get(key="food_licence")
    assert food.validity_years == 5 and food.fields


def test_the_approver_may_issue_and_manage_licences_even_in_an_older_demo_database(seeded):
    approver = _user("approver.wjw")
    wjw = approver.staff_roles.get().department
    assert staff_can(approver, ("licences.issue",), wjw)
    assert staff_can(approver, ("licences.manage",), wjw)
    # A database seeded before the approver role had them gets them when seeded again.
    role = Role.objects.get(code="approver")
    role.capabilities = ["cases.approve", "cases.review"]
    role.save()
    with override_settings(YIWANG_DEMO=True):
        result = accounts_demo.seed_demo()
    role.refresh_from_db()
    assert {"licences.issue", "licences.manage"} <= set(role.capabilities)
    assert result.created == {"role capabilities": 1}
    [entry] = ledger_entries("accounts.role.capabilities_added")
    assert entry.payload["added"] == ["licences.issue", "licences.manage"]


def test_nothing_is_seeded_outside_demo_mode(db):
    with override_settings(YIWANG_DEMO=False):
        assert seed_licences() == {}
    assert not LicenceType.objects.exists()
