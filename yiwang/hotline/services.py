"""12345 ticket services: intake (受理), classification confirmation, dispatch (派单), 签收, 退单 and
its review (改派/维持), 延期, 督办, 答复, 回访, 办结, 重办 and 当场答复.

Every write is one transaction that moves the ticket through ``states.check_transition``, records
a ``TicketEvent`` and a ledger entry. Who may act:

- hotline agents: a business role with ``hotline.intake`` or ``hotline.dispatch`` (any department;
  the hotline centre serves the whole city);
- the handling department: a role with ``hotline.handle`` whose scope covers the ticket's
  department (``staff_can``).

Clocks (RULES.md 12345): 签收 within ``SIGN_LIMIT`` of dispatch; 办理 within the category's limit
(hours on the wall clock or working days), overridden by the urgency (特急 2 h, 紧急 24 h); 退单 only
within ``RETURN_LIMIT`` of dispatch; 延期 at most ``EXTENSION_LIMIT`` in all.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department, User
from yiwang.accounts.selectors import active_staff_roles
from yiwang.cases.services.base import staff_can
from yiwang.cases.shared import actor_of
from yiwang.core.deadlines import Extension, TimeLimit, Unit, compute_deadline
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.identifiers import validate_phone, validate_region_code
from yiwang.core.ledger import record_event
from yiwang.hotline import states
from yiwang.hotline.models import (
    Category,
    Channel,
    DispatchRule,
    Ticket,
    TicketEvent,
    TicketType,
    Urgency,
)
from yiwang.hotline.numbering import allocate_number

# Capabilities (Role.capabilities).
INTAKE = "hotline.intake"
DISPATCH = "hotline.dispatch"
HANDLE = "hotline.handle"
AGENT_CAPABILITIES = (INTAKE, DISPATCH)

# Limits (RULES.md 12345, configurable here).
SIGN_LIMIT = TimeLimit.working_days(1)  # 签收 after dispatch
RETURN_LIMIT = TimeLimit.working_days(2)  # 退单 after dispatch
EXTENSION_LIMIT = 10  # 延期, working days in all
URGENCY_LIMITS: dict[str, TimeLimit] = {
    Urgency.EMERGENCY: TimeLimit.hours(2),
    Urgency.URGENT: TimeLimit.hours(24),
}
MAX_CONTENT_CHARS = 10_000
SATISFACTION_RANGE = range(1, 6)
REOPEN_SATISFACTION = 2  # 重办 when the caller rates at most this (or says it is unresolved)

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


# --------------------------------------------------------------------------- permissions


def is_agent(user: Any) -> bool:
    for sr in active_staff_roles(user):
        if not sr.role.admin_duty and set(sr.role.capabilities or []) & set(AGENT_CAPABILITIES):
            return True
    return False


def _refuse() -> PermissionDenied:
    return PermissionDenied("ticket_action_not_allowed", _("您的岗位无权办理此工单。"))


def require_agent(user: Any) -> None:
    if not is_agent(user):
        raise _refuse()


def require_handler(user: Any, ticket: Ticket) -> None:
    if not staff_can(user, (HANDLE,), ticket.department):
        raise _refuse()


# --------------------------------------------------------------------------- events


def _record(
    ticket: Ticket,
    action: str,
    actor: Any,
    *,
    from_status: str,
    to_status: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor if isinstance(actor, User) else None,
        department=ticket.department,
        at=at or timezone.now(),
        reason=reason,
        data=data or {},
    )
    payload: dict[str, Any] = {"number": ticket.number, "from": from_status, "to": to_status}
    payload.update({k: v for k, v in (data or {}).items() if k in LEDGER_DATA_KEYS})
    if reason:
        payload["reason_given"] = True
    record_event(
        actor=actor_of(actor),
        action=f"hotline.ticket.{action}",
        object_type="hotline.ticket",
        object_id=str(ticket.pk),
        payload=payload,
    )
    return event


LEDGER_DATA_KEYS = frozenset(
    {"category", "department_id", "override", "amount", "resolved", "satisfaction", "decision"}
)


def _move(
    ticket: Ticket,
    action: str,
    actor: Any,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    update_fields: tuple[str, ...] = (),
) -> TicketEvent:
    before = ticket.status
    after = states.check_transition(before, action)
    ticket.status = after
    ticket.save(update_fields=["status", "updated_at", *update_fields])
    return _record(
        ticket, action, actor, from_status=before, to_status=after, reason=reason, data=data, at=at
    )


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _sync(target: Ticket, source: Ticket) -> Ticket:
    """Carry the saved state of the locked copy back to the caller's instance."""
    target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})
    target._state.fields_cache = dict(source._state.fields_cache)
    return target


