"""Demo data: the fictional city 示范市, its departments, citizens, enterprises and staff.

Everything here is invented. The city code ``339900000000`` lies inside Zhejiang's code range (33)
but is not assigned to any real city; names, ID numbers, USCCs and phone numbers are generated
with valid check digits and belong to nobody. ``seed_demo`` is idempotent: it looks every object up
by its natural key (region code, USCC, blind index, username, role code) before creating it, and
writes through the services so the demo's ledger looks like a real one.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

import pyotp
from django.conf import settings
from django.db import transaction

from yiwang.accounts import selectors, services
from yiwang.accounts.models import (
    Department,
    Enterprise,
    EnterpriseAgent,
    Person,
    Region,
    Role,
    StaffRole,
    User,
)
from yiwang.accounts.services.audit import audit
from yiwang.core.errors import DomainError
from yiwang.core.identifiers import USCC_ALPHABET, make_resident_id, make_uscc

DEMO_PASSWORD = "Yiwang-Demo-2025"

PROVINCE = "330000000000"
CITY = "339900000000"
DONGHU = "339902000000"
XILING = "339903000000"

# (code, name); parents first. Township digits 001–099 街道, 100–199 镇; village 001–199 社区, 200+ 村.
REGIONS: tuple[tuple[str, str], ...] = (
    (PROVINCE, "浙江省"),
    (CITY, "示范市"),
    (DONGHU, "东湖区"),
    (XILING, "西岭区"),
    ("339902001000", "湖滨街道"),
    ("339902002000", "文昌街道"),
    ("339902003000", "望江街道"),
    ("339903001000", "西岭街道"),
    ("339903002000", "新桥街道"),
    ("339903101000", "石门镇"),
    ("339902001001", "湖滨社区"),
    ("339902001002", "柳岸社区"),
    ("339902002001", "文昌社区"),
    ("339902002002", "书香社区"),
    ("339902003001", "望江社区"),
    ("339903001001", "岭下社区"),
    ("339903002001", "新桥社区"),
    ("339903002002", "锦绣社区"),
    ("339903101201", "石门村"),
)


@dataclass(frozen=True)
class DepartmentSpec:
    key: str
    name: str
    short_name: str
    region: str
    parent: str = ""
    org_type: str = "1"  # 机构编制登记: 1 机关, 2 事业单位


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("gov_office", "示范市人民政府办公室", "市政府办", CITY),
    DepartmentSpec("zwfw", "示范市政务服务管理局", "市政务服务局", CITY),
    DepartmentSpec("hotline", "示范市12345政务服务便民热线中心", "12345热线", CITY, "zwfw", "2"),
    DepartmentSpec("scjg", "示范市市场监督管理局", "市市场监管局", CITY),
    DepartmentSpec("ga", "示范市公安局", "市公安局", CITY),
    DepartmentSpec("wjw", "示范市卫生健康委员会", "市卫健委", CITY),
    DepartmentSpec("rs", "示范市人力资源和社会保障局", "市人社局", CITY),
    DepartmentSpec("mz", "示范市民政局", "市民政局", CITY),
    DepartmentSpec("yb", "示范市医疗保障局", "市医保局", CITY),
    DepartmentSpec("zj", "示范市住房和城乡建设局", "市住建局", CITY),
    DepartmentSpec("sthj", "示范市生态环境局", "市生态环境局", CITY),
    DepartmentSpec("sjj", "示范市数据局", "市数据局", CITY),
    DepartmentSpec("scjg_dh", "示范市市场监督管理局东湖分局", "东湖市场监管分局", DONGHU, "scjg"),
    DepartmentSpec("scjg_xl", "示范市市场监督管理局西岭分局", "西岭市场监管分局", XILING, "scjg"),
    DepartmentSpec("ga_dh", "示范市公安局东湖分局", "东湖公安分局", DONGHU, "ga"),
    DepartmentSpec("sthj_xl", "示范市生态环境局西岭分局", "西岭生态环境分局", XILING, "sthj"),
    DepartmentSpec("dh_zwfw", "东湖区政务服务管理局", "东湖区政务服务局", DONGHU),
    DepartmentSpec("xl_zwfw", "西岭区政务服务管理局", "西岭区政务服务局", XILING),
    DepartmentSpec("hubin", "东湖区湖滨街道办事处", "湖滨街道", "339902001000"),
    # The 12345 承办单位 the hotline's taxonomy names (yiwang/hotline/data/taxonomy.json).
    DepartmentSpec("jt", "示范市交通运输局", "市交通运输局", CITY),
    DepartmentSpec("cg", "示范市城市管理局", "市城管局", CITY),
    DepartmentSpec("jy", "示范市教育局", "市教育局", CITY),
    DepartmentSpec("zrzy", "示范市自然资源和规划局", "市自然资源规划局", CITY),
    DepartmentSpec("ny", "示范市农业农村局", "市农业农村局", CITY),
    DepartmentSpec("gjj", "示范市住房公积金管理中心", "市公积金中心", CITY, "", "2"),
    DepartmentSpec("xf", "示范市消防救援支队", "市消防救援支队", CITY),
    DepartmentSpec("tx", "示范市通信管理办公室", "市通信管理办", CITY),
    DepartmentSpec("cl", "示范市残疾人联合会", "市残联", CITY, "", "2"),
    DepartmentSpec("sw", "示范市水务集团有限公司", "市水务集团", CITY, "", "2"),
    DepartmentSpec("gd", "国网示范市供电公司", "市供电公司", CITY, "", "2"),
    DepartmentSpec("rq", "示范市燃气有限公司", "市燃气公司", CITY, "", "2"),
    DepartmentSpec("cg_dh", "示范市城市管理局东湖分局", "东湖城管分局", DONGHU, "cg"),
    DepartmentSpec("cg_xl", "示范市城市管理局西岭分局", "西岭城管分局", XILING, "cg"),
)


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    scope: str
    admin_duty: str = ""
    capabilities: tuple[str, ...] = ()


ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        "counter_clerk",
        "窗口受理员",
        Role.Scope.OWN_DEPARTMENT,
        capabilities=("cases.intake", "accounts.read_full_id_number", "accounts.register_person"),
    ),
    RoleSpec("reviewer", "审核员", Role.Scope.OWN_DEPARTMENT, capabilities=("cases.review",)),
    RoleSpec(
        "approver",
        "审批负责人",
        Role.Scope.DEPARTMENT_SUBTREE,
        # 制证 by hand and 撤销/注销/吊销 of the e-licences his departments issue.
        capabilities=("cases.review", "cases.approve", "licences.issue", "licences.manage"),
    ),
    RoleSpec(
        "hotline_agent",
        "话务员",
        Role.Scope.REGION_SUBTREE,
        capabilities=("hotline.intake", "hotline.dispatch"),
    ),
    RoleSpec(
        "hotline_handler",
        "接诉即办专员",
        Role.Scope.OWN_DEPARTMENT,
        # 签收, 退单, 延期 and 答复 of the 12345 tickets dispatched to his department, and the
        # 回访/整改 of their bad reviews (好差评).
        capabilities=("hotline.handle", "ratings.handle"),
    ),
    RoleSpec(
        "rating_handler",
        "好差评专员",
        Role.Scope.OWN_DEPARTMENT,
        # 回访 and 整改 of the bad reviews of his department (好差评).
        capabilities=("ratings.handle",),
    ),
    RoleSpec(
        "rating_supervisor",
        "好差评督办员",
        Role.Scope.REGION_SUBTREE,
        # Decides the departments' appeals of malicious reviews (政务服务管理局).
        capabilities=("ratings.supervise",),
    ),
    RoleSpec(
        "data_officer",
        "数据专员",
        Role.Scope.OWN_DEPARTMENT,
        capabilities=("datahub.manage", "exchange.request"),
    ),
    RoleSpec(
        "inspector", "执法检查员", Role.Scope.OWN_DEPARTMENT, capabilities=("supervision.inspect",)
    ),
    RoleSpec("leader", "领导", Role.Scope.REGION_SUBTREE, capabilities=("insight.view",)),
    RoleSpec("system_admin", "系统管理员", Role.Scope.REGION_SUBTREE, Role.AdminDuty.SYSTEM),
    RoleSpec("security_admin", "安全管理员", Role.Scope.REGION_SUBTREE, Role.AdminDuty.SECURITY),
    RoleSpec("audit_admin", "审计管理员", Role.Scope.OWN_DEPARTMENT, Role.AdminDuty.AUDIT),
)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    name: str
    department: str
    role: str


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("clerk", "周晓梅", "zwfw", "counter_clerk"),
    StaffSpec("clerk.donghu", "钱文斌", "dh_zwfw", "counter_clerk"),
    StaffSpec("reviewer", "孙建国", "scjg", "reviewer"),
    StaffSpec("reviewer.wjw", "李慧", "wjw", "reviewer"),
    StaffSpec("reviewer.ga", "马骏", "ga", "reviewer"),
    StaffSpec("reviewer.yb", "何静", "yb", "reviewer"),
    StaffSpec("reviewer.rs", "郭敏", "rs", "reviewer"),
    StaffSpec("approver", "吴振华", "scjg", "approver"),
    # The deciding officers of the departments in 新生儿出生一件事 (each decides its own item).
    StaffSpec("approver.wjw", "秦卫东", "wjw", "approver"),
    StaffSpec("approver.ga", "邓志刚", "ga", "approver"),
    StaffSpec("approver.yb", "田晓燕", "yb", "approver"),
    StaffSpec("approver.rs", "罗振宇", "rs", "approver"),
    StaffSpec("hotline", "林小雨", "hotline", "hotline_agent"),
    StaffSpec("hotline.2", "许佳", "hotline", "hotline_agent"),
    StaffSpec("handler.zj", "沈立军", "zj", "hotline_handler"),
    StaffSpec("handler.cg", "杨帆", "cg_dh", "hotline_handler"),
    StaffSpec("handler.scjg", "唐敏", "scjg", "hotline_handler"),
    StaffSpec("handler.scjg_xl", "袁洁", "scjg_xl", "hotline_handler"),
    StaffSpec("handler.cg_xl", "孔亮", "cg_xl", "hotline_handler"),
    StaffSpec("rating.wjw", "陈佳怡", "wjw", "rating_handler"),
    StaffSpec("rating.scjg", "刘晓东", "scjg", "rating_handler"),
    StaffSpec("rating.zwfw", "赵丽娟", "zwfw", "rating_handler"),
    StaffSpec("rating.supervisor", "蔡文博", "zwfw", "rating_supervisor"),
    StaffSpec("dataofficer", "黄思远", "sjj", "data_officer"),
    StaffSpec("inspector", "郑海涛", "scjg_dh", "inspector"),
    StaffSpec("inspector.2", "冯磊", "scjg_dh", "inspector"),
    StaffSpec("inspector.xl", "蒋文", "scjg_xl", "inspector"),
    StaffSpec("leader", "王明远", "gov_office", "leader"),
    StaffSpec("sysadmin", "陆一鸣", "sjj", "system_admin"),
    StaffSpec("secadmin", "韩雪", "sjj", "security_admin"),
    StaffSpec("auditor", "曹立新", "sjj", "audit_admin"),
)


@dataclass(frozen=True)
class CitizenSpec:
    name: str
    birth: dt.date
    male: bool
    community: str
    address: str
    phone: str
    username: str = ""  # empty: a walk-in applicant without an account


CITIZENS: tuple[CitizenSpec, ...] = (
    CitizenSpec(
        "张伟",
        dt.date(1988, 3, 12),
        True,
        "339902001001",
        "湖滨路18号3幢201室",
        "13800000101",
        "zhangwei",
    ),
    CitizenSpec(
        "李娜",
        dt.date(1991, 7, 25),
        False,
        "339902002001",
        "文昌路66号1幢502室",
        "13800000102",
        "lina",
    ),
    CitizenSpec(
        "王芳",
        dt.date(1986, 11, 3),
        False,
        "339903002001",
        "新桥街9号2单元301室",
        "13800000103",
        "wangfang",
    ),
    CitizenSpec(
        "刘洋",
        dt.date(1979, 5, 18),
        True,
        "339902003001",
        "望江东路120号",
        "13800000104",
        "liuyang",
    ),
    CitizenSpec(
        "陈静", dt.date(1993, 2, 9), False, "339903001001", "岭下街33号", "13800000105", "chenjing"
    ),
    CitizenSpec(
        "赵磊",
        dt.date(1982, 9, 30),
        True,
        "339903101201",
        "石门村石门组12号",
        "13800000106",
        "zhaolei",
    ),
    CitizenSpec("孙丽", dt.date(1995, 12, 14), False, "339902001002", "柳岸路7号", "13800000107"),
    CitizenSpec("周国平", dt.date(1956, 4, 21), True, "339902002002", "书香路2号", "13800000108"),
    CitizenSpec("吴敏", dt.date(2001, 6, 6), False, "339903002002", "锦绣路88号", "13800000109"),
    CitizenSpec(
        "郑强", dt.date(1975, 8, 8), True, "339903101201", "石门村上塘组5号", "13800000110"
    ),
)


@dataclass(frozen=True)
class EnterpriseSpec:
    name: str
    region: str
    address: str
    legal_representative: str  # citizen name
    agents: tuple[str, ...] = ()


ENTERPRISES: tuple[EnterpriseSpec, ...] = (
    EnterpriseSpec(
        "示范市湖滨餐饮管理有限公司", "339902001000", "东湖区湖滨路26号", "刘洋", ("王芳",)
    ),
    EnterpriseSpec(
        "示范市文昌数字科技有限公司", "339902002000", "东湖区文昌路200号8楼", "陈静", ("张伟",)
    ),
    EnterpriseSpec(
        "示范市新桥建材有限公司", "339903002000", "西岭区新桥工业园3号", "赵磊", ("李娜",)
    ),
    EnterpriseSpec("示范市石门生态农业专业合作社", "339903101000", "西岭区石门镇石门村", "郑强"),
)


_ROLE_NAMES = {r.code: r.name for r in ROLES}
_DEPARTMENT_NAMES = {d.key: d.name for d in DEPARTMENTS}


@dataclass(frozen=True)
class Persona:
    username: str
    label: str


PERSONAS: tuple[Persona, ...] = (
    Persona("zhangwei", "市民 · 新手爸爸，办理“新生儿出生一件事”；文昌数字科技的经办人"),
    Persona("lina", "市民 · 新桥建材的经办人"),
    Persona("liuyang", "企业法定代表人 · 湖滨餐饮管理有限公司"),
    *(
        Persona(s.username, f"{_ROLE_NAMES[s.role]} · {_DEPARTMENT_NAMES[s.department]}")
        for s in STAFF
    ),
)


@dataclass
class LoginRow:
    username: str
    name: str
    role: str
    department: str
    password: str
    totp_secret: str = ""


@dataclass
class SeedResult:
    logins: list[LoginRow] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1


def _digits8(text: str) -> str:
    return f"{zlib.crc32(text.encode()) % 10**8:08d}"


def _letters6(text: str) -> str:
    value = zlib.crc32(text.encode())
    chars = []
    for _i in range(6):
        value, index = divmod(value, len(USCC_ALPHABET))
        chars.append(USCC_ALPHABET[index])
    return "".join(chars)


def department_uscc(spec: DepartmentSpec) -> str:
    """11/12 + the region's 6 digits + a stable organisation body (机关 / 事业单位)."""
    return make_uscc("1", spec.org_type, spec.region[:6], _digits8(spec.name))


