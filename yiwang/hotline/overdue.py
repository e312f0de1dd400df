"""超期预警: yellow and red warnings of the 12345 clocks (签收 and 办理), raised by
``check(now)`` (``manage.py check_hotline_deadlines``, run from cron every few minutes).

RULES.md: yellow at 2/3 of the allowed time used (``YIWANG_DEADLINE_YELLOW_RATIO``), red when
overdue — ``selectors.clock_warning`` measures it. For every ticket the department holds
(dispatched or signed), each clock that has turned yellow or red gets one ``warn`` TicketEvent
per clock, level and deadline (no status change: from_status = to_status; a new deadline after
改派, 重办 or 延期 is a new clock), and the department's 12345 handlers get an in-app message. A
red 办理 clock also tells the hotline agents of the ticket's centre that it needs 督办
(``supervise``); the warning does not supervise by itself.

Idempotent: a warning already recorded is never repeated. One pass: the open tickets, the
warnings already given and the hotline staff are read in three queries; only a ticket that needs
a new warning is locked and written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import StaffRole, User, region_code_prefix
from yiwang.cases.notifications import notify_user
from yiwang.core.deadlines import WarningLevel
from yiwang.hotline.models import Ticket, TicketEvent, TicketStatus
from yiwang.hotline.selectors import clock_warning
from yiwang.hotline.services.base import AGENT_CAPABILITIES, HANDLE, _record

WARN = "warn"
SIGN_CLOCK = "sign"  # 签收
HANDLE_CLOCK = "handle"  # 办理
OPEN_STATUSES = (TicketStatus.DISPATCHED, TicketStatus.SIGNED)
_ORDER = (WarningLevel.NONE, WarningLevel.YELLOW, WarningLevel.RED)


@dataclass
class HotlineStaff:
    """Who is told: the 12345 handlers of each department and the agents of each centre (one
    query for all of them)."""

    handlers: dict[int, list[User]] = field(default_factory=dict)
    agents: list[tuple[str, User]] = field(default_factory=list)  # (region prefix, agent)

    @classmethod
    def load(cls) -> HotlineStaff:
        staff = cls()
        handlers: dict[int, dict[int, User]] = defaultdict(dict)
        agents: dict[tuple[str, int], User] = {}
        roles = (
            StaffRole.objects.active()
            .filter(department__is_active=True, user__is_active=True)
            .select_related("role", "user", "department__region")
            .order_by("id")
        )
        for sr in roles:
            if sr.role.admin_duty:
                continue
            caps = set(sr.role.capabilities or [])
            if HANDLE in caps:
                handlers[sr.department_id][sr.user_id] = sr.user
            if caps.intersection(AGENT_CAPABILITIES):
                agents[(region_code_prefix(sr.department.region.code), sr.user_id)] = sr.user
        staff.handlers = {k: list(v.values()) for k, v in handlers.items()}
        staff.agents = [(prefix, user) for (prefix, _user_id), user in agents.items()]
        return staff

    def handlers_of(self, department_id: int | None) -> list[User]:
        return list(self.handlers.get(department_id or 0, []))

    def agents_for(self, region_code: str) -> list[User]:
        seen: dict[int, User] = {}
        for prefix, user in self.agents:
            if region_code.startswith(prefix):
                seen.setdefault(user.pk, user)
        return list(seen.values())


@dataclass(frozen=True)
class ClockWarning:
    ticket_id: int
    clock: str
    level: str
    due_at: dt.datetime


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _key(clock: str, level: str, due_at: dt.datetime | str) -> tuple[str, str, str]:
    due = _stamp(due_at) if isinstance(due_at, dt.datetime) else str(due_at)
    return clock, level, due


def due_warnings(tickets: Iterable[Any], now: dt.datetime) -> list[ClockWarning]:
    """The warnings the clocks of ``tickets`` call for at ``now`` (yellow and red are both due
    once red is reached, so a clock that jumped straight to red still records its yellow)."""
    found: list[ClockWarning] = []
    for t in tickets:
        clocks = [(HANDLE_CLOCK, t.due_at)]
        if t.status == TicketStatus.DISPATCHED:
            clocks.insert(0, (SIGN_CLOCK, t.sign_due_at))
        for clock, due in clocks:
            if due is None:
                continue
            level = clock_warning(t.dispatched_at, due, now)
            for reached in _ORDER[1 : _ORDER.index(level) + 1]:
                found.append(ClockWarning(t.pk, clock, str(reached), due))
    return found


def _given(ticket_ids: Iterable[int]) -> dict[int, set[tuple[str, str, str]]]:
    given: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
    rows = TicketEvent.objects.filter(ticket_id__in=list(ticket_ids), action=WARN).values_list(
        "ticket_id", "data"
    )
    for ticket_id, data in rows:
        data = data or {}
        given[ticket_id].add(
            _key(data.get("clock", ""), data.get("level", ""), data.get("due_at", ""))
        )
    return given


def _message(ticket: Ticket, warning: ClockWarning) -> tuple[str, str]:
    clock = _("签收") if warning.clock == SIGN_CLOCK else _("办理")
    due = timezone.localtime(warning.due_at).strftime("%Y-%m-%d %H:%M")
    if warning.level == WarningLevel.RED:
        title = _("工单%(number)s%(clock)s已超期") % {"number": ticket.number, "clock": clock}
        body = _("%(clock)s时限为%(due)s，已超过时限，请尽快处理。") % {"clock": clock, "due": due}
    else:
        title = _("工单%(number)s%(clock)s即将到期") % {"number": ticket.number, "clock": clock}
        body = _("%(clock)s时限为%(due)s，已用去三分之二以上的时间。") % {
            "clock": clock,
            "due": due,
        }
    return title, body


def _warn(
    ticket_id: int, pending: list[ClockWarning], staff: HotlineStaff, now: dt.datetime
) -> int:
    """Record and announce the ``pending`` warnings of one ticket (locked, checked again)."""
    written = 0
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.status not in OPEN_STATUSES:
            return 0
        given = _given([ticket_id]).get(ticket_id, set())
        current = {(w.clock, w.due_at) for w in due_warnings([ticket], now)}
        announce: dict[str, ClockWarning] = {}
        for warning in pending:
            key = _key(warning.clock, warning.level, warning.due_at)
            if key in given or (warning.clock, warning.due_at) not in current:
                continue  # given meanwhile, or the clock changed (signed, answered, 改派)
            supervise = warning.clock == HANDLE_CLOCK and warning.level == WarningLevel.RED
            _record(
                ticket,
                WARN,
                None,
                from_status=ticket.status,
                to_status=ticket.status,
                data={
                    "clock": warning.clock,
                    "level": warning.level,
                    "due_at": _stamp(warning.due_at),
                    "supervise": supervise,
                },
                at=now,
            )
            given.add(key)
            written += 1
            announce[warning.clock] = warning  # yellow then red in one pass: tell red only
        for warning in announce.values():
            title, body = _message(ticket, warning)
            for user in staff.handlers_of(ticket.department_id):
                notify_user(user, title, body)
            if warning.clock == HANDLE_CLOCK and warning.level == WarningLevel.RED:
                agent_title = _("工单%(number)s办理超期，请督办") % {"number": ticket.number}
                for user in staff.agents_for(ticket.region_code):
                    notify_user(user, agent_title, body)
    return written


def check(now: dt.datetime | None = None) -> int:
    """Record the warnings due at ``now`` on every open ticket; returns how many were new."""
    now = now or timezone.now()
    tickets = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, dispatched_at__isnull=False).only(
            "id", "status", "dispatched_at", "sign_due_at", "due_at"
        )
    )
    due = due_warnings(tickets, now)
    if not due:
        return 0
    given = _given({w.ticket_id for w in due})
    pending: dict[int, list[ClockWarning]] = defaultdict(list)
    for warning in due:
        if _key(warning.clock, warning.level, warning.due_at) not in given.get(
            warning.ticket_id, ()
        ):
            pending[warning.ticket_id].append(warning)
    if not pending:
        return 0
    staff = HotlineStaff.load()
    return sum(_warn(pk, items, staff, now) for pk, items in sorted(pending.items()))


def warnings_of(ticket: Ticket) -> list[TicketEvent]:
    """The warnings recorded on ``ticket``, oldest first."""
    return list(ticket.events.filter(action=WARN).order_by("at", "id"))
