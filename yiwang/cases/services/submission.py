"""Submitting an application: online (citizen or enterprise agent), at a counter (一窗受理) and at
another region's window (异地代收代办); uploading a material afterwards.

A submission is checked in one pass and refused with *all* its problems at once
(``ValidationFailed`` code ``form_invalid``, ``details["errors"]`` = ``[{field, code, message}]``):
form fields against the item's FormSpec (required, type, identifiers), and each required material
against its possible sources — upload, the applicant's (or his enterprise's) usable e-licence of
the material's type (一证通办, checked through ``shared.find_licence_for_material``), shared data
(免提交), the applicant's commitment (告知承诺, where allowed), paper received at a counter. 容缺 is never chosen by the
applicant: only a clerk accepts with a deficiency (``accept(mode="deficiency")``).
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts import selectors as account_selectors
from yiwang.accounts import services as account_services
from yiwang.accounts.models import Enterprise, Person, region_code_prefix
from yiwang.cases import notifications, shared, specs
from yiwang.cases.models import (
    Case,
    CaseMaterial,
    CaseStatus,
    Channel,
    Delivery,
    MaterialSource,
    SharedRecord,
    trust_level_for,
)
from yiwang.cases.numbering import allocate_number
from yiwang.cases.services.base import (
    applicant_person,
    check_enterprise,
    counter_department,
    is_applicant_side,
    record,
)
from yiwang.catalog.models import Bundle, ItemStatus, Material, ServiceItem
from yiwang.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import (
    validate_licence_id,
    validate_phone,
    validate_region_code,
    validate_resident_id,
    validate_uscc,
)
from yiwang.core.uploads import check_upload

PURPOSE_ONLINE = "办件申请自动填充及免提交核验"
PURPOSE_COUNTER = "一窗受理核验申请材料"
APPLICANT_SOURCES = (
    MaterialSource.UPLOAD,
    MaterialSource.LICENCE,
    MaterialSource.SHARED,
    MaterialSource.COMMITMENT,
)


@dataclass
class Problems:
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, field_name: str, code: str, message: str) -> None:
        self.errors.append({"field": field_name, "code": code, "message": message})

    def raise_if_any(self) -> None:
        if self.errors:
            raise form_invalid(self.errors)


def form_invalid(errors: list[dict[str, str]]) -> ValidationFailed:
    summary = "；".join(e["message"] for e in errors[:5])
    return ValidationFailed(
        "form_invalid",
        _("申请信息有误，请修改后重新提交：%(summary)s") % {"summary": summary},
        field=errors[0]["field"],
        details={"errors": errors},
    )


# --- applicant facts and prefill -----------------------------------------------------------------


def applicant_facts(person: Person, enterprise: Enterprise | None = None) -> dict[str, Any]:
    """What the process conditions may read about the applicant (no raw ID number)."""
    number = account_selectors.decrypt_id_number(person)
    birth = validate_resident_id(number).birth_date
    today = timezone.localdate()
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    facts: dict[str, Any] = {
        "kind": "enterprise" if enterprise else "person",
        "age": age,
        "male": int(number[16]) % 2 == 1,
        "region": person.region.code if person.region_id else "",
        "realname_level": person.realname_level,
    }
    if enterprise is not None:
        facts["enterprise_region"] = enterprise.region.code
        facts["uscc"] = enterprise.uscc
    return facts


def prefill_value(
    source: str, person: Person, enterprise: Enterprise | None, actor: Any, purpose: str
) -> Any:
    """The value of a field source (免填): ``person.*``, ``enterprise.*`` or ``shared:…``."""
    if not source:
        return None
    if source == "person.name":
        return person.name
    if source == "person.id_number":
        return account_selectors.decrypt_id_number(person)
    if source == "person.phone":
        return person.phone
    if source == "person.address":
        return person.address
    if source == "enterprise.name":
        return enterprise.name if enterprise else None
    if source == "enterprise.uscc":
        return enterprise.uscc if enterprise else None
    if source.startswith("shared:"):
        return shared.shared_value(actor, person, enterprise, source, purpose)
    return None


LOCKED_SOURCES = frozenset(
    {"person.name", "person.id_number", "enterprise.name", "enterprise.uscc"}
)


def _clean_field(spec: Any, raw: Any, problems: Problems) -> Any:
    label = str(spec.label)
    kind = spec.type
    key = spec.key
    if isinstance(raw, str):
        raw = raw.strip()
    empty = raw is None or raw == "" or (kind == "boolean" and raw is False and spec.required)
    if empty:
        if spec.required:
            problems.add(key, "required", _("请填写“%(label)s”。") % {"label": label})
        return False if kind == "boolean" else ""
    try:
        if kind == "id_number":
            return validate_resident_id(raw, field=key).number
        if kind == "phone":
            return validate_phone(raw, field=key)
        if kind == "region":
            return validate_region_code(raw, field=key)
    except ValidationFailed as exc:
        problems.add(key, exc.code, f"{label}：{exc.message}")
        return raw
    if kind == "date":
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            problems.add(
                key,
                "invalid_date",
                _("“%(label)s”应为日期，格式如 2025-01-31。") % {"label": label},
            )
            return raw
    if kind == "number":
        try:
            number = decimal.Decimal(str(raw))
        except decimal.InvalidOperation:
            problems.add(key, "invalid_number", _("“%(label)s”应为数字。") % {"label": label})
            return raw
        if not number.is_finite():
            problems.add(key, "invalid_number", _("“%(label)s”应为数字。") % {"label": label})
            return raw
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "choice":
        values = [v for v, _label in specs.choice_pairs(spec.choices)]
        if str(raw) not in values:
            problems.add(
                key,
                "invalid_choice",
                _("“%(label)s”的选项无效，请从列表中选择。") % {"label": label},
            )
        return str(raw)
    if kind == "boolean":
        return raw in (True, "true", "True", "1", "on", 1)
    text = str(raw)
    limit = 2000 if kind == "textarea" else 200
    if len(text) > limit:
        problems.add(
            key,
            "too_long",
            _("“%(label)s”不能超过 %(limit)s 个字。") % {"label": label, "limit": limit},
        )
    return text


def clean_form(
    spec: Any,
    form: dict[str, Any],
    *,
    person: Person,
    enterprise: Enterprise | None,
    actor: Any,
    purpose: str,
    problems: Problems,
) -> dict[str, Any]:
    """The form's values, prefilled and validated (problems collected, not raised)."""
    form = dict(form or {})
    cleaned: dict[str, Any] = {}
    for field_spec in spec.fields:
        source = getattr(field_spec, "source", "") or ""
        raw = form.get(field_spec.key)
        if source:
            value = prefill_value(source, person, enterprise, actor, purpose)
            if value not in (None, "") and (source in LOCKED_SOURCES or raw in (None, "")):
                raw = value
        cleaned[field_spec.key] = _clean_field(field_spec, raw, problems)
    return cleaned


