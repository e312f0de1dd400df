"""重复件: finding the tickets that are the same demand, merging them, and "one handling answers
all" (一次办理，答复全部).

``candidates(ticket)`` looks for earlier or later tickets that are probably the same matter:

- ``same_caller``: the same caller phone within ``CALLER_WINDOW_DAYS`` of the ticket;
- ``same_place``: the same street-level area (the first 9 digits of the region code, 街道/乡镇)
  and the same category within ``PLACE_WINDOW_DAYS``;

each scored by the text similarity of the two demands (Dice coefficient of the character bigrams
of the normalised content, 0..1; the address is left out, since a caller's own address would make
all his demands alike) and kept when the score reaches ``MIN_SCORE``.
Merged and 不予受理 tickets are never candidates; closed ones are (the answer is already there).
Only tickets of the same city (first 4 digits) are looked at, so no centre sees another's.

``merge(agent, ticket, primary)`` moves ``ticket`` to ``merged`` (transition ``merge``) under
``primary`` with an event on both tickets and a ledger entry. From then on the primary's handling
answers the duplicate: ``follow(primary, actor, step)`` — called by ``services.answer`` and
``services.close`` — copies the answer and the closing time to every merged ticket, with a
``follow`` event each. A merged ticket keeps the status ``merged`` (a final status in
``states``): its ``answer``/``answered_at``/``closed_at`` show that it was answered and closed
with its primary.

Settings (optional): ``YIWANG_HOTLINE_DUPLICATE_CALLER_DAYS``, ``YIWANG_HOTLINE_DUPLICATE_PLACE_DAYS``,
``YIWANG_HOTLINE_DUPLICATE_MIN_SCORE``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import Conflict, NotFound
from yiwang.hotline import states
from yiwang.hotline.models import Ticket
from yiwang.hotline.services.base import _move, _record, _sync, require_agent

CALLER_WINDOW_DAYS = 7  # same caller phone: within a week either side
PLACE_WINDOW_DAYS = 3  # same street area and category: within three days either side
MIN_SCORE = 0.15  # Dice similarity of character bigrams; unrelated demands score below 0.06
AREA_DIGITS = 9  # 街道/乡镇 level of the 12-digit region code
CITY_DIGITS = 4
MAX_SCANNED = 200  # the newest matching tickets scored per call

SAME_CALLER = "same_caller"
SAME_PLACE = "same_place"
EXCLUDED_STATUSES = (states.MERGED, states.NOT_ACCEPTED)


@dataclass(frozen=True)
class Candidate:
    ticket: Ticket
    score: float  # 0..1 text similarity
    reason: str  # "same_caller" | "same_place"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def caller_window() -> dt.timedelta:
    return dt.timedelta(days=_setting("YIWANG_HOTLINE_DUPLICATE_CALLER_DAYS", CALLER_WINDOW_DAYS))


def place_window() -> dt.timedelta:
    return dt.timedelta(days=_setting("YIWANG_HOTLINE_DUPLICATE_PLACE_DAYS", PLACE_WINDOW_DAYS))


def min_score() -> float:
    return float(_setting("YIWANG_HOTLINE_DUPLICATE_MIN_SCORE", MIN_SCORE))


# --------------------------------------------------------------------------- similarity


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of the normalised text (spaces removed); one character is its own
    gram so that very short texts still compare."""
    from yiwang.hotline.classifier import normalise  # numpy/scipy only when needed

    chars = normalise(text).replace(" ", "")
    if len(chars) < 2:
        return frozenset({chars}) if chars else frozenset()
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient 2|A∩B| / (|A|+|B|), 0..1; 0 when either side is empty."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _grams(ticket: Ticket) -> frozenset[str]:
    return bigrams(ticket.content)


# --------------------------------------------------------------------------- candidates


def _window_q(ticket: Ticket, window: dt.timedelta) -> Q:
    at = ticket.accepted_at
    return Q(accepted_at__gte=at - window, accepted_at__lte=at + window)


def candidates(ticket: Ticket, *, limit: int = 5) -> list[Candidate]:
    """The tickets most probably the same demand as ``ticket``, best first (at most ``limit``).

    Excludes the ticket itself, merged and 不予受理 tickets. One query."""
    criteria = Q(pk__in=[])
    if ticket.caller_phone:
        criteria |= Q(caller_phone=ticket.caller_phone) & _window_q(ticket, caller_window())
    area = ticket.region_code[:AREA_DIGITS]
    if ticket.category_id is not None and len(area) == AREA_DIGITS:
        criteria |= Q(category_id=ticket.category_id, region_code__startswith=area) & _window_q(
            ticket, place_window()
        )
    if not ticket.caller_phone and ticket.category_id is None:
        return []
    rows = list(
        Ticket.objects.filter(criteria, region_code__startswith=ticket.region_code[:CITY_DIGITS])
        .exclude(pk=ticket.pk)
        .exclude(status__in=EXCLUDED_STATUSES)
        .select_related("category", "department")
        .order_by("-accepted_at", "-id")[:MAX_SCANNED]
    )
    mine = _grams(ticket)
    threshold = min_score()
    found: list[Candidate] = []
    for other in rows:
        score = round(similarity(mine, _grams(other)), 3)
        if score < threshold:
            continue
        reason = (
            SAME_CALLER
            if ticket.caller_phone and other.caller_phone == ticket.caller_phone
            else SAME_PLACE
        )
        found.append(Candidate(other, score, reason))
    found.sort(key=lambda c: (-c.score, -c.ticket.accepted_at.timestamp(), -c.ticket.pk))
    return found[: max(limit, 0)]


