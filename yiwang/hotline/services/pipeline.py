"""受理并派单 in one step, the agents' hot path: intake, the classifier's category when it is
sure enough, and dispatch by the rules, in one request.

``take_in`` leaves the trail that ``intake`` → ``confirm_category`` → ``dispatch`` leave one after
the other — the same validation, the same events (``intake``, ``categorise``, ``dispatch`` or
``refer``, each with its statuses, actor, department and data) and one ledger entry per step (the
same payloads) — but checks the agent once, classifies once, reads the suggested categories, the
dispatch rule and the calendar before the transaction, and then writes the ticket once in its
final state and its events in one statement: nobody else can see a row that is not committed,
so there is nothing to lock or re-read. ``hotline/tests/test_api.py`` compares the two
trails.

What it could not do it leaves undone and says why (``TakeInOutcome.reason``, stable codes):
``low_confidence`` or ``no_suggestion`` (the agent confirms the category), ``no_dispatch_rule``
(the agent picks the department), ``not_accepted`` (a 不予受理 category: referred at once, as
``intake`` does), ``dispatch_not_requested``; ``dispatched`` when it went through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Department, User
from yiwang.cases.shared import actor_of
from yiwang.core.calendar import get_calendar
from yiwang.core.errors import NotFound
from yiwang.core.ledger import LedgerEvent, record_events
from yiwang.hotline import config_cache, states
from yiwang.hotline.models import Category, Ticket, TicketEvent, Urgency
from yiwang.hotline.numbering import allocate_number
from yiwang.hotline.services.base import LEDGER_DATA_KEYS, require_agent_regions
from yiwang.hotline.services.dispatch import _start_clocks, responsible_department
from yiwang.hotline.services.intake import _validate, suggestions_for

AUTO_CONFIDENCE_SETTING = "YIWANG_HOTLINE_AUTO_CONFIDENCE"
DEFAULT_AUTO_CONFIDENCE = 0.6

# The fields ``intake`` accepts besides the caller and the API client, with its defaults.
_INTAKE_DEFAULTS: dict[str, Any] = {
    "address": "",
    "latitude": None,
    "longitude": None,
    "caller_name": "",
    "caller_phone": "",
    "category_code": "",
    "urgency": Urgency.NORMAL,
    "caller_email": "",
    "media_url": "",
}

# Outcome codes (stable: API clients branch on them).
DISPATCHED = "dispatched"
NOT_ACCEPTED = "not_accepted"
DISPATCH_NOT_REQUESTED = "dispatch_not_requested"
NO_SUGGESTION = "no_suggestion"
LOW_CONFIDENCE = "low_confidence"
NO_DISPATCH_RULE = "no_dispatch_rule"


@dataclass(frozen=True)
class Suggested:
    """One of the classifier's suggestions with its category (None: not an active leaf)."""

    code: str
    confidence: float
    category: Category | None


@dataclass(frozen=True)
class TakeInOutcome:
    """What ``take_in`` did after the intake, and why it stopped where it did; with the events
    it wrote and the suggestions it had, so that an answer can be shown without reading back."""

    reason: str
    message: str
    categorised_by: str  # "agent" (given), "classifier" (confirmed automatically) or ""
    confidence: float | None  # the classifier's top confidence (None: a category was given)
    threshold: float
    dispatched: bool
    events: tuple[TicketEvent, ...] = ()
    suggestions: tuple[Suggested, ...] = ()


def auto_confidence() -> float:
    """The classifier's confidence from which ``take_in`` confirms its top suggestion
    (``YIWANG_HOTLINE_AUTO_CONFIDENCE``, default 0.6)."""
    return float(getattr(settings, AUTO_CONFIDENCE_SETTING, DEFAULT_AUTO_CONFIDENCE))


def outcome_of(ticket: Ticket) -> TakeInOutcome | None:
    """The outcome ``take_in`` attached to the ticket it returned (None for other tickets)."""
    return getattr(ticket, "take_in_outcome", None)


def _suggested(content: str) -> list[Suggested]:
    """The classifier's top three with their categories (the cached active leaves)."""
    raw = suggestions_for(content)
    if not raw:
        return []
    leaves = config_cache.active_leaves.get()
    return [Suggested(s["code"], s["confidence"], leaves.get(s["code"])) for s in raw]


