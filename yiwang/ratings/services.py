"""好差评 use cases: rating a finished case or ticket (with the window and the staff member met at
the counter), the bad-review loop, the re-rating and the escalation of overdue steps.

Who may do what:
- only the case's applicant or the ticket's caller rates, once per transaction (一事一评), and once
  more after the bad-review loop told him its outcome (re-rating);
- the rated department's staff holding ``ratings.handle`` run the loop (回访, 立即整改, 限期整改,
  说明解释, 申诉);
- staff holding ``ratings.supervise`` whose scope covers the department decide appeals.

Deadlines (working days, per deployment): ``YIWANG_RATING_CALLBACK_WORKING_DAYS`` (1) for the
call-back, ``YIWANG_RATING_RECTIFY_WORKING_DAYS`` (15) for a rectification; a bad rating is one
with level ≤ ``YIWANG_RATING_BAD_MAX_LEVEL`` (2). Every step is a ``BadReviewEvent``, an event on
the case's or ticket's timeline where it concerns the citizen, and a ledger entry (the rater as a
person id, never a name).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import Person, User
from yiwang.cases.models import Case, CaseEvent, CaseStatus
from yiwang.cases.models import Channel as CaseChannel
from yiwang.cases.services.base import staff_can
from yiwang.cases.shared import actor_of
from yiwang.core.deadlines import TimeLimit, compute_deadline
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.core.ledger import LedgerEvent, record_events
from yiwang.hotline.models import Ticket, TicketEvent, TicketStatus
from yiwang.ratings.models import (
    DIMENSIONS,
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

HANDLE = "ratings.handle"
SUPERVISE = "ratings.supervise"
MAX_COMMENT = 500
MAX_NOTE = 2000

# A case can be rated once it is finished, whatever the decision.
RATEABLE_CASE_STATUSES = (CaseStatus.COMPLETED, CaseStatus.DENIED, CaseStatus.NOT_ACCEPTED)
RATEABLE_TICKET_STATUSES = (TicketStatus.CLOSED,)


def bad_max_level() -> int:
    return int(getattr(settings, "YIWANG_RATING_BAD_MAX_LEVEL", 2))


def callback_limit() -> TimeLimit:
    return TimeLimit.working_days(int(getattr(settings, "YIWANG_RATING_CALLBACK_WORKING_DAYS", 1)))


def rectify_limit() -> TimeLimit:
    return TimeLimit.working_days(int(getattr(settings, "YIWANG_RATING_RECTIFY_WORKING_DAYS", 15)))


# --- checks ----------------------------------------------------------------------------------------


def _person_of(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.PERSON:
        return None
    return Person.objects.filter(user=user).first()


def _clean_rating(setting: str, level: Any, scores: Any, comment: Any) -> tuple[int, dict, str]:
    errors: dict[str, str] = {}
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
        errors["level"] = _("请选择1至5级评价。")
        level = 0
    allowed = DIMENSIONS[setting]
    clean_scores: dict[str, int] = {}
    if not isinstance(scores, dict):
        errors["scores"] = _("分项评分格式不正确。")
    else:
        for key, value in scores.items():
            if key not in allowed:
                errors["scores"] = _("“%(key)s”不是本次办事的评价项。") % {"key": key}
            elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                errors["scores"] = _("分项评分须为1至5。")
            else:
                clean_scores[key] = value
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > MAX_COMMENT:
        errors["comment"] = _("评价内容不能超过%(n)s字。") % {"n": MAX_COMMENT}
    if "\x00" in comment:
        errors["comment"] = _("评价内容含有不允许的字符。")
    if level and level <= bad_max_level() and not comment:
        errors["comment"] = _("给出差评时请写明原因，以便部门回访整改。")
    if errors:
        raise ValidationFailed(
            "rating_invalid", _("评价内容有误，请检查。"), details={"errors": errors}
        )
    return level, clean_scores, comment


def _clean_note(name: str, value: Any, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationFailed("note_required", _("请填写内容。"), field=name)
    if len(text) > MAX_NOTE or "\x00" in text:
        raise ValidationFailed(
            "note_invalid",
            _("内容过长或含有不允许的字符。"),
            field=name,
        )
    return text


def _due(start: dt.datetime, limit: TimeLimit) -> dt.datetime:
    due = compute_deadline(start, limit).due_at
    assert due is not None
    return due


# --- rating ----------------------------------------------------------------------------------------


def rate_case(
    user: Any,
    case: Case,
    *,
    level: Any,
    scores: Any = None,
    comment: Any = "",
    channel: str = RatingChannel.WEB,
    window: ServiceWindow | None = None,
    window_level: Any = None,
    staff: User | None = None,
    staff_level: Any = None,
    at: dt.datetime | None = None,
) -> Rating:
    """The applicant rates his finished case (and, for a counter visit, the window and the
    staff member who served him). Returns the case's rating."""
    person = _person_of(user)
    if person is None or person.pk != case.applicant_id:
        raise PermissionDenied("rating_not_allowed", _("只有申请人本人可以评价此办件。"))
    if case.status not in RATEABLE_CASE_STATUSES:
        raise Conflict("not_finished", _("办件办结后才能评价。"))
    if channel not in RatingChannel.values:
        raise ValidationFailed(
            "rating_invalid", _("评价渠道不正确。"), details={"errors": {"channel": channel}}
        )
    setting = Setting.COUNTER if case.channel == CaseChannel.COUNTER else Setting.ONLINE
    level, clean_scores, comment = _clean_rating(setting, level, scores or {}, comment)
    if (window is not None or staff is not None) and setting != Setting.COUNTER:
        raise ValidationFailed(
            "rating_invalid", _("只有窗口办理的办件可以评价窗口和工作人员。"), field="window"
        )
    now = at or timezone.now()
    common = {
        "case": case,
        "rater": person,
        "channel": channel,
        "setting": setting,
        "item_code": case.item.implementation_code if case.item_id else "",
        "created_at": now,
    }
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # one rating at a time
        if Rating.objects.filter(case=case, subject_kind=SubjectKind.CASE).exists():
            raise Conflict("already_rated", _("此办件已评价过，一事一评。"))
        rating = _create(
            subject_kind=SubjectKind.CASE,
            department=case.department,
            level=level,
            scores=clean_scores,
            comment=comment,
            **common,
        )
        extra = []
        if window is not None:
            w_level, _s, _c = _clean_rating(setting, window_level, {}, comment)
            extra.append(
                _create(
                    subject_kind=SubjectKind.WINDOW,
                    window=window,
                    department=window.department,
                    level=w_level,
                    scores={},
                    comment=comment,
                    **common,
                )
            )
        if staff is not None:
            s_level, _s, _c = _clean_rating(setting, staff_level, {}, comment)
            department = case.receiving_department or case.department
            extra.append(
                _create(
                    subject_kind=SubjectKind.STAFF,
                    staff=staff,
                    department=department,
                    level=s_level,
                    scores={},
                    comment=comment,
                    **common,
                )
            )
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=None,  # the rater is not shown to the rated unit
            kind="rated",
            from_status=case.status,
            to_status=case.status,
            data={"rating_id": rating.pk, "level": level, "bad": rating.is_bad},
        )
        _open_reviews([rating, *extra], now)
        _ledger([rating, *extra], user, "rating.create")
    return rating


