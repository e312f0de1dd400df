"""Demo catalogue of 示范市: realistic items, their materials and processes, and the bundles
新生儿出生一件事, 企业开办一件事 and 退休一件事 (seeder "catalog", order 20).

Everything is invented for the fictional city (see ``yiwang.accounts.demo``); names, legal bases
and time limits follow common practice in Chinese provinces. The catalogue is loaded through the
import (``yiwang.catalog.transfer``), so seeding twice changes nothing and the import is exercised
on every start. Each item also gets its process definition (key = 实施编码) through
``yiwang.workflow.services.publish_definition`` when the workflow app provides it.

Licence type codes (电子证照类型, for the licences app) and shared datasets (免提交, for the
data-sharing provider) used by the materials and results are listed in ``LICENCE_TYPES`` and
``DATASETS``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from yiwang.accounts.demo import DEPARTMENTS, department_uscc
from yiwang.accounts.models import Department

# 电子证照类型代码: the national authority's USCC + 3 digits (invented for the demo).
_TYPE_AUTHORITY = "11100000000013338W"
LICENCE_TYPES: dict[str, str] = {
    "business_licence": f"{_TYPE_AUTHORITY}011",  # 营业执照
    "food_licence": f"{_TYPE_AUTHORITY}012",  # 食品经营许可证
    "marriage_certificate": f"{_TYPE_AUTHORITY}013",  # 结婚证
    "birth_certificate": f"{_TYPE_AUTHORITY}021",  # 出生医学证明
    "hukou": f"{_TYPE_AUTHORITY}022",  # 居民户口簿
    "social_security_card": f"{_TYPE_AUTHORITY}031",  # 社会保障卡
    "elderly_card": f"{_TYPE_AUTHORITY}041",  # 老年人优待证
    "retirement_certificate": f"{_TYPE_AUTHORITY}051",  # 退休证
    "residence_permit": f"{_TYPE_AUTHORITY}061",  # 居住证
}
# Shared datasets (免提交) a material may be satisfied from.
DATASETS = (
    "birth_medical_certificate",
    "hukou",
    "marriage_certificate",
    "enterprise_registration",
    "social_insurance",
    "provident_fund",
)

LICENSING_STEPS = [
    {"name": "受理", "description": "窗口或网上受理申请，审查材料是否齐全、符合法定形式"},
    {"name": "审核", "description": "审查申请材料的实质内容，必要时现场核查"},
    {"name": "审批", "description": "作出准予或不予许可的决定"},
    {"name": "办结", "description": "制作并签发许可证件（电子证照同步生成）"},
    {"name": "送达", "description": "电子送达、邮寄或窗口领取"},
]
SERVICE_STEPS = [
    {"name": "受理", "description": "网上或窗口受理"},
    {"name": "审核", "description": "审核申请信息和材料"},
    {"name": "办结", "description": "办理完成并告知结果"},
    {"name": "送达", "description": "电子送达或窗口领取"},
]
IMMEDIATE_STEPS = [
    {"name": "受理", "description": "网上或窗口受理"},
    {"name": "办结", "description": "当场办结"},
]

COMPLAINT_PHONE = "12345"

# --- form fields shared by bundle members (the same key is asked once) ---------------------------

F_APPLICANT = {
    "key": "applicant_name",
    "label": "申请人姓名",
    "type": "text",
    "source": "person.name",
}
F_ID = {
    "key": "applicant_id_number",
    "label": "申请人身份证号",
    "type": "id_number",
    "source": "person.id_number",
}
F_PHONE = {"key": "contact_phone", "label": "联系电话", "type": "phone", "source": "person.phone"}
F_ADDRESS = {"key": "address", "label": "联系地址", "type": "text", "source": "person.address"}
F_CHILD = {
    "key": "newborn_name",
    "label": "新生儿姓名",
    "type": "text",
    "source": "shared:birth_medical_certificate.child_name",
}
F_CHILD_SEX = {
    "key": "newborn_sex",
    "label": "新生儿性别",
    "type": "choice",
    "choices": ["男", "女"],
    "source": "shared:birth_medical_certificate.child_sex",
}
F_BIRTH = {
    "key": "birth_date",
    "label": "出生日期",
    "type": "date",
    "source": "shared:birth_medical_certificate.birth_date",
}
F_BIRTH_PLACE = {
    "key": "birth_place",
    "label": "出生地点",
    "type": "text",
    "source": "shared:birth_medical_certificate.birth_place",
}
F_MOTHER = {
    "key": "mother_name",
    "label": "母亲姓名",
    "type": "text",
    "source": "shared:birth_medical_certificate.mother_name",
}
F_MOTHER_ID = {"key": "mother_id_number", "label": "母亲身份证号", "type": "id_number"}
F_HUKOU = {
    "key": "hukou_address",
    "label": "户籍地址",
    "type": "text",
    "source": "shared:hukou.address",
}
F_COMPANY = {
    "key": "enterprise_name",
    "label": "企业名称",
    "type": "text",
    "source": "enterprise.name",
}
F_USCC = {
    "key": "enterprise_uscc",
    "label": "统一社会信用代码",
    "type": "text",
    "source": "enterprise.uscc",
    "required": False,
}
F_CAPITAL = {"key": "registered_capital", "label": "注册资本（万元）", "type": "number"}
F_STAFF = {"key": "employee_count", "label": "参保职工人数", "type": "number"}
F_BUSINESS_ADDRESS = {"key": "business_address", "label": "经营场所", "type": "text"}
F_RETIRE = {"key": "retirement_date", "label": "退休日期", "type": "date"}
F_EMPLOYER = {"key": "employer_name", "label": "原工作单位", "type": "text"}
F_BANK = {"key": "bank_account", "label": "养老金发放银行账号", "type": "text"}


def mat(
    key: str,
    name: str,
    trust: str = "C",
    *,
    required: bool = True,
    licence: str = "",
    dataset: str = "",
    source: str = "applicant",
    mtype: str = "electronic",
    deficiency: bool = False,
    commitment: bool = False,
    description: str = "",
    copies: int = 1,
) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "material_type": mtype,
        "form": "electronic" if mtype == "electronic" else "either",
        "required": required,
        "source_channel": source,
        "copies": copies,
        "trust_level": trust,
        "description": description,
        "licence_type": LICENCE_TYPES.get(licence, ""),
        "shared_dataset": dataset,
        "deficiency_allowed": deficiency,
        "commitment_allowed": commitment,
    }


ID_CARD = mat(
    "id_card",
    "申请人居民身份证",
    "B",
    source="government",
    description="窗口核验身份证原件，网上办理通过实名认证核验",
)
HUKOU = mat(
    "hukou",
    "居民户口簿",
    "A",
    dataset="hukou",
    source="government",
    description="可通过数据共享获取，免提交",
)
BUSINESS_LICENCE = mat(
    "business_licence",
    "营业执照",
    "A",
    licence="business_licence",
    source="government",
    description="可关联电子营业执照，免提交",
)


def entry(
    dept: str,
    base: str,
    name: str,
    item_type: str,
    legal: int,
    promised: int,
    *,
    materials: list[dict[str, Any]],
    fields: list[dict[str, Any]],
    legal_basis: str,
    conditions: str = "",
    summary: str = "",
    keywords: str = "",
    level: str = "municipal",
    persons: bool = True,
    enterprises: bool = False,
    visits: int = 0,
    visit_reason: str = "",
    depth: int = 4,
    charges: bool = False,
    fee_basis: str = "",
    fee_description: str = "",
    result: str = "",
    result_type: str = "",
    result_licence: str = "",
    modes: tuple[str, ...] = (),
    steps: list[dict[str, str]] | None = None,
    process: dict[str, Any] | None = None,
) -> dict[str, Any]:
    immediate = promised == 0
    if steps is None:
        steps = (
            LICENSING_STEPS
            if item_type == "licensing"
            else IMMEDIATE_STEPS
            if immediate
            else SERVICE_STEPS
        )
    return {
        "dept": dept,
        "process": process,
        "record": {
            "base_code": base,
            "name": name,
            "item_type": item_type,
            "level": level,
            "legal_basis": legal_basis,
            "conditions": conditions,
            "summary": summary,
            "keywords": keywords,
            "handling_type": "immediate" if immediate else "promised",
            "legal_limit": legal,
            "promised_limit": promised,
            "limit_unit": "working_days",
            "for_persons": persons,
            "for_enterprises": enterprises,
            "visits": visits,
            "visit_reason": visit_reason,
            "online_depth": depth,
            "charges": charges,
            "fee_basis": fee_basis,
            "fee_description": fee_description,
            "steps": steps,
            "form_fields": fields,
            "result_name": result,
            "result_type": result_type or ("证照" if result else ""),
            "result_sample": f"{result}（样本）" if result else "",
            "result_licence_type": LICENCE_TYPES.get(result_licence, ""),
            "cross_region_modes": list(modes),
            "business_code": "",
            "process_key": "",
            "materials": materials,
        },
    }


# --- process definitions (workflow spec, see the contract) ---------------------------------------


def review_approve(review_days: int = 0) -> dict[str, Any]:
    review: dict[str, Any] = {
        "key": "review",
        "name": "审查",
        "role": "reviewer",
        "departments": ["$item"],
        "mode": "single",
        "after": [],
    }
    if review_days:
        review["limit"] = {"amount": review_days, "unit": "working_days"}
    return {
        "stages": [
            review,
            {
                "key": "approve",
                "name": "决定",
                "role": "approver",
                "departments": ["$item"],
                "mode": "single",
                "after": ["review"],
            },
        ],
        "max_extension": 10,
    }


def immediate_review() -> dict[str, Any]:
    """即办件 without auto-approval: one clerk review closes it."""
    return {
        "stages": [
            {
                "key": "review",
                "name": "审核",
                "role": "reviewer",
                "departments": ["$item"],
                "mode": "single",
                "after": [],
            }
        ],
        "max_extension": 0,
    }


def food_business_process() -> dict[str, Any]:
    """食品经营许可: 审查 → 食品安全条件会签 (市场监管 + 卫健, all must approve) → 决定."""
    wjw = next(d for d in DEPARTMENTS if d.key == "wjw")
    return {
        "stages": [
            {
                "key": "review",
                "name": "材料审查",
                "role": "reviewer",
                "departments": ["$item"],
                "mode": "single",
                "after": [],
                "limit": {"amount": 2, "unit": "working_days"},
            },
            {
                "key": "joint_review",
                "name": "食品安全条件会签",
                "role": "reviewer",
                "departments": ["$item", department_uscc(wjw)],
                "mode": "all",
                "after": ["review"],
                "limit": {"amount": 2, "unit": "working_days"},
            },
            {
                "key": "approve",
                "name": "许可决定",
                "role": "approver",
                "departments": ["$item"],
                "mode": "single",
                "after": ["joint_review"],
            },
        ],
        "max_extension": 10,
    }


def _auto_approved_from_age(spec: dict[str, Any], age: int) -> dict[str, Any]:
    """``spec`` with one 智能秒办 rule: approved at once for a resident aged ``age`` or more whose
    户籍 the shared 户口簿 confirms; otherwise the spec's stages run."""
    spec["auto_approval"] = {
        "enabled": True,
        "rules": [
            {
                "id": "R1",
                "name": f"年满{age}周岁且户籍在本市",
                "when": {
                    "all": [
                        {"field": "applicant.age", "op": "gte", "value": age},
                        {"field": "shared.hukou", "op": "exists"},
                    ]
                },
            }
        ],
    }
    return spec