# --- materials -----------------------------------------------------------------------------------


@dataclass
class PlannedMaterial:
    item_code: str
    key: str
    source: str
    licence_id: str = ""
    shared_record: SharedRecord | None = None
    upload: Any = None


def plan_materials(
    spec: Any,
    materials: dict[str, Any],
    *,
    person: Person,
    enterprise: Enterprise | None,
    bundle: bool,
    paper: set[str] | None = None,
    problems: Problems,
    allow_missing: bool = False,
) -> list[PlannedMaterial]:
    """Which source satisfies each material. ``materials`` maps a material key (``<item>:<key>`` in
    a bundle) to ``{"source", "licence_id"?, "shared_record"?, "file"?}``; ``paper`` lists the keys
    a clerk received on paper. A required material may be left for a later upload only when the
    entry says ``{"source": "upload"}`` (its file follows through the upload endpoint)."""
    planned: list[PlannedMaterial] = []
    materials = dict(materials or {})
    paper = paper or set()
    for ms in spec.materials:
        key = specs.material_key(ms, bundle=bundle)
        name = str(ms.name)
        entry = materials.get(key) or (materials.get(ms.key) if bundle else None)
        if key in paper or (bundle and ms.key in paper):
            planned.append(PlannedMaterial(ms.item_code, ms.key, MaterialSource.PAPER))
            continue
        if not entry:
            if ms.required and not allow_missing:
                problems.add(
                    f"materials.{key}",
                    "material_required",
                    _("请提供“%(name)s”。") % {"name": name},
                )
            continue
        if isinstance(entry, str):
            entry = {"source": entry}
        source = str(entry.get("source") or "")
        if source == MaterialSource.UPLOAD:
            planned.append(PlannedMaterial(ms.item_code, ms.key, source, upload=entry.get("file")))
        elif source == MaterialSource.LICENCE:
            type_code = getattr(ms, "licence_type", "") or ""
            if not type_code:
                problems.add(
                    f"materials.{key}",
                    "licence_type_mismatch",
                    _("%(name)s：此材料不能以电子证照提供。") % {"name": name},
                )
                continue
            try:
                licence_id = validate_licence_id(
                    str(entry.get("licence_id") or "").strip(), field=f"materials.{key}"
                ).value
                licence_id, _title = shared.find_licence_for_material(
                    person, enterprise, licence_id, type_code
                )
            except DomainError as exc:
                problems.add(f"materials.{key}", exc.code, f"{name}：{exc.message}")
                continue
            planned.append(PlannedMaterial(ms.item_code, ms.key, source, licence_id=licence_id))
        elif source == MaterialSource.SHARED:
            record_id = entry.get("shared_record")
            dataset = getattr(ms, "shared_dataset", "") or ""
            if not dataset and record_id is None:
                problems.add(
                    f"materials.{key}",
                    "shared_not_available",
                    _("%(name)s：此材料不能通过共享数据免提交。") % {"name": name},
                )
                continue
            found = shared.find_record(
                person,
                enterprise,
                dataset=dataset,
                record_id=int(record_id) if record_id not in (None, "") else None,
            )
            if found is None:
                problems.add(
                    f"materials.{key}",
                    "shared_record_missing",
                    _("%(name)s：未查到申请人的共享数据，请上传材料。") % {"name": name},
                )
                continue
            planned.append(PlannedMaterial(ms.item_code, ms.key, source, shared_record=found))
        elif source == MaterialSource.COMMITMENT:
            if not getattr(ms, "commitment_allowed", False):
                problems.add(
                    f"materials.{key}",
                    "commitment_not_allowed",
                    _("%(name)s：此材料不适用告知承诺。") % {"name": name},
                )
                continue
            planned.append(PlannedMaterial(ms.item_code, ms.key, source))
        elif source == MaterialSource.DEFICIENT:
            problems.add(
                f"materials.{key}",
                "deficiency_by_clerk_only",
                _("%(name)s：容缺由窗口工作人员在受理时决定，申请人不能选择。") % {"name": name},
            )
        else:
            problems.add(
                f"materials.{key}", "invalid_source", _("%(name)s：材料来源无效。") % {"name": name}
            )
    return planned


