"""Items and their versions: a case keeps the version it was filed under, so a change is a new
version; exactly one version is published at a time; every step is recorded."""

from __future__ import annotations

import pytest

from yiwang.accounts.tests.factories import ledger_entries, make_staff
from yiwang.catalog import selectors, services
from yiwang.catalog.models import ItemEvent, ItemStatus, ServiceItem
from yiwang.catalog.tests.factories import item_data, make_item, material_data
from yiwang.core.errors import Conflict, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_new_item_is_a_draft_until_published():
    item = make_item(publish=False)
    assert item.status == ItemStatus.DRAFT
    assert not selectors.published_items().exists()
    services.publish_item(None, item)
    assert selectors.get_published_item(item.implementation_code).pk == item.pk


def test_a_new_version_copies_the_materials_and_keeps_the_old_row():
    v1 = make_item(
        materials=[
            material_data(key="form", name="申请表"),
            material_data(key="licence", name="营业执照", trust_level="A"),
        ]
    )
    v2 = services.draft_new_version(None, v1.implementation_code, {"promised_limit": 3})
    assert v2.pk != v1.pk and v2.version == 2 and v2.status == ItemStatus.DRAFT
    assert [m.key for m in v2.materials.all()] == ["form", "licence"]
    assert [m.key for m in v1.materials.all()] == ["form", "licence"]
    services.publish_item(None, v2)
    v1.refresh_from_db()
    assert v1.status == ItemStatus.SUPERSEDED and v1.promised_limit == 5
    assert (
        ServiceItem.objects.filter(
            implementation_code=v1.implementation_code, status=ItemStatus.PUBLISHED
        )
        .get()
        .version
        == 2
    )
    assert selectors.get_item_version(v1.pk).promised_limit == 5


def test_only_one_draft_at_a_time():
    item = make_item()
    services.draft_new_version(None, item.implementation_code)
    with pytest.raises(Conflict) as caught:
        services.draft_new_version(None, item.implementation_code)
    assert caught.value.code == "draft_exists"


def test_a_published_version_cannot_be_edited():
    item = make_item()
    with pytest.raises(Conflict):
        services.update_draft(None, item, {"name": "改名"})


def test_a_draft_can_be_edited_and_its_materials_replaced():
    item = make_item(publish=False)
    services.update_draft(None, item, {"name": "营业执照遗失补办"}, [material_data(key="notice")])
    item.refresh_from_db()
    assert item.name == "营业执照遗失补办"
    assert "yingyezhizhao" in item.search_text
    assert [m.key for m in item.materials.all()] == ["notice"]


def test_the_implementation_code_is_unique_across_items():
    item = make_item()
    data = item_data(implementation_code=item.implementation_code)
    with pytest.raises(Conflict) as caught:
        services.create_item(None, data)
    assert caught.value.code == "item_exists"


def test_duplicate_material_keys_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        services.create_item(None, item_data(), [material_data(key="a"), material_data(key="a")])
    assert any(i["code"] == "duplicate_material" for i in caught.value.details["issues"])


def test_suspend_resume_and_retire():
    item = make_item()
    services.suspend_item(None, item, "系统升级")
    with pytest.raises(NotFound):  # not open for applications while suspended
        selectors.get_published_item(item.implementation_code)
    services.resume_item(None, item)
    services.retire_item(None, item, "事项取消")
    item.refresh_from_db()
    assert item.status == ItemStatus.RETIRED
    with pytest.raises(Conflict):
        services.suspend_item(None, item, "再次暂停")


def test_every_step_is_recorded_with_its_actor_in_events_and_the_ledger():
    admin = make_staff(admin_duty="system")
    item = services.create_item(admin, item_data(), [material_data()])
    services.publish_item(admin, item)
    kinds = list(ItemEvent.objects.filter(item=item).values_list("kind", flat=True))
    assert kinds == ["drafted", "published"]
    assert ItemEvent.objects.filter(item=item, actor=admin).count() == 2
    entries = ledger_entries("catalog.item_published")
    assert entries and entries[-1].actor == f"user:{admin.pk}"
