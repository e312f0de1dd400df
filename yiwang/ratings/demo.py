"""Demo data for 好差评 (seeder order 50, after hotline 30 and cases 40).

- Counter windows of the 市政务服务中心 and the 东湖区 centre.
- Ratings for the weeks of 12345 history: every closed demo ticket whose caller gave a
  satisfaction at the call-back gets that level as a rating taken down by the agent (channel
  12345; no rater account: the callers phoned). Bad ones get their bad review, in every state:
  the older ones closed (立即整改, 限期整改, 说明解释 in turn, a fifth called back late), the
  newest three waiting for the call-back (overdue: 督办), called back, and being rectified — so
  that the worklists, the deadlines and the published indicators have something to show.

Written with the ORM (demo ageing, as the hotline's history is): the timestamps are in the past.
Idempotent: nothing is made when a demo rating exists.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.accounts.models import Department
from yiwang.core.deadlines import TimeLimit, compute_deadline
from yiwang.core.errors import DomainError
from yiwang.hotline.models import Ticket, TicketStatus
from yiwang.ratings import services
from yiwang.ratings.models import (
    BadReview,
    BadReviewEvent,
    BadReviewStatus,
    Outcome,
    Rating,
    RatingChannel,
    ServiceWindow,
    Setting,
    SubjectKind,
)

SEED = 20261122

WINDOWS = (
    ("zwfw", "A01", "综合受理一号窗口"),
    ("zwfw", "A02", "综合受理二号窗口"),
    ("zwfw", "A03", "企业开办专窗"),
    ("zwfw", "B01", "统一出件窗口"),
    ("dh_zwfw", "D01", "东湖区综合受理窗口"),
    ("dh_zwfw", "D02", "东湖区帮办代办窗口"),
)

CALLBACK_NOTES = (
    "已电话联系诉求人，核实情况属实。",
    "已回访，诉求人补充了现场情况。",
    "已上门回访，听取诉求人意见。",
)
OUTCOMES = (Outcome.FIXED_NOW, Outcome.RECTIFIED, Outcome.EXPLAINED)
CLOSING_ACTIONS = {
    Outcome.FIXED_NOW: "fix_now",
    Outcome.RECTIFIED: "complete_rectification",
    Outcome.EXPLAINED: "explain",
}
OUTCOME_NOTES = {
    Outcome.FIXED_NOW: "回访当天已安排人员处理完毕。",
    Outcome.RECTIFIED: "已制定整改措施并按期完成，建立日常巡查机制。",
    Outcome.EXPLAINED: "该事项须按法定程序办理，已向诉求人说明依据和进度。",
}


def _windows() -> int:
    made = 0
    for short_name, code, name in WINDOWS:
        department = Department.objects.filter(short_name__in=_short_names(short_name)).first()
        if department is None:
            continue
        _window, created = ServiceWindow.objects.get_or_create(
            code=code, defaults={"name": name, "department": department}
        )
        made += created
    return made


def _short_names(key: str) -> tuple[str, ...]:
    from yiwang.accounts.demo import DEPARTMENTS

    return tuple(d.short_name for d in DEPARTMENTS if d.key == key)


def _due(start: dt.datetime, days: int) -> dt.datetime:
    due = compute_deadline(start, TimeLimit.working_days(days)).due_at
    assert due is not None
    return due


def _ticket_ratings(rng: random.Random) -> tuple[int, int]:
    tickets = (
        Ticket.objects.filter(
            status=TicketStatus.CLOSED, satisfaction__isnull=False, department__isnull=False
        )
        .select_related("category")
        .order_by("closed_at", "pk")
    )
    bad: list[Rating] = []
    ratings = 0
    for ticket in tickets:
        assert ticket.department_id is not None
        level = max(1, min(5, int(ticket.satisfaction or 3)))
        rating = Rating.objects.create(
            subject_kind=SubjectKind.TICKET,
            ticket=ticket,
            department_id=ticket.department_id,
            item_code=ticket.category.code if ticket.category_id else "",
            rater=ticket.caller,
            recorded_by=ticket.agent,
            channel=RatingChannel.HOTLINE,
            setting=Setting.HOTLINE,
            level=level,
            scores={"response": max(1, level - rng.choice((0, 0, 1))), "resolution": level},
            comment="" if level > services.bad_max_level() else "诉求未得到实际解决。",
            is_bad=level <= services.bad_max_level(),
            created_at=ticket.closed_at or timezone.now(),
        )
        ratings += 1
        if rating.is_bad:
            bad.append(rating)
    # The newest three stay open (待回访, 已回访, 整改中); the others are closed, outcomes in turn.
    stages = [*(OUTCOMES * len(bad))[: max(0, len(bad) - 3)], "rectifying", "called_back", "open"]
    for rating, stage in zip(bad, stages[-len(bad) :] if bad else [], strict=True):
        _review(rating, stage, rng)
    return ratings, len(bad)


def _review(rating: Rating, stage: str, rng: random.Random) -> None:
    at = rating.created_at
    callback_due = _due(at, 1)
    review = BadReview(
        rating=rating,
        department_id=rating.department_id,
        opened_at=at,
        callback_due_at=callback_due,
    )
    events = [BadReviewEvent(action="open", to_status=BadReviewStatus.AWAITING_CALLBACK, at=at)]
    if stage != "open":
        late = rng.random() < 0.2
        called = callback_due + dt.timedelta(hours=3) if late else at + dt.timedelta(hours=4)
        review.status = BadReviewStatus.CALLED_BACK
        review.called_back_at = called
        review.callback_note = rng.choice(CALLBACK_NOTES)
        events.append(
            BadReviewEvent(
                action="call_back",
                from_status=BadReviewStatus.AWAITING_CALLBACK,
                to_status=BadReviewStatus.CALLED_BACK,
                at=called,
                note=review.callback_note,
            )
        )
        if stage in ("rectifying", Outcome.RECTIFIED):
            review.status = BadReviewStatus.RECTIFYING
            review.rectification_plan = "排查同类问题，明确责任人和完成时限。"
            review.rectification_due_at = _due(called, 15)
            events.append(
                BadReviewEvent(
                    action="start_rectification",
                    from_status=BadReviewStatus.CALLED_BACK,
                    to_status=BadReviewStatus.RECTIFYING,
                    at=called + dt.timedelta(hours=1),
                    note=review.rectification_plan,
                )
            )
        if stage in OUTCOMES:
            outcome = Outcome(stage)
            done_at = min(called + dt.timedelta(days=rng.randint(1, 10)), timezone.now())
            before = review.status
            review.status = BadReviewStatus.CLOSED
            review.outcome = outcome
            review.closed_at = review.rater_notified_at = done_at
            if outcome == Outcome.EXPLAINED:
                review.explanation = OUTCOME_NOTES[outcome]
            else:
                review.rectification_report = OUTCOME_NOTES[outcome]
            events.append(
                BadReviewEvent(
                    action=CLOSING_ACTIONS[outcome],
                    from_status=before,
                    to_status=BadReviewStatus.CLOSED,
                    at=done_at,
                    note=OUTCOME_NOTES[outcome],
                )
            )
    review.save()
    for event in events:
        event.review = review
    BadReviewEvent.objects.bulk_create(events)


def seed_ratings() -> dict[str, int]:
    if not settings.YIWANG_DEMO:
        raise DomainError("demo_disabled", "seed_ratings runs only with YIWANG_DEMO=True")
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["service windows"] = _windows()
        if not Rating.objects.exists():
            ratings, reviews = _ticket_ratings(random.Random(SEED))  # noqa: S311 - demo data
            counts["ratings"], counts["bad reviews"] = ratings, reviews
    return {what: n for what, n in counts.items() if n}