def _required_text(value: Any, field: str, code: str = "reason_required") -> str:
    text = clean_content(value) if isinstance(value, str) else ""
    if not text:
        message = _("请填写理由。") if code == "reason_required" else _("请填写内容。")
        raise ValidationFailed(code, message, field=field)
    return text


# --------------------------------------------------------------------------- validation


def clean_content(value: str) -> str:
    """The text without HTML (script/style bodies dropped, entities decoded), trimmed."""
    text = _SCRIPT.sub(" ", value)
    text = _TAG.sub(" ", text)
    text = html.unescape(text).replace("\x00", "")
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def _content_error(value: Any) -> tuple[str, str] | tuple[None, str]:
    if not isinstance(value, str):
        return None, ""
    if len(value) > MAX_CONTENT_CHARS * 10:  # never run the regexes over megabytes
        return ("content_too_long", "")
    text = clean_content(value)
    if len(text) > MAX_CONTENT_CHARS:
        return ("content_too_long", "")
    if not any(ch.isalnum() for ch in text):  # letters, digits and CJK; emoji are not
        return ("content_empty", "")
    return None, text


def _coordinate(value: Any, low: int, high: int) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or not low <= number <= high:
        return None
    return number.quantize(Decimal("0.000001"))


def leaf_category(code: str) -> Category | None:
    return Category.objects.filter(code=code, level=3, is_active=True).first()


def _validate(
    *,
    type: Any,
    channel: Any,
    content: Any,
    region_code: Any,
    address: Any,
    latitude: Any,
    longitude: Any,
    caller_name: Any,
    caller_phone: Any,
    category_code: Any,
    urgency: Any,
) -> dict[str, Any]:
    errors: dict[str, dict[str, str]] = {}

    def fail(field: str, code: str, message: str) -> None:
        errors.setdefault(field, {"code": code, "message": message})

    clean: dict[str, Any] = {}
    if type not in TicketType.values:
        fail("type", "unknown_type", _("诉求类型无效。"))
    if channel not in Channel.values:
        fail("channel", "unknown_channel", _("来源渠道无效。"))
    if urgency not in Urgency.values:
        fail("urgency", "unknown_urgency", _("紧急程度无效。"))

    code, text = _content_error(content)
    if code == "content_too_long":
        fail(
            "content",
            code,
            _("诉求内容过长，最多%(max)s个字。") % {"max": MAX_CONTENT_CHARS},
        )
    elif code == "content_empty" or not isinstance(content, str):
        fail("content", "content_empty", _("请填写诉求内容（须包含文字或数字）。"))
    clean["content"] = text

    try:
        clean["region_code"] = validate_region_code(region_code)
    except ValidationFailed as exc:
        fail("region_code", exc.code, exc.message)

    address = clean_content(address) if isinstance(address, str) else ""
    if len(address) > 255:
        fail("address", "address_too_long", _("地址过长，最多255个字。"))
    clean["address"] = address

    clean["latitude"] = clean["longitude"] = None
    if (latitude is None) != (longitude is None):
        fail("latitude", "coordinates_incomplete", _("经纬度须同时填写或同时不填。"))
    elif latitude is not None:
        clean["latitude"] = _coordinate(latitude, -90, 90)
        clean["longitude"] = _coordinate(longitude, -180, 180)
        if clean["latitude"] is None:
            fail("latitude", "latitude_out_of_range", _("纬度应在−90至90之间。"))
        if clean["longitude"] is None:
            fail("longitude", "longitude_out_of_range", _("经度应在−180至180之间。"))

    caller_name = clean_content(caller_name) if isinstance(caller_name, str) else ""
    if len(caller_name) > 100:
        fail("caller_name", "caller_name_too_long", _("来电人姓名过长。"))
    clean["caller_name"] = caller_name
    clean["caller_phone"] = ""
    if caller_phone not in (None, ""):
        try:
            clean["caller_phone"] = validate_phone(caller_phone, field="caller_phone")
        except ValidationFailed as exc:
            fail("caller_phone", exc.code, exc.message)

    clean["category"] = None
    if category_code:
        category = leaf_category(str(category_code))
        if category is None:
            fail("category_code", "unknown_category", _("诉求分类不存在或不是末级分类。"))
        clean["category"] = category

    if errors:
        raise ValidationFailed(
            "ticket_invalid",
            _("工单信息有误，请修改后重新提交。"),
            details={"errors": errors},
        )
    return clean