def elderly_card_process() -> dict[str, Any]:
    """老年人优待证 (即办, 智能秒办): approved at once at 60+; otherwise a clerk reviews it the
    same day."""
    return _auto_approved_from_age(immediate_review(), 60)


def allowance_process() -> dict[str, Any]:
    """高龄津贴: approved at once at 80+, with the 户口簿 shared; else reviewed and decided."""
    return _auto_approved_from_age(review_approve(), 80)


# --- the items ------------------------------------------------------------------------------------

XKF = "《中华人民共和国行政许可法》"


def _items() -> list[dict[str, Any]]:
    person_basic = [F_APPLICANT, F_ID, F_PHONE]
    company = [F_COMPANY, F_USCC, F_APPLICANT, F_PHONE]
    newborn = [F_APPLICANT, F_ID, F_PHONE, F_CHILD, F_CHILD_SEX, F_BIRTH, F_MOTHER]
    retire = [F_APPLICANT, F_ID, F_PHONE, F_RETIRE, F_EMPLOYER]
    startup = [F_COMPANY, F_USCC, F_APPLICANT, F_PHONE, F_BUSINESS_ADDRESS]
    individual_business = dict(
        materials=[
            ID_CARD,
            mat("application", "个体工商户登记申请书", "C"),
            mat(
                "premises",
                "经营场所使用证明",
                "D",
                commitment=True,
                description="可签署经营场所承诺书代替（告知承诺）",
            ),
        ],
        fields=[
            *person_basic,
            F_BUSINESS_ADDRESS,
            {"key": "trade_name", "label": "字号名称", "type": "text", "required": False},
            {"key": "business_scope", "label": "经营范围", "type": "textarea"},
        ],
        legal_basis="《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》第十九条",
        conditions="有经营能力的自然人，有固定经营场所",
        summary="个体工商户设立登记，核发营业执照",
        keywords="营业执照 个体户 开店",
        enterprises=False,
        result="营业执照",
        result_licence="business_licence",
        modes=("online", "proxy"),
    )
    return [
        # --- 市场监管 -----------------------------------------------------------------------------
        entry(
            "scjg",
            "000110001000",
            "食品经营许可",
            "licensing",
            20,
            5,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "食品经营许可申请书", "C"),
                mat("layout", "经营场所平面图和设备布局、工艺流程图", "C"),
                mat("safety_rules", "食品安全管理制度文本", "D", commitment=True),
                mat("manager", "食品安全管理人员健康证明", "C", deficiency=True),
            ],
            fields=[
                *company,
                F_BUSINESS_ADDRESS,
                {
                    "key": "business_kind",
                    "label": "经营项目",
                    "type": "choice",
                    "choices": [
                        "预包装食品销售",
                        "散装食品销售",
                        "热食类食品制售",
                        "冷食类食品制售",
                    ],
                },
            ],
            legal_basis=f"{XKF}；《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
            conditions="依法取得营业执照；具有与经营的食品品种、数量相适应的经营场所和设备设施",
            summary="从事食品销售和餐饮服务，应当依法取得食品经营许可",
            keywords="餐饮 饭店 小吃 食品许可证 营业执照",
            persons=False,
            enterprises=True,
            result="食品经营许可证",
            result_licence="food_licence",
            process=food_business_process(),
        ),
        entry(
            "scjg",
            "000110002000",
            "食品生产许可",
            "licensing",
            20,
            10,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "食品生产许可申请书", "C"),
                mat("equipment", "生产设备、设施清单", "C"),
                mat("process_flow", "食品生产工艺流程图", "C"),
            ],
            fields=company,
            legal_basis=f"{XKF}；《中华人民共和国食品安全法》第三十五条；《食品生产许可管理办法》",
            conditions="具有与生产的食品品种相适应的生产场所、设备和管理制度",
            keywords="食品厂 生产许可证 SC",
            persons=False,
            enterprises=True,
            result="食品生产许可证",
        ),
        entry(
            "scjg",
            "000110003000",
            "企业设立登记",
            "licensing",
            3,
            1,
            materials=[
                mat("application", "公司登记（备案）申请书", "C"),
                mat("articles", "公司章程", "C"),
                mat("shareholder_id", "股东主体资格证明", "B"),
                mat("premises", "住所使用证明", "D", commitment=True),
            ],
            fields=[*startup, F_CAPITAL],
            legal_basis="《中华人民共和国市场主体登记管理条例》第十九条；《中华人民共和国公司法》",
            conditions="申请材料齐全、符合法定形式",
            summary="设立有限责任公司、股份有限公司等企业，核发营业执照",
            keywords="营业执照 开公司 注册公司 企业开办",
            enterprises=True,
            result="营业执照",
            result_licence="business_licence",
            modes=("online",),
        ),
        entry(
            "scjg",
            "000110004000",
            "企业变更登记",
            "licensing",
            3,
            1,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "公司变更登记申请书", "C"),
                mat("resolution", "股东会决议", "C"),
            ],
            fields=[*company, {"key": "change_items", "label": "变更事项", "type": "textarea"}],
            legal_basis="《中华人民共和国市场主体登记管理条例》第二十四条",
            keywords="营业执照 变更 法人变更 地址变更",
            persons=False,
            enterprises=True,
            result="营业执照",
            result_licence="business_licence",
        ),
        entry(
            "scjg",
            "000110005000",
            "企业注销登记",
            "licensing",
            3,
            1,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "注销登记申请书", "C"),
                mat("liquidation", "清算报告", "C"),
            ],
            fields=company,
            legal_basis="《中华人民共和国市场主体登记管理条例》第三十一条",
            keywords="营业执照 注销 关闭公司",
            persons=False,
            enterprises=True,
            result="准予注销登记通知书",
        ),
        entry(
            "scjg",
            "000110006000",
            "营业执照遗失补领",
            "public_service",
            3,
            1,
            materials=[
                mat("application", "营业执照补领申请书", "C"),
                mat("notice", "遗失声明", "D", commitment=True),
            ],
            fields=company,
            legal_basis="《中华人民共和国市场主体登记管理条例实施细则》第六十八条",
            keywords="营业执照 补办 遗失 丢失",
            persons=False,
            enterprises=True,
            result="营业执照",
            result_licence="business_licence",
        ),
        entry(
            "scjg",
            "000110007000",
            "特种设备使用登记",
            "licensing",
            15,
            5,
            materials=[
                BUSINESS_LICENCE,
                mat("registration_form", "特种设备使用登记表", "C"),
                mat("inspection", "监督检验证明", "B"),
            ],
            fields=[
                *company,
                {
                    "key": "equipment_kind",
                    "label": "设备种类",
                    "type": "choice",
                    "choices": ["电梯", "锅炉", "压力容器", "起重机械"],
                },
            ],
            legal_basis=f"{XKF}；《中华人民共和国特种设备安全法》第三十三条",
            keywords="电梯 锅炉 压力容器",
            persons=False,
            enterprises=True,
            result="特种设备使用登记证",
        ),
        entry(
            "scjg_dh",
            "000110008000",
            "个体工商户登记（东湖区）",
            "licensing",
            3,
            1,
            level="county",
            **individual_business,
        ),
        entry(
            "scjg_xl",
            "000110008000",
            "个体工商户登记（西岭区）",
            "licensing",
            3,
            1,
            level="county",
            **individual_business,
        ),
        entry("scjg", "000110008000", "个体工商户登记", "licensing", 3, 1, **individual_business),
        # --- 公安 -----------------------------------------------------------------------------------
        entry(
            "ga",
            "000120001000",
            "出生登记",
            "confirmation",
            20,
            5,
            materials=[
                mat(
                    "birth_medical_certificate",
                    "出生医学证明",
                    "A",
                    dataset="birth_medical_certificate",
                    source="government",
                    description="可通过数据共享获取，免提交",
                ),
                HUKOU,
                mat(
                    "marriage",
                    "父母结婚证",
                    "A",
                    required=False,
                    licence="marriage_certificate",
                    dataset="marriage_certificate",
                    source="government",
                ),
            ],
            fields=[*newborn, F_HUKOU],
            legal_basis="《中华人民共和国户口登记条例》第七条",
            conditions="婴儿出生后一个月以内，由户主、亲属、抚养人或者邻居申报出生登记",
            summary="新生儿申报户口（出生登记）",
            keywords="上户口 新生儿落户 户口登记",
            steps=SERVICE_STEPS,
            result="居民户口簿（户口登记）",
            result_licence="hukou",
        ),
        entry(
            "ga",
            "000120002000",
            "公章刻制备案",
            "other_power",
            1,
            1,
            materials=[BUSINESS_LICENCE, mat("seal_form", "印章刻制申请表", "C")],
            fields=startup,
            legal_basis="《国务院关于第一批取消62项中央指定地方实施行政审批事项的决定》（国发〔2015〕57号）",
            keywords="刻章 公章 印章",
            persons=False,
            enterprises=True,
            steps=SERVICE_STEPS,
        ),
        entry(
            "ga",
            "000120003000",
            "居民身份证换领",
            "confirmation",
            60,
            30,
            materials=[ID_CARD, mat("photo", "本人近期证件照片", "C", description="可现场采集")],
            fields=person_basic,
            legal_basis="《中华人民共和国居民身份证法》第十一条",
            keywords="身份证到期 换证 补办身份证",
            visits=1,
            visit_reason="须本人到场采集人像和指纹信息",
            depth=3,
            charges=True,
            fee_basis="《国家发展改革委 财政部关于加强居民身份证收费管理的通知》",
            fee_description="换领 20 元/证",
            steps=SERVICE_STEPS,
            result="居民身份证",
            modes=("proxy",),
        ),
        entry(
            "ga",
            "000120004000",
            "市内户口迁移",
            "confirmation",
            20,
            5,
            materials=[HUKOU, mat("housing", "合法稳定住所证明", "C")],
            fields=[
                *person_basic,
                F_HUKOU,
                {"key": "new_address", "label": "迁入地址", "type": "text"},
            ],
            legal_basis="《中华人民共和国户口登记条例》第十八条",
            keywords="迁户口 户口迁移 落户",
            steps=SERVICE_STEPS,
        ),
        entry(
            "ga",
            "000120005000",
            "居住证申领",
            "confirmation",
            15,
            5,
            materials=[
                ID_CARD,
                mat("residence", "居住证明", "C"),
                mat("employment", "就业或就读证明", "C", required=False),
            ],
            fields=[*person_basic, F_ADDRESS],
            legal_basis="《居住证暂行条例》第九条",
            keywords="居住证 暂住证",
            steps=SERVICE_STEPS,
            result="居住证",
            result_licence="residence_permit",
        ),
        entry(
            "ga_dh",
            "000120006000",
            "无犯罪记录证明开具",
            "public_service",
            5,
            2,
            materials=[ID_CARD, mat("purpose", "用途说明", "D", commitment=True)],
            fields=[*person_basic, {"key": "usage", "label": "开具用途", "type": "text"}],
            legal_basis="《公安部关于印发〈公安机关办理犯罪记录查询工作规定〉的通知》",
            keywords="无犯罪证明 良民证",
            level="county",
            steps=SERVICE_STEPS,
            result="无犯罪记录证明",
        ),
        # --- 卫健 -----------------------------------------------------------------------------------
        entry(
            "wjw",
            "000130001000",
            "出生医学证明签发",
            "public_service",
            10,
            3,
            materials=[
                mat(
                    "birth_medical_certificate",
                    "出生医学证明",
                    "A",
                    dataset="birth_medical_certificate",
                    source="government",
                    description="助产机构已登记的出生医学证明信息，可通过数据共享获取，免提交",
                ),
                HUKOU,
                mat("parents_id", "父母双方居民身份证", "B", source="government"),
            ],
            fields=[*newborn, F_BIRTH_PLACE, F_MOTHER_ID],
            legal_basis="《中华人民共和国母婴保健法》第二十三条；《出生医学证明管理办法》",
            conditions="在本市助产机构出生的新生儿",
            summary="新生儿出生医学证明的签发与登记",
            keywords="出生证 出生医学证明 新生儿",
            steps=SERVICE_STEPS,
            result="出生医学证明",
            result_licence="birth_certificate",
        ),
        entry(
            "wjw",
            "000130002000",
            "医疗机构执业登记",
            "licensing",
            45,
            20,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "医疗机构执业登记申请书", "C"),
                mat("staff", "医务人员资格证书", "B"),
                mat("premises", "房屋产权证明", "C"),
            ],
            fields=company,
            legal_basis=f"{XKF}；《医疗机构管理条例》第十五条",
            keywords="诊所 医院 执业许可证",
            persons=False,
            enterprises=True,
            result="医疗机构执业许可证",
        ),
        entry(
            "wjw",
            "000130003000",
            "公共场所卫生许可",
            "licensing",
            20,
            5,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "公共场所卫生许可申请表", "C"),
                mat("layout", "场所平面图", "C"),
                mat("health", "从业人员健康合格证明", "C", deficiency=True),
            ],
            fields=[*company, F_BUSINESS_ADDRESS],
            legal_basis=f"{XKF}；《公共场所卫生管理条例》第八条",
            keywords="卫生许可证 理发店 宾馆 美容",
            persons=False,
            enterprises=True,
            result="公共场所卫生许可证",
        ),
        entry(
            "wjw",
            "000130004000",
            "母婴保健技术服务执业许可",
            "licensing",
            20,
            10,
            materials=[mat("application", "申请书", "C"), mat("staff", "技术人员资格证明", "B")],
            fields=company,
            legal_basis=f"{XKF}；《中华人民共和国母婴保健法》第三十二条",
            keywords="母婴保健 助产",
            persons=False,
            enterprises=True,
            result="母婴保健技术服务执业许可证",
        ),
        # --- 人社 -----------------------------------------------------------------------------------
        entry(
            "rs",
            "000140001000",
            "社会保障卡申领",
            "public_service",
            20,
            7,
            materials=[
                ID_CARD,
                HUKOU,
                mat("photo", "本人数码照片", "C", description="新生儿可不提供照片"),
            ],
            fields=[*newborn, F_HUKOU],
            legal_basis="《中华人民共和国社会保险法》第五十八条",
            keywords="社保卡 市民卡 新生儿社保卡",
            steps=SERVICE_STEPS,
            result="社会保障卡",
            result_licence="social_security_card",
            modes=("online", "proxy"),
        ),
        entry(
            "rs",
            "000140002000",
            "职工参保登记",
            "public_service",
            15,
            1,
            materials=[BUSINESS_LICENCE, mat("staff_list", "参保职工花名册", "C")],
            fields=[*startup, F_STAFF],
            legal_basis="《中华人民共和国社会保险法》第五十七条、第五十八条",
            keywords="社保开户 单位参保 员工社保 企业开办",
            persons=False,
            enterprises=True,
            steps=SERVICE_STEPS,
        ),
        entry(
            "rs",
            "000140003000",
            "职工退休申请",
            "confirmation",
            20,
            10,
            materials=[
                ID_CARD,
                HUKOU,
                mat("archive", "职工人事档案", "B", source="government"),
                mat(
                    "insurance",
                    "养老保险缴费记录",
                    "A",
                    dataset="social_insurance",
                    source="government",
                ),
            ],
            fields=[*retire, F_HUKOU],
            legal_basis="《中华人民共和国社会保险法》第十六条；《国务院关于工人退休、退职的暂行办法》",
            conditions="达到法定退休年龄且累计缴费满规定年限",
            keywords="退休 办退休 退休审批",
            steps=SERVICE_STEPS,
            result="退休审批表",
            result_licence="retirement_certificate",
        ),
        entry(
            "rs",
            "000140004000",
            "基本养老金核定",
            "benefit",
            20,
            10,
            materials=[
                ID_CARD,
                mat(
                    "insurance",
                    "养老保险缴费记录",
                    "A",
                    dataset="social_insurance",
                    source="government",
                ),
                mat("bank", "本人银行账户信息", "C"),
            ],
            fields=[*retire, F_BANK],
            legal_basis="《中华人民共和国社会保险法》第十五条",
            keywords="养老金 退休金 待遇核定",
            steps=SERVICE_STEPS,
            result="基本养老金核定表",
        ),
        entry(
            "rs",
            "000140005000",
            "失业保险金申领",
            "benefit",
            15,
            5,
            materials=[ID_CARD, mat("termination", "解除或终止劳动关系证明", "C")],
            fields=[*person_basic, F_BANK],
            legal_basis="《中华人民共和国社会保险法》第四十五条；《失业保险条例》",
            keywords="失业金 失业保险",
            steps=SERVICE_STEPS,
            modes=("online",),
        ),
        entry(
            "rs",
            "000140006000",
            "就业创业证申领",
            "public_service",
            5,
            0,
            materials=[ID_CARD],
            fields=person_basic,
            legal_basis="《就业服务与就业管理规定》第六十三条",
            keywords="就业证 失业证 创业证",
            result="就业创业证",
            process=immediate_review(),
        ),
        entry(
            "rs",
            "000140007000",
            "人力资源服务许可",
            "licensing",
            20,
            10,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "人力资源服务许可申请表", "C"),
                mat("staff", "专职工作人员资格证明", "C"),
            ],
            fields=company,
            legal_basis=f"{XKF}；《人力资源市场暂行条例》第十八条",
            keywords="职业中介 人力资源 猎头",
            persons=False,
            enterprises=True,
            result="人力资源服务许可证",
        ),
        # --- 民政 -----------------------------------------------------------------------------------
        entry(
            "mz",
            "000150001000",
            "老年人优待证办理",
            "public_service",
            0,
            0,
            materials=[HUKOU, mat("photo", "本人近期照片", "C", required=False)],
            fields=[*person_basic, F_HUKOU],
            legal_basis="《中华人民共和国老年人权益保障法》第五十七条；《浙江省老年人优待规定》",
            conditions="本市户籍，年满60周岁的老年人",
            summary="年满60周岁的本市户籍老年人凭优待证享受公共交通、景区等优待",
            keywords="老年证 敬老卡 优待证",
            result="老年人优待证",
            result_licence="elderly_card",
            process=elderly_card_process(),
        ),
        entry(
            "mz",
            "000150002000",
            "内地居民结婚登记",
            "confirmation",
            0,
            0,
            materials=[
                ID_CARD,
                HUKOU,
                mat(
                    "declaration",
                    "本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明",
                    "D",
                    commitment=True,
                ),
            ],
            fields=[
                *person_basic,
                {"key": "spouse_name", "label": "对方姓名", "type": "text"},
                {"key": "spouse_id_number", "label": "对方身份证号", "type": "id_number"},
            ],
            legal_basis="《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》第四条",
            keywords="领证 结婚证 婚姻登记",
            visits=1,
            visit_reason="结婚登记须男女双方亲自到婚姻登记机关",
            depth=2,
            result="结婚证",
            result_licence="marriage_certificate",
            process=immediate_review(),
        ),
        entry(
            "mz",
            "000150003000",
            "最低生活保障审核确认",
            "benefit",
            30,
            20,
            materials=[
                ID_CARD,
                HUKOU,
                mat("income", "家庭收入情况声明", "D", commitment=True),
                mat("property", "家庭财产状况说明", "C"),
            ],
            fields=[
                *person_basic,
                F_HUKOU,
                {"key": "household_size", "label": "共同生活家庭成员人数", "type": "number"},
            ],
            legal_basis="《社会救助暂行办法》第十一条",
            keywords="低保 社会救助 困难家庭",
            steps=SERVICE_STEPS,
        ),
        entry(
            "mz",
            "000150004000",
            "社会团体成立登记",
            "licensing",
            60,
            30,
            materials=[
                mat("application", "成立登记申请书", "C"),
                mat("articles", "社会团体章程", "C"),
                mat("capital", "验资报告", "B"),
            ],
            fields=company,
            legal_basis=f"{XKF}；《社会团体登记管理条例》第十一条",
            keywords="协会 学会 社团登记",
            persons=False,
            enterprises=True,
            result="社会团体法人登记证书",
        ),
        entry(
            "mz",
            "000150005000",
            "高龄津贴申领",
            "benefit",
            20,
            10,
            materials=[HUKOU, mat("bank", "本人银行账户信息", "C")],
            fields=[*person_basic, F_HUKOU, F_BANK],
            legal_basis="《中华人民共和国老年人权益保障法》第三十三条",
            conditions="本市户籍，年满80周岁的老年人",
            keywords="高龄补贴 老人补贴 津贴",
            steps=SERVICE_STEPS,
            process=allowance_process(),
        ),
        # --- 医保 -----------------------------------------------------------------------------------
        entry(
            "yb",
            "000160001000",
            "城乡居民基本医疗保险参保登记",
            "public_service",
            15,
            2,
            materials=[
                HUKOU,
                mat(
                    "birth_medical_certificate",
                    "出生医学证明（新生儿参保）",
                    "A",
                    required=False,
                    dataset="birth_medical_certificate",
                    source="government",
                ),
            ],
            fields=[*newborn, F_HUKOU],
            legal_basis="《中华人民共和国社会保险法》第二十五条；《医疗保障基金使用监督管理条例》",
            keywords="医保 参保 新生儿医保 居民医保",
            steps=SERVICE_STEPS,
            modes=("online",),
        ),
        entry(
            "yb",
            "000160002000",
            "单位医疗保险参保登记",
            "public_service",
            15,
            1,
            materials=[BUSINESS_LICENCE, mat("staff_list", "参保职工花名册", "C")],
            fields=[*startup, F_STAFF],
            legal_basis="《中华人民共和国社会保险法》第二十三条、第五十七条",
            keywords="医保开户 单位医保 企业开办",
            persons=False,
            enterprises=True,
            steps=SERVICE_STEPS,
        ),
        entry(
            "yb",
            "000160003000",
            "退休人员医疗保险待遇核定",
            "benefit",
            20,
            5,
            materials=[
                ID_CARD,
                mat(
                    "insurance",
                    "医保缴费年限记录",
                    "A",
                    dataset="social_insurance",
                    source="government",
                ),
            ],
            fields=retire,
            legal_basis="《中华人民共和国社会保险法》第二十七条",
            keywords="退休医保 医保待遇",
            steps=SERVICE_STEPS,
        ),
        entry(
            "yb",
            "000160004000",
            "异地就医备案",
            "public_service",
            0,
            0,
            materials=[ID_CARD, mat("reason", "异地长期居住或工作承诺书", "D", commitment=True)],
            fields=[*person_basic, {"key": "destination", "label": "就医地", "type": "region"}],
            legal_basis="《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》",
            keywords="异地就医 跨省就医 医保备案",
            modes=("online",),
            process=immediate_review(),
        ),
        # --- 住建 / 公积金 ----------------------------------------------------------------------------
        entry(
            "zj",
            "000170001000",
            "住房公积金单位缴存登记",
            "public_service",
            5,
            1,
            materials=[BUSINESS_LICENCE, mat("staff_list", "缴存职工名册", "C")],
            fields=[*startup, F_STAFF],
            legal_basis="《住房公积金管理条例》第十四条",
            keywords="公积金开户 单位公积金 企业开办",
            persons=False,
            enterprises=True,
            steps=SERVICE_STEPS,
        ),
        entry(
            "zj",
            "000170002000",
            "住房公积金退休提取",
            "public_service",
            3,
            1,
            materials=[
                ID_CARD,
                mat(
                    "retirement",
                    "退休证明",
                    "A",
                    licence="retirement_certificate",
                    source="government",
                ),
                mat("bank", "本人银行账户信息", "C"),
            ],
            fields=[*retire, F_BANK],
            legal_basis="《住房公积金管理条例》第二十四条",
            keywords="公积金提取 退休提取",
            steps=SERVICE_STEPS,
            modes=("online",),
        ),
        entry(
            "zj",
            "000170003000",
            "建筑工程施工许可",
            "licensing",
            7,
            3,
            materials=[
                BUSINESS_LICENCE,
                mat("land", "建设工程规划许可证", "B"),
                mat("contract", "施工合同", "C"),
                mat("funds", "建设资金落实承诺书", "D", commitment=True),
            ],
            fields=[*company, {"key": "project_name", "label": "工程名称", "type": "text"}],
            legal_basis=f"{XKF}；《中华人民共和国建筑法》第七条；《建筑工程施工许可管理办法》",
            keywords="施工许可证 开工",
            persons=False,
            enterprises=True,
            result="建筑工程施工许可证",
        ),
        entry(
            "zj",
            "000170004000",
            "商品房预售许可",
            "licensing",
            10,
            5,
            materials=[
                BUSINESS_LICENCE,
                mat("plan", "商品房预售方案", "C"),
                mat("land_certificate", "国有土地使用权证", "B"),
            ],
            fields=[*company, {"key": "project_name", "label": "项目名称", "type": "text"}],
            legal_basis=f"{XKF}；《城市商品房预售管理办法》第七条",
            keywords="预售证 楼盘 卖房",
            persons=False,
            enterprises=True,
            result="商品房预售许可证",
        ),
        # --- 生态环境 -------------------------------------------------------------------------------
        entry(
            "sthj",
            "000180001000",
            "建设项目环境影响报告书审批",
            "licensing",
            60,
            30,
            materials=[
                mat("report", "环境影响报告书", "C"),
                mat("application", "审批申请", "C"),
                mat("publicity", "公众参与说明", "C"),
            ],
            fields=[*company, {"key": "project_name", "label": "项目名称", "type": "text"}],
            legal_basis=f"{XKF}；《中华人民共和国环境影响评价法》第二十二条",
            keywords="环评 环境影响评价",
            persons=False,
            enterprises=True,
            result="环评批复文件",
        ),
        entry(
            "sthj",
            "000180002000",
            "排污许可证核发",
            "licensing",
            20,
            15,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "排污许可证申请表", "C"),
                mat("commitment", "守法承诺书", "D", commitment=True),
            ],
            fields=company,
            legal_basis=f"{XKF}；《排污许可管理条例》第十四条",
            keywords="排污证 排污许可",
            persons=False,
            enterprises=True,
            result="排污许可证",
        ),
        entry(
            "sthj_xl",
            "000180002000",
            "排污许可证核发（西岭区）",
            "licensing",
            20,
            15,
            materials=[
                BUSINESS_LICENCE,
                mat("application", "排污许可证申请表", "C"),
                mat("commitment", "守法承诺书", "D", commitment=True),
            ],
            fields=company,
            legal_basis=f"{XKF}；《排污许可管理条例》第十四条",
            keywords="排污证 排污许可",
            level="county",
            persons=False,
            enterprises=True,
            result="排污许可证",
            modes=("proxy",),
        ),
    ]