# --------------------------------------------------------------------------- merge


def _visible_to_agent(agent: Any, *tickets: Ticket) -> bool:
    from yiwang.hotline.selectors import tickets_for_agent

    wanted = {t.pk for t in tickets}
    return tickets_for_agent(agent).filter(pk__in=wanted).count() == len(wanted)


def _copy_from_primary(duplicate: Ticket, primary: Ticket) -> list[str]:
    """Give ``duplicate`` what its primary already has (answer, closing); the fields changed."""
    changed: list[str] = []
    if primary.answered_at is not None and primary.answer:
        duplicate.answer = primary.answer
        duplicate.answered_at = primary.answered_at
        changed += ["answer", "answered_at"]
    if primary.status == states.CLOSED and primary.closed_at is not None:
        duplicate.closed_at = primary.closed_at
        changed.append("closed_at")
    return changed


def merge(agent: Any, ticket: Ticket, primary: Ticket, reason: str = "") -> Ticket:
    """合并重复件: ``ticket`` becomes a duplicate of ``primary`` and is answered by its handling.

    Error codes: ``ticket_action_not_allowed`` (403, not a hotline agent), ``ticket_not_found``
    (404, either ticket outside the agent's centre), ``merge_into_itself``,
    ``primary_not_mergeable`` (the primary is merged or 不予受理; merge into its own primary),
    ``illegal_transition`` (``ticket`` is past 签收: answered, closed, …) — all 409 but the first
    two. The duplicates of ``ticket``, if any, move under ``primary`` too."""
    require_agent(agent)
    if ticket.pk == primary.pk:
        raise Conflict("merge_into_itself", _("不能把工单合并到它自己。"))
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        # Lock both rows in a fixed order so that two merges cannot deadlock.
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update().filter(pk__in=[ticket.pk, primary.pk])
        }
        if len(locked) != 2 or not _visible_to_agent(agent, ticket, primary):
            raise NotFound("ticket_not_found", _("工单不存在或您无权查看。"))
        current, main = locked[ticket.pk], locked[primary.pk]
        if main.status in EXCLUDED_STATUSES:
            raise Conflict(
                "primary_not_mergeable",
                _("主工单已合并或不予受理，请选择其他工单作为主工单。"),
            )
        states.check_transition(current.status, "merge")
        now = timezone.now()
        current.primary = main
        changed = _copy_from_primary(current, main)
        _move(
            current,
            "merge",
            agent,
            reason=reason,
            data={"primary": main.number, "primary_id": main.pk},
            at=now,
            update_fields=("primary", *changed),
        )
        _record(
            main,
            "merged_in",
            agent,
            from_status=main.status,
            to_status=main.status,
            reason=reason,
            data={"duplicate": current.number, "duplicate_id": current.pk},
            at=now,
        )
        for earlier in Ticket.objects.select_for_update().filter(primary=current):
            earlier.primary = main
            earlier.save(update_fields=["primary", "updated_at"])
            _record(
                earlier,
                "follow",
                agent,
                from_status=earlier.status,
                to_status=earlier.status,
                data={"step": "primary_changed", "primary": main.number, "primary_id": main.pk},
                at=now,
            )
    return _sync(ticket, current)


# --------------------------------------------------------------------------- one handling answers all


FOLLOW_STEPS = ("answer", "close")


def follow(primary: Ticket, actor: Any, step: str) -> int:
    """The merged tickets of ``primary`` follow its ``step`` (``answer``: they get its answer;
    ``close``: they are closed with it), one ``follow`` event each. Runs inside the caller's
    transaction; returns how many tickets followed. Called by ``services.answer`` and
    ``services.close``."""
    if step not in FOLLOW_STEPS:
        raise ValueError(f"unknown follow step {step!r}")
    duplicates = list(
        Ticket.objects.select_for_update()
        .filter(primary_id=primary.pk, status=states.MERGED)
        .order_by("id")
    )
    at = (primary.answered_at if step == "answer" else primary.closed_at) or timezone.now()
    for duplicate in duplicates:
        if step == "answer":
            duplicate.answer = primary.answer
            duplicate.answered_at = at
            fields = ["answer", "answered_at"]
        else:
            duplicate.closed_at = at
            fields = ["closed_at"]
        duplicate.save(update_fields=[*fields, "updated_at"])
        _record(
            duplicate,
            "follow",
            actor,
            from_status=duplicate.status,
            to_status=duplicate.status,
            data={"step": step, "primary": primary.number, "primary_id": primary.pk},
            at=at,
        )
    return len(duplicates)


__all__ = [
    "SAME_CALLER",
    "SAME_PLACE",
    "Candidate",
    "bigrams",
    "candidates",
    "follow",
    "merge",
    "similarity",
]
