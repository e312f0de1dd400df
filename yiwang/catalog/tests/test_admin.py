"""The system administrator maintains the catalogue in the admin site; the quality rules run
when he saves and their messages are shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from yiwang.accounts.tests.factories import login_as, make_department, make_staff
from yiwang.catalog.models import ItemStatus, ServiceItem
from yiwang.catalog.tests.factories import make_item

pytestmark = pytest.mark.django_db

ADD = "/admin/catalog/serviceitem/add/"
CHANGELIST = "/admin/catalog/serviceitem/"


@pytest.fixture
def admin_client(client: Client) -> Client:
    return login_as(client, make_staff(admin_duty="system"))


def form(department: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "base_code": "000110001000",
        "implementation_code": "000110001000" + department.uscc,
        "name": "食品经营许可",
        "item_type": "public_service",
        "level": "municipal",
        "department": department.pk,
        "region": department.region.pk,
        "handling_type": "promised",
        "legal_limit": 20,
        "promised_limit": 5,
        "limit_unit": "working_days",
        "for_persons": "on",
        "visits": 0,
        "online_depth": 4,
        "steps": "[]",
        "form_fields": "[]",
        "cross_region_modes": "[]",
        "consult_phone": "0579-88001234",
        "complaint_phone": "12345",
        "materials-TOTAL_FORMS": 1,
        "materials-INITIAL_FORMS": 0,
        "materials-MIN_NUM_FORMS": 0,
        "materials-MAX_NUM_FORMS": 1000,
        "materials-0-order": 1,
        "materials-0-key": "application",
        "materials-0-name": "申请书",
        "materials-0-material_type": "electronic",
        "materials-0-form": "either",
        "materials-0-required": "on",
        "materials-0-source_channel": "applicant",
        "materials-0-copies": 1,
        "materials-0-trust_level": "C",
    }
    data.update(overrides)
    return data


def test_the_system_administrator_adds_a_draft_item(admin_client):
    department = make_department()
    response = admin_client.post(ADD, form(department))
    assert response.status_code == 302, response.content.decode()[:2000]
    item = ServiceItem.objects.get()
    assert (item.status, item.version) == (ItemStatus.DRAFT, 1)
    assert "shipin" in item.search_text
    assert item.materials.get().name == "申请书"


def test_a_quality_failure_is_shown_on_the_form(admin_client):
    department = make_department()
    response = admin_client.post(
        ADD, form(department, item_type="licensing", complaint_phone="0579-88001234")
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "投诉电话不能与咨询电话相同" in text
    assert "行政许可事项的办理流程应至少包括" in text
    assert not ServiceItem.objects.exists()


def test_the_publish_action_publishes_a_draft(admin_client):
    draft = make_item(publish=False)
    response = admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ItemStatus.PUBLISHED


def test_a_published_version_is_read_only_in_the_admin(admin_client):
    item = make_item()
    response = admin_client.post(f"{CHANGELIST}{item.pk}/change/", {"name": "改名"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.name != "改名"


def test_other_staff_do_not_reach_the_catalogue_admin(client):
    login_as(client, make_staff(admin_duty="security"))
    assert client.get(CHANGELIST).status_code == 403
