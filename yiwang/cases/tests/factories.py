"""Factories for cases tests: published items and bundles built with the catalogue models, the
personas of the case stories, shared records, e-licences (through the licences app) and
uploads."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiwang.accounts import services as account_services
from yiwang.accounts.models import Department, Enterprise, Person, Role, User
from yiwang.accounts.tests.factories import (
    make_citizen,
    make_department,
    make_person,
    make_region,
    make_role,
    make_staff,
    make_user,
)
from yiwang.cases.models import SharedRecord
from yiwang.catalog.models import Bundle, BundleMember, ItemStatus, Material, ServiceItem
from yiwang.core.identifiers import make_uscc

_seq = itertools.count(1)

DEFAULT_FIELDS = [
    {"key": "applicant_name", "label": "申请人姓名", "type": "text", "source": "person.name"},
    {"key": "applicant_id", "label": "身份证号", "type": "id_number", "source": "person.id_number"},
    {"key": "phone", "label": "联系电话", "type": "phone", "source": "person.phone"},
    {"key": "shop_name", "label": "店铺名称", "type": "text"},
    {"key": "area", "label": "经营面积（平方米）", "type": "number"},
    {"key": "start_date", "label": "开业日期", "type": "date", "required": False},
    {
        "key": "category",
        "label": "经营类别",
        "type": "choice",
        "choices": [["food", "食品销售"], ["catering", "餐饮服务"]],
    },
]

DEFAULT_MATERIALS = [
    {"key": "id_card", "name": "身份证明", "trust_level": "B"},
    {"key": "floor_plan", "name": "经营场所平面图", "deficiency_allowed": True},
    {"key": "safety_rules", "name": "食品安全管理制度", "commitment_allowed": True},
    {"key": "hukou_copy", "name": "户口簿", "shared_dataset": "hukou", "required": False},
    {
        "key": "marriage",
        "name": "结婚证",
        "licence_type": "11100000000013338W013",
        "required": False,
    },
]


def make_item(
    department: Department,
    *,
    code: str | None = None,
    name: str = "食品经营许可",
    fields: list[dict[str, Any]] | None = None,
    materials: list[dict[str, Any]] | None = None,
    promised: int = 10,
    legal: int = 20,
    immediate: bool = False,
    for_enterprises: bool = False,
    for_persons: bool = True,
) -> ServiceItem:
    n = next(_seq)
    code = code or f"11330100MB{n:04d}000XK{n:05d}"[:36]
    item = ServiceItem.objects.create(
        base_code=f"0001{n:08d}"[:12],
        implementation_code=code,
        version=1,
        status=ItemStatus.PUBLISHED,
        published_at=timezone.now(),
        name=name,
        item_type="licensing",
        level="municipal",
        department=department,
        region=department.region,
        handling_type="immediate" if immediate else "promised",
        legal_limit=0 if immediate else legal,
        promised_limit=0 if immediate else promised,
        for_persons=for_persons,
        for_enterprises=for_enterprises,
        form_fields=DEFAULT_FIELDS if fields is None else fields,
        result_name=f"{name}决定书",
    )
    for order, spec in enumerate(DEFAULT_MATERIALS if materials is None else materials):
        Material.objects.create(item=item, order=order, **{"required": True, **spec})
    return item


def make_bundle(department: Department, items: list[ServiceItem], *, code: str = "") -> Bundle:
    n = next(_seq)
    bundle = Bundle.objects.create(
        code=code or f"newborn-{n}", name="新生儿出生一件事", department=department
    )
    for order, item in enumerate(items):
        BundleMember.objects.create(
            bundle=bundle, implementation_code=item.implementation_code, order=order
        )
    return bundle


def shared_record(
    person: Person, dataset: str, provider: Department, payload: dict[str, Any] | None = None
) -> SharedRecord:
    return SharedRecord.objects.create(
        dataset=dataset,
        subject_index=person.id_number_index,
        title=dataset,
        provider=provider,
        payload=payload or {"householder": person.name},
    )


MARRIAGE_LICENCE_TYPE = "11100000000013338W013"  # DEFAULT_MATERIALS' "marriage" (结婚证)


def marriage_licence(person: Person, issuer: Department, **changes: Any) -> Any:
    """A signed 结婚证 e-licence of ``person`` issued by ``issuer`` (licences app), usable as the
    "marriage" material; ``changes`` are saved on it (e.g. ``valid_until``)."""
    from yiwang.licences import services as licence_services
    from yiwang.licences.models import LicenceType

    licence_type, _made = LicenceType.objects.get_or_create(
        code=MARRIAGE_LICENCE_TYPE,
        defaults={
            "key": "test-marriage",
            "name": "结婚证",
            "fields": [
                {"key": "holder_name", "label": "持证人", "type": "string", "required": True},
                {"key": "spouse_name", "label": "对方姓名", "type": "string", "required": True},
            ],
        },
    )
    licence = licence_services.issue(
        licence_type=licence_type,
        issuer=issuer,
        content={"holder_name": person.name, "spouse_name": "李娜"},
        holder_person=person,
        notify=False,
    )
    for name, value in changes.items():
        setattr(licence, name, value)
    if changes:
        licence.save(update_fields=list(changes))
    return licence


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def png_upload(name: str = "plan.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf_upload(name: str = "rules.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, io.BytesIO(body).read(), content_type="application/pdf")


def full_form(**overrides: Any) -> dict[str, Any]:
    form = {"shop_name": "湖滨小吃店", "area": "35", "category": "catering"}
    form.update(overrides)
    return form


def all_materials() -> dict[str, Any]:
    return {
        "id_card": {"source": "upload", "file": png_upload("id.png")},
        "floor_plan": {"source": "upload", "file": png_upload()},
        "safety_rules": {"source": "commitment"},
    }


@dataclass
class Cast:
    """The people of a case story."""

    dept_a: Department  # the deciding department (市场监管局)
    dept_b: Department  # another department
    counter: Department  # the government service centre window
    item: ServiceItem
    citizen: User
    other_citizen: User
    clerk: User  # counter clerk (cases.intake) at the centre
    reviewer_a: User  # reviewer of dept A (cases.review)
    approver_a: User  # approver of dept A (cases.review, cases.approve)
    reviewer_b: User  # reviewer of dept B
    outsider: User  # staff without a role
    agent: User  # citizen who is an agent of an enterprise
    enterprise: Enterprise


def staff_with_role(
    department: Department,
    code: str,
    capabilities: tuple[str, ...],
    *,
    scope: str = Role.Scope.OWN_DEPARTMENT,
) -> User:
    """A staff user holding the role ``code`` (the workflow assigns tasks by role code)."""
    user = make_user(kind=User.Kind.STAFF)
    role = make_role(scope, capabilities=capabilities, code=code)
    account_services.grant_role(None, user, department, role)
    return user


def make_cast() -> Cast:
    city = "330100000000"
    make_region(city)
    dept_a = make_department("市市场监督管理局", region=city)
    dept_b = make_department("市卫生健康委员会", region=city)
    counter = make_department("市政务服务中心", region=city)
    item = make_item(dept_a)
    citizen = make_citizen(region="330102001001")
    other = make_citizen(region="330105001001")
    clerk = make_staff(
        counter,
        capabilities=("cases.intake", "accounts.register_person", "accounts.read_full_id_number"),
        scope=Role.Scope.OWN_DEPARTMENT,
    )
    reviewer_a = staff_with_role(dept_a, "reviewer", ("cases.review",))
    approver_a = staff_with_role(
        dept_a, "approver", ("cases.review", "cases.approve"), scope=Role.Scope.DEPARTMENT_SUBTREE
    )
    reviewer_b = staff_with_role(dept_b, "reviewer", ("cases.review",))
    outsider = User.objects.create_user(f"outsider{next(_seq)}", kind=User.Kind.STAFF)
    agent = make_citizen(region="330102001001")
    boss = make_person(region="330102001001")
    enterprise = account_services.create_enterprise(
        "示范餐饮有限公司",
        make_uscc("9", "1", "330102", f"MA{next(_seq):06d}"),
        boss,
        make_region("330102000000"),
    )
    account_services.add_agent(enterprise, agent.person)
    return Cast(
        dept_a,
        dept_b,
        counter,
        item,
        citizen,
        other,
        clerk,
        reviewer_a,
        approver_a,
        reviewer_b,
        outsider,
        agent,
        enterprise,
    )