def rate_ticket(
    user: Any,
    ticket: Ticket,
    *,
    level: Any,
    scores: Any = None,
    comment: Any = "",
    channel: str = RatingChannel.WEB,
    at: dt.datetime | None = None,
) -> Rating:
    """The caller rates his closed 12345 ticket; the handling department is the rated unit."""
    person = _person_of(user)
    if person is None or person.pk != ticket.caller_id:
        raise PermissionDenied("rating_not_allowed", _("只有诉求人本人可以评价此工单。"))
    if ticket.status not in RATEABLE_TICKET_STATUSES or ticket.department_id is None:
        raise Conflict("not_finished", _("工单办结后才能评价。"))
    if channel not in RatingChannel.values:
        raise ValidationFailed(
            "rating_invalid", _("评价渠道不正确。"), details={"errors": {"channel": channel}}
        )
    level, clean_scores, comment = _clean_rating(Setting.HOTLINE, level, scores or {}, comment)
    now = at or timezone.now()
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        if Rating.objects.filter(ticket=ticket).exists():
            raise Conflict("already_rated", _("此工单已评价过，一事一评。"))
        assert ticket.department is not None
        rating = _create(
            subject_kind=SubjectKind.TICKET,
            ticket=ticket,
            department=ticket.department,
            rater=person,
            channel=channel,
            setting=Setting.HOTLINE,
            item_code=ticket.category.code if ticket.category_id else "",
            level=level,
            scores=clean_scores,
            comment=comment,
            created_at=now,
        )
        TicketEvent.objects.create(
            ticket=ticket,
            action="rated",
            from_status=ticket.status,
            to_status=ticket.status,
            actor=None,  # the rater is not shown to the rated unit
            department=ticket.department,
            at=now,
            data={"rating_id": rating.pk, "level": level, "bad": rating.is_bad},
        )
        _open_reviews([rating], now)
        _ledger([rating], user, "rating.create")
    return rating