# Bundles: (code, name, summary, audience, lead department, promised limit, member bases+dept)
BUNDLES: tuple[dict[str, Any], ...] = (
    {
        "code": "newborn",
        "name": "新生儿出生一件事",
        "summary": "出生医学证明、户口登记、医保参保、社保卡申领，一次申请、并联办理",
        "audience": "person",
        "dept": "zwfw",
        "promised_limit": 7,
        "members": [
            ("wjw", "000130001000"),
            ("ga", "000120001000"),
            ("yb", "000160001000"),
            ("rs", "000140001000"),
        ],
    },
    {
        "code": "business-startup",
        "name": "企业开办一件事",
        "summary": "设立登记、公章刻制、员工参保、医保参保、公积金缴存登记一次办（发票申领由税务部门在同一窗口办理）",
        "audience": "enterprise",
        "dept": "scjg",
        "promised_limit": 1,
        "members": [
            ("scjg", "000110003000"),
            ("ga", "000120002000"),
            ("rs", "000140002000"),
            ("yb", "000160002000"),
            ("zj", "000170001000"),
        ],
    },
    {
        "code": "retirement",
        "name": "退休一件事",
        "summary": "退休申请、养老金核定、医保待遇核定、公积金提取、老年人优待证一次办",
        "audience": "person",
        "dept": "rs",
        "promised_limit": 10,
        "members": [
            ("rs", "000140003000"),
            ("rs", "000140004000"),
            ("yb", "000160003000"),
            ("zj", "000170002000"),
            ("mz", "000150001000"),
        ],
    },
)