# --------------------------------------------------------------------------- intake


def suggestions_for(text: str, k: int = 3) -> list[dict[str, Any]]:
    from yiwang.hotline.classifier import default_model

    return [
        {"code": s.code, "confidence": round(s.confidence, 4)}
        for s in default_model().suggest(text, k=k)
    ]


def intake(
    agent: Any,
    *,
    type: str,
    channel: str,
    content: str,
    region_code: str,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    caller_name: str = "",
    caller_phone: str = "",
    category_code: str = "",
    urgency: str = Urgency.NORMAL,
) -> Ticket:
    """受理 a demand (``agent`` None: submitted by the caller through the web, app or API)."""
    if agent is not None:
        require_agent(agent)
    clean = _validate(
        type=type,
        channel=channel,
        content=content,
        region_code=region_code,
        address=address,
        latitude=latitude,
        longitude=longitude,
        caller_name=caller_name,
        caller_phone=caller_phone,
        category_code=category_code,
        urgency=urgency,
    )
    category: Category | None = clean.pop("category")
    data: dict[str, Any] = {"channel": channel}
    if category is None:
        suggestions = suggestions_for(clean["content"])
        data["suggestions"] = suggestions
        data["suggested"] = suggestions[0]["code"] if suggestions else ""
    else:
        data["category"] = category.code
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=allocate_number(now),
            type=type,
            channel=channel,
            urgency=urgency,
            category=category,
            accepted_at=now,
            agent=agent if isinstance(agent, User) else None,
            **clean,
        )
        _record(
            ticket,
            "intake",
            agent,
            from_status="",
            to_status=ticket.status,
            data=data,
            at=now,
        )
        if category is not None and category.not_accepted:
            _refer(ticket, agent, category, now)
    return ticket


def _refer(ticket: Ticket, actor: Any, category: Category, at: dt.datetime) -> None:
    ticket.closed_at = at
    _move(
        ticket,
        "refer",
        actor,
        reason=category.referral,
        data={"category": category.code},
        at=at,
        update_fields=("closed_at",),
    )


