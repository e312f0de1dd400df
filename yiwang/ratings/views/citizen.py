"""好差评 pages of the citizen: rating a finished case (with the window and the clerk of a counter
visit) or a closed 12345 ticket, his ratings with the state of each bad review's loop, the
re-rating once a loop is closed, and the signed SMS / QR-code link that opens the rating page.

Only the case's applicant or the ticket's caller rates: the objects come through ``mine`` (his
own, else 404), staff and machine accounts get 404 on every object and 403 on "我的评价". The
writes are ``services.rate_case``, ``rate_ticket`` and ``rerate``; their typed errors become
form errors or a page that says what happened.

The rating channel is ``web`` unless the page was opened through a valid signed link
(``rating_link``): the link view checks the token and the ownership, then keeps the link's
channel (``sms``, ``counter`` or ``app``) in the session for that one transaction. Nothing the
browser sends can set the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yiwang.cases.models import Case
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.hotline.models import Ticket
from yiwang.ratings import mine, services
from yiwang.ratings.citizen_forms import RatingForm
from yiwang.ratings.models import Rating, RatingChannel, Setting

LINK_SALT = "ratings.link"
LINK_MAX_AGE = 30 * 24 * 3600  # 30 days
LINK_CHANNELS = (RatingChannel.SMS, RatingChannel.COUNTER, RatingChannel.APP)
SESSION_CHANNELS = "ratings.link_channels"  # {"case:<number>" | "ticket:<number>": channel}
SESSION_THANKS = "ratings.thanks"  # the id of the rating just given (the thank-you page)
PAGE_SIZE = 20


# --- the signed link ------------------------------------------------------------------------------


def rating_link(case: Any = None, ticket: Any = None, channel: str = RatingChannel.SMS) -> str:
    """The relative URL of a signed link that opens the rating page of ``case`` or ``ticket``
    (a model instance or its number) and records the rating as given through ``channel``
    (``sms``: the SMS after 办结; ``counter``: the QR code at the window; ``app``). Valid for
    30 days; whoever opens it must still sign in as the applicant or caller."""
    if (case is None) == (ticket is None):
        raise ValueError("give exactly one of case= or ticket=")
    if channel not in LINK_CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(LINK_CHANNELS)}")
    kind, subject = ("case", case) if case is not None else ("ticket", ticket)
    number = str(getattr(subject, "number", subject))
    token = signing.dumps({kind: number, "channel": str(channel)}, salt=LINK_SALT, compress=True)
    return reverse("ratings:link", kwargs={"token": token})


def _read_token(token: str) -> tuple[str, str, str] | None:
    """(kind, number, channel) of a valid, unexpired token; None otherwise."""
    data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    if not isinstance(data, dict) or data.get("channel") not in LINK_CHANNELS:
        return None
    kinds = [k for k in ("case", "ticket") if k in data]
    if len(kinds) != 1 or not isinstance(data[kinds[0]], str) or not data[kinds[0]]:
        return None
    return kinds[0], data[kinds[0]], data["channel"]


def _bad_link(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(
        request,
        "ratings/citizen/link_invalid.html",
        {"expired": expired, "status": 400},
        status=400,
    )


@require_GET
def link(request: HttpRequest, token: str) -> HttpResponse:
    """Open the rating page from an SMS or a QR code, keeping the link's channel."""
    try:
        found = _read_token(token)
    except signing.SignatureExpired:
        return _bad_link(request, expired=True)
    except signing.BadSignature:
        found = None
    if found is None:
        return _bad_link(request, expired=False)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    kind, number, channel = found
    if kind == "case":
        subject: Case | Ticket = mine.own_case(request.user, number)
        target = reverse("ratings:rate_case", kwargs={"number": subject.number})
    else:
        subject = mine.own_ticket(request.user, number)
        target = reverse("ratings:rate_ticket", kwargs={"number": subject.number})
    channels = dict(request.session.get(SESSION_CHANNELS) or {})
    channels[f"{kind}:{subject.number}"] = channel
    request.session[SESSION_CHANNELS] = channels
    return redirect(target)


def _channel(request: HttpRequest, kind: str, number: str) -> str:
    return (request.session.get(SESSION_CHANNELS) or {}).get(f"{kind}:{number}", RatingChannel.WEB)


def _forget_channel(request: HttpRequest, kind: str, number: str) -> None:
    channels = dict(request.session.get(SESSION_CHANNELS) or {})
    if channels.pop(f"{kind}:{number}", None) is not None:
        request.session[SESSION_CHANNELS] = channels


# --- helpers --------------------------------------------------------------------------------------


def _require_citizen(request: HttpRequest) -> None:
    """Objects: a staff or machine account finds nothing here (404, as for someone else's)."""
    if mine.citizen_person(request.user) is None:
        raise NotFound("not_found", _("页面不存在或您无权查看。"))


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("我的评价"), reverse("ratings:mine")), *rest]


