"""Authorisation matrix entries for the service catalogue (办事服务): the published catalogue is
public (pages and API); only the system administrator imports (三员分立: he maintains the
catalogue). The admin site's catalogue models are governed by the AdminSite entry
(matrix_admin.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.security.authz import (
    ANONYMOUS,
    SYSTEM_ADMIN,
    Case,
    Page,
    Public,
    Restricted,
    World,
)
from tests.security.authz.asserts import assert_no_leak, body, describe, send
from yiwang.accounts.tests.factories import make_department
from yiwang.catalog import services
from yiwang.catalog.models import Bundle, ServiceItem
from yiwang.catalog.tests.factories import item_data, make_item, material_data


def _catalogue(world: World) -> dict[str, Any]:
    """A published item (two versions) and a bundle; the URL parameters that reach them."""
    department = world.department("parent")
    first = make_item(department, name="食品经营许可")
    services.publish_item(None, services.draft_new_version(None, first.implementation_code))
    second = make_item(department, name="个体工商户登记")
    bundle, _created = services.create_or_update_bundle(
        None,
        {
            "code": "authz-bundle",
            "name": "开店一件事",
            "department_uscc": department.uscc,
            "members": [first.implementation_code, second.implementation_code],
        },
    )
    return {"code": first.implementation_code, "version": 1, "bundle": bundle.code}


class PublicObject(Public):
    """Public, for a URL with parameters: ``kwargs(world, catalogue)`` builds them from the
    objects ``_catalogue`` makes."""

    def __init__(
        self,
        selector: str | Sequence[str],
        *,
        kwargs: Callable[[dict[str, Any]], Mapping[str, Any]],
        note: str = "",
    ) -> None:
        super().__init__(selector, note=note)
        self.kwargs = kwargs

    def _url(self, case_endpoint: Any, world: World) -> str:
        cache = world.__dict__.setdefault("_catalog_objects", {})
        if "made" not in cache:
            cache["made"] = _catalogue(world)
        return case_endpoint.url(self.kwargs(cache["made"]))

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        url = self._url(case.endpoint, world)
        response = send(world.client(case.persona), case.method, url, api=case.endpoint.is_api)
        assert response.status_code == 200, f"{case}: expected 200, got {describe(response)}"
        assert_no_leak(body(response), world.foreign_secrets(case.persona), str(case))

    def page(self, world: World, endpoint: Any) -> Page | None:
        return Page(ANONYMOUS, self._url(endpoint, world))


def _import_document(world: World, persona: str) -> dict[str, Any]:
    department = make_department()
    data = item_data(department, name="授权矩阵导入事项")
    data["materials"] = [material_data()]
    return {"format": "yiwang.catalog", "version": 1, "items": [data], "bundles": []}


ENTRIES = [
    Public(
        ("catalog:index", "GET /api/v1/catalog/items", "GET /api/v1/catalog/bundles"),
        note="The published catalogue: anyone searches it.",
    ),
    Public("GET /api/v1/catalog/export", note="The published catalogue as JSON or XLSX."),
    PublicObject(
        ("catalog:item", "GET /api/v1/catalog/items/{code}"),
        kwargs=lambda made: {"code": made["code"]},
        note="A published item.",
    ),
    PublicObject(
        ("catalog:item_version", "GET /api/v1/catalog/items/{code}/versions/{version}"),
        kwargs=lambda made: {"code": made["code"], "version": made["version"]},
        note="A superseded version stays public (cases keep the version they were filed under).",
    ),
    PublicObject(
        ("catalog:bundle", "GET /api/v1/catalog/bundles/{code}"),
        kwargs=lambda made: {"code": made["bundle"]},
        note="A bundle (一件事) and its merged form.",
    ),
    Restricted(
        "POST /api/v1/catalog/import",
        allowed=(SYSTEM_ADMIN,),
        payloads={"POST": _import_document},
        counts=(ServiceItem, Bundle),
        note="Only the system administrator imports the catalogue.",
    ),
]
