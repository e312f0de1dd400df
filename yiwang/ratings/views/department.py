"""好差评 pages of the rated departments and the supervising office (差评整改): the worklist of
bad reviews, a review's page with its timeline and the steps allowed now — 回访, 立即整改,
限期整改, 整改完成, 说明解释, 申诉恶意差评, and for the supervisor 申诉成立/不成立 — and the
rater's phone for the call-back, shown once for a stated purpose and recorded for the rater.

Reviews come only through ``selectors.get_review_for_user``: a review outside the user's
handling or supervising scope is 404. A step the user's role may not take is 403 (a page that
says who may); the services decide the rest, and a ``DomainError`` they raise is shown on the
review page as a form error or a message with its status (409, 422), never a 500. The rater's
name and ID number are never shown. Pages work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.ratings import selectors, services
from yiwang.ratings.department_forms import (
    TABS,
    AppealForm,
    CallBackForm,
    CompleteRectificationForm,
    DecideAppealForm,
    ExplainForm,
    FixNowForm,
    RevealPhoneForm,
    StartRectificationForm,
    WorklistFilterForm,
)
from yiwang.ratings.models import (
    DIMENSIONS,
    BadReview,
    BadReviewEvent,
    BadReviewStatus,
    Rating,
    SubjectKind,
)

PAGE_SIZE = 20

STATUS_TONES = {
    BadReviewStatus.AWAITING_CALLBACK: "warning",
    BadReviewStatus.CALLED_BACK: "info",
    BadReviewStatus.RECTIFYING: "info",
    BadReviewStatus.APPEALED: "warning",
    BadReviewStatus.CLOSED: "success",
}
CLOCK_LABELS = {
    "callback": gettext_lazy("回访时限"),
    "rectification": gettext_lazy("整改时限"),
}
EVENT_TITLES = {
    "open": gettext_lazy("收到差评，转本单位回访整改"),
    "call_back": gettext_lazy("回访"),
    "fix_now": gettext_lazy("立即整改"),
    "start_rectification": gettext_lazy("限期整改"),
    "complete_rectification": gettext_lazy("整改完成"),
    "explain": gettext_lazy("说明解释"),
    "appeal": gettext_lazy("申诉恶意差评"),
    "uphold_appeal": gettext_lazy("申诉成立：不计入统计"),
    "reject_appeal": gettext_lazy("申诉不成立：继续整改或说明"),
    "escalate": gettext_lazy("超时督办"),
}
EVENT_TONES = {
    "open": "warning",
    "escalate": "danger",
    "appeal": "warning",
    "reject_appeal": "warning",
    "fix_now": "success",
    "complete_rectification": "success",
    "explain": "success",
    "uphold_appeal": "success",
    "call_back": "info",
    "start_rectification": "info",
}


# --- the steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the loop as the review page offers it: the form (and its key in the page's
    context), whether it is the supervisor's, the service call and what to say when done."""

    form: type[forms.Form]
    key: str
    supervising: bool
    run: Callable[[Any, BadReview, dict[str, Any]], object]
    done: Any


STEPS: dict[str, Step] = {
    "call_back": Step(
        CallBackForm,
        "call_back_form",
        False,
        lambda user, review, data: services.call_back(user, review, data["note"]),
        gettext_lazy("已记录回访情况。请立即整改、限期整改、说明解释，或对恶意差评提出申诉。"),
    ),
    "fix_now": Step(
        FixNowForm,
        "fix_now_form",
        False,
        lambda user, review, data: services.fix_now(user, review, data["note"]),
        gettext_lazy("已立即整改并办结，处理结果已告知评价人。"),
    ),
    "start_rectification": Step(
        StartRectificationForm,
        "start_rectification_form",
        False,
        lambda user, review, data: services.start_rectification(
            user, review, data["plan"], working_days=data["working_days"]
        ),
        gettext_lazy("已开始限期整改，请在整改时限内完成。"),
    ),
    "complete_rectification": Step(
        CompleteRectificationForm,
        "complete_rectification_form",
        False,
        lambda user, review, data: services.complete_rectification(user, review, data["report"]),
        gettext_lazy("整改完成，已办结并告知评价人。"),
    ),
    "explain": Step(
        ExplainForm,
        "explain_form",
        False,
        lambda user, review, data: services.explain(user, review, data["explanation"]),
        gettext_lazy("已说明解释并办结，说明已告知评价人。"),
    ),
    "appeal": Step(
        AppealForm,
        "appeal_form",
        False,
        lambda user, review, data: services.appeal(user, review, data["reason"]),
        gettext_lazy("已提出申诉，等待政务服务管理部门审核。"),
    ),
    "uphold_appeal": Step(
        DecideAppealForm,
        "decide_form",
        True,
        lambda user, review, data: services.decide_appeal(
            user, review, upheld=True, note=data["note"]
        ),
        gettext_lazy("申诉成立：该评价不计入统计，已告知评价人。"),
    ),
    "reject_appeal": Step(
        DecideAppealForm,
        "decide_form",
        True,
        lambda user, review, data: services.decide_appeal(
            user, review, upheld=False, note=data["note"]
        ),
        gettext_lazy("申诉不成立，已退回部门继续整改或说明。"),
    ),
}