def rerate(
    user: Any,
    previous: Rating,
    *,
    level: Any,
    scores: Any = None,
    comment: Any = "",
    channel: str = RatingChannel.WEB,
    at: dt.datetime | None = None,
) -> Rating:
    """After a bad review's outcome was told to him, the rater may rate once more: the new
    rating supersedes the old one in the indicators."""
    person = _person_of(user)
    if person is None or person.pk != previous.rater_id:
        raise PermissionDenied("rating_not_allowed", _("只有原评价人可以重新评价。"))
    review = BadReview.objects.filter(rating=previous).first()
    if review is None or review.status != BadReviewStatus.CLOSED or not previous.is_current:
        raise Conflict("rerate_not_open", _("差评整改办结并告知您结果后，才能重新评价一次。"))
    if previous.revision >= 2:
        raise Conflict("rerate_not_open", _("每项差评只能重新评价一次。"))
    if channel not in RatingChannel.values:
        raise ValidationFailed(
            "rating_invalid", _("评价渠道不正确。"), details={"errors": {"channel": channel}}
        )
    level, clean_scores, comment = _clean_rating(previous.setting, level, scores or {}, comment)
    now = at or timezone.now()
    with transaction.atomic():
        locked = Rating.objects.select_for_update().get(pk=previous.pk)
        if not locked.is_current:
            raise Conflict("rerate_not_open", _("每项差评只能重新评价一次。"))
        Rating.objects.filter(pk=locked.pk).update(is_current=False)
        rating = _create(
            subject_kind=locked.subject_kind,
            case=locked.case,
            ticket=locked.ticket,
            window=locked.window,
            staff=locked.staff,
            department=locked.department,
            item_code=locked.item_code,
            rater=person,
            channel=channel,
            setting=locked.setting,
            level=level,
            scores=clean_scores,
            comment=comment,
            revision=locked.revision + 1,
            supersedes=locked,
            created_at=now,
        )
        _timeline(rating, "rerated", now, {"rating_id": rating.pk, "level": level})
        _open_reviews([rating], now)
        _ledger([rating], user, "rating.rerate")
    previous.is_current = False
    return rating


def _create(**fields: Any) -> Rating:
    fields["is_bad"] = fields["level"] <= bad_max_level()
    try:
        with transaction.atomic():
            return Rating.objects.create(**fields)
    except IntegrityError:
        raise Conflict("already_rated", _("已评价过，一事一评。")) from None


def _open_reviews(ratings: list[Rating], now: dt.datetime) -> None:
    due = _due(now, callback_limit())
    for rating in ratings:
        if not rating.is_bad:
            continue
        review = BadReview.objects.create(
            rating=rating, department=rating.department, opened_at=now, callback_due_at=due
        )
        BadReviewEvent.objects.create(
            review=review,
            action="open",
            to_status=review.status,
            at=now,
            data={"callback_due_at": due.isoformat()},
        )


def _timeline(rating: Rating, kind: str, now: dt.datetime, data: dict) -> None:
    """An event on the case's or ticket's timeline (no names: the rated unit reads it)."""
    if rating.case_id is not None and rating.subject_kind == SubjectKind.CASE:
        case = rating.case
        assert case is not None
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=None,  # the rater is not shown to the rated unit
            kind=kind,
            from_status=case.status,
            to_status=case.status,
            data=data,
        )
    elif rating.ticket_id is not None:
        ticket = rating.ticket
        assert ticket is not None
        TicketEvent.objects.create(
            ticket=ticket,
            action=kind,
            from_status=ticket.status,
            to_status=ticket.status,
            actor=None,  # the rater is not shown to the rated unit
            department=ticket.department,
            at=now,
            data=data,
        )


def _ledger(ratings: list[Rating], user: Any, action: str) -> None:
    record_events(
        [
            LedgerEvent(
                actor=actor_of(user),
                action=action,
                object_type="ratings.rating",
                object_id=str(r.pk),
                payload={
                    "subject": r.subject_kind,
                    "case_id": r.case_id,
                    "ticket_id": r.ticket_id,
                    "department_id": r.department_id,
                    "level": r.level,
                    "rater_person_id": r.rater_id,
                },
            )
            for r in ratings
        ]
    )


# --- the bad-review loop ---------------------------------------------------------------------------

