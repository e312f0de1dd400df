"""一件事: several items, one merged form where a shared field is asked once."""

from __future__ import annotations

import pytest

from yiwang.catalog import selectors, services
from yiwang.catalog.tests.factories import make_item, material_data
from yiwang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

NAME = {"key": "newborn_name", "label": "新生儿姓名", "type": "text", "required": False}
BIRTH = {"key": "birth_date", "label": "出生日期", "type": "date"}


@pytest.fixture
def newborn():
    certificate = make_item(
        name="出生医学证明签发",
        form_fields=[NAME, BIRTH],
        materials=[
            material_data(
                key="certificate",
                name="出生医学证明",
                trust_level="A",
                shared_dataset="birth_medical_certificate",
            )
        ],
    )
    hukou = make_item(
        name="出生登记",
        form_fields=[
            {**NAME, "required": True, "label": "姓名"},
            BIRTH,
            {"key": "hukou_address", "label": "户籍地址", "type": "text"},
        ],
        materials=[material_data(key="hukou", name="居民户口簿", shared_dataset="hukou")],
    )
    bundle, created = services.create_or_update_bundle(
        None,
        {
            "code": "newborn",
            "name": "新生儿出生一件事",
            "department_uscc": certificate.department.uscc,
            "members": [certificate.implementation_code, hukou.implementation_code],
        },
    )
    assert created
    return bundle


def test_a_field_shared_by_two_items_is_asked_once(newborn):
    spec = selectors.form_spec_for_bundle(newborn)
    assert [f.key for f in spec.fields] == ["newborn_name", "birth_date", "hukou_address"]


def test_a_shared_field_is_required_when_any_member_requires_it(newborn):
    spec = selectors.form_spec_for_bundle(newborn)
    assert spec.field("newborn_name").required is True
    assert spec.field("newborn_name").label == "新生儿姓名"  # the first member's label


def test_materials_stay_per_item_in_member_order(newborn):
    spec = selectors.form_spec_for_bundle(newborn)
    assert [(m.name, m.shared_dataset) for m in spec.materials] == [
        ("出生医学证明", "birth_medical_certificate"),
        ("居民户口簿", "hukou"),
    ]
    codes = [m.implementation_code for m in newborn.members.all()]
    assert [m.item_code for m in spec.materials] == codes


def test_a_bundle_uses_the_current_published_version_of_each_member(newborn):
    first = newborn.members.first()
    v2 = services.draft_new_version(None, first.implementation_code, {"promised_limit": 1})
    services.publish_item(None, v2)
    assert selectors.bundle_items(newborn)[0].pk == v2.pk


def test_updating_a_bundle_replaces_its_members(newborn):
    third = make_item(name="社会保障卡申领")
    codes = [m.implementation_code for m in newborn.members.all()]
    _bundle, created = services.create_or_update_bundle(
        None, {"code": "newborn", "members": [*codes, third.implementation_code]}
    )
    assert not created
    assert newborn.members.count() == 3
    assert selectors.search_bundles("社会保障卡").get() == newborn  # members' names are searchable


def test_a_bundle_needs_two_published_members(newborn):
    lonely = make_item()
    with pytest.raises(ValidationFailed) as caught:
        services.create_or_update_bundle(
            None,
            {
                "code": "lonely",
                "name": "单个",
                "department_uscc": lonely.department.uscc,
                "members": [lonely.implementation_code],
            },
        )
    assert caught.value.code == "bundle_too_small"
    draft = make_item(publish=False)
    with pytest.raises(ValidationFailed) as caught:
        services.create_or_update_bundle(
            None,
            {
                "code": "draft",
                "name": "含草稿",
                "department_uscc": lonely.department.uscc,
                "members": [lonely.implementation_code, draft.implementation_code],
            },
        )
    assert caught.value.code == "unknown_member"


def test_equivalent_items_share_the_base_code_in_other_regions():
    here = make_item(
        base_code="000110008000",
        implementation_code="000110008000A",
        cross_region_modes=["online", "proxy"],
    )
    from yiwang.accounts.tests.factories import make_department

    elsewhere = make_item(
        make_department(region="440305000000"),
        base_code="000110008000",
        implementation_code="000110008000B",
    )
    unrelated = make_item(make_department(region="440305000000"))
    assert list(selectors.equivalent_items(here)) == [elsewhere]
    assert unrelated not in selectors.equivalent_items(elsewhere)