def _notice(
    request: HttpRequest, title: str, text: str, *, status: int, back: str | None = None
) -> HttpResponse:
    return render(
        request,
        "ratings/citizen/notice.html",
        {
            "title": title,
            "text": text,
            "back": back,
            "crumbs": _crumbs((title, None)),
        },
        status=status,
    )


def _callback_days() -> int:
    return services.callback_limit().amount


def _rated_page(
    request: HttpRequest, rating: Rating, *, subject_label: str, number: str
) -> HttpResponse:
    """His rating of the transaction; right after rating, the thank-you page."""
    thanks = request.session.get(SESSION_THANKS) == rating.pk
    if thanks:
        del request.session[SESSION_THANKS]
    row = mine.rating_row(rating)
    extra = [mine.rating_row(r) for r in mine.companions(rating)]
    response = render(
        request,
        "ratings/citizen/rated.html",
        {
            "row": row,
            "extra": extra,
            "thanks": thanks,
            "any_bad": rating.is_bad or any(r.rating.is_bad for r in extra),
            "callback_days": _callback_days(),
            "subject_label": subject_label,
            "number": number,
            "crumbs": _crumbs((number, None)),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _render_form(
    request: HttpRequest,
    form: RatingForm,
    *,
    title: str,
    subject: dict[str, Any],
    action: str,
    submit_label: str,
    status: int = 200,
    rerate_of: mine.RatingRow | None = None,
) -> HttpResponse:
    return render(
        request,
        "ratings/citizen/rate.html",
        {
            "form": form,
            "title": title,
            "subject": subject,
            "action": action,
            "submit_label": submit_label,
            "rerate_of": rerate_of,
            "callback_days": _callback_days(),
            "crumbs": _crumbs((title, None)),
        },
        status=status,
    )


def _case_subject(case: Case) -> dict[str, Any]:
    name = case.item.name if case.item_id else case.bundle.name if case.bundle_id else ""
    return {
        "kind": _("办件"),
        "name": name,
        "number": case.number,
        "department": case.department.name,
        "finished_at": case.completed_at or case.decided_at,
        "status": case.get_status_display(),
        "setting": Setting(mine.case_setting(case)).label,
    }


def _ticket_subject(ticket: Ticket) -> dict[str, Any]:
    return {
        "kind": _("12345诉求"),
        "name": ticket.content,
        "number": ticket.number,
        "department": ticket.department.name if ticket.department is not None else "",
        "finished_at": ticket.closed_at,
        "status": ticket.get_status_display(),
        "setting": Setting.HOTLINE.label,
    }


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _thank(request: HttpRequest, rating: Rating) -> None:
    request.session[SESSION_THANKS] = rating.pk


def _rating_form(
    request: HttpRequest,
    form: RatingForm,
    rate: Callable[[dict[str, Any]], Rating],
    transaction_key: tuple[str, str],
    title: str,
    subject: dict[str, Any],
    action: str,
) -> HttpResponse:
    """The form of a first rating: on a valid POST ``rate`` stores it (the service's field
    errors go back onto the form; a rating made meanwhile is shown instead), then the page
    shows it with thanks."""
    if request.method == "POST":
        if form.is_valid():
            try:
                rating = rate(form.cleaned_data)
            except ValidationFailed as error:
                form.apply_service_errors(error)
            except Conflict as error:
                if error.code != "already_rated":
                    raise
                messages.info(request, error.message)
                return redirect(action)
            else:
                _forget_channel(request, *transaction_key)
                _thank(request, rating)
                return redirect(action)
        return _render_form(
            request,
            form,
            title=title,
            subject=subject,
            action=action,
            submit_label=_("提交评价"),
            status=422,
        )
    return _render_form(
        request, form, title=title, subject=subject, action=action, submit_label=_("提交评价")
    )


# --- rating a case --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rate_case(request: HttpRequest, number: str) -> HttpResponse:
    """Rate a finished case (一事一评); afterwards the page shows his rating."""
    _require_citizen(request)
    case = mine.own_case(request.user, number)
    subject = _case_subject(case)
    existing = mine.rating_of_case(case)
    if existing is not None:
        if request.method == "POST":
            messages.info(request, _("此办件已评价过，一事一评。"))
            return redirect("ratings:rate_case", number=case.number)
        return _rated_page(request, existing, subject_label=subject["name"], number=case.number)
    if not mine.case_is_rateable(case):
        return _notice(
            request,
            _("办件尚未办结"),
            _("办件 %(number)s 当前状态为“%(status)s”，办结后才能评价。")
            % {"number": case.number, "status": case.get_status_display()},
            status=409,
            back=reverse("ratings:mine"),
        )
    windows = mine.counter_windows(case)
    clerk = mine.receiving_clerk(case)
    kwargs: dict[str, Any] = {
        "setting": mine.case_setting(case),
        "windows": windows,
        "staff_available": clerk is not None,
    }
    form = RatingForm(_posted(request), **kwargs)
    title = _("评价办件")
    action = reverse("ratings:rate_case", kwargs={"number": case.number})

    def rate(data: dict[str, Any]) -> Rating:
        staff_level = data.get("staff_level")
        return services.rate_case(
            request.user,
            case,
            level=data["level"],
            scores=form.scores(),
            comment=data["comment"],
            channel=_channel(request, "case", case.number),
            window=data.get("window"),
            window_level=data.get("window_level"),
            staff=clerk if staff_level is not None else None,
            staff_level=staff_level,
        )

    return _rating_form(request, form, rate, ("case", case.number), title, subject, action)


# --- rating a ticket ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rate_ticket(request: HttpRequest, number: str) -> HttpResponse:
    """Rate a closed 12345 ticket; the handling department is the rated unit."""
    _require_citizen(request)
    ticket = mine.own_ticket(request.user, number)
    subject = _ticket_subject(ticket)
    existing = mine.rating_of_ticket(ticket)
    if existing is not None:
        if request.method == "POST":
            messages.info(request, _("此工单已评价过，一事一评。"))
            return redirect("ratings:rate_ticket", number=ticket.number)
        return _rated_page(request, existing, subject_label=_("12345诉求"), number=ticket.number)
    if not mine.ticket_is_rateable(ticket):
        return _notice(
            request,
            _("诉求尚未办结"),
            _("工单 %(number)s 尚未办结，办结后才能评价。") % {"number": ticket.number},
            status=409,
            back=reverse("ratings:mine"),
        )
    form = RatingForm(_posted(request), setting=Setting.HOTLINE)
    title = _("评价12345诉求办理")
    action = reverse("ratings:rate_ticket", kwargs={"number": ticket.number})

    def rate(data: dict[str, Any]) -> Rating:
        return services.rate_ticket(
            request.user,
            ticket,
            level=data["level"],
            scores=form.scores(),
            comment=data["comment"],
            channel=_channel(request, "ticket", ticket.number),
        )

    return _rating_form(request, form, rate, ("ticket", ticket.number), title, subject, action)


# --- re-rating ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rerate(request: HttpRequest, rating_id: int) -> HttpResponse:
    """Rate once more after the department closed the loop of his bad rating."""
    _require_citizen(request)
    previous = mine.own_rating(request.user, rating_id)
    row = mine.rating_row(previous)
    if not row.can_rerate:
        return _notice(
            request,
            _("暂不能重新评价"),
            _("差评整改办结并告知您结果后，才能重新评价一次；每项差评只能重新评价一次。"),
            status=409,
            back=reverse("ratings:mine"),
        )
    form = RatingForm(_posted(request), setting=previous.setting)
    title = _("重新评价")
    action = reverse("ratings:rerate", kwargs={"rating_id": previous.pk})
    subject = {"kind": row.kind_label, "name": row.title, "number": row.number}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.rerate(
                    request.user,
                    previous,
                    level=data["level"],
                    scores=form.scores(),
                    comment=data["comment"],
                )
            except ValidationFailed as error:
                form.apply_service_errors(error)
            except Conflict as error:
                messages.info(request, error.message)
                return redirect("ratings:mine")
            else:
                messages.success(request, _("感谢您重新评价，新的评价将替代原评价计入统计。"))
                return redirect("ratings:mine")
        return _render_form(
            request,
            form,
            title=title,
            subject=subject,
            action=action,
            submit_label=_("提交重新评价"),
            status=422,
            rerate_of=row,
        )
    return _render_form(
        request,
        form,
        title=title,
        subject=subject,
        action=action,
        submit_label=_("提交重新评价"),
        rerate_of=row,
    )


# --- my ratings -----------------------------------------------------------------------------------


@login_required
@require_GET
def my_ratings(request: HttpRequest) -> HttpResponse:
    """我的评价: what he may still rate, and his ratings with the state of each bad review."""
    if mine.citizen_person(request.user) is None:
        raise PermissionDenied("realname_required", _("“我的评价”仅供实名注册的市民使用。"))
    cases = list(mine.rateable_cases(request.user)[:PAGE_SIZE])
    tickets = list(mine.rateable_tickets(request.user)[:PAGE_SIZE])
    page = Paginator(mine.my_ratings(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [mine.rating_row(rating) for rating in page]
    response = render(
        request,
        "ratings/citizen/mine.html",
        {
            "cases": cases,
            "tickets": tickets,
            "rows": rows,
            "page_obj": page,
            "callback_days": _callback_days(),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns: list[URLPattern] = [
    path("mine/", my_ratings, name="mine"),
    path("cases/<str:number>/rate/", rate_case, name="rate_case"),
    path("tickets/<str:number>/rate/", rate_ticket, name="rate_ticket"),
    path("<int:rating_id>/rerate/", rerate, name="rerate"),
    path("r/<str:token>/", link, name="link"),
]