def store_upload(
    case_material: CaseMaterial, uploaded_file: Any, *, field_name: str = "file"
) -> CaseMaterial:
    """Check the file (type, size, magic) and store it through the default storage."""
    checked = check_upload(uploaded_file, field=field_name)
    case_material.original_name = checked.name
    case_material.content_type = checked.content_type
    case_material.size = checked.size
    case_material.sha256 = checked.sha256
    case_material.file.save(checked.name, uploaded_file, save=False)
    return case_material


def _material_rows(case: Case, item: ServiceItem) -> dict[str, Material]:
    # The item's materials as fetched with it (catalogue selectors prefetch them): no re-read.
    return {m.key: m for m in item.materials.all()}


def create_materials(
    case: Case,
    planned: list[PlannedMaterial],
    *,
    actor: Any,
    purpose: str,
    checked_by: Any = None,
) -> list[CaseMaterial]:
    """Write the planned materials of ``case`` (only those of its item), each with its trust level;
    a shared record's read and an e-licence's use (purpose bound to the case) are recorded."""
    rows = _material_rows(case, case.item) if case.item_id else {}
    created: list[CaseMaterial] = []
    now = timezone.now()
    for plan in planned:
        if plan.item_code != case.item.implementation_code or plan.key not in rows:
            continue
        if plan.source == MaterialSource.UPLOAD and plan.upload is None:
            continue  # the file follows through the upload endpoint
        cm = CaseMaterial(
            case=case,
            material=rows[plan.key],
            source=plan.source,
            licence_id=plan.licence_id,
            shared_record=plan.shared_record,
        )
        if plan.upload is not None:
            store_upload(cm, plan.upload, field_name=f"materials.{plan.key}")
        if plan.shared_record is not None:
            shared.log_read(actor, plan.shared_record, case.applicant, purpose)
        if plan.source == MaterialSource.PAPER and checked_by is not None:
            cm.checked_by, cm.checked_at = checked_by, now
        cm.trust_level = trust_level_for(plan.source, checked=cm.checked_by is not None)
        cm.save()
        if plan.source == MaterialSource.LICENCE:
            shared.record_licence_use(actor, plan.licence_id, case)
        created.append(cm)
    if (
        any(p.source == MaterialSource.COMMITMENT for p in planned)
        and not case.commitment_signed_at
    ):
        case.commitment_signed_at = now
        case.save(update_fields=["commitment_signed_at"])
    return created