# The steps each status offers (the services' transition table, seen from the page).
OFFERED: dict[str, tuple[str, ...]] = {
    status: tuple(a for a, (sources, _target) in services.TRANSITIONS.items() if status in sources)
    for status in BadReviewStatus.values
}


# --- presentation helpers --------------------------------------------------------------------------


def duration_text(delta: dt.timedelta) -> str:
    """``2天3小时`` / ``5小时10分钟`` / ``12分钟`` of an absolute duration."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s天%(hours)s小时") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s小时%(minutes)s分钟") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s分钟") % {"minutes": minutes}


@dataclass(frozen=True)
class ClockView:
    """The running step's time limit: its label, due time, colour state and the time left."""

    label: str
    due_at: dt.datetime
    state: str  # none | yellow | red (ui/components/deadline.html)
    text: str
    overdue: bool


def clock_of(review: BadReview, now: dt.datetime) -> ClockView | None:
    kind, _start, due = selectors.next_deadline(review)
    if due is None:
        return None
    overdue = now > due
    if overdue:
        text = _("已超时%(time)s") % {"time": duration_text(now - due)}
    else:
        text = _("剩余%(time)s") % {"time": duration_text(due - now)}
    return ClockView(
        str(CLOCK_LABELS[kind]), due, selectors.deadline_warning(review, now), text, overdue
    )


def waiting_text(review: BadReview) -> str:
    """What the review waits for when no clock runs."""
    if review.status == BadReviewStatus.CALLED_BACK:
        return _("已回访，待处理")
    if review.status == BadReviewStatus.APPEALED:
        return _("待督查部门审核申诉")
    if review.status == BadReviewStatus.CLOSED:
        return _("已办结")
    return ""


@dataclass(frozen=True)
class Subject:
    """What was rated, without the rater: the case or ticket number and the 事项 or 分类."""

    kind: str
    number: str
    title: str


def subject_of(rating: Rating) -> Subject:
    kind = rating.get_subject_kind_display()
    if rating.ticket_id is not None and rating.ticket is not None:
        ticket = rating.ticket
        title = ticket.category.name if ticket.category_id and ticket.category else ""
        return Subject(str(kind), ticket.number, title or ticket.get_type_display())
    case = rating.case
    number = case.number if case is not None else ""
    item = case.item.name if case is not None and case.item_id and case.item else ""
    if rating.subject_kind == SubjectKind.WINDOW and rating.window is not None:
        title = _("%(window)s（%(item)s）") % {"window": str(rating.window), "item": item}
        return Subject(str(kind), number, title)
    if rating.subject_kind == SubjectKind.STAFF and rating.staff is not None:
        title = _("%(staff)s（%(item)s）") % {"staff": rating.staff.display_name, "item": item}
        return Subject(str(kind), number, title)
    return Subject(str(kind), number, item)


def level_tone(rating: Rating) -> str:
    return "danger" if rating.level <= 1 else "warning" if rating.is_bad else "neutral"


def escalation_label(review: BadReview) -> str:
    if not review.escalation_level:
        return ""
    return _("督办%(n)s次") % {"n": review.escalation_level}


