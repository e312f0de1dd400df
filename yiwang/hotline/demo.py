"""Demo data for the 12345 hotline (seeder "hotline", order 30): after the accounts demo (which
creates the 承办单位 the taxonomy names, the agents 林小雨 and 许佳 and the 接诉即办专员 of 住建局,
东湖城管分局 and the 市场监管 bureaus).

- The taxonomy in the database (``sync_categories``).
- Dispatch rules: every accepted leaf to the department its taxonomy entry names; the 市场监管
  and 城管 leaves go to the district bureau in 东湖区 and 西岭区 (a more specific rule wins).
- Tickets of the demo city in every state of their life, made through the services (so the
  timeline and the ledger are real): one waiting for the agent to confirm its category, some
  dispatched, signed, answered, called back and closed, one 退单 waiting for the hotline's review,
  a 不予受理 referral, and 张伟's own web submission for his progress page.

Idempotent: the rules are looked up by their key; the tickets are made only when the demo has
none yet (the first demo ticket's content marks them).

For the 三率 and the hot spots (``seed_insight``, below): eight weeks of history in both districts
and five departments, and a burst of streetlight calls in 文昌街道 that ``hotspots.detect`` turns
into one open hot spot for 东湖城管分局.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.accounts.demo import DEPARTMENTS, department_uscc
from yiwang.accounts.models import Department, Person, User
from yiwang.core.errors import DomainError
from yiwang.hotline import corpus, duplicates, hotspots, services
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import Category, DispatchRule, Ticket

DONGHU = "339902"
XILING = "339903"
# Leaves whose department has a bureau in each district: the district bureau handles them there.
DISTRICT_BUREAUS: dict[str, dict[str, str]] = {
    "scjg": {DONGHU: "scjg_dh", XILING: "scjg_xl"},
    "cg": {DONGHU: "cg_dh", XILING: "cg_xl"},
}


@dataclass(frozen=True)
class DemoTicket:
    content: str
    category: str  # "" = left for the agent to confirm from the suggestions
    region: str
    address: str
    caller_name: str
    caller_phone: str
    type: str = "complaint"
    channel: str = "phone"
    urgency: str = "normal"
    # The steps after intake: dispatch, sign, answer, callback, close, return, web (caller's own)
    steps: tuple[str, ...] = field(default_factory=tuple)


TICKETS: tuple[DemoTicket, ...] = (
    DemoTicket(
        "湖滨路18号小区物业三个星期没打扫楼道了，垃圾堆在楼梯口，业主群里反映了也没人管。",
        "010101",
        "339902001001",
        "东湖区湖滨路18号",
        "张伟",
        "13800000101",
        steps=("web", "dispatch", "sign"),
    ),
    DemoTicket(
        "文昌路夜市烧烤摊每天晚上开到凌晨两点，油烟和噪音很大，孩子没法睡觉。",
        "",
        "339902002001",
        "东湖区文昌路66号附近",
        "李娜",
        "13800000102",
    ),
    DemoTicket(
        "书香路和文昌路交叉口的路灯坏了一个多星期，晚上走路很黑，老人差点摔倒。",
        "100301",
        "339902002002",
        "东湖区书香路与文昌路交叉口",
        "周国平",
        "13800000108",
        steps=("dispatch",),
    ),
    DemoTicket(
        "在新桥街一家超市买的牛奶过期了，找商家退货被拒绝，要求处理。",
        "030101",
        "339903002001",
        "西岭区新桥街9号对面超市",
        "王芳",
        "13800000103",
        steps=("dispatch", "sign", "answer"),
    ),
    DemoTicket(
        "岭下街33号楼下早上停水了，到现在还没来水，也没看到停水通知。",
        "090101",
        "339903001001",
        "西岭区岭下街33号",
        "陈静",
        "13800000105",
        type="help",
        urgency="urgent",
        steps=("dispatch",),
    ),
    DemoTicket(
        "望江东路一家装修公司工地每天早上六点就开始施工，噪音扰民。",
        "010301",
        "339902003001",
        "东湖区望江东路120号",
        "刘洋",
        "13800000104",
        steps=("dispatch", "return"),
    ),
    DemoTicket(
        "想咨询一下新生儿出生一件事网上怎么办理，需要准备哪些材料？",
        "120103",
        "339902001001",
        "",
        "孙丽",
        "13800000107",
        type="consult",
        steps=("answer_directly",),
    ),
    DemoTicket(
        "锦绣路88号小区门口有人家里着火了，冒了很多烟！",
        "990102",
        "339903002002",
        "西岭区锦绣路88号",
        "吴敏",
        "13800000109",
        type="help",
        urgency="emergency",
    ),
    DemoTicket(
        "石门村村口的垃圾桶满了好几天没人清运，臭气熏天。",
        "100101",
        "339903101201",
        "西岭区石门镇石门村村口",
        "赵磊",
        "13800000106",
        steps=("dispatch", "sign", "answer", "callback", "close"),
    ),
)


def _departments() -> dict[str, Department]:
    by_uscc = {department_uscc(spec): spec.key for spec in DEPARTMENTS}
    return {by_uscc[d.uscc]: d for d in Department.objects.filter(uscc__in=by_uscc, is_active=True)}


def _ensure_rules(departments: dict[str, Department]) -> int:
    created = 0

    def ensure(prefix: str, region: str, key: str) -> None:
        nonlocal created
        department = departments.get(key)
        if department is None:
            return
        _, made = DispatchRule.objects.get_or_create(
            category_prefix=prefix, region_prefix=region, defaults={"department": department}
        )
        created += int(made)

    for leaf in Category.objects.filter(level=3, not_accepted=False).exclude(department_key=""):
        ensure(leaf.code, "", leaf.department_key)
        for region, key in DISTRICT_BUREAUS.get(leaf.department_key, {}).items():
            ensure(leaf.code, region, key)
    return created


def _handler(department: Department) -> User | None:
    return (
        User.objects.filter(
            staff_roles__department=department,
            staff_roles__role__code="hotline_handler",
            staff_roles__revoked_at__isnull=True,
            is_active=True,
        )
        .order_by("id")
        .first()
    )


def _make_ticket(spec: DemoTicket, agent: User, departments: dict[str, Department]) -> None:
    kwargs = {
        "type": spec.type,
        "channel": "web" if "web" in spec.steps else spec.channel,
        "content": spec.content,
        "region_code": spec.region,
        "address": spec.address,
        "caller_name": spec.caller_name,
        "caller_phone": spec.caller_phone,
        "category_code": spec.category,
        "urgency": spec.urgency,
    }
    if "web" in spec.steps:
        person = Person.objects.filter(phone=spec.caller_phone).order_by("id").first()
        ticket = services.intake(None, caller=person, **kwargs)
    else:
        ticket = services.intake(agent, **kwargs)
    for step in spec.steps:
        if step == "dispatch":
            services.dispatch(agent, ticket)
        elif step == "answer_directly":
            services.answer_directly(
                agent, ticket, "已告知：登录一网通办搜索“新生儿出生一件事”，按页面提示一次提交。"
            )
        elif step in ("sign", "answer", "return"):
            assert ticket.department is not None
            handler = _handler(ticket.department)
            assert handler is not None, ticket.department
            if step == "sign":
                services.sign(handler, ticket)
            elif step == "answer":
                services.answer(handler, ticket, "经核实，已督促相关单位处理完毕，并向来电人说明。")
            else:
                services.return_ticket(
                    handler, ticket, "该工地属街道管理的小型装修，非本单位职责，建议改派城管。"
                )
        elif step == "callback":
            services.callback(agent, ticket, resolved=True, satisfaction=5)
        elif step == "close":
            services.close(agent, ticket)


def seed_hotline() -> dict[str, int]:
    if not settings.YIWANG_DEMO:
        raise DomainError("demo_disabled", "seed_hotline runs only with YIWANG_DEMO=True")
    counts: dict[str, int] = {}
    with transaction.atomic():
        categories = sync_categories().created
        departments = _departments()
        counts["dispatch rules"] = _ensure_rules(departments)
        agent = User.objects.filter(username="hotline").first()
        counts["categories"] = categories
        if agent is None:
            return {what: n for what, n in counts.items() if n}
        if not Ticket.objects.filter(content=TICKETS[0].content).exists():
            for spec in TICKETS:
                _make_ticket(spec, agent, departments)
            counts["tickets"] = len(TICKETS)
        counts.update(seed_insight(agent))
    return {what: n for what, n in counts.items() if n}


# --------------------------------------------------------------------------- 三率 and hot spots
#
# Demo ageing: the history tickets go through the services like any other (timeline and ledger
# are real), then their timestamps — the ticket's clocks and its events' times — are moved back
# with ``queryset.update`` so that the 三率 have weeks to count, and their numbers are rewritten
# to the day they now say they were accepted (sequence 9xxxxx, which real allocation never
# reaches). The deadlines are shifted, not recomputed on the calendar of that week, and the
# ledger keeps the real seeding time: it is append-only.

HISTORY_SEED = 12345
HISTORY_TICKETS = 48
HISTORY_DAYS = 56
# (category, community, address, district name the text may mention): departments with a demo
# handler — 住建局, 东湖城管分局, 西岭城管分局, 西岭市场监管分局.
HISTORY_PLACES: tuple[tuple[str, str, str, str], ...] = (
    ("010101", "339902001001", "东湖区湖滨路18号", "东湖"),
    ("010101", "339902001002", "东湖区柳岸路9号", "东湖"),
    ("010101", "339903001001", "西岭区岭下街21号", "西岭"),
    ("010301", "339902003001", "东湖区望江东路88号", "东湖"),
    ("100101", "339902001001", "东湖区湖滨路口", "东湖"),
    ("100301", "339902001002", "东湖区柳岸路", "东湖"),
    ("100101", "339903002001", "西岭区新桥街", "西岭"),
    ("100304", "339903001001", "西岭区岭下街", "西岭"),
    ("030101", "339903002001", "西岭区新桥街9号", "西岭"),
    ("030201", "339903002002", "西岭区锦绣路66号", "西岭"),
)
SATISFACTION_WEIGHTS = {5: 50, 4: 25, 3: 12, 2: 8, 1: 5}
CORPUS_TYPES = {"咨询": "consult", "求助": "help", "投诉": "complaint", "举报": "report"}
CORPUS_TYPES["建议"] = "suggestion"

# 文昌街道 (339902002): streetlights out around 书香路 — three neighbours call about the light the
# demo's 周国平 reported (merged into his ticket: one handling answers all), three about others.
BURST_PRIMARY = TICKETS[2]
BURST: tuple[tuple[str, str, str, bool], ...] = (
    (
        "书香路和文昌路路口那盏路灯还是不亮，晚上黑乎乎的，请尽快修。",
        "339902002002",
        "东湖区书香路与文昌路交叉口",
        True,
    ),
    (
        "书香路文昌路交叉口路灯坏了好多天了，老人晚上出门不安全。",
        "339902002002",
        "东湖区书香路与文昌路交叉口",
        True,
    ),
    (
        "反映书香路与文昌路路口的路灯不亮，已经一个多星期了。",
        "339902002002",
        "东湖区书香路与文昌路交叉口",
        True,
    ),
    (
        "书香路小学门口两盏路灯都不亮了，家长晚上接孩子看不清路。",
        "339902002002",
        "东湖区书香路小学门口",
        False,
    ),
    (
        "文昌路66号到80号这一段路灯全黑，夜市散场后路上很危险。",
        "339902002001",
        "东湖区文昌路66号至80号",
        False,
    ),
    (
        "文昌街道书香社区东门外的路灯一闪一闪的，晚上像坏了一样。",
        "339902002002",
        "东湖区书香社区东门",
        False,
    ),
)


def _history_texts(rng: random.Random) -> dict[str, list[corpus.Example]]:
    wanted = {category for category, *_rest in HISTORY_PLACES}
    texts: dict[str, list[corpus.Example]] = {code: [] for code in wanted}
    for example in corpus.load():
        if example.category in texts:
            texts[example.category].append(example)
    for examples in texts.values():
        rng.shuffle(examples)
    return texts


def _age(ticket: Ticket, accepted_at: dt.datetime, rng: random.Random, number: str) -> None:
    """Move ``ticket`` and its events back so that it was accepted at ``accepted_at``; some are
    signed or answered late, the rest in good time."""
    ticket.refresh_from_db()
    assert ticket.sign_due_at is not None and ticket.due_at is not None
    delta = ticket.accepted_at - accepted_at
    dispatched = accepted_at + dt.timedelta(minutes=rng.randint(2, 20))
    sign_due = ticket.sign_due_at - delta
    due = ticket.due_at - delta
    if rng.random() < 0.15:  # signed late
        signed = sign_due + dt.timedelta(hours=rng.randint(2, 30))
    else:
        signed = dispatched + dt.timedelta(minutes=rng.randint(10, 300))
    if rng.random() < 0.1:  # answered late
        answered = due + dt.timedelta(hours=rng.randint(2, 48))
    else:
        answered = min(signed + dt.timedelta(hours=rng.randint(4, 72)), due)
    called_back = answered + dt.timedelta(hours=rng.randint(2, 20))
    closed = called_back + dt.timedelta(minutes=rng.randint(5, 60))
    times = {
        "intake": accepted_at,
        "dispatch": dispatched,
        "sign": signed,
        "answer": answered,
        "callback": called_back,
        "close": closed,
    }
    Ticket.objects.filter(pk=ticket.pk).update(
        number=number,
        accepted_at=accepted_at,
        dispatched_at=dispatched,
        sign_due_at=sign_due,
        signed_at=signed,
        due_at=due,
        answered_at=answered,
        closed_at=closed,
    )
    for action, at in times.items():
        ticket.events.filter(action=action).update(at=at)


def _seed_history(agent: User) -> int:
    rng = random.Random(HISTORY_SEED)  # noqa: S311 - a reproducible demo, not a secret
    texts = _history_texts(rng)
    now = timezone.now()
    made = 0
    for i in range(HISTORY_TICKETS):
        category, region, address, district = HISTORY_PLACES[i % len(HISTORY_PLACES)]
        other = "西岭" if district == "东湖" else "东湖"
        pool = [e for e in texts[category] if other not in e.text] or texts[category]
        example = pool[i % len(pool)]
        ticket = services.intake(
            agent,
            type=CORPUS_TYPES.get(example.type, "complaint"),
            channel=example.channel,
            content=example.text,
            region_code=region,
            address=address,
            caller_name="",
            caller_phone=f"1390000{i:04d}",
            category_code=category,
        )
        services.dispatch(agent, ticket)
        assert ticket.department is not None
        handler = _handler(ticket.department)
        if handler is None:  # pragma: no cover - every history place has a demo handler
            continue
        services.sign(handler, ticket)
        services.answer(handler, ticket, "经现场核实，已协调相关单位处理，并向来电人反馈。")
        resolved = rng.random() < 0.85
        weights = SATISFACTION_WEIGHTS if resolved else {3: 30, 2: 40, 1: 30}
        satisfaction = rng.choices(list(weights), weights=list(weights.values()))[0]
        services.callback(agent, ticket, resolved=resolved, satisfaction=satisfaction)
        services.close(agent, ticket)
        days = 3 + (HISTORY_DAYS - 3) * i // HISTORY_TICKETS
        accepted_at = now - dt.timedelta(days=days, hours=rng.randint(0, 10))
        number = f"12345{timezone.localtime(accepted_at):%Y%m%d}{900000 + i:06d}"
        _age(ticket, accepted_at, rng, number)
        made += 1
    return made


def _seed_burst(agent: User) -> int:
    """The streetlight calls of the last hours in 文昌街道 (dispatched, or merged into the first
    report of the same light)."""
    primary = Ticket.objects.filter(content=BURST_PRIMARY.content).first()
    now = timezone.now()
    for i, (content, region, address, same_light) in enumerate(BURST):
        ticket = services.intake(
            agent,
            type="complaint",
            channel="phone",
            content=content,
            region_code=region,
            address=address,
            caller_name="",
            caller_phone=f"1370000{i:04d}",
            category_code="100301",
        )
        if same_light and primary is not None:
            duplicates.merge(agent, ticket, primary, reason="同一路口同一盏路灯")
        else:
            services.dispatch(agent, ticket)
        accepted_at = now - dt.timedelta(hours=2 * (len(BURST) - i), minutes=7 * i)
        Ticket.objects.filter(pk=ticket.pk).update(accepted_at=accepted_at)
        ticket.events.filter(action="intake").update(at=accepted_at)
    return len(BURST)


def seed_insight(agent: User) -> dict[str, int]:
    """History for the 三率 and a hot spot (once: the first burst call marks them)."""
    if Ticket.objects.filter(content=BURST[0][0]).exists():
        return {}
    history = _seed_history(agent)
    burst = _seed_burst(agent)
    opened = hotspots.detect().opened
    return {"history tickets": history, "hot-spot calls": burst, "hot spots": len(opened)}