# --- submitting ----------------------------------------------------------------------------------


def _check_item(item: ServiceItem) -> None:
    if item.status != ItemStatus.PUBLISHED:
        raise Conflict("item_not_available", _("该事项当前不可申请。"))


def _check_delivery(delivery: str, address: str, problems: Problems) -> str:
    if delivery not in Delivery.values:
        problems.add("delivery", "invalid_delivery", _("送达方式无效。"))
        return Delivery.ELECTRONIC
    if delivery == Delivery.POST and not (address or "").strip():
        problems.add("delivery_address", "address_required", _("邮寄送达须填写邮寄地址。"))
    return delivery


def _item_form(item: ServiceItem, spec: Any, cleaned: dict[str, Any]) -> dict[str, Any]:
    keys = {f.get("key") for f in (item.form_fields or []) if isinstance(f, dict)}
    if not keys:
        return dict(cleaned)
    return {k: v for k, v in cleaned.items() if k in keys}


@transaction.atomic
def submit(
    user: Any,
    target: ServiceItem | Bundle,
    form: dict[str, Any],
    materials: dict[str, Any] | None = None,
    *,
    person: Person | None = None,
    enterprise: Enterprise | int | None = None,
    delivery: str = Delivery.ELECTRONIC,
    delivery_address: str = "",
    channel: str = Channel.ONLINE,
    paper: set[str] | None = None,
    receiving_department: Any = None,
) -> Case:
    """The common path of every submission; returns the case (the parent for a bundle)."""
    if person is None:
        person = applicant_person(user)
    ent = (
        check_enterprise(person, enterprise)
        if channel == Channel.ONLINE
        else (
            Enterprise.objects.filter(pk=getattr(enterprise, "pk", enterprise)).first()
            if enterprise
            else None
        )
    )
    is_bundle = isinstance(target, Bundle)
    if is_bundle:
        if not target.is_published:
            raise Conflict("bundle_not_available", _("该一件事当前不可申请。"))
        items = specs.bundle_items(target)
        if not items:
            raise Conflict("bundle_not_available", _("该一件事当前不可申请。"))
        spec = specs.spec_for_bundle(target)
    else:
        _check_item(target)
        items = [target]
        spec = specs.spec_for_item(target)
        if target.for_enterprises and not target.for_persons and ent is None:
            raise ValidationFailed(
                "enterprise_required", _("该事项须以企业名义申请，请选择企业。"), field="enterprise"
            )
    purpose = PURPOSE_COUNTER if channel != Channel.ONLINE else PURPOSE_ONLINE
    problems = Problems()
    cleaned = clean_form(
        spec, form, person=person, enterprise=ent, actor=user, purpose=purpose, problems=problems
    )
    planned = plan_materials(
        spec,
        materials or {},
        person=person,
        enterprise=ent,
        bundle=is_bundle,
        paper=paper,
        problems=problems,
        # at a window the clerk's pre-review decides (容缺/补正)
        allow_missing=channel in (Channel.COUNTER, Channel.PROXY),
    )
    delivery = _check_delivery(delivery, delivery_address, problems)
    problems.raise_if_any()

    now = timezone.now()
    submitter = user if getattr(user, "is_authenticated", False) else None
    common = {
        "applicant": person,
        "enterprise": ent,
        "submitted_by": submitter,
        "channel": channel,
        "receiving_department": receiving_department,
        "submitted_at": now,
        "delivery": delivery,
        "delivery_address": (delivery_address or "").strip(),
    }
    parent = None
    if is_bundle:
        parent = Case.objects.create(
            number=allocate_number(target.code, now),
            bundle=target,
            department=target.department,
            form_data=cleaned,
            **common,
        )
        record(
            parent,
            "submitted",
            user,
            to_status=CaseStatus.SUBMITTED,
            data={
                "bundle": target.code,
                "channel": channel,
                "members": [i.implementation_code for i in items],
            },
            at=now,
        )
    cases = []
    announcements: list[tuple[Any, str, str, Case]] = []
    for item in items:
        case = Case.objects.create(
            number=allocate_number(item.implementation_code, now),
            item=item,
            bundle=target if is_bundle else None,
            parent=parent,
            department=item.department,
            form_data=_item_form(item, spec, cleaned) if is_bundle else cleaned,
            **common,
        )
        created = create_materials(
            case,
            planned,
            actor=user,
            purpose=purpose,
            checked_by=submitter if channel != Channel.ONLINE else None,
        )
        record(
            case,
            "submitted",
            user,
            to_status=CaseStatus.SUBMITTED,
            data={
                "item": item.implementation_code,
                "channel": channel,
                "materials": {cm.material.key: cm.source for cm in created},
            },
            at=now,
        )
        announcements.append(
            (
                item.department,
                _("新的办件申请：%(name)s") % {"name": item.name},
                _("办件编号 %(number)s，待受理。") % {"number": case.number},
                case,
            )
        )
        case.submitted_materials = created
        cases.append(case)
    head = parent or cases[0]
    if parent is not None:
        parent.submitted_materials = []
        parent.submitted_members = [c.number for c in cases]
    applicant_notice = None
    if channel == Channel.ONLINE:
        applicant_notice = (
            head,
            _("申请已提交：%(number)s") % {"number": head.number},
            _("您的申请已提交，请留意受理结果。"),
        )
    # Told after the commit (outside the case-number and ledger locks); nothing is sent for a
    # submission that rolled back.
    transaction.on_commit(
        lambda: notifications.announce_submission(announcements, applicant_notice), robust=True
    )
    return head