def enterprise_uscc(spec: EnterpriseSpec) -> str:
    """91 (市场监管 · 企业) or 93 (农民专业合作社) + region + an ``MA…`` body."""
    org_type = "3" if "合作社" in spec.name else "1"
    return make_uscc("9", org_type, spec.region[:6], "MA" + _letters6(spec.name))


def citizen_id_number(spec: CitizenSpec, index: int) -> str:
    sequence = 100 + 2 * index + (1 if spec.male else 0)  # odd = male, even = female
    return make_resident_id(spec.community[:6], spec.birth, sequence)


def _citizen_label(name: str) -> str:
    parts = ["市民"]
    parts += [f"{e.name}法定代表人" for e in ENTERPRISES if e.legal_representative == name]
    parts += [f"{e.name}经办人" for e in ENTERPRISES if name in e.agents]
    return " · ".join(parts)


def _region(code: str, name: str, result: SeedResult) -> Region:
    region = Region.objects.filter(code=code, valid_to__isnull=True).first()
    if region is None:
        region = services.create_region(code, name)
        result.count("regions")
    return region


def _ensure_totp(user: User) -> str:
    secret = services.totp_secret(user)
    if user.totp_confirmed_at is not None and secret:
        return secret
    secret = services.begin_totp_enrolment(user)
    services.confirm_totp_enrolment(user, pyotp.TOTP(secret).now())
    return secret


