"""Public catalogue pages (办事服务): search, an item with every national field, a bundle
(一件事) with its merged form. Anyone may read them; they work without JavaScript."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yiwang.catalog import selectors
from yiwang.catalog.forms import SearchForm
from yiwang.catalog.models import (
    CrossRegionMode,
    ItemType,
    LimitUnit,
    OnlineDepth,
    ServiceItem,
)
from yiwang.core.errors import NotFound

PAGE_SIZE = 20


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _limit(amount: int, unit: str) -> str:
    if amount == 0:
        return _("即办")
    return f"{amount} {LimitUnit(unit).label}"


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _audience(item: ServiceItem) -> str:
    parts = []
    if item.for_persons:
        parts.append(_("自然人"))
    if item.for_enterprises:
        parts.append(_("法人"))
    return "、".join(parts) or "—"


def _field_rows(item: ServiceItem) -> list[tuple[str, str]]:
    """Every national field, labelled in Chinese, in the schema's order."""

    def label(name: str) -> str:
        return str(ServiceItem._meta.get_field(name).verbose_name)

    rows = [
        (label("name"), item.name),
        (label("base_code"), item.base_code),
        (label("implementation_code"), item.implementation_code),
        (label("business_code"), item.business_code or "—"),
        (label("item_type"), str(ItemType(item.item_type).label)),
        (label("level"), str(item.get_level_display())),
        (label("department"), item.department.name),
        (_("实施主体统一社会信用代码"), item.department.uscc),
        (label("region"), item.region.name),
        (label("handling_type"), str(item.get_handling_type_display())),
        (label("legal_limit"), _limit(item.legal_limit, item.limit_unit)),
        (label("promised_limit"), _limit(item.promised_limit, item.limit_unit)),
        (_("服务对象"), _audience(item)),
        (label("visits"), str(item.visits)),
        (label("visit_reason"), item.visit_reason or "—"),
        (label("online_depth"), str(OnlineDepth(item.online_depth).label)),
        (label("charges"), _yes_no(item.charges)),
        (label("fee_basis"), item.fee_basis or "—"),
        (label("fee_description"), item.fee_description or "—"),
        (label("result_name"), item.result_name or "—"),
        (label("result_type"), item.result_type or "—"),
        (label("result_sample"), item.result_sample or "—"),
        (label("consult_phone"), item.consult_phone or "—"),
        (label("complaint_phone"), item.complaint_phone or "—"),
        (label("version"), str(item.version)),
        (label("status"), str(item.get_status_display())),
    ]
    return rows


def _diagram(item: ServiceItem) -> SafeString | None:
    """The process diagram from the workflow engine, when it has a definition for the item."""
    try:
        from yiwang.workflow import bpmn
        from yiwang.workflow import selectors as workflow_selectors

        definition = workflow_selectors.active_definition(item.effective_process_key)
        # diagram_svg escapes every name it draws (the workflow contract: "safe SVG").
        # ElementTree builds it, so every name is escaped (tested in workflow/tests).
        return mark_safe(bpmn.diagram_svg(definition))  # noqa: S308  # nosec B308 B703
    except (ImportError, AttributeError, NotFound):
        return None


def _item_page(request: HttpRequest, item: ServiceItem, *, current: bool) -> HttpResponse:
    equivalents = list(selectors.equivalent_items(item)) if current else []
    context = {
        "item": item,
        "rows": _field_rows(item),
        "materials": list(item.materials.all()),
        "steps": [s if isinstance(s, dict) else {"name": str(s)} for s in item.steps or []],
        "modes": [CrossRegionMode(m).label for m in item.cross_region_modes or []],
        "equivalents": equivalents,
        "bundles": list(selectors.bundles_with_item(item)) if current else [],
        "versions": selectors.item_versions(item.implementation_code),
        "apply_url": _url("cases:apply_item", item.implementation_code) if current else None,
        "diagram": _diagram(item),
        "current": current,
    }
    return render(request, "catalog/item.html", context)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    query = ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        filters = {
            "department": form.cleaned_data["department"],
            "item_type": form.cleaned_data["type"] or None,
            "audience": form.cleaned_data["audience"] or None,
        }
    items = selectors.search_items(query, **filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    bundles = list(selectors.search_bundles(query)) if not any(filters.values()) else []
    return render(
        request,
        "catalog/index.html",
        {
            "form": form,
            "query": query,
            "page_obj": page,
            "bundles": bundles,
            "searched": bool(query or any(filters.values())),
        },
    )


@require_GET
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        item = selectors.get_published_item(code)
    except NotFound:
        raise Http404(_("没有找到该事项。")) from None
    return _item_page(request, item, current=True)


@require_GET
def item_version(request: HttpRequest, code: str, version: int) -> HttpResponse:
    try:
        item = selectors.get_item_by_version(code, version)
    except NotFound:
        raise Http404(_("没有找到该事项版本。")) from None
    return _item_page(request, item, current=item.status == "published")


@require_GET
def bundle_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        bundle = selectors.get_bundle(code)
    except NotFound:
        raise Http404(_("没有找到该“一件事”。")) from None
    items = selectors.bundle_items(bundle)
    spec = selectors.form_spec_for_bundle(bundle)
    names = {i.implementation_code: i.name for i in items}
    return render(
        request,
        "catalog/bundle.html",
        {
            "bundle": bundle,
            "items": items,
            "spec": spec,
            "materials": [(names.get(m.item_code, m.item_code), m) for m in spec.materials],
            "apply_url": _url("cases:apply_bundle", bundle.code),
        },
    )