def confirm_category(agent: Any, ticket: Ticket, code: str) -> Ticket:
    """The agent confirms (or corrects) the category of a ticket not yet dispatched; a
    not-accepted category refers the caller at once."""
    require_agent(agent)
    category = leaf_category(str(code or ""))
    if category is None:
        raise ValidationFailed(
            "unknown_category",
            _("诉求分类不存在或不是末级分类。"),
            field="category_code",
        )
    with transaction.atomic():
        current = _locked(ticket)
        if current.status != states.ACCEPTED:
            raise Conflict("illegal_transition", _("工单已派单，不能再修改分类。"))
        now = timezone.now()
        previous = current.category.code if current.category is not None else ""
        current.category = category
        current.save(update_fields=["category", "updated_at"])
        _record(
            current,
            "categorise",
            agent,
            from_status=current.status,
            to_status=current.status,
            data={"category": category.code, "previous": previous},
            at=now,
        )
        if category.not_accepted:
            _refer(current, agent, category, now)
    return _sync(ticket, current)


# --------------------------------------------------------------------------- dispatch


def responsible_department(category: Category, region_code: str) -> Department:
    """The department of the most specific active rule: the longest category prefix, then the
    longest region prefix."""
    code = category.code
    category_prefixes = [code[:end] for end in range(2, len(code) + 1, 2)]
    region_prefixes = [region_code[:end] for end in range(0, len(region_code) + 1)]
    rules = DispatchRule.objects.filter(
        is_active=True,
        department__is_active=True,
        category_prefix__in=category_prefixes,
        region_prefix__in=region_prefixes,
    ).select_related("department")
    best = max(
        rules,
        key=lambda r: (len(r.category_prefix), len(r.region_prefix)),
        default=None,
    )
    if best is None:
        raise NotFound(
            "no_dispatch_rule",
            _("没有适用的派单规则，请人工指定承办单位。"),
        )
    return best.department


def handling_limit(ticket: Ticket) -> TimeLimit:
    override = URGENCY_LIMITS.get(ticket.urgency)
    if override is not None:
        return override
    category = ticket.category
    if category is None or not category.limit_amount or not category.limit_unit:
        return TimeLimit.working_days(5)
    return TimeLimit(category.limit_amount, Unit(category.limit_unit))


def handling_due(ticket: Ticket) -> dt.datetime | None:
    """The 办理 deadline from dispatch, with the extensions granted (working days)."""
    assert ticket.dispatched_at is not None
    limit = handling_limit(ticket)
    if limit.unit == Unit.WORKING_DAYS:
        extensions = [Extension(ticket.extended_amount)] if ticket.extended_amount else []
        return compute_deadline(ticket.dispatched_at, limit, extensions=extensions).due_at
    due = compute_deadline(ticket.dispatched_at, limit).due_at
    if ticket.extended_amount and due is not None:
        due = compute_deadline(due, TimeLimit.working_days(ticket.extended_amount)).due_at
    return due


def _start_clocks(ticket: Ticket, department: Department, at: dt.datetime) -> None:
    ticket.department = department
    if ticket.first_department_id is None:
        ticket.first_department = department
    ticket.dispatched_at = at
    ticket.signed_at = None
    ticket.sign_due_at = compute_deadline(at, SIGN_LIMIT).due_at
    ticket.due_at = handling_due(ticket)


CLOCK_FIELDS = ("department", "first_department", "dispatched_at", "signed_at", "sign_due_at")


def dispatch(agent: Any, ticket: Ticket, department: Department | None = None) -> Ticket:
    """派单 by the rules, or to ``department`` (an agent's override)."""
    require_agent(agent)
    with transaction.atomic():
        current = _locked(ticket)
        states.check_transition(current.status, "dispatch")
        if current.category is None:
            raise Conflict("category_required", _("请先确认诉求分类再派单。"))
        ruled: Department | None = None
        try:
            ruled = responsible_department(current.category, current.region_code)
        except NotFound:
            if department is None:
                raise
        target = department or ruled
        assert target is not None
        if not target.is_active:
            raise Conflict("department_inactive", _("该承办单位已停用。"))
        now = timezone.now()
        _start_clocks(current, target, now)
        override = department is not None and (ruled is None or ruled.pk != department.pk)
        _move(
            current,
            "dispatch",
            agent,
            data={
                "department_id": target.pk,
                "override": override,
                "rule_department_id": ruled.pk if ruled else None,
            },
            at=now,
            update_fields=(*CLOCK_FIELDS, "due_at"),
        )
    return _sync(ticket, current)