def _add_missing_capabilities(role: Role, spec: RoleSpec, result: SeedResult) -> None:
    """A demo database made before a role gained a capability gets it when seeded again (never
    removes one an administrator added)."""
    missing = sorted(set(spec.capabilities) - set(role.capabilities or []))
    if not missing:
        return
    role.capabilities = sorted({*(role.capabilities or []), *missing})
    role.save(update_fields=["capabilities"])
    audit(
        None,
        "accounts.role.capabilities_added",
        role,
        {"code": role.code, "added": missing, "capabilities": role.capabilities},
    )
    result.count("role capabilities")


@transaction.atomic
def seed_demo() -> SeedResult:
    """Create (or complete) the demo world; returns the logins to print."""
    if not settings.YIWANG_DEMO:
        raise DomainError("demo_disabled", "seed_demo runs only with YIWANG_DEMO=True")
    result = SeedResult()
    regions = {code: _region(code, name, result) for code, name in REGIONS}

    departments: dict[str, Department] = {}
    for spec in DEPARTMENTS:
        uscc = department_uscc(spec)
        department = Department.objects.filter(uscc=uscc).first()
        if department is None:
            department = services.create_department(
                spec.name,
                uscc,
                regions[spec.region],
                parent=departments[spec.parent] if spec.parent else None,
                short_name=spec.short_name,
            )
            result.count("departments")
        departments[spec.key] = department

    roles: dict[str, Role] = {}
    for role_spec in ROLES:
        role = Role.objects.filter(code=role_spec.code).first()
        if role is None:
            role = services.create_role(
                role_spec.code,
                role_spec.name,
                scope=role_spec.scope,
                admin_duty=role_spec.admin_duty,
                capabilities=list(role_spec.capabilities),
            )
            result.count("roles")
        else:
            _add_missing_capabilities(role, role_spec, result)
        roles[role_spec.code] = role

    persons: dict[str, Person] = {}
    for index, citizen in enumerate(CITIZENS):
        number = citizen_id_number(citizen, index)
        person = selectors.find_person_by_id_number(number)
        if person is None:
            person = services.register_person(
                citizen.name,
                number,
                phone=citizen.phone,
                address=f"示范市{regions[citizen.community[:6] + '000000'].name}{citizen.address}",
                region=regions[citizen.community],
                realname_level=Person.RealNameLevel.VERIFIED,
            )
            result.count("persons")
        persons[citizen.name] = person
        if citizen.username:
            user = User.objects.filter(username=citizen.username).first()
            if user is None:
                user = services.create_user_account(
                    citizen.username,
                    kind=User.Kind.PERSON,
                    password=DEMO_PASSWORD,
                    person=person,
                    phone=citizen.phone,
                )
                result.count("citizen accounts")
            result.logins.append(
                LoginRow(
                    citizen.username, citizen.name, _citizen_label(citizen.name), "", DEMO_PASSWORD
                )
            )

    for company in ENTERPRISES:
        uscc = enterprise_uscc(company)
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            enterprise = services.create_enterprise(
                company.name,
                uscc,
                persons[company.legal_representative],
                regions[company.region],
                address=f"示范市{company.address}",
            )
            result.count("enterprises")
        for agent_name in company.agents:
            if not EnterpriseAgent.objects.filter(
                enterprise=enterprise, person=persons[agent_name], is_active=True
            ).exists():
                services.add_agent(enterprise, persons[agent_name])
                result.count("agents")

    for staff in STAFF:
        user = User.objects.filter(username=staff.username).first()
        if user is None:
            user = services.create_user_account(
                staff.username,
                kind=User.Kind.STAFF,
                display_name=staff.name,
                password=DEMO_PASSWORD,
            )
            result.count("staff accounts")
        department = departments[staff.department]
        role = roles[staff.role]
        if (
            not StaffRole.objects.active()
            .filter(user=user, department=department, role=role)
            .exists()
        ):
            services.grant_role(None, user, department, role)
            result.count("role grants")
        result.logins.append(
            LoginRow(
                staff.username,
                staff.name,
                _ROLE_NAMES[staff.role],
                department.name,
                DEMO_PASSWORD,
                _ensure_totp(user),
            )
        )
    return result
