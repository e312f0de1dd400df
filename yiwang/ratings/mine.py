"""The citizen's own 好差评 reads: the cases and tickets he may still rate, one of his cases,
tickets or ratings (anyone else's is ``NotFound``), and his ratings with the state of the
bad-review loop told in plain words.

What he reads of a bad review: its state, the deadline of the call-back or of the
rectification, and once it is closed the outcome with the text meant for him (the department's
``rectification_report`` or ``explanation``). Never the call-back note, the rectification plan,
the appeal or its decision, nor any staff member's name: those are the departments' own records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import Person, User
from yiwang.cases.models import Case
from yiwang.cases.models import Channel as CaseChannel
from yiwang.core.errors import NotFound
from yiwang.hotline.models import Ticket
from yiwang.ratings import services
from yiwang.ratings.models import (
    BadReview,
    BadReviewStatus,
    Outcome,
    Rating,
    ServiceWindow,
    Setting,
    SubjectKind,
)
from yiwang.ratings.services import RATEABLE_CASE_STATUSES, RATEABLE_TICKET_STATUSES

MAX_REVISIONS = 2  # the first rating and one re-rating after a bad review (services.rerate)

# The loop's state as the rater reads it: (label, badge tone).
REVIEW_STATES: dict[str, tuple[Any, str]] = {
    BadReviewStatus.AWAITING_CALLBACK: (gettext_lazy("待回访"), "warning"),
    BadReviewStatus.CALLED_BACK: (gettext_lazy("已回访"), "info"),
    BadReviewStatus.RECTIFYING: (gettext_lazy("整改中"), "info"),
    # An appeal is the departments' business: the rater learns its outcome when it is closed.
    BadReviewStatus.APPEALED: (gettext_lazy("核查中"), "info"),
    BadReviewStatus.CLOSED: (gettext_lazy("已办结"), "success"),
}

OUTCOME_TEXT = services.OUTCOME_TEXT  # what the rater is told of each outcome

LEVEL_TONES = {5: "success", 4: "success", 3: "neutral", 2: "danger", 1: "danger"}


def clean_number(value: Any) -> str:
    return str(value).replace("\x00", "")[:64]


def citizen_person(user: Any) -> Person | None:
    """The person of a signed-in citizen account, or None (staff, machine clients)."""
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.PERSON:
        return None
    return Person.objects.filter(user_id=user.pk).first()


# --- his transactions -------------------------------------------------------------------------


def own_case(user: Any, number: Any) -> Case:
    """His case (he is its applicant: only he may rate it), else ``NotFound``."""
    case = (
        Case.objects.filter(number=clean_number(number), applicant__user_id=user.pk)
        .select_related("item", "bundle", "department", "receiving_department", "submitted_by")
        .first()
        if getattr(user, "is_authenticated", False) and user.kind == User.Kind.PERSON
        else None
    )
    if case is None:
        raise NotFound("case_not_found", _("办件不存在或您无权评价。"))
    return case


def own_ticket(user: Any, number: Any) -> Ticket:
    """His 12345 ticket (he is its caller), else ``NotFound``."""
    ticket = (
        Ticket.objects.filter(number=clean_number(number)[:32], caller__user_id=user.pk)
        .select_related("department", "category")
        .first()
        if getattr(user, "is_authenticated", False) and user.kind == User.Kind.PERSON
        else None
    )
    if ticket is None:
        raise NotFound("ticket_not_found", _("工单不存在或您无权评价。"))
    return ticket


def own_rating(user: Any, rating_id: int) -> Rating:
    rating = (
        _ratings(user).filter(pk=rating_id).first()
        if getattr(user, "is_authenticated", False) and user.kind == User.Kind.PERSON
        else None
    )
    if rating is None:
        raise NotFound("rating_not_found", _("评价不存在或您无权查看。"))
    return rating


def case_is_rateable(case: Case) -> bool:
    return case.status in RATEABLE_CASE_STATUSES


def ticket_is_rateable(ticket: Ticket) -> bool:
    return ticket.status in RATEABLE_TICKET_STATUSES and ticket.department_id is not None


def case_setting(case: Case) -> str:
    """As ``services.rate_case`` decides: a case taken in at a window is a counter visit."""
    return Setting.COUNTER if case.channel == CaseChannel.COUNTER else Setting.ONLINE


def counter_windows(case: Case) -> QuerySet[ServiceWindow] | None:
    """The active windows of the department that received him (None: not a counter visit)."""
    if case_setting(case) != Setting.COUNTER or case.receiving_department_id is None:
        return None
    return ServiceWindow.objects.filter(
        department_id=case.receiving_department_id, is_active=True
    ).order_by("code")


def receiving_clerk(case: Case) -> User | None:
    """The clerk who took the counter application in: ``counter_intake`` files the case with
    him as ``submitted_by`` (the ``submitted`` event's actor). None for any other case."""
    if case_setting(case) != Setting.COUNTER:
        return None
    clerk = case.submitted_by
    if clerk is None or clerk.kind != User.Kind.STAFF:
        return None
    return clerk


def rating_of_case(case: Case) -> Rating | None:
    """The case's current rating (the newest revision), if any."""
    return (
        Rating.objects.filter(case=case, subject_kind=SubjectKind.CASE)
        .select_related("bad_review__department")
        .order_by("-revision")
        .first()
    )


def rating_of_ticket(ticket: Ticket) -> Rating | None:
    return (
        Rating.objects.filter(ticket=ticket, subject_kind=SubjectKind.TICKET)
        .select_related("bad_review__department")
        .order_by("-revision")
        .first()
    )


def companions(rating: Rating) -> list[Rating]:
    """The window's and the staff member's ratings given with a case's first rating."""
    if rating.case_id is None or rating.subject_kind != SubjectKind.CASE:
        return []
    return list(
        Rating.objects.filter(
            case_id=rating.case_id,
            rater_id=rating.rater_id,
            subject_kind__in=(SubjectKind.WINDOW, SubjectKind.STAFF),
            is_current=True,
        )
        .select_related("window", "bad_review__department")
        .order_by("subject_kind", "pk")
    )


def rateable_cases(user: Any) -> QuerySet[Case]:
    """His finished cases with no rating yet (a bundle counts once: 一件事一次评)."""
    rated = Rating.objects.filter(case=OuterRef("pk"), subject_kind=SubjectKind.CASE)
    return (
        Case.objects.filter(
            applicant__user_id=user.pk,
            parent__isnull=True,
            status__in=RATEABLE_CASE_STATUSES,
        )
        .exclude(Exists(rated))
        .select_related("item", "bundle", "department")
        .order_by("-completed_at", "-submitted_at", "-pk")
    )


def rateable_tickets(user: Any) -> QuerySet[Ticket]:
    rated = Rating.objects.filter(ticket=OuterRef("pk"))
    return (
        Ticket.objects.filter(
            caller__user_id=user.pk,
            status__in=RATEABLE_TICKET_STATUSES,
            department__isnull=False,
        )
        .exclude(Exists(rated))
        .select_related("department")
        .order_by("-closed_at", "-pk")
    )


# --- his ratings ------------------------------------------------------------------------------


def _ratings(user: Any) -> QuerySet[Rating]:
    return Rating.objects.filter(rater__user_id=user.pk).select_related(
        "case__item",
        "case__bundle",
        "ticket",
        "window",
        "department",
        "bad_review__department",
    )


def review_of(rating: Rating) -> BadReview | None:
    try:
        return rating.bad_review
    except BadReview.DoesNotExist:
        return None


def can_rerate(rating: Rating) -> bool:
    """Once the loop of his bad rating is closed (and he was told), he may rate once more."""
    review = review_of(rating)
    return (
        review is not None
        and review.status == BadReviewStatus.CLOSED
        and rating.is_current
        and rating.revision < MAX_REVISIONS
    )


@dataclass(frozen=True)
class ReviewState:
    """What the rater reads of the loop of his bad rating."""

    status: str
    label: Any
    tone: str
    text: str
    due_at: dt.datetime | None = None
    outcome: str = ""
    department_text: str = ""  # the report or explanation the department wrote for him
    closed_at: dt.datetime | None = None


def review_state(review: BadReview) -> ReviewState:
    label, tone = REVIEW_STATES[BadReviewStatus(review.status)]
    status = review.status
    if status == BadReviewStatus.AWAITING_CALLBACK:
        return ReviewState(
            status,
            label,
            tone,
            _("%(department)s将与您联系，了解情况。") % {"department": review.department.name},
            due_at=review.callback_due_at,
        )
    if status == BadReviewStatus.CALLED_BACK:
        return ReviewState(status, label, tone, _("部门已与您联系，正在处理您反映的问题。"))
    if status == BadReviewStatus.RECTIFYING:
        return ReviewState(
            status,
            label,
            tone,
            _("部门正在限期整改您反映的问题。"),
            due_at=review.rectification_due_at,
        )
    if status == BadReviewStatus.APPEALED:
        return ReviewState(status, label, tone, _("您反映的问题正在核查中，结果将告知您。"))
    outcome = str(OUTCOME_TEXT.get(review.outcome, "")) if review.outcome else ""
    if review.outcome in (Outcome.FIXED_NOW, Outcome.RECTIFIED):
        department_text = review.rectification_report
    elif review.outcome == Outcome.EXPLAINED:
        department_text = review.explanation
    else:
        department_text = ""
    return ReviewState(
        status,
        label,
        tone,
        outcome,
        outcome=review.outcome,
        department_text=department_text,
        closed_at=review.closed_at,
    )


def subject_title(rating: Rating) -> str:
    """What was rated, in his words (its number is shown beside it)."""
    if rating.subject_kind == SubjectKind.TICKET:
        return _("12345诉求")
    case = rating.case
    if rating.subject_kind == SubjectKind.WINDOW and rating.window is not None:
        return _("窗口：%(window)s") % {"window": rating.window.name}
    if rating.subject_kind == SubjectKind.STAFF:
        return _("窗口工作人员")
    if case is None:
        return ""
    return case.item.name if case.item_id else case.bundle.name if case.bundle_id else ""


def subject_url_kwargs(rating: Rating) -> tuple[str, str]:
    """(URL name, number) of the page of the rated transaction."""
    if rating.ticket_id is not None and rating.ticket is not None:
        return "ratings:rate_ticket", rating.ticket.number
    assert rating.case is not None
    return "ratings:rate_case", rating.case.number


@dataclass(frozen=True)
class RatingRow:
    rating: Rating
    title: str
    kind_label: Any
    level_label: Any
    level_tone: str
    url_name: str
    number: str
    state: ReviewState | None
    can_rerate: bool
    superseded: bool


def rating_row(rating: Rating) -> RatingRow:
    review = review_of(rating)
    url_name, number = subject_url_kwargs(rating)
    return RatingRow(
        rating=rating,
        title=subject_title(rating),
        kind_label=rating.get_subject_kind_display(),
        level_label=rating.get_level_display(),
        level_tone=LEVEL_TONES.get(rating.level, "neutral"),
        url_name=url_name,
        number=number,
        state=review_state(review) if review is not None else None,
        can_rerate=can_rerate(rating),
        superseded=not rating.is_current,
    )


def my_ratings(user: Any) -> QuerySet[Rating]:
    """Every rating he gave, newest first (re-ratings and the ones they replaced included)."""
    return _ratings(user).order_by("-created_at", "-pk")