# --------------------------------------------------------------------------- department side


def sign(user: Any, ticket: Ticket) -> Ticket:
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        now = timezone.now()
        current.signed_at = now
        late = current.sign_due_at is not None and now > current.sign_due_at
        _move(current, "sign", user, data={"late": late}, at=now, update_fields=("signed_at",))
    return _sync(ticket, current)


def return_ticket(user: Any, ticket: Ticket, reason: str) -> Ticket:
    """退单: the department says the ticket is not its own, within ``RETURN_LIMIT``."""
    reason = _required_text(reason, "reason")
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        states.check_transition(current.status, "return")
        now = timezone.now()
        assert current.dispatched_at is not None
        limit_at = compute_deadline(current.dispatched_at, RETURN_LIMIT).due_at
        if limit_at is not None and now > limit_at:
            raise Conflict(
                "return_too_late",
                _("已超过退单时限（派单后%(days)s个工作日），请继续办理。")
                % {"days": RETURN_LIMIT.amount},
            )
        current.return_count += 1
        _move(current, "return", user, reason=reason, at=now, update_fields=("return_count",))
    return _sync(ticket, current)


def extend(user: Any, ticket: Ticket, amount: int, reason: str) -> Ticket:
    """延期 by ``amount`` working days (``EXTENSION_LIMIT`` in all)."""
    reason = _required_text(reason, "reason")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed("invalid_amount", _("延期天数应为正整数。"), field="amount")
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        states.check_transition(current.status, "extend")
        if current.extended_amount + amount > EXTENSION_LIMIT:
            raise Conflict(
                "extension_too_long",
                _("延期累计不得超过%(max)s个工作日。") % {"max": EXTENSION_LIMIT},
            )
        current.extended_amount += amount
        current.due_at = handling_due(current)
        _move(
            current,
            "extend",
            user,
            reason=reason,
            data={
                "amount": amount,
                "due_at": current.due_at.isoformat() if current.due_at else None,
            },
            update_fields=("extended_amount", "due_at"),
        )
    return _sync(ticket, current)


def answer(user: Any, ticket: Ticket, text: str) -> Ticket:
    text = _required_text(text, "text", "answer_required")
    with transaction.atomic():
        current = _locked(ticket)
        require_handler(user, current)
        now = timezone.now()
        current.answer = text
        current.answered_at = now
        _move(
            current,
            "answer",
            user,
            data={"overdue": current.due_at is not None and now > current.due_at},
            at=now,
            update_fields=("answer", "answered_at"),
        )
    return _sync(ticket, current)


# --------------------------------------------------------------------------- hotline side


def review_return(
    agent: Any,
    ticket: Ticket,
    decision: str = "redispatch",
    department: Department | None = None,
) -> Ticket:
    """The hotline reviews a 退单: 改派 to another department (``department`` or the rules'), or
    维持 (insist) the original department. Either way the clocks start again; 首接 stays."""
    require_agent(agent)
    if decision not in ("redispatch", "insist"):
        raise ValidationFailed("unknown_decision", _("审核结论无效。"), field="decision")
    with transaction.atomic():
        current = _locked(ticket)
        states.check_transition(current.status, decision)
        previous = current.department
        if decision == "insist":
            target = previous
        else:
            target = department
            if target is None:
                assert current.category is not None
                target = responsible_department(current.category, current.region_code)
            if previous is not None and target.pk == previous.pk:
                raise Conflict("same_department", _("改派须指定其他承办单位。"))
        assert target is not None
        now = timezone.now()
        _start_clocks(current, target, now)
        _move(
            current,
            decision,
            agent,
            data={
                "decision": decision,
                "department_id": target.pk,
                "previous_department_id": previous.pk if previous else None,
            },
            at=now,
            update_fields=(*CLOCK_FIELDS, "due_at"),
        )
    return _sync(ticket, current)