def take_in(
    agent: Any,
    *,
    dispatch: bool = True,
    min_confidence: float | None = None,
    **intake_kwargs: Any,
) -> Ticket:
    """受理, confirm the classifier's category when its confidence ≥ ``min_confidence`` (the
    deployment's ``auto_confidence()`` by default) and no category was given, then 派单 by the
    rules — all in one transaction. Bad input raises ``ticket_invalid`` exactly as ``intake``
    does, before anything is written. The returned ticket carries its ``TakeInOutcome``
    (``outcome_of``).

    Everything that only reads (the agent's roles, the categories, the dispatch rule, the
    working-day calendar for the clocks) happens before the transaction: from the daily number
    to the commit every intake waits for the one before it (the sequence row and the ledger's
    append lock), so only the writes are left there."""
    prefixes = require_agent_regions(agent)
    threshold = auto_confidence() if min_confidence is None else float(min_confidence)
    caller = intake_kwargs.pop("caller", None)
    api_client = intake_kwargs.pop("api_client", None)
    fields = {**_INTAKE_DEFAULTS, **intake_kwargs}
    clean = _validate(**fields, region_prefixes=prefixes)
    given: Category | None = clean.pop("category")

    data: dict[str, Any] = {"channel": fields["channel"]}
    suggested: list[Suggested] = []
    category, confidence, reason = given, None, ""
    if given is None:
        suggested = _suggested(clean["content"])
        data["suggestions"] = [{"code": s.code, "confidence": s.confidence} for s in suggested]
        data["suggested"] = suggested[0].code if suggested else ""
        confidence = suggested[0].confidence if suggested else None
        if confidence is None:
            reason = NO_SUGGESTION
        elif confidence < threshold:
            reason = LOW_CONFIDENCE
        else:
            category = suggested[0].category
            reason = "" if category is not None else NO_SUGGESTION  # a model older than the tree
    else:
        data["category"] = given.code

    department: Department | None = None
    if category is not None:
        if category.not_accepted:
            reason = NOT_ACCEPTED
        elif not dispatch:
            reason = DISPATCH_NOT_REQUESTED
        else:
            try:
                department = responsible_department(category, clean["region_code"])
                reason = DISPATCHED
            except NotFound:
                reason = NO_DISPATCH_RULE

    now = timezone.now()
    ticket = Ticket(
        type=fields["type"],
        channel=fields["channel"],
        urgency=fields["urgency"],
        category=category,
        accepted_at=now,
        agent=agent if isinstance(agent, User) else None,
        caller=caller,
        api_client=api_client,
        **clean,
    )
    # The trail ``intake`` → ``confirm_category`` → ``dispatch``/``_refer`` would leave, with the
    # ticket written once in its final state (the same fields those services set).
    actor = agent if isinstance(agent, User) else None
    trail = [
        TicketEvent(
            action="intake", from_status="", to_status=ticket.status, data=data, actor=actor
        )
    ]
    if category is not None and given is None:
        trail.append(
            TicketEvent(
                action="categorise",
                from_status=ticket.status,
                to_status=ticket.status,
                actor=actor,
                data={
                    "category": category.code,
                    "previous": "",
                    "source": "classifier",
                    "confidence": confidence,
                    "threshold": threshold,
                },
            )
        )
    if category is not None and category.not_accepted:
        ticket.closed_at = now
        trail.append(
            _step(
                ticket, "refer", actor, reason=category.referral, data={"category": category.code}
            )
        )
    elif department is not None:
        # One read of the calendar for both clocks, before the transaction.
        _start_clocks(ticket, department, now, calendar=get_calendar())
        trail.append(
            _step(
                ticket,
                "dispatch",
                actor,
                data={
                    "department_id": department.pk,
                    "override": False,
                    "rule_department_id": department.pk,
                },
            )
        )

    # From the daily number to the commit every intake waits for the one before it (the
    # sequence row, the ledger's append lock): only the writes are left here. Inside a request's
    # transaction no savepoint is needed: a failure fails the request.
    with transaction.atomic(savepoint=False):
        ticket.number = allocate_number(now)
        ticket.save(force_insert=True)
        for event in trail:
            event.ticket, event.at = ticket, now
        TicketEvent.objects.bulk_create(trail)
        record_events([_ledger(ticket, event, agent) for event in trail])  # one append lock

    ticket.take_in_outcome = TakeInOutcome(  # type: ignore[attr-defined]
        reason=reason,
        message=_message(reason, ticket, confidence, threshold),
        categorised_by=("agent" if given is not None else "classifier" if category else ""),
        confidence=confidence,
        threshold=threshold,
        dispatched=reason == DISPATCHED,
        events=tuple(trail),
        suggestions=tuple(suggested),
    )
    return ticket


def _step(
    ticket: Ticket,
    action: str,
    actor: User | None,
    *,
    data: dict[str, Any],
    reason: str = "",
) -> TicketEvent:
    """The event of a transition of ``ticket`` (moved to its new status here), as ``_move``
    records it: in the department that holds the ticket afterwards."""
    before = ticket.status
    ticket.status = states.check_transition(before, action)
    return TicketEvent(
        action=action,
        from_status=before,
        to_status=ticket.status,
        actor=actor,
        department=ticket.department,
        reason=reason,
        data=data,
    )


def _ledger(ticket: Ticket, event: TicketEvent, actor: Any) -> LedgerEvent:
    """The ledger entry ``base._record`` writes for ``event``."""
    payload: dict[str, Any] = {
        "number": ticket.number,
        "from": event.from_status,
        "to": event.to_status,
    }
    payload.update({k: v for k, v in event.data.items() if k in LEDGER_DATA_KEYS})
    if event.reason:
        payload["reason_given"] = True
    return LedgerEvent(
        actor=actor_of(actor),
        action=f"hotline.ticket.{event.action}",
        object_type="hotline.ticket",
        object_id=str(ticket.pk),
        payload=payload,
    )


def _message(reason: str, ticket: Ticket, confidence: float | None, threshold: float) -> str:
    if reason == DISPATCHED:
        assert ticket.department is not None
        return _("已按派单规则派至%(department)s。") % {"department": ticket.department.name}
    if reason == NOT_ACCEPTED:
        return _("该诉求不属于12345受理范围，已不予受理并告知来电人相应渠道。")
    if reason == DISPATCH_NOT_REQUESTED:
        return _("已受理，未派单。")
    if reason == LOW_CONFIDENCE:
        return _(
            "智能分类把握不足（%(confidence)s，自动确认须达到%(threshold)s），"
            "请人工确认分类后派单。"
        ) % {"confidence": f"{confidence:.2f}", "threshold": f"{threshold:.2f}"}
    if reason == NO_DISPATCH_RULE:
        return _("没有适用的派单规则，请人工指定承办单位。")
    return _("智能分类没有给出建议，请人工确认分类后派单。")
