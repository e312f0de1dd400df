"""Demo data for e-licences (seeder "licences", order 25): after the accounts demo (``seed_demo``
runs before every seeder) and the catalogue (20), before the demo cases (40).

- The licence types (证照类型) of the demo catalogue (``yiwang.catalog.demo.LICENCE_TYPES``), each
  with realistic content fields whose ``source`` maps the demo items' form fields, so that an
  approved case issues its result licence (``services.issue_for_case``): 营业执照, 食品经营许可证,
  结婚证, 出生医学证明, 居民户口簿, 社会保障卡, 老年人优待证, 退休证, 居住证.
- Signed licences of the demo world: the 结婚证 of 张伟 and 李娜 (市民政局; 张伟's is offered on
  the 出生登记 form of 新生儿出生一件事, 一证通办), the 营业执照 of every demo enterprise and the
  食品经营许可证 of 湖滨餐饮 (市市场监管局); for the verification page, an expired 居住证 of 张伟
  and a revoked 食品经营许可证 of 文昌数字科技 (张伟 is its agent, so both are in his wallet).

Idempotent: types are looked up by code (and brought up to date); a demo licence is issued only
when its holder has none of its type that was issued outside a case and not by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.accounts.models import Department, Enterprise, Person, User
from yiwang.core.errors import DomainError
from yiwang.licences import services
from yiwang.licences.models import HolderKind, Licence, LicenceStatus, LicenceType


def _f(
    key: str, label: str, source: str = "", *, kind: str = "string", required: bool = True
) -> dict[str, Any]:
    field: dict[str, Any] = {"key": key, "label": label, "type": kind, "required": required}
    if source:
        field["source"] = source
    return field


@dataclass(frozen=True)
class TypeSpec:
    key: str  # the key in yiwang.catalog.demo.LICENCE_TYPES
    name: str
    holder_kind: str
    validity_years: int | None  # None: 长期有效
    fields: tuple[dict[str, Any], ...]
    description: str


TYPES: tuple[TypeSpec, ...] = (
    TypeSpec(
        "business_licence",
        "营业执照",
        HolderKind.ENTERPRISE,
        None,
        (
            _f("name", "名称", "form.enterprise_name"),
            _f("uscc", "统一社会信用代码", "enterprise.uscc"),
            _f("entity_type", "类型", "form.entity_type", required=False),
            _f("legal_representative", "法定代表人", "form.legal_representative", required=False),
            _f("registered_capital", "注册资本（万元）", "form.registered_capital", required=False),
            _f("established_on", "成立日期", "form.established_on", kind="date", required=False),
            _f("address", "住所", "enterprise.address", required=False),
            _f("business_scope", "经营范围", "form.business_scope", kind="text", required=False),
            _f("authority", "登记机关", "issuer.name"),
            _f("registered_on", "登记日期", "today", kind="date"),
        ),
        "市场主体登记的法定凭证，长期有效",
    ),
    TypeSpec(
        "food_licence",
        "食品经营许可证",
        HolderKind.ENTERPRISE,
        5,
        (
            _f("operator", "经营者名称", "enterprise.name"),
            _f("uscc", "社会信用代码", "enterprise.uscc"),
            _f(
                "legal_representative",
                "法定代表人（负责人）",
                "form.legal_representative",
                required=False,
            ),
            _f("address", "住所", "enterprise.address", required=False),
            _f("premises", "经营场所", "form.business_address"),
            _f("main_format", "主体业态", "form.main_format", required=False),
            _f("business_items", "经营项目", "form.business_kind"),
            _f("licence_no", "许可证编号", "case.number"),
            _f("supervisor", "日常监督管理机构", "issuer.name"),
            _f("complaint_phone", "投诉举报电话", "const:12345"),
            _f("authority", "发证机关", "issuer.name"),
            _f("issued_on", "签发日期", "today", kind="date"),
        ),
        "从事食品销售和餐饮服务的许可凭证，有效期五年",
    ),
    TypeSpec(
        "marriage_certificate",
        "结婚证",
        HolderKind.PERSON,
        None,
        (
            _f("holder_name", "持证人", "applicant.name"),
            _f("holder_id_number", "持证人身份证件号", "applicant.id_number"),
            _f("spouse_name", "对方姓名", "form.spouse_name"),
            _f("spouse_id_number", "对方身份证件号", "form.spouse_id_number", required=False),
            _f("registered_on", "登记日期", "today", kind="date"),
            _f("certificate_no", "结婚证字号", "case.number"),
            _f("authority", "登记机关", "issuer.name"),
        ),
        "内地居民婚姻登记的凭证",
    ),
    TypeSpec(
        "birth_certificate",
        "出生医学证明",
        HolderKind.PERSON,
        None,
        (
            _f("child_name", "新生儿姓名", "form.newborn_name"),
            _f("child_sex", "性别", "form.newborn_sex"),
            _f("birth_date", "出生日期", "form.birth_date", kind="date"),
            _f("birth_place", "出生地点", "form.birth_place"),
            _f("mother_name", "母亲姓名", "form.mother_name"),
            _f("mother_id_number", "母亲有效身份证件号码", "form.mother_id_number", required=False),
            _f("applicant_name", "申领人", "applicant.name"),
            _f("certificate_no", "出生医学证明编号", "case.number"),
            _f("issuing_organ", "签发机构", "issuer.name"),
            _f("issued_on", "签发日期", "today", kind="date"),
        ),
        "新生儿的出生医学证明，由申领的父母持有",
    ),
    TypeSpec(
        "hukou",
        "居民户口簿",
        HolderKind.PERSON,
        None,
        (
            _f("address", "住址", "form.hukou_address"),
            _f("member_name", "登记人姓名", "form.newborn_name"),
            _f("member_sex", "性别", "form.newborn_sex"),
            _f("birth_date", "出生日期", "form.birth_date", kind="date"),
            _f("declarant", "申报人", "applicant.name"),
            _f("reason", "登记事由", "const:出生登记"),
            _f("registered_on", "登记日期", "today", kind="date"),
            _f("authority", "登记机关", "issuer.name"),
        ),
        "户口登记（出生登记）后的居民户口簿登记页",
    ),
    TypeSpec(
        "social_security_card",
        "社会保障卡",
        HolderKind.PERSON,
        10,
        (
            _f("card_holder", "持卡人姓名", "form.newborn_name"),
            _f("sex", "性别", "form.newborn_sex"),
            _f("birth_date", "出生日期", "form.birth_date", kind="date"),
            _f("guardian", "监护人（申领人）", "applicant.name"),
            _f("card_no", "卡号", "case.number"),
            _f("issuing_organ", "发卡机构", "issuer.name"),
            _f("issued_on", "发卡日期", "today", kind="date"),
        ),
        "电子社会保障卡，有效期十年",
    ),
    TypeSpec(
        "elderly_card",
        "老年人优待证",
        HolderKind.PERSON,
        None,
        (
            _f("holder_name", "姓名", "applicant.name"),
            _f("id_number", "公民身份号码", "applicant.id_number"),
            _f("address", "户籍地址", "form.hukou_address", required=False),
            _f("card_no", "证号", "case.number"),
            _f("authority", "发证机关", "issuer.name"),
            _f("issued_on", "发证日期", "today", kind="date"),
        ),
        "年满60周岁的本市户籍老年人享受优待的凭证",
    ),
    TypeSpec(
        "retirement_certificate",
        "退休证",
        HolderKind.PERSON,
        None,
        (
            _f("holder_name", "姓名", "applicant.name"),
            _f("id_number", "公民身份号码", "applicant.id_number"),
            _f("employer", "原工作单位", "form.employer_name"),
            _f("retirement_date", "退休时间", "form.retirement_date", kind="date"),
            _f("certificate_no", "证件编号", "case.number"),
            _f("authority", "发证机关", "issuer.name"),
            _f("issued_on", "发证日期", "today", kind="date"),
        ),
        "职工退休的凭证",
    ),
    TypeSpec(
        "residence_permit",
        "居住证",
        HolderKind.PERSON,
        1,
        (
            _f("holder_name", "姓名", "applicant.name"),
            _f("id_number", "公民身份号码", "applicant.id_number"),
            _f("address", "居住地住址", "form.address"),
            _f("certificate_no", "证件编号", "case.number"),
            _f("authority", "签发机关", "issuer.name"),
            _f("issued_on", "签发日期", "today", kind="date"),
        ),
        "居住证，每年签注，有效期一年",
    ),
)


def type_code(key: str) -> str:
    from yiwang.catalog.demo import LICENCE_TYPES

    return LICENCE_TYPES[key]


def seed_types() -> tuple[int, int]:
    """(created, updated) licence types."""
    created = updated = 0
    for spec in TYPES:
        values = {
            "key": spec.key,
            "name": spec.name,
            "holder_kind": spec.holder_kind,
            "validity_years": spec.validity_years,
            "fields": [dict(f) for f in spec.fields],
            "description": spec.description,
        }
        row = LicenceType.objects.filter(code=type_code(spec.key)).first()
        if row is None:
            LicenceType.objects.create(code=type_code(spec.key), **values)
            created += 1
            continue
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, values[name])
            row.save(update_fields=changed)
            updated += 1
    return created, updated


# --- the demo world's licences ---------------------------------------------------------------------


def _department(key: str) -> Department | None:
    from yiwang.accounts.demo import DEPARTMENTS, department_uscc

    spec = next(d for d in DEPARTMENTS if d.key == key)
    return Department.objects.filter(uscc=department_uscc(spec)).first()


def _person(name: str) -> Person | None:
    from yiwang.accounts.demo import CITIZENS, citizen_id_number
    from yiwang.accounts.selectors import find_person_by_id_number

    for index, spec in enumerate(CITIZENS):
        if spec.name == name:
            return find_person_by_id_number(citizen_id_number(spec, index))
    return None


def _enterprise(name: str) -> Enterprise | None:
    from yiwang.accounts.demo import ENTERPRISES, enterprise_uscc

    spec = next(e for e in ENTERPRISES if e.name == name)
    return Enterprise.objects.filter(uscc=enterprise_uscc(spec)).first()


def _seeded(
    licence_type: LicenceType, *, person: Person | None = None, enterprise: Enterprise | None = None
) -> Licence | None:
    """The demo licence of this type and holder: issued neither for a case nor by hand."""
    return (
        Licence.objects.filter(
            type=licence_type,
            holder_person=person,
            holder_enterprise=enterprise,
            case__isnull=True,
            issued_by__isnull=True,
        )
        .order_by("issued_at", "id")
        .first()
    )


def _issue(
    key: str,
    issuer: Department,
    content: dict[str, Any],
    *,
    person: Person | None = None,
    enterprise: Enterprise | None = None,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
) -> tuple[Licence, bool]:
    licence_type = LicenceType.objects.get(code=type_code(key))
    found = _seeded(licence_type, person=person, enterprise=enterprise)
    if found is not None:
        return found, False
    licence = services.issue(
        licence_type=licence_type,
        issuer=issuer,
        content=content,
        holder_person=person,
        holder_enterprise=enterprise,
        valid_from=valid_from,
        valid_until=valid_until,
        notify=False,  # the seeded world's licences are there from the start
    )
    return licence, True


def _id_number(person: Person) -> str:
    from yiwang.accounts.selectors import decrypt_id_number

    return decrypt_id_number(person)


# Registration details of the demo enterprises (their 营业执照).
ENTERPRISE_DETAILS: dict[str, dict[str, str]] = {
    "示范市湖滨餐饮管理有限公司": {
        "entity_type": "有限责任公司（自然人投资或控股）",
        "registered_capital": "100",
        "established_on": "2019-04-16",
        "business_scope": "许可项目：餐饮服务；食品销售。一般项目：餐饮管理；外卖递送服务。"
        "（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    },
    "示范市文昌数字科技有限公司": {
        "entity_type": "有限责任公司（自然人投资或控股）",
        "registered_capital": "500",
        "established_on": "2021-09-08",
        "business_scope": "一般项目：软件开发；信息技术咨询服务；数据处理和存储支持服务；"
        "互联网数据服务；单位后勤管理服务。",
    },
    "示范市新桥建材有限公司": {
        "entity_type": "有限责任公司（自然人独资）",
        "registered_capital": "300",
        "established_on": "2016-11-22",
        "business_scope": "一般项目：建筑材料销售；水泥制品制造；砼结构构件制造；"
        "普通货物仓储服务（不含危险化学品等需许可审批的项目）。",
    },
    "示范市石门生态农业专业合作社": {
        "entity_type": "农民专业合作社",
        "registered_capital": "50",
        "established_on": "2018-03-05",
        "business_scope": "组织收购、销售成员及同类生产经营者的农产品；开展成员所需的农业生产"
        "技术培训、技术交流和信息咨询服务。",
    },
}


def _marriage(mz: Department) -> int:
    husband, wife = _person("张伟"), _person("李娜")
    if husband is None or wife is None:
        return 0
    made = 0
    for holder, spouse in ((husband, wife), (wife, husband)):
        _licence, created = _issue(
            "marriage_certificate",
            mz,
            {
                "holder_name": holder.name,
                "holder_id_number": _id_number(holder),
                "spouse_name": spouse.name,
                "spouse_id_number": _id_number(spouse),
                "registered_on": "2020-05-20",
                "certificate_no": "J339902-2020-000518",
                "authority": mz.name,
            },
            person=holder,
            valid_from=dt.date(2020, 5, 20),
        )
        made += int(created)
    return made


def _business_licences(scjg: Department) -> int:
    made = 0
    for name, details in ENTERPRISE_DETAILS.items():
        enterprise = _enterprise(name)
        if enterprise is None:
            continue
        established = dt.date.fromisoformat(details["established_on"])
        _licence, created = _issue(
            "business_licence",
            scjg,
            {
                "name": enterprise.name,
                "uscc": enterprise.uscc,
                "legal_representative": enterprise.legal_representative.name,
                "address": enterprise.address,
                "authority": scjg.name,
                "registered_on": details["established_on"],
                **details,
            },
            enterprise=enterprise,
            valid_from=established,
        )
        made += int(created)
    return made


def _food_licence(
    scjg: Department,
    enterprise: Enterprise,
    *,
    premises: str,
    main_format: str,
    items: str,
    number: str,
    since: dt.date,
) -> tuple[Licence, bool]:
    return _issue(
        "food_licence",
        scjg,
        {
            "operator": enterprise.name,
            "uscc": enterprise.uscc,
            "legal_representative": enterprise.legal_representative.name,
            "address": enterprise.address,
            "premises": premises,
            "main_format": main_format,
            "business_items": items,
            "licence_no": number,
            "supervisor": "示范市市场监督管理局东湖分局",
            "complaint_phone": "12345",
            "authority": scjg.name,
            "issued_on": since.isoformat(),
        },
        enterprise=enterprise,
        valid_from=since,
    )


REVOKE_REASON = "经复查，申请人以提供虚假材料的不正当手段取得许可，依据《中华人民共和国行政许可法》第六十九条予以撤销。"


def _food_licences(scjg: Department) -> int:
    today = timezone.localdate()
    made = 0
    restaurant = _enterprise("示范市湖滨餐饮管理有限公司")
    if restaurant is not None:
        _licence, created = _food_licence(
            scjg,
            restaurant,
            premises="示范市东湖区湖滨路26号一至二层",
            main_format="餐饮服务经营者",
            items="热食类食品制售；冷食类食品制售；预包装食品销售（含冷藏冷冻食品）",
            number="JY23399020012345",
            since=today - dt.timedelta(days=400),
        )
        made += int(created)
    canteen = _enterprise("示范市文昌数字科技有限公司")
    if canteen is not None:
        licence, created = _food_licence(
            scjg,
            canteen,
            premises="示范市东湖区文昌路200号2楼职工食堂",
            main_format="单位食堂",
            items="热食类食品制售",
            number="JY33399020023456",
            since=today - dt.timedelta(days=200),
        )
        made += int(created)
        _revoke(licence, scjg)
    return made


def _revoke(licence: Licence, scjg: Department) -> None:
    """The demo's revoked licence: revoked by the department's approver (licences.manage)."""
    if licence.status != LicenceStatus.VALID:
        return
    approver = User.objects.filter(username="approver", is_active=True).first()
    if approver is None:
        return
    try:
        services.change_status(approver, licence, "revoke", REVOKE_REASON)
    except DomainError:  # the demo role lacks licences.manage: leave it valid
        return


def _expired_residence_permit(ga: Department) -> int:
    holder = _person("张伟")
    if holder is None:
        return 0
    since = timezone.localdate() - dt.timedelta(days=800)
    _licence, created = _issue(
        "residence_permit",
        ga,
        {
            "holder_name": holder.name,
            "id_number": _id_number(holder),
            "address": "示范市东湖区湖滨路18号3幢201室",
            "certificate_no": f"339902{since:%Y}004417",
            "authority": ga.name,
            "issued_on": since.isoformat(),
        },
        person=holder,
        valid_from=since,
        valid_until=since + dt.timedelta(days=364),
    )
    return int(created)


def seed_world_licences() -> int:
    mz, scjg, ga = _department("mz"), _department("scjg"), _department("ga")
    if mz is None or scjg is None or ga is None:
        return 0  # the accounts demo has not run
    return (
        _marriage(mz)
        + _business_licences(scjg)
        + _food_licences(scjg)
        + _expired_residence_permit(ga)
    )


@transaction.atomic
def seed_licences() -> dict[str, int]:
    if not settings.YIWANG_DEMO:
        return {}
    created, updated = seed_types()
    result = {
        "licence types": created,
        "licence types updated": updated,
        "licences": seed_world_licences(),
    }
    return {k: v for k, v in result.items() if v}