def review_timeline(events: QuerySet[BadReviewEvent]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        title = str(EVENT_TITLES.get(event.action, event.action))
        data = event.data if isinstance(event.data, dict) else {}
        if event.action == "start_rectification" and data.get("rectification_due_at"):
            due = parse_datetime(str(data["rectification_due_at"]))
            if due is not None:
                local = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
                title = _("限期整改，整改时限 %(due)s") % {"due": local}
        elif event.action == "escalate" and data.get("level"):
            title = _("超时督办（第%(n)s次）") % {"n": data["level"]}
        rows.append(
            {
                "at": event.at,
                "title": title,
                "actor": event.actor.display_name if event.actor is not None else _("系统"),
                "note": event.note,
                "tone": EVENT_TONES.get(event.action, "neutral"),
            }
        )
    return rows


# --- access ----------------------------------------------------------------------------------------


def _require_rating_staff(user: Any) -> None:
    """The pages exist only for users who handle or supervise bad reviews somewhere."""
    if not selectors.is_rating_staff(user):
        raise NotFound("not_found", _("页面不存在。"))


def _forbidden(request: HttpRequest, review: BadReview, message: str) -> HttpResponse:
    return render(
        request,
        "ratings/department/forbidden.html",
        {"review": review, "message": message, "status": 403},
        status=403,
    )


# --- the worklist ----------------------------------------------------------------------------------


def _ordered(qs: QuerySet[BadReview], tab: str) -> QuerySet[BadReview]:
    if tab == "closed":
        return qs.order_by(F("closed_at").desc(nulls_last=True), "-pk")
    next_due = Case(
        When(status=BadReviewStatus.AWAITING_CALLBACK, then=F("callback_due_at")),
        When(status=BadReviewStatus.RECTIFYING, then=F("rectification_due_at")),
        default=None,
    )
    closed_last = Case(
        When(status=BadReviewStatus.CLOSED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return qs.annotate(next_due=next_due, closed_last=closed_last).order_by(
        "closed_last", F("next_due").asc(nulls_last=True), "-opened_at", "-pk"
    )


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """待回访 / 整改中 / 申诉审核 / 已办结: the bad reviews of the user's departments (or, for a
    supervisor, of the departments he supervises), the nearest deadline first."""
    user = request.user
    _require_rating_staff(user)
    form = WorklistFilterForm(request.GET or None)
    filters = form.cleaned()
    tab = filters.get("tab", "")
    now = timezone.now()
    base = selectors.reviews_visible_to(user)
    if filters.get("q"):
        q = filters["q"]
        base = base.filter(
            Q(rating__case__number__icontains=q) | Q(rating__ticket__number__icontains=q)
        )
    by_status = dict(base.order_by().values_list("status").annotate(n=Count("pk")))
    qs = base.filter(status__in=selectors.TAB_STATUSES[tab]) if tab else base
    page = Paginator(_ordered(qs, tab), PAGE_SIZE).get_page(request.GET.get("page"))
    supervisor = selectors.is_supervisor(user)
    to_decide = (
        set(
            selectors.appeals_to_decide(user)
            .filter(pk__in=[r.pk for r in page])
            .values_list("pk", flat=True)
        )
        if supervisor
        else set()
    )
    rows = []
    for review in page:
        rating = review.rating
        rows.append(
            {
                "review": review,
                "subject": subject_of(rating),
                "level_label": rating.get_level_display(),
                "level_tone": level_tone(rating),
                "status_label": review.get_status_display(),
                "status_tone": STATUS_TONES.get(BadReviewStatus(review.status), "neutral"),
                "clock": clock_of(review, now),
                "waiting": waiting_text(review),
                "escalation": escalation_label(review),
                "to_decide": review.pk in to_decide,
            }
        )
    tabs = [
        {
            "value": value,
            "label": label,
            "count": sum(by_status.get(s, 0) for s in selectors.TAB_STATUSES[value]),
            "current": tab == value,
        }
        for value, label in TABS
        if value != "appeal" or supervisor or by_status.get(BadReviewStatus.APPEALED)
    ]
    tabs.append(
        {"value": "", "label": _("全部"), "count": sum(by_status.values()), "current": not tab}
    )
    return render(
        request,
        "ratings/department/worklist.html",
        {
            "form": form,
            "filters": filters,
            "tab": tab,
            "tabs": tabs,
            "rows": rows,
            "page_obj": page,
            "is_supervisor": supervisor,
        },
    )


# --- a review --------------------------------------------------------------------------------------


def _offered(user: Any, review: BadReview) -> list[str]:
    """The steps ``user`` may take on ``review`` now (its status and his role)."""
    handler = services.can_handle(user, review)
    supervisor = services.can_supervise(user, review)
    return [
        action
        for action in OFFERED.get(review.status, ())
        if (supervisor if STEPS[action].supervising else handler)
    ]


def _review_context(
    request: HttpRequest, review: BadReview, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    rating = review.rating
    offered = _offered(user, review)
    page_forms: dict[str, forms.Form] = {
        STEPS[action].key: STEPS[action].form() for action in offered
    }
    can_reveal = selectors.can_reveal_phone(user, review)
    if can_reveal:
        page_forms["phone_form"] = RevealPhoneForm()
    page_forms.update(bound or {})
    dimensions = DIMENSIONS.get(rating.setting, {})
    scores = [
        {"name": dimensions.get(key, key), "value": value}
        for key, value in (rating.scores or {}).items()
    ]
    subject = subject_of(rating)
    return {
        "review": review,
        "rating": rating,
        "subject": subject,
        "level_label": rating.get_level_display(),
        "level_tone": level_tone(rating),
        "scores": scores,
        "status_label": review.get_status_display(),
        "status_tone": STATUS_TONES.get(BadReviewStatus(review.status), "neutral"),
        "clock": clock_of(review, now),
        "waiting": waiting_text(review),
        "escalation": escalation_label(review),
        "events": review_timeline(selectors.timeline(review)),
        "offered": offered,
        "is_handler": services.can_handle(user, review),
        "is_supervisor": services.can_supervise(user, review),
        "masked_phone": selectors.masked_rater_phone(review),
        "can_reveal": can_reveal,
        "rectify_limit": services.rectify_limit().amount,
        "crumbs": [(_("差评整改"), reverse("ratings:reviews")), (subject.number, None)],
        **page_forms,
    }


def _page(
    request: HttpRequest,
    review: BadReview,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = _review_context(request, review, bound)
    context.update(extra or {})
    return render(request, "ratings/department/review.html", context, status=status)


def _refused(
    request: HttpRequest, review: BadReview, error: DomainError, key: str, form: forms.Form
) -> HttpResponse:
    """A service's refusal on the review page, with the error's status: on the form's field
    when it names one (the form keeps what was typed), else as a message at the top."""
    review.refresh_from_db()
    still_offered = key == "phone_form" or any(
        STEPS[a].key == key for a in _offered(request.user, review)
    )
    if error.field and error.field in form.fields and still_offered:
        form.add_error(error.field, error.message)
        return _page(request, review, bound={key: form}, status=error.status)
    messages.error(request, error.message)
    return _page(request, review, status=error.status)


@login_required
@require_GET
def review_page(request: HttpRequest, review_id: int) -> HttpResponse:
    return _page(request, selectors.get_review_for_user(request.user, review_id))


@login_required
@require_POST
def review_action(request: HttpRequest, review_id: int, action: str) -> HttpResponse:
    """One step of the loop: the role is checked first (403), then the input (422 on the form),
    then the service decides (its error on the page)."""
    review = selectors.get_review_for_user(request.user, review_id)
    step = STEPS.get(action)
    if step is None:
        raise NotFound("not_found", _("页面不存在。"))
    allowed = (
        services.can_supervise(request.user, review)
        if step.supervising
        else services.can_handle(request.user, review)
    )
    if not allowed:
        message = (
            _("只有政务服务管理部门的督办人员可以审核申诉。")
            if step.supervising
            else _("只有被评价部门的好差评专员可以回访、整改、说明或申诉。")
        )
        return _forbidden(request, review, message)
    form = step.form(request.POST)
    if not form.is_valid():
        return _page(request, review, bound={step.key: form}, status=422)
    try:
        step.run(request.user, review, form.cleaned_data)
    except DomainError as error:
        return _refused(request, review, error, step.key, form)
    messages.success(request, str(step.done))
    return redirect("ratings:review", review_id=review.pk)


@never_cache
@login_required
@require_POST
def reveal_phone(request: HttpRequest, review_id: int) -> HttpResponse:
    """查看联系电话: the full number on this answer only (never in a URL or the session); the
    reading is recorded with its purpose for the rater to see."""
    review = selectors.get_review_for_user(request.user, review_id)
    if not selectors.reviews_for_handler(request.user).filter(pk=review.pk).exists():
        return _forbidden(request, review, _("只有负责回访的部门可以查看评价人的联系电话。"))
    form = RevealPhoneForm(request.POST)
    if not form.is_valid():
        return _page(request, review, bound={"phone_form": form}, status=422)
    try:
        phone = selectors.reveal_rater_phone(request.user, review, form.cleaned_data["purpose"])
    except DomainError as error:
        return _refused(request, review, error, "phone_form", form)
    return _page(request, review, extra={"revealed_phone": phone})


urlpatterns: list[URLPattern] = [
    path("reviews/", worklist, name="reviews"),
    path("reviews/<int:review_id>/", review_page, name="review"),
    path("reviews/<int:review_id>/phone/", reveal_phone, name="review_phone"),
    path("reviews/<int:review_id>/<slug:action>/", review_action, name="review_action"),
]