# action → (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "call_back": ((BadReviewStatus.AWAITING_CALLBACK,), BadReviewStatus.CALLED_BACK),
    "fix_now": ((BadReviewStatus.CALLED_BACK,), BadReviewStatus.CLOSED),
    "start_rectification": ((BadReviewStatus.CALLED_BACK,), BadReviewStatus.RECTIFYING),
    "complete_rectification": ((BadReviewStatus.RECTIFYING,), BadReviewStatus.CLOSED),
    "explain": ((BadReviewStatus.CALLED_BACK,), BadReviewStatus.CLOSED),
    "appeal": ((BadReviewStatus.CALLED_BACK,), BadReviewStatus.APPEALED),
    "uphold_appeal": ((BadReviewStatus.APPEALED,), BadReviewStatus.CLOSED),
    "reject_appeal": ((BadReviewStatus.APPEALED,), BadReviewStatus.CALLED_BACK),
}

OUTCOME_TEXT = {
    Outcome.FIXED_NOW: gettext_lazy("您反映的问题已立即整改。"),
    Outcome.RECTIFIED: gettext_lazy("您反映的问题已完成整改。"),
    Outcome.EXPLAINED: gettext_lazy("部门已就您反映的问题作出说明。"),
    Outcome.APPEAL_UPHELD: gettext_lazy("经督查部门核查，该评价不计入统计。"),
}


def can_handle(user: Any, review: BadReview) -> bool:
    return staff_can(user, (HANDLE,), review.department)


def can_supervise(user: Any, review: BadReview) -> bool:
    return staff_can(user, (SUPERVISE,), review.department)


def _step(
    user: Any,
    review: BadReview,
    action: str,
    *,
    note: str = "",
    changes: dict[str, Any] | None = None,
    outcome: str = "",
    at: dt.datetime | None = None,
) -> BadReview:
    supervising = action in ("uphold_appeal", "reject_appeal")
    allowed = can_supervise(user, review) if supervising else can_handle(user, review)
    if not allowed:
        raise PermissionDenied("review_action_not_allowed", _("您的岗位无权处理此差评。"))
    now = at or timezone.now()
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        current = BadReview.objects.select_for_update().select_related("rating").get(pk=review.pk)
        if current.status not in sources:
            raise Conflict(
                "invalid_transition",
                _("当前状态（%(status)s）不能进行此操作。")
                % {"status": current.get_status_display()},
            )
        before = current.status
        current.status = target
        for field, value in (changes or {}).items():
            setattr(current, field, value)
        if outcome:
            current.outcome = outcome
        if target == BadReviewStatus.CLOSED:
            current.closed_at = now
            current.rater_notified_at = now
        current.save()
        BadReviewEvent.objects.create(
            review=current,
            action=action,
            from_status=before,
            to_status=target,
            actor=user,
            at=now,
            note=note,
            data={
                k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                for k, v in (changes or {}).items()
                if k.endswith("_at")
            },
        )
        if target == BadReviewStatus.CLOSED:
            _tell_rater(current, now)
            _timeline(current.rating, "review_closed", now, {"outcome": current.outcome})
        record_events(
            [
                LedgerEvent(
                    actor=actor_of(user),
                    action=f"rating.review.{action}",
                    object_type="ratings.bad_review",
                    object_id=str(current.pk),
                    payload={"from": before, "to": target, "outcome": current.outcome},
                )
            ]
        )
    return current


def _tell_rater(review: BadReview, now: dt.datetime) -> None:
    from yiwang.cases.notifications import notify_user

    rating = review.rating
    person = rating.rater
    if person is None:  # a phoned-in rating: the 12345 agent tells the caller
        return
    subject = (
        rating.case.number if rating.case_id else rating.ticket.number if rating.ticket_id else ""
    )
    notify_user(
        person.user,
        _("您的评价已处理：%(subject)s") % {"subject": subject},
        str(OUTCOME_TEXT[Outcome(review.outcome)]) + _("您可以重新评价一次。"),
        case=rating.case if rating.case_id else None,
        person=person,
        sms=True,
    )


def call_back(
    user: Any, review: BadReview, note: Any, *, at: dt.datetime | None = None
) -> BadReview:
    """回访: the department has spoken with the rater."""
    text = _clean_note("note", note)
    return _step(
        user,
        review,
        "call_back",
        note=text,
        changes={"called_back_at": at or timezone.now(), "callback_note": text},
        at=at,
    )