_PHONE_SUFFIX = {d.key: f"{8800 + i:04d}" for i, d in enumerate(DEPARTMENTS)}


def _spec(key: str) -> Any:
    return next(d for d in DEPARTMENTS if d.key == key)


def implementation_code(dept_key: str, base: str) -> str:
    """基本编码 + the implementing department's USCC (30 characters)."""
    return f"{base}{department_uscc(_spec(dept_key))}"


def catalogue_document() -> dict[str, Any]:
    """The demo catalogue as an import document (see ``yiwang.catalog.transfer``)."""
    items = []
    for entry in _items():
        spec = _spec(entry["dept"])
        record = dict(entry["record"])
        record["implementation_code"] = implementation_code(entry["dept"], record["base_code"])
        record["department_uscc"] = department_uscc(spec)
        record["region_code"] = spec.region
        record["consult_phone"] = f"0579-8{_PHONE_SUFFIX[entry['dept']]}{len(items) % 100:02d}1"
        record["complaint_phone"] = COMPLAINT_PHONE
        items.append(record)
    bundles = [
        {
            "code": b["code"],
            "name": b["name"],
            "summary": b["summary"],
            "audience": b["audience"],
            "department_uscc": department_uscc(_spec(b["dept"])),
            "promised_limit": b["promised_limit"],
            "is_published": True,
            "members": [
                {"implementation_code": implementation_code(d, base), "optional": False}
                for d, base in b["members"]
            ],
        }
        for b in BUNDLES
    ]
    return {"format": "yiwang.catalog", "version": 1, "items": items, "bundles": bundles}


