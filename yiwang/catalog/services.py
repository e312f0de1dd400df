"""Writes of the catalogue: items and their versions, bundles (一件事).

Every write runs in one transaction, checks the quality rules (``yiwang.catalog.quality``),
rebuilds the search text, records an ``ItemEvent`` and appends to the audit ledger.

Item lifecycle (one row per version, ``implementation_code`` + ``version``)::

    draft ──publish──▶ published ──draft_new_version──▶ (new draft) ──publish──▶ published
                         │   ▲                                   the old one ─▶ superseded
                 suspend │   │ resume
                         ▼   │
                       suspended ──retire──▶ retired   (published ──retire──▶ retired too)

Import and export (JSON and XLSX) are in ``yiwang.catalog.transfer``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department, Region
from yiwang.accounts.services.audit import actor_of
from yiwang.catalog import quality
from yiwang.catalog.models import (
    Bundle,
    BundleMember,
    ItemEvent,
    ItemStatus,
    Material,
    ServiceItem,
)
from yiwang.catalog.search import index_text
from yiwang.core.errors import Conflict, NotFound, ValidationFailed
from yiwang.core.ledger import record_event

# The fields of an item a caller may set (the national schema); references by natural key.
ITEM_FIELDS: tuple[str, ...] = (
    "base_code",
    "implementation_code",
    "business_code",
    "name",
    "item_type",
    "level",
    "legal_basis",
    "conditions",
    "summary",
    "keywords",
    "handling_type",
    "legal_limit",
    "promised_limit",
    "limit_unit",
    "for_persons",
    "for_enterprises",
    "visits",
    "visit_reason",
    "online_depth",
    "charges",
    "fee_basis",
    "fee_description",
    "steps",
    "form_fields",
    "result_name",
    "result_type",
    "result_sample",
    "result_licence_type",
    "consult_phone",
    "complaint_phone",
    "cross_region_modes",
    "process_key",
)
REFERENCE_FIELDS: tuple[str, ...] = ("department_uscc", "region_code")
JSON_FIELDS: frozenset[str] = frozenset({"steps", "form_fields", "cross_region_modes"})
MATERIAL_FIELDS: tuple[str, ...] = (
    "key",
    "name",
    "material_type",
    "form",
    "required",
    "source_channel",
    "copies",
    "trust_level",
    "description",
    "licence_type",
    "shared_dataset",
    "deficiency_allowed",
    "commitment_allowed",
)
BUNDLE_FIELDS: tuple[str, ...] = (
    "code",
    "name",
    "summary",
    "audience",
    "department_uscc",
    "promised_limit",
    "is_published",
    "members",
)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def record_item_event(actor: Any, item: ServiceItem, kind: str, **data: Any) -> None:
    ItemEvent.objects.create(item=item, actor=_user(actor), kind=kind, data=data)
    record_event(
        actor=actor_of(_user(actor)),
        action=f"catalog.item_{kind}",
        object_type="catalog.serviceitem",
        object_id=str(item.pk),
        payload={"implementation_code": item.implementation_code, "version": item.version, **data},
    )


def _issue(field: str, code: str, message: str) -> quality.Issue:
    return quality.Issue(code, field, message)


def _fail(issues: Sequence[quality.Issue]) -> ValidationFailed:
    rejected = quality.rejecting(issues)
    return ValidationFailed(
        "item_quality" if any(i.code != "invalid" for i in rejected) else "item_invalid",
        _("事项未通过检查：%(messages)s") % {"messages": "；".join(i.message for i in rejected)},
        field=rejected[0].field if rejected else None,
        details={"issues": [i.as_dict() for i in issues]},
    )


def _django_issues(
    error: DjangoValidationError, prefix: str = "", model: Any = ServiceItem
) -> list[quality.Issue]:
    issues = []
    for field, messages in error.message_dict.items():
        try:
            label = f"{model._meta.get_field(field).verbose_name}（{prefix}{field}）"
        except Exception:
            label = f"{prefix}{field}"
        for message in messages:
            issues.append(_issue(f"{prefix}{field}", "invalid", f"{label}：{message}"))
    return issues


def _department(data: Mapping[str, Any], current: Department | None) -> Department | None:
    value = data.get("department", data.get("department_uscc"))
    if value in (None, ""):
        return current
    if isinstance(value, Department):
        return value
    department = Department.objects.filter(uscc=str(value).strip().upper()).first()
    if department is None:
        raise ValidationFailed(
            "unknown_department",
            _("实施主体（统一社会信用代码 %(uscc)s）不存在。") % {"uscc": value},
            field="department_uscc",
        )
    return department


def _region(data: Mapping[str, Any], current: Region | None, department: Department) -> Region:
    value = data.get("region", data.get("region_code"))
    if isinstance(value, Region):
        return value
    if value not in (None, ""):
        region = Region.objects.filter(code=str(value).strip(), valid_to__isnull=True).first()
        if region is None:
            raise ValidationFailed(
                "unknown_region",
                _("实施区划 %(code)s 不存在。") % {"code": value},
                field="region_code",
            )
        return region
    return current or department.region


def apply_item_data(
    item: ServiceItem,
    data: Mapping[str, Any],
    materials: Iterable[Mapping[str, Any]] | None,
) -> tuple[list[Material] | None, list[quality.Issue]]:
    """Apply ``data`` (and the material list) to the unsaved state of ``item``, validate field
    shapes and the quality rules; raise ``ValidationFailed`` listing every problem."""
    unknown = sorted(
        set(data) - set(ITEM_FIELDS) - set(REFERENCE_FIELDS) - {"department", "region"}
    )
    issues: list[quality.Issue] = [
        _issue(k, "unknown_field", _("未知字段：%(field)s。") % {"field": k}) for k in unknown
    ]
    for name in ITEM_FIELDS:
        if name in data:
            value = data[name]
            if value is None and name not in JSON_FIELDS:
                value = ServiceItem._meta.get_field(name).get_default()
            if value is None and name in JSON_FIELDS:
                value = []
            setattr(item, name, value)
    department = _department(data, item.department if item.department_id else None)
    if department is None:
        issues.append(_issue("department_uscc", "department_required", _("请填写实施主体。")))
    else:
        item.department = department
        item.region = _region(data, item.region if item.region_id else None, department)
    try:
        item.full_clean(
            exclude=["search_text", "status", "version"],
            validate_unique=False,
            validate_constraints=False,
        )
    except DjangoValidationError as error:
        issues.extend(_django_issues(error))
    if not quality.rejecting(issues):
        # The fields have their types: the quality rules can read them.
        issues.extend(quality.check_item(item))
    built: list[Material] | None = None
    if materials is not None:
        built = []
        seen: set[str] = set()
        for index, raw in enumerate(materials, start=1):
            prefix = f"materials[{index}]."
            extra = sorted(set(raw) - set(MATERIAL_FIELDS) - {"order"})
            issues.extend(
                _issue(
                    prefix + k, "unknown_field", _("未知字段：%(field)s。") % {"field": prefix + k}
                )
                for k in extra
            )
            material = Material(order=index)
            for name in MATERIAL_FIELDS:
                if name in raw and raw[name] is not None:
                    setattr(material, name, raw[name])
            try:
                material.full_clean(
                    exclude=["item"], validate_unique=False, validate_constraints=False
                )
            except DjangoValidationError as error:
                issues.extend(_django_issues(error, prefix, Material))
            if material.key in seen:
                issues.append(
                    _issue(
                        prefix + "key",
                        "duplicate_material",
                        _("材料代码重复：%(key)s。") % {"key": material.key},
                    )
                )
            seen.add(material.key)
            built.append(material)
    if quality.rejecting(issues):
        raise _fail(issues)
    item.search_text = index_text(item.name, item.keywords, item.summary, item.department.name)
    return built, issues


def _save_materials(item: ServiceItem, materials: list[Material] | None) -> None:
    if materials is None:
        return
    item.materials.all().delete()
    for material in materials:
        material.item = item
    Material.objects.bulk_create(materials)


def item_flags(item: ServiceItem) -> list[quality.Issue]:
    """The quality issues of a saved item (flags only, since a saved item passed the rejects)."""
    return quality.check_item(item)


@transaction.atomic
def create_item(
    actor: Any,
    data: Mapping[str, Any],
    materials: Iterable[Mapping[str, Any]] = (),
) -> ServiceItem:
    """A new item as draft version 1. Conflict when the 实施编码 is taken."""
    code = str(data.get("implementation_code", "")).strip()
    if code and ServiceItem.objects.filter(implementation_code=code).exists():
        raise Conflict(
            "item_exists",
            _("实施编码 %(code)s 已存在，请起草新版本。") % {"code": code},
            field="implementation_code",
        )
    item = ServiceItem(status=ItemStatus.DRAFT, version=1)
    built, issues = apply_item_data(item, data, list(materials))
    item.save()
    _save_materials(item, built)
    record_item_event(actor, item, "drafted", flags=[i.code for i in issues])
    return item


def _lock(item: ServiceItem) -> ServiceItem:
    return (
        ServiceItem.objects.select_for_update()
        .select_related("department", "region")
        .get(pk=item.pk)
    )


@transaction.atomic
def update_draft(
    actor: Any,
    item: ServiceItem,
    data: Mapping[str, Any],
    materials: Iterable[Mapping[str, Any]] | None = None,
) -> ServiceItem:
    """Change a draft (published versions never change: draft a new version)."""
    item = _lock(item)
    if item.status != ItemStatus.DRAFT:
        raise Conflict("item_not_draft", _("只有草稿可以修改；已发布的事项请起草新版本。"))
    if "implementation_code" in data and data["implementation_code"] != item.implementation_code:
        raise ValidationFailed(
            "implementation_code_fixed", _("实施编码不能修改。"), field="implementation_code"
        )
    built, issues = apply_item_data(item, data, None if materials is None else list(materials))
    item.save()
    _save_materials(item, built)
    record_item_event(actor, item, "updated", flags=[i.code for i in issues])
    return item


@transaction.atomic
def draft_new_version(
    actor: Any,
    implementation_code: str,
    data: Mapping[str, Any] | None = None,
    materials: Iterable[Mapping[str, Any]] | None = None,
) -> ServiceItem:
    """Version n+1 as a draft: a copy of the latest version (materials copied), then ``data``."""
    rows = list(
        ServiceItem.objects.select_for_update()
        .filter(implementation_code=implementation_code)
        .order_by("-version")
    )
    if not rows:
        raise NotFound("item_not_found", _("没有找到该事项。"))
    latest = rows[0]
    if latest.status == ItemStatus.DRAFT:
        raise Conflict(
            "draft_exists",
            _("该事项已有未发布的草稿（第 %(v)s 版），请先修改或发布它。") % {"v": latest.version},
        )
    source_materials = list(latest.materials.all())
    item = ServiceItem.objects.select_related("department", "region").get(pk=latest.pk)
    item.pk = None
    item.id = None
    item.version = latest.version + 1
    item.status = ItemStatus.DRAFT
    item.published_at = None
    if materials is None:
        materials = [{name: getattr(m, name) for name in MATERIAL_FIELDS} for m in source_materials]
    built, issues = apply_item_data(item, data or {}, list(materials))
    item._state.adding = True
    item.save(force_insert=True)
    _save_materials(item, built)
    record_item_event(
        actor, item, "drafted", based_on=latest.version, flags=[i.code for i in issues]
    )
    return item


@transaction.atomic
def publish_item(actor: Any, item: ServiceItem) -> ServiceItem:
    """Publish a draft; the previously published (or suspended) version becomes superseded."""
    item = _lock(item)
    if item.status != ItemStatus.DRAFT:
        raise Conflict("item_not_draft", _("只有草稿可以发布。"))
    _built, issues = apply_item_data(item, {}, None)
    previous = list(
        ServiceItem.objects.select_for_update()
        .filter(
            implementation_code=item.implementation_code,
            status__in=[ItemStatus.PUBLISHED, ItemStatus.SUSPENDED],
        )
        .exclude(pk=item.pk)
    )
    for old in previous:
        old.status = ItemStatus.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
        record_item_event(actor, old, "superseded", by_version=item.version)
    item.status = ItemStatus.PUBLISHED
    item.published_at = timezone.now()
    item.save()
    record_item_event(actor, item, "published", flags=[i.code for i in issues])
    return item


def _transition(
    actor: Any, item: ServiceItem, allowed: set[str], to: str, kind: str, reason: str
) -> ServiceItem:
    item = _lock(item)
    if item.status not in allowed:
        raise Conflict(
            "illegal_transition",
            _("事项当前状态为“%(status)s”，不能执行此操作。")
            % {"status": item.get_status_display()},
        )
    item.status = to
    item.save(update_fields=["status", "updated_at"])
    record_item_event(actor, item, kind, reason=reason)
    return item


@transaction.atomic
def suspend_item(actor: Any, item: ServiceItem, reason: str) -> ServiceItem:
    """暂停办理: the item stays visible but accepts no new applications."""
    return _transition(
        actor, item, {ItemStatus.PUBLISHED}, ItemStatus.SUSPENDED, "suspended", reason
    )


@transaction.atomic
def resume_item(actor: Any, item: ServiceItem) -> ServiceItem:
    return _transition(actor, item, {ItemStatus.SUSPENDED}, ItemStatus.PUBLISHED, "resumed", "")


@transaction.atomic
def retire_item(actor: Any, item: ServiceItem, reason: str) -> ServiceItem:
    """取消: the item leaves the catalogue; cases filed under it keep their version."""
    return _transition(
        actor,
        item,
        {ItemStatus.PUBLISHED, ItemStatus.SUSPENDED, ItemStatus.DRAFT},
        ItemStatus.RETIRED,
        "retired",
        reason,
    )


# --- bundles --------------------------------------------------------------------------------------


def _members(raw: Any) -> list[tuple[str, bool]]:
    if not isinstance(raw, list):
        raise ValidationFailed("invalid_members", _("成员事项应为列表。"), field="members")
    members: list[tuple[str, bool]] = []
    for entry in raw:
        if isinstance(entry, str):
            members.append((entry.strip(), False))
        elif isinstance(entry, dict) and entry.get("implementation_code"):
            members.append((str(entry["implementation_code"]).strip(), bool(entry.get("optional"))))
        else:
            raise ValidationFailed("invalid_members", _("成员事项格式不正确。"), field="members")
    return members


@transaction.atomic
def create_or_update_bundle(actor: Any, data: Mapping[str, Any]) -> tuple[Bundle, bool]:
    """Create the bundle ``data["code"]`` or replace its fields and members. Each member must be
    an item with a published version; at least two members. Returns (bundle, created)."""
    unknown = sorted(set(data) - set(BUNDLE_FIELDS) - {"department"})
    if unknown:
        raise ValidationFailed(
            "unknown_field", _("未知字段：%(f)s。") % {"f": "、".join(unknown)}, field=unknown[0]
        )
    code = str(data.get("code", "")).strip()
    members = _members(data.get("members", []))
    if len(members) < 2:
        raise ValidationFailed("bundle_too_small", _("“一件事”至少包括两个事项。"), field="members")
    codes = [c for c, _optional in members]
    if len(set(codes)) != len(codes):
        raise ValidationFailed("duplicate_member", _("成员事项重复。"), field="members")
    published = set(
        ServiceItem.objects.filter(
            implementation_code__in=codes, status=ItemStatus.PUBLISHED
        ).values_list("implementation_code", flat=True)
    )
    missing = [c for c in codes if c not in published]
    if missing:
        raise ValidationFailed(
            "unknown_member",
            _("以下成员事项不存在或未发布：%(codes)s。") % {"codes": "、".join(missing)},
            field="members",
        )
    bundle = Bundle.objects.select_for_update().filter(code=code).first()
    created = bundle is None
    if bundle is None:
        bundle = Bundle(code=code)
    for name in ("name", "summary", "audience", "promised_limit", "is_published"):
        if name in data and data[name] is not None:
            setattr(bundle, name, data[name])
    department = _department(data, bundle.department if bundle.department_id else None)
    if department is None:
        raise ValidationFailed(
            "department_required", _("请填写牵头部门。"), field="department_uscc"
        )
    bundle.department = department
    try:
        bundle.full_clean(exclude=["search_text"], validate_unique=False)
    except DjangoValidationError as error:
        issues = _django_issues(error, model=Bundle)
        raise ValidationFailed(
            "bundle_invalid",
            "；".join(i.message for i in issues),
            field=issues[0].field,
            details={"issues": [i.as_dict() for i in issues]},
        ) from None
    if bundle.audience not in ("person", "enterprise"):
        raise ValidationFailed(
            "invalid_audience", _("服务对象应为 person 或 enterprise。"), field="audience"
        )
    member_names = list(
        ServiceItem.objects.filter(
            implementation_code__in=codes, status=ItemStatus.PUBLISHED
        ).values_list("name", flat=True)
    )
    bundle.search_text = index_text(bundle.name, bundle.summary, *member_names)
    bundle.save()
    bundle.members.all().delete()
    BundleMember.objects.bulk_create(
        BundleMember(bundle=bundle, implementation_code=c, optional=o, order=i)
        for i, (c, o) in enumerate(members, start=1)
    )
    record_event(
        actor=actor_of(_user(actor)),
        action="catalog.bundle_created" if created else "catalog.bundle_updated",
        object_type="catalog.bundle",
        object_id=str(bundle.pk),
        payload={"code": bundle.code, "members": codes},
    )
    return bundle, created


# --- import / export (yiwang.catalog.transfer) ----------------------------------------------------


def import_catalogue(actor: Any, data: Any, format: str = "json", *, publish: bool = True) -> Any:
    """Import JSON or XLSX; returns an ``ImportReport`` (see ``yiwang.catalog.transfer``)."""
    from yiwang.catalog.transfer import import_catalogue as run

    return run(actor, data, format, publish=publish)


def export_catalogue(format: str = "json") -> Any:
    """The published catalogue: a dict (JSON) or the XLSX bytes."""
    from yiwang.catalog.transfer import export_catalogue as run

    return run(format)