def fix_now(user: Any, review: BadReview, note: Any, *, at: dt.datetime | None = None) -> BadReview:
    """立即整改: fixed during the call-back."""
    text = _clean_note("note", note)
    return _step(
        user,
        review,
        "fix_now",
        note=text,
        changes={"rectification_report": text},
        outcome=Outcome.FIXED_NOW,
        at=at,
    )


def start_rectification(
    user: Any,
    review: BadReview,
    plan: Any,
    *,
    working_days: int | None = None,
    at: dt.datetime | None = None,
) -> BadReview:
    """限期整改: a plan and a deadline (the deployment's default, or fewer days)."""
    text = _clean_note("plan", plan)
    limit = rectify_limit()
    if working_days is not None:
        if not isinstance(working_days, int) or not 1 <= working_days <= limit.amount:
            raise ValidationFailed(
                "rectification_invalid",
                _("整改期限为1至%(n)s个工作日。") % {"n": limit.amount},
                field="working_days",
            )
        limit = TimeLimit.working_days(working_days)
    now = at or timezone.now()
    return _step(
        user,
        review,
        "start_rectification",
        note=text,
        changes={"rectification_plan": text, "rectification_due_at": _due(now, limit)},
        at=now,
    )


def complete_rectification(
    user: Any, review: BadReview, report: Any, *, at: dt.datetime | None = None
) -> BadReview:
    text = _clean_note("report", report)
    return _step(
        user,
        review,
        "complete_rectification",
        note=text,
        changes={"rectification_report": text},
        outcome=Outcome.RECTIFIED,
        at=at,
    )


def explain(
    user: Any, review: BadReview, explanation: Any, *, at: dt.datetime | None = None
) -> BadReview:
    """说明解释: nothing to fix (e.g. the law required what the rater disliked)."""
    text = _clean_note("explanation", explanation)
    return _step(
        user,
        review,
        "explain",
        note=text,
        changes={"explanation": text},
        outcome=Outcome.EXPLAINED,
        at=at,
    )


def appeal(
    user: Any, review: BadReview, reason: Any, *, at: dt.datetime | None = None
) -> BadReview:
    """恶意差评申诉: the supervising office decides."""
    text = _clean_note("reason", reason)
    return _step(user, review, "appeal", note=text, changes={"appeal_reason": text}, at=at)


def decide_appeal(
    user: Any, review: BadReview, *, upheld: bool, note: Any, at: dt.datetime | None = None
) -> BadReview:
    """The supervising office upholds the appeal (the rating no longer counts) or rejects it (the
    department must fix, rectify or explain)."""
    text = _clean_note("note", note)
    if not upheld:
        return _step(
            user, review, "reject_appeal", note=text, changes={"appeal_decision_note": text}, at=at
        )
    with transaction.atomic():  # the review closes and its rating stops counting together
        done = _step(
            user,
            review,
            "uphold_appeal",
            note=text,
            changes={"appeal_decision_note": text},
            outcome=Outcome.APPEAL_UPHELD,
            at=at,
        )
        Rating.objects.filter(pk=done.rating_id).update(is_excluded=True)
    return done


# --- overdue ---------------------------------------------------------------------------------------


def escalate_overdue(now: dt.datetime | None = None) -> int:
    """Raise the escalation level of every call-back or rectification past its deadline, once per
    overdue step (run every few minutes: ``check_rating_deadlines``). Returns how many."""
    now = now or timezone.now()
    raised = 0
    candidates = BadReview.objects.filter(
        status__in=[BadReviewStatus.AWAITING_CALLBACK, BadReviewStatus.RECTIFYING]
    ).select_related("department")
    for review in candidates:
        due = (
            review.callback_due_at
            if review.status == BadReviewStatus.AWAITING_CALLBACK
            else review.rectification_due_at
        )
        if due is None or due > now:
            continue
        if review.escalated_at is not None and review.escalated_at >= due:
            continue  # this step was escalated already
        with transaction.atomic():
            updated = BadReview.objects.filter(
                pk=review.pk, status=review.status, escalation_level=review.escalation_level
            ).update(escalation_level=review.escalation_level + 1, escalated_at=now)
            if not updated:
                continue
            BadReviewEvent.objects.create(
                review=review,
                action="escalate",
                from_status=review.status,
                to_status=review.status,
                at=now,
                data={"level": review.escalation_level + 1, "due_at": due.isoformat()},
            )
            record_events(
                [
                    LedgerEvent(
                        actor="system",
                        action="rating.review.escalate",
                        object_type="ratings.bad_review",
                        object_id=str(review.pk),
                        payload={"status": review.status, "level": review.escalation_level + 1},
                    )
                ]
            )
        raised += 1
    return raised
