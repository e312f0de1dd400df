"""The demo catalogue: enough realistic items, the three bundles, and idempotent seeding."""

from __future__ import annotations

import pytest
from django.test import override_settings

from yiwang.accounts import demo as accounts_demo
from yiwang.catalog import selectors
from yiwang.catalog.demo import catalogue_document, process_specs, seed_catalog
from yiwang.catalog.models import Bundle, ItemStatus, ServiceItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    with override_settings(YIWANG_DEMO=True):
        accounts_demo.seed_demo()
        first = seed_catalog()
        yield first


def test_the_demo_catalogue_has_forty_items_across_eight_departments(seeded):
    published = ServiceItem.objects.filter(status=ItemStatus.PUBLISHED)
    assert published.count() >= 40
    assert published.values("department").distinct().count() >= 8
    assert seeded["catalogue items"] == published.count()


def test_seeding_twice_changes_nothing(seeded):
    rows = ServiceItem.objects.count()
    with override_settings(YIWANG_DEMO=True):
        again = seed_catalog()
    assert again.get("catalogue items", 0) == 0
    assert ServiceItem.objects.count() == rows


def test_the_newborn_bundle_spans_four_departments_each_with_its_own_limit(seeded):
    bundle = selectors.get_bundle("newborn")
    items = selectors.bundle_items(bundle)
    assert bundle.name == "新生儿出生一件事"
    assert len({i.department_id for i in items}) == 4
    assert len({i.promised_limit for i in items}) == 4


def test_the_newborn_form_asks_shared_fields_once_and_takes_materials_from_shared_data(seeded):
    spec = selectors.form_spec_for_bundle(selectors.get_bundle("newborn"))
    keys = [f.key for f in spec.fields]
    assert len(keys) == len(set(keys))
    assert {"newborn_name", "birth_date", "applicant_name", "applicant_id_number"} <= set(keys)
    first = spec.materials[0]
    assert first.name == "出生医学证明"
    assert first.shared_dataset == "birth_medical_certificate"
    assert any(m.name == "居民户口簿" and m.shared_dataset == "hukou" for m in spec.materials)


def test_the_demo_has_the_startup_and_retirement_bundles_and_the_named_items(seeded):
    assert set(Bundle.objects.values_list("name", flat=True)) >= {
        "新生儿出生一件事",
        "企业开办一件事",
        "退休一件事",
    }
    food = selectors.search_items("食品经营许可").first()
    assert (food.legal_limit, food.promised_limit) == (20, 5)
    assert selectors.search_items("个体工商户登记").count() == 3


def test_individual_business_registration_is_equivalent_across_districts(seeded):
    item = selectors.search_items("个体工商户登记").filter(name="个体工商户登记（东湖区）").get()
    others = selectors.equivalent_items(item)
    assert others.count() == 2
    assert "online" in item.cross_region_modes


def test_every_item_has_a_process_and_food_business_has_an_all_sign_stage():
    specs = process_specs()
    document = catalogue_document()
    assert set(specs) == {i["implementation_code"] for i in document["items"]}
    food = next(spec for name, spec in specs.values() if name == "食品经营许可")
    assert any(stage["mode"] == "all" for stage in food["stages"])
    elderly = next(spec for name, spec in specs.values() if name == "老年人优待证办理")
    assert elderly["auto_approval"]["enabled"]
