"""Reads of the catalogue. The published catalogue is public: anyone may read it, so these
selectors take no user; drafts, superseded and retired versions are reached only by id (a case
keeps the version it was filed under) or through the admin site."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.catalog.models import Bundle, ItemStatus, Material, ServiceItem
from yiwang.catalog.search import search_q
from yiwang.core.errors import NotFound

AUDIENCES = ("person", "enterprise")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str = "text"
    required: bool = True
    choices: list[Any] = field(default_factory=list)
    source: str = ""


@dataclass(frozen=True)
class MaterialSpec:
    item_code: str
    key: str
    name: str
    required: bool
    trust_level: str
    licence_type: str = ""
    shared_dataset: str = ""
    deficiency_allowed: bool = False
    commitment_allowed: bool = False
    description: str = ""


@dataclass(frozen=True)
class FormSpec:
    fields: list[FieldSpec] = field(default_factory=list)
    materials: list[MaterialSpec] = field(default_factory=list)

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)


def published_items() -> QuerySet[ServiceItem]:
    return (
        ServiceItem.objects.filter(status=ItemStatus.PUBLISHED)
        .select_related("department", "region")
        .order_by("name", "implementation_code")
    )


def _with_materials(qs: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
    return qs.prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("order")))


# Published versions by 实施编码, with their materials, kept per process: applications read
# their item on every submission, and a published version never changes (only drafts are
# edited; a change is a new version). Each use is checked against the database with one
# indexed lookup of (id, updated_at), so a newly published, suspended or retired version is seen
# at once by every process; saving an item or a material in this process also empties it.
_PUBLISHED: dict[str, ServiceItem] = {}
_PUBLISHED_LIMIT = 2000


def forget_published_items(**_kwargs: Any) -> None:
    _PUBLISHED.clear()


def get_published_item(implementation_code: str) -> ServiceItem:
    """The current published version of the item (NotFound when none), with its materials.

    The caller gets its own copy of the item (its materials list is shared and read-only)."""
    current = (
        ServiceItem.objects.filter(
            implementation_code=implementation_code, status=ItemStatus.PUBLISHED
        )
        .values_list("pk", "updated_at")
        .first()
    )
    if current is None:
        raise NotFound("item_not_found", _("没有找到该事项，或该事项当前不可办理。"))
    item = _PUBLISHED.get(implementation_code)
    if item is None or (item.pk, item.updated_at) != current:
        item = _with_materials(published_items()).filter(pk=current[0]).first()
        if item is None:  # retired between the two reads
            raise NotFound("item_not_found", _("没有找到该事项，或该事项当前不可办理。"))
        if len(_PUBLISHED) >= _PUBLISHED_LIMIT:
            _PUBLISHED.clear()
        _PUBLISHED[implementation_code] = item
    return copy.copy(item)


def get_item_version(item_id: int) -> ServiceItem:
    """One version by id, whatever its status (a case keeps the version it was filed under)."""
    item = (
        _with_materials(ServiceItem.objects.select_related("department", "region"))
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound("item_not_found", _("没有找到该事项版本。"))
    return item


def get_item_by_version(implementation_code: str, version: int) -> ServiceItem:
    """A published or superseded version, for the public version history (drafts stay hidden)."""
    item = (
        _with_materials(ServiceItem.objects.select_related("department", "region"))
        .filter(
            implementation_code=implementation_code,
            version=version,
            status__in=[ItemStatus.PUBLISHED, ItemStatus.SUPERSEDED],
        )
        .first()
    )
    if item is None:
        raise NotFound("item_not_found", _("没有找到该事项版本。"))
    return item


def item_versions(implementation_code: str) -> list[ServiceItem]:
    return list(
        ServiceItem.objects.filter(
            implementation_code=implementation_code,
            status__in=[ItemStatus.PUBLISHED, ItemStatus.SUPERSEDED],
        ).order_by("-version")
    )


def latest_version(implementation_code: str) -> ServiceItem | None:
    return (
        ServiceItem.objects.filter(implementation_code=implementation_code)
        .order_by("-version")
        .first()
    )


def search_items(
    query: str = "",
    *,
    department: Any = None,
    item_type: str | None = None,
    audience: str | None = None,
) -> QuerySet[ServiceItem]:
    """Published items matching ``query`` (words, pinyin, 简/繁) and the filters.

    ``department``: a Department, its id or its USCC; ``audience``: person | enterprise.
    """
    qs = published_items().filter(search_q(query))
    if department:
        if hasattr(department, "pk"):
            qs = qs.filter(department=department)
        elif str(department).isdigit() and len(str(department)) < 18:  # a USCC may be all digits
            qs = qs.filter(department_id=int(department))
        else:
            qs = qs.filter(department__uscc=str(department))
    if item_type:
        qs = qs.filter(item_type=item_type)
    if audience == "person":
        qs = qs.filter(for_persons=True)
    elif audience == "enterprise":
        qs = qs.filter(for_enterprises=True)
    return qs


def published_bundles() -> QuerySet[Bundle]:
    return Bundle.objects.filter(is_published=True).select_related("department").order_by("code")


def search_bundles(query: str = "") -> QuerySet[Bundle]:
    return published_bundles().filter(search_q(query))


def get_bundle(code: str) -> Bundle:
    bundle = published_bundles().prefetch_related("members").filter(code=code).first()
    if bundle is None:
        raise NotFound("bundle_not_found", _("没有找到该“一件事”。"))
    return bundle


def bundle_items(bundle: Bundle) -> list[ServiceItem]:
    """The current published version of each member, in the bundle's order (members without a
    published version are left out)."""
    codes = [m.implementation_code for m in bundle.members.all()]
    found = {
        item.implementation_code: item
        for item in _with_materials(published_items()).filter(implementation_code__in=codes)
    }
    return [found[c] for c in codes if c in found]


def bundles_with_item(item: ServiceItem) -> QuerySet[Bundle]:
    return published_bundles().filter(members__implementation_code=item.implementation_code)


def _field_spec(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        key=str(raw["key"]),
        label=str(raw.get("label", raw["key"])),
        type=str(raw.get("type", "text")),
        required=bool(raw.get("required", True)),
        choices=list(raw.get("choices") or []),
        source=str(raw.get("source", "") or ""),
    )


def _material_specs(item: ServiceItem) -> list[MaterialSpec]:
    return [
        MaterialSpec(
            item_code=item.implementation_code,
            key=m.key,
            name=m.name,
            required=m.required,
            trust_level=m.trust_level,
            licence_type=m.licence_type,
            shared_dataset=m.shared_dataset,
            deficiency_allowed=m.deficiency_allowed,
            commitment_allowed=m.commitment_allowed,
            description=m.description,
        )
        for m in item.materials.all()
    ]


def form_spec_for_item(item: ServiceItem) -> FormSpec:
    return FormSpec(
        fields=[_field_spec(f) for f in (item.form_fields or [])],
        materials=_material_specs(item),
    )


def merge_form_specs(specs: list[FormSpec]) -> FormSpec:
    """One form for several items: a field key is asked once (required if any item requires
    it; the first item's label, type and source win); materials stay per item."""
    fields: dict[str, FieldSpec] = {}
    materials: list[MaterialSpec] = []
    for spec in specs:
        for f in spec.fields:
            known = fields.get(f.key)
            if known is None:
                fields[f.key] = f
            elif f.required and not known.required:
                fields[f.key] = FieldSpec(
                    known.key, known.label, known.type, True, known.choices, known.source
                )
        materials.extend(spec.materials)
    return FormSpec(fields=list(fields.values()), materials=materials)


def form_spec_for_bundle(bundle: Bundle) -> FormSpec:
    return merge_form_specs([form_spec_for_item(i) for i in bundle_items(bundle)])


def equivalent_items(item: ServiceItem) -> QuerySet[ServiceItem]:
    """跨省通办: published items with the same 基本编码 in other regions."""
    return (
        published_items()
        .filter(base_code=item.base_code)
        .exclude(Q(implementation_code=item.implementation_code) | Q(region_id=item.region_id))
    )