def supervise(agent: Any, ticket: Ticket, note: str) -> Ticket:
    require_agent(agent)
    note = _required_text(note, "note", "note_required")
    with transaction.atomic():
        current = _locked(ticket)
        current.supervised = True
        _move(current, "supervise", agent, reason=note, update_fields=("supervised",))
    return _sync(ticket, current)


def callback(agent: Any, ticket: Ticket, *, resolved: bool, satisfaction: int) -> Ticket:
    """回访: the caller says whether the matter is resolved and rates the handling 1–5."""
    require_agent(agent)
    if not isinstance(resolved, bool):
        raise ValidationFailed("invalid_resolved", _("请选择是否已解决。"), field="resolved")
    if (
        isinstance(satisfaction, bool)
        or not isinstance(satisfaction, int)
        or satisfaction not in SATISFACTION_RANGE
    ):
        raise ValidationFailed(
            "invalid_satisfaction", _("满意度应为1至5分。"), field="satisfaction"
        )
    with transaction.atomic():
        current = _locked(ticket)
        current.resolved = resolved
        current.satisfaction = satisfaction
        _move(
            current,
            "callback",
            agent,
            data={"resolved": resolved, "satisfaction": satisfaction},
            update_fields=("resolved", "satisfaction"),
        )
    return _sync(ticket, current)


def close(agent: Any, ticket: Ticket) -> Ticket:
    require_agent(agent)
    with transaction.atomic():
        current = _locked(ticket)
        now = timezone.now()
        current.closed_at = now
        _move(current, "close", agent, at=now, update_fields=("closed_at",))
    return _sync(ticket, current)


def needs_reopen(ticket: Ticket) -> bool:
    return ticket.resolved is False or (
        ticket.satisfaction is not None and ticket.satisfaction <= REOPEN_SATISFACTION
    )


def reopen(agent: Any, ticket: Ticket, reason: str) -> Ticket:
    """重办: back to the same department with fresh clocks, when the caller was not helped."""
    require_agent(agent)
    reason = _required_text(reason, "reason")
    with transaction.atomic():
        current = _locked(ticket)
        states.check_transition(current.status, "reopen")
        if not needs_reopen(current):
            raise Conflict("reopen_not_needed", _("来电人已表示解决且满意，无需重办。"))
        assert current.department is not None
        now = timezone.now()
        data = {
            "resolved": current.resolved,
            "satisfaction": current.satisfaction,
            "previous_answer": current.answer,
        }
        current.reopen_count += 1
        current.answer = ""
        current.answered_at = None
        current.resolved = None
        current.satisfaction = None
        current.extended_amount = 0
        _start_clocks(current, current.department, now)
        _move(
            current,
            "reopen",
            agent,
            reason=reason,
            data=data,
            at=now,
            update_fields=(
                *CLOCK_FIELDS,
                "due_at",
                "reopen_count",
                "answer",
                "answered_at",
                "resolved",
                "satisfaction",
                "extended_amount",
            ),
        )
    return _sync(ticket, current)


def answer_directly(agent: Any, ticket: Ticket, text: str) -> Ticket:
    """当场答复 a 咨询 (consultation) and close it without dispatch."""
    require_agent(agent)
    text = _required_text(text, "text", "answer_required")
    with transaction.atomic():
        current = _locked(ticket)
        if current.type != TicketType.CONSULT:
            raise Conflict("not_a_consultation", _("只有咨询类诉求可以当场答复。"))
        now = timezone.now()
        current.answer = text
        current.answered_at = now
        current.closed_at = now
        _move(
            current,
            "answer_directly",
            agent,
            at=now,
            update_fields=("answer", "answered_at", "closed_at"),
        )
    return _sync(ticket, current)