def submit_online(
    user: Any,
    item_or_bundle: ServiceItem | Bundle,
    form: dict[str, Any],
    materials: dict[str, Any] | None = None,
    *,
    enterprise: Enterprise | int | None = None,
    delivery: str = Delivery.ELECTRONIC,
    delivery_address: str = "",
    channel: str = Channel.ONLINE,
) -> Case:
    """A citizen (or an enterprise's agent with ``enterprise``) applies online."""
    return submit(
        user,
        item_or_bundle,
        form,
        materials,
        enterprise=enterprise,
        delivery=delivery,
        delivery_address=delivery_address,
        channel=channel,
    )


def counter_enterprise(uscc: str, *, authorisation_checked: bool) -> Enterprise:
    """The enterprise a walk-in applicant applies for at the counter, by its 统一社会信用代码.

    The clerk must have checked that the person at the window may act for it (the legal
    representative's ID or a signed 授权委托书): ``authorisation_checked``.
    """
    uscc = validate_uscc(uscc, field="applicant_enterprise")
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        raise ValidationFailed(
            "enterprise_unknown",
            _("没有找到统一社会信用代码为 %(uscc)s 的企业。") % {"uscc": uscc},
            field="applicant_enterprise",
        )
    if not authorisation_checked:
        raise ValidationFailed(
            "authorisation_unchecked",
            _("请先核验法定代表人身份或企业授权委托书。"),
            field="authorisation_checked",
        )
    return enterprise


