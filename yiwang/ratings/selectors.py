"""Reads of bad reviews (差评整改), permission-checked: a review the user may not see is
``review_not_found`` (404), never someone else's data.

Who sees what:

- a handler (``ratings.handle``): the reviews of the departments his role scope covers (own
  department, department subtree or region subtree, as the role says);
- a supervisor (``ratings.supervise``, e.g. the 政务服务管理局): the reviews of every department
  within his scope, to follow them and to decide appeals;
- everyone else — citizens, staff without these capabilities, administrators, the auditor —
  nothing here.

The rater's identity is never part of these reads' output: the pages show "评价人（已隐藏）".
The department must still call him back (回访): ``reveal_rater_phone`` gives a handler the
rater's phone number for a stated purpose and records the reading (``personal_data.read``, the
rater's person id as the subject), which the citizen sees in his access log — the same ledger
record as ``yiwang.hotline.selectors.reveal_caller_phone``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.selectors import scope_q
from yiwang.accounts.services.audit import audit
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.masking import Audience, mask_phone
from yiwang.hotline.selectors import clock_warning
from yiwang.ratings.models import BadReview, BadReviewEvent, BadReviewStatus
from yiwang.ratings.services import HANDLE, SUPERVISE

PERSONAL_DATA_READ = "personal_data.read"
MAX_PURPOSE_CHARS = 200

# The worklist's tabs: key → the statuses it holds (an empty tuple: all of them).
TAB_STATUSES: dict[str, tuple[str, ...]] = {
    "callback": (BadReviewStatus.AWAITING_CALLBACK,),
    "rectifying": (BadReviewStatus.CALLED_BACK, BadReviewStatus.RECTIFYING),
    "appeal": (BadReviewStatus.APPEALED,),
    "closed": (BadReviewStatus.CLOSED,),
}


def _base() -> QuerySet[BadReview]:
    return BadReview.objects.select_related(
        "department",
        "rating",
        "rating__case__item",
        "rating__ticket__category",
        "rating__window",
        "rating__staff",
    )


def handler_q(user: Any) -> Q | None:
    """Reviews of the departments ``user`` handles bad reviews for (None: none)."""
    return scope_q(user, "department", capabilities=(HANDLE,))


def supervisor_q(user: Any) -> Q | None:
    """Reviews of the departments ``user`` supervises (None: none)."""
    return scope_q(user, "department", capabilities=(SUPERVISE,))


def is_rating_staff(user: Any) -> bool:
    """Whether the bad-review pages exist for ``user`` (a handler or a supervisor somewhere)."""
    return handler_q(user) is not None or supervisor_q(user) is not None


def is_supervisor(user: Any) -> bool:
    return supervisor_q(user) is not None


def reviews_visible_to(user: Any) -> QuerySet[BadReview]:
    """Every bad review ``user`` may see: the union of his handling and supervising scopes."""
    parts = [q for q in (handler_q(user), supervisor_q(user)) if q is not None]
    if not parts:
        return _base().none()
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return _base().filter(q)


def reviews_for_handler(user: Any) -> QuerySet[BadReview]:
    q = handler_q(user)
    return _base().none() if q is None else _base().filter(q)


def appeals_to_decide(user: Any) -> QuerySet[BadReview]:
    """The appealed reviews of the departments ``user`` supervises."""
    q = supervisor_q(user)
    if q is None:
        return _base().none()
    return _base().filter(q, status=BadReviewStatus.APPEALED)


def get_review_for_user(user: Any, review_id: Any) -> BadReview:
    try:
        pk = int(review_id)
    except (TypeError, ValueError):
        pk = 0
    review = reviews_visible_to(user).filter(pk=pk).first() if pk > 0 else None
    if review is None:
        raise NotFound("review_not_found", _("差评不存在或您无权查看。"))
    return review


def timeline(review: BadReview) -> QuerySet[BadReviewEvent]:
    return review.events.select_related("actor").order_by("at", "pk")


# --- deadlines -------------------------------------------------------------------------------------


def next_deadline(review: BadReview) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """The step now under a time limit: (``callback`` | ``rectification`` | "", start, due)."""
    if review.status == BadReviewStatus.AWAITING_CALLBACK:
        return "callback", review.opened_at, review.callback_due_at
    if review.status == BadReviewStatus.RECTIFYING:
        return (
            "rectification",
            review.called_back_at or review.opened_at,
            (review.rectification_due_at),
        )
    return "", None, None


def is_overdue(review: BadReview, now: dt.datetime | None = None) -> bool:
    _kind, _start, due = next_deadline(review)
    return due is not None and (now or timezone.now()) > due


def deadline_warning(review: BadReview, now: dt.datetime | None = None) -> str:
    """``none`` | ``yellow`` | ``red`` of the running step's clock (the hotline's 2/3 rule)."""
    _kind, start, due = next_deadline(review)
    return str(clock_warning(start, due, now))


# --- the rater's phone -----------------------------------------------------------------------------


def rater_phone(review: BadReview) -> str:
    """The number to call the rater back on: his own, else the one he gave the hotline."""
    rating = review.rating
    rater = rating.rater if rating.rater_id else None
    phone = rater.phone if rater is not None else ""
    if not phone and rating.ticket_id is not None and rating.ticket is not None:
        phone = rating.ticket.caller_phone
    return phone or ""


def masked_rater_phone(review: BadReview) -> str:
    phone = rater_phone(review)
    return mask_phone(phone, Audience.STAFF) if phone else ""


def can_reveal_phone(user: Any, review: BadReview) -> bool:
    """Only a handler of the review's department, while the loop is open."""
    if review.status == BadReviewStatus.CLOSED:
        return False
    return reviews_for_handler(user).filter(pk=review.pk).exists()


def reveal_rater_phone(user: Any, review: BadReview, purpose: str) -> str:
    """The rater's full number for the call-back (回访), recorded for the rater to see.

    ``review`` must come from ``get_review_for_user`` for ``user``. A handler of the review's
    department gets it while the review is open, for a stated purpose; a supervisor (who sees the
    review but does not call) is refused; anyone else gets ``review_not_found``.
    """
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > MAX_PURPOSE_CHARS or "\x00" in purpose:
        raise ValidationFailed(
            "purpose_required",
            _("请填写查看联系电话的事由（不超过%(max)s个字）。") % {"max": MAX_PURPOSE_CHARS},
            field="purpose",
        )
    if not reviews_visible_to(user).filter(pk=review.pk).exists():
        raise NotFound("review_not_found", _("差评不存在或您无权查看。"))
    if not reviews_for_handler(user).filter(pk=review.pk).exists():
        raise PermissionDenied(
            "phone_not_allowed", _("只有负责回访的部门可以查看评价人的联系电话。")
        )
    current = BadReview.objects.select_related("rating__rater", "rating__ticket").get(pk=review.pk)
    if current.status == BadReviewStatus.CLOSED:
        raise Conflict("review_closed", _("差评已办结，不能再查看评价人的联系电话。"))
    phone = rater_phone(current)
    if not phone:
        raise Conflict("no_phone", _("评价人未留联系电话。"))
    rating = current.rating
    audit(
        user,
        PERSONAL_DATA_READ,
        current,
        {
            "subject_person_id": rating.rater_id,
            "field": "phone",
            "purpose": purpose,
            "bad_review": current.pk,
            "case": rating.case.number if rating.case_id and rating.case else "",
            "ticket": rating.ticket.number if rating.ticket_id and rating.ticket else "",
        },
        object_type="ratings.bad_review",
    )
    return phone
