"""The catalogue API: anyone reads the published catalogue; only the system administrator
imports."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from yiwang.accounts.tests.factories import login_as, make_citizen, make_staff
from yiwang.catalog import services, transfer
from yiwang.catalog.models import ServiceItem
from yiwang.catalog.tests.factories import make_item, material_data

pytestmark = pytest.mark.django_db

API = "/api/v1/catalog"


@pytest.fixture
def food():
    item = make_item(
        name="食品经营许可",
        keywords="餐饮",
        materials=[material_data(key="licence", name="营业执照", trust_level="A")],
    )
    other = make_item(name="营业执照遗失补领")
    services.create_or_update_bundle(
        None,
        {
            "code": "startup",
            "name": "开店一件事",
            "department_uscc": item.department.uscc,
            "members": [item.implementation_code, other.implementation_code],
        },
    )
    return item


@pytest.fixture
def sysadmin_client(client: Client) -> Client:
    return login_as(client, make_staff(admin_duty="system"))


def test_anyone_searches_the_catalogue(client, food):
    response = client.get(f"{API}/items", {"q": "canyin"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["items"][0]["name"] == "食品经营许可"


def test_filters_narrow_the_search(client, food):
    assert client.get(f"{API}/items", {"type": "licensing"}).json()["count"] == 0
    assert client.get(f"{API}/items", {"department": food.department.uscc}).json()["count"] == 1
    assert client.get(f"{API}/items", {"audience": "enterprise"}).json()["count"] == 0
    response = client.get(f"{API}/items", {"type": "magic"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_an_item_shows_its_materials_and_version(client, food):
    body = client.get(f"{API}/items/{food.implementation_code}").json()
    assert body["version"] == 1 and body["materials"][0]["trust_level"] == "A"
    assert body["process_key"] == food.implementation_code


def test_an_old_version_stays_readable(client, food):
    services.publish_item(
        None, services.draft_new_version(None, food.implementation_code, {"promised_limit": 2})
    )
    assert client.get(f"{API}/items/{food.implementation_code}").json()["version"] == 2
    old = client.get(f"{API}/items/{food.implementation_code}/versions/1").json()
    assert old["promised_limit"] == 5 and old["status"] == "superseded"


def test_an_unknown_or_draft_item_is_not_found(client, food):
    draft = make_item(publish=False)
    for code in ("NOPE", draft.implementation_code):
        response = client.get(f"{API}/items/{code}")
        assert response.status_code == 404
        assert response.json()["code"] == "item_not_found"


def test_bundles_list_and_merged_form(client, food):
    assert [b["code"] for b in client.get(f"{API}/bundles").json()] == ["startup"]
    body = client.get(f"{API}/bundles/startup").json()
    assert len(body["members"]) == 2
    assert [f["key"] for f in body["form"]["fields"]] == ["applicant_name"]  # asked once
    assert client.get(f"{API}/bundles/nope").status_code == 404


def test_export_json_and_xlsx_are_public_and_published_only(client, food):
    make_item(name="草稿事项", publish=False)
    document = json.loads(client.get(f"{API}/export").content)
    assert {i["name"] for i in document["items"]} == {"食品经营许可", "营业执照遗失补领"}
    response = client.get(f"{API}/export", {"format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["items", "materials", "bundles"]


def test_the_system_administrator_imports_json(sysadmin_client, food):
    document = transfer.catalogue_document()
    document["items"][0]["promised_limit"] = 1
    response = sysadmin_client.post(
        f"{API}/import", data=json.dumps(document), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["updated"] == [document["items"][0]["implementation_code"]]


def test_the_system_administrator_imports_xlsx(sysadmin_client, food):
    content = transfer.catalogue_xlsx()
    upload = SimpleUploadedFile(
        "catalogue.xlsx",
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response = sysadmin_client.post(f"{API}/import?format=xlsx", {"file": upload})
    assert response.status_code == 200, response.content
    assert len(response.json()["unchanged"]) == 2


def test_an_import_report_lists_the_errors(sysadmin_client, food):
    document = transfer.catalogue_document()
    document["items"][0]["charges"] = True
    body = sysadmin_client.post(
        f"{API}/import", data=json.dumps(document), content_type="application/json"
    ).json()
    assert body["ok"] is False and "收费依据" in body["errors"][0]["messages"][0]


def test_nobody_else_imports(client, food):
    document = json.dumps(transfer.catalogue_document())
    assert (
        client.post(f"{API}/import", data=document, content_type="application/json").status_code
        == 401
    )
    for user in (make_citizen(), make_staff(), make_staff(admin_duty="security")):
        response = login_as(Client(), user).post(
            f"{API}/import", data=document, content_type="application/json"
        )
        assert response.status_code == 403
        assert response.json()["code"] == "catalog_admin_only"
    assert ServiceItem.objects.count() == 2


def test_a_department_whose_uscc_is_all_digits_is_found_by_uscc(client):
    """A USCC may be 18 digits (the check character is a digit): it is not a database id."""
    from yiwang.accounts import services as account_services
    from yiwang.accounts.tests.factories import make_region
    from yiwang.core.identifiers import make_uscc

    body = next(
        f"{n:08d}"
        for n in range(10**7, 10**7 + 100)
        if make_uscc("1", "1", "330102", f"{n:08d}").isdigit()
    )
    uscc = make_uscc("1", "1", "330102", body)
    department = account_services.create_department(
        "全数字代码局", uscc, make_region("330102000000")
    )
    make_item(department=department, name="数字局事项")
    found = client.get(f"{API}/items", {"department": uscc}).json()
    assert found["count"] == 1 and found["items"][0]["name"] == "数字局事项"