def find_or_register_applicant(
    clerk: Any, id_number: str, *, name: str = "", phone: str = "", address: str = ""
) -> Person:
    """The walk-in applicant with ``id_number``; registered at the clerk's counter if new."""
    counter_department(clerk)
    person = account_selectors.find_person_by_id_number(id_number)
    if person is not None:
        return person
    if not (name or "").strip():
        raise ValidationFailed(
            "person_name_required", _("新登记的申请人须填写姓名。"), field="name"
        )
    return account_services.register_walk_in_applicant(
        clerk, name, id_number, phone=phone, address=address
    )


def _is_other_region(counter: Any, item: ServiceItem) -> bool:
    """The counter serves another region than the item's (异地代收代办)."""
    item_prefix = region_code_prefix(item.region.code)
    counter_prefix = region_code_prefix(counter.region.code)
    return not (counter_prefix.startswith(item_prefix) or item_prefix.startswith(counter_prefix))


@transaction.atomic
def counter_intake(
    clerk: Any,
    applicant: Person,
    item: ServiceItem,
    form: dict[str, Any],
    materials: dict[str, Any] | None = None,
    *,
    paper: list[str] | set[str] = (),
    enterprise: Enterprise | None = None,
    delivery: str = Delivery.PICKUP,
    delivery_address: str = "",
) -> Case:
    """一窗受理: the clerk (capability ``cases.intake``) files a walk-in applicant's application,
    ticking the paper materials received. At another region's window (the item belongs to a
    region the window does not serve) the case is checked and forwarded (异地代收代办)."""
    counter = counter_department(clerk)
    proxy = _is_other_region(counter, item)
    case = submit(
        clerk,
        item,
        form,
        materials,
        person=applicant,
        enterprise=enterprise,
        delivery=delivery,
        delivery_address=delivery_address,
        channel=Channel.PROXY if proxy else Channel.COUNTER,
        paper=set(paper),
        receiving_department=counter,
    )
    if proxy:
        from yiwang.cases.services.intake import forward

        case = forward(clerk, case)
    return case


@transaction.atomic
def upload_material(user: Any, case: Case, key: str, uploaded_file: Any) -> CaseMaterial:
    """Attach (or replace) the file of one material while the applicant may still change it.

    The applicant's side only (he, or the enterprise's representative or agent): a window
    receives paper materials through ``counter_intake``, never by uploading in his name."""
    # The stored status counts (locked), not that of a possibly stale instance.
    case = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    if not is_applicant_side(user, case):
        raise PermissionDenied("case_action_not_allowed", _("您无权为此办件上传材料。"))
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION, CaseStatus.FORWARDED):
        raise Conflict("illegal_transition", _("办件当前状态不允许上传材料。"))
    material = Material.objects.filter(item_id=case.item_id, key=key).first()
    if material is None:
        raise NotFound("material_not_found", _("该事项没有此材料。"))
    cm = CaseMaterial(case=case, material=material, source=MaterialSource.UPLOAD)
    store_upload(cm, uploaded_file)
    now = timezone.now()
    CaseMaterial.objects.filter(case=case, material=material, replaced_at__isnull=True).update(
        replaced_at=now
    )
    cm.save()
    record(case, "material_uploaded", user, data={"materials": {key: "upload"}})
    return cm