def process_specs() -> dict[str, tuple[str, dict[str, Any]]]:
    """Process key (实施编码) → (name, spec) for every demo item."""
    found = {}
    for entry in _items():
        code = implementation_code(entry["dept"], entry["record"]["base_code"])
        found[code] = (entry["record"]["name"], entry["process"] or review_approve())
    return found


def seed_processes() -> int:
    try:
        from yiwang.workflow import selectors as workflow_selectors
        from yiwang.workflow import services as workflow_services
    except ImportError:  # the workflow app is not there yet
        return 0
    from yiwang.core.errors import NotFound

    published = 0
    for key, (name, spec) in process_specs().items():
        try:
            if workflow_selectors.active_definition(key).spec == spec:
                continue
        except NotFound:
            pass
        workflow_services.publish_definition(key, f"{name}审批流程", spec)
        published += 1
    return published


@transaction.atomic
def seed_catalog() -> dict[str, int]:
    """Load the demo catalogue (idempotent) and publish the items' processes."""
    if not settings.YIWANG_DEMO:
        return {}
    from yiwang.catalog.transfer import import_document

    needed = {d.key for d in DEPARTMENTS}
    present = set(
        Department.objects.filter(uscc__in=[department_uscc(d) for d in DEPARTMENTS]).values_list(
            "uscc", flat=True
        )
    )
    if len(present) < len(needed):
        return {}  # the accounts demo has not run
    report = import_document(None, catalogue_document())
    if report.errors:
        raise RuntimeError(f"demo catalogue rejected: {report.errors}")
    result = {
        "catalogue items": len(report.created) + len(report.updated),
        "bundles": len(report.bundles_created) + len(report.bundles_updated),
        "process definitions": seed_processes(),
    }
    return {k: v for k, v in result.items() if v}
