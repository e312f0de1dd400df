"""Hotline pages of the caller (市民): the web submission of a demand (网上诉求), the list of his
own tickets and a ticket's progress page — its steps (受理 → 派单 → 签收 → 办理 → 答复 → 回访 →
办结), the answer, the departments that handle it and a public timeline: no internal notes, no
staff names. His attachments are downloadable by him alone.

Only a real-name citizen (an account of a person) submits; the ticket's caller is his person.
Tickets come only through ``selectors.tickets_of_caller``: anyone else's ticket is 404.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from yiwang.accounts.models import Person, User
from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.core.exports import content_disposition
from yiwang.core.idempotency import run_idempotent
from yiwang.core.uploads import CheckedUpload
from yiwang.hotline import selectors, services
from yiwang.hotline.citizen_forms import TicketSubmissionForm
from yiwang.hotline.models import Channel, Ticket, TicketAttachment, TicketEvent, TicketStatus

PAGE_SIZE = 20
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
KIND_EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf"}

# What the caller reads for each status (退单 is the hotline's business: "being re-dispatched").
PUBLIC_STATUS = {
    TicketStatus.ACCEPTED: gettext_lazy("已受理"),
    TicketStatus.DISPATCHED: gettext_lazy("已派单"),
    TicketStatus.SIGNED: gettext_lazy("办理中"),
    TicketStatus.RETURNED: gettext_lazy("重新派单中"),
    TicketStatus.ANSWERED: gettext_lazy("已答复"),
    TicketStatus.CALLED_BACK: gettext_lazy("已回访"),
    TicketStatus.CLOSED: gettext_lazy("已办结"),
    TicketStatus.NOT_ACCEPTED: gettext_lazy("不予受理"),
    TicketStatus.MERGED: gettext_lazy("已合并办理"),
}
STATUS_TONES = {
    TicketStatus.CLOSED: "success",
    TicketStatus.ANSWERED: "success",
    TicketStatus.CALLED_BACK: "success",
    TicketStatus.NOT_ACCEPTED: "danger",
    TicketStatus.MERGED: "neutral",
}

STEPS = (
    gettext_lazy("受理"),
    gettext_lazy("派单"),
    gettext_lazy("签收"),
    gettext_lazy("办理"),
    gettext_lazy("答复"),
    gettext_lazy("回访"),
    gettext_lazy("办结"),
)
# The last step a status has completed (index into STEPS); a 退单 goes back to 派单.
REACHED = {
    TicketStatus.ACCEPTED: 0,
    TicketStatus.RETURNED: 0,
    TicketStatus.DISPATCHED: 1,
    TicketStatus.SIGNED: 2,
    TicketStatus.ANSWERED: 4,
    TicketStatus.CALLED_BACK: 5,
    TicketStatus.CLOSED: 6,
}


# --- shared with the department pages -----------------------------------------------------------


def attachment_response(item: TicketAttachment) -> FileResponse:
    """The stored file as a download, with the type the upload check found (never the user's)."""
    content_type = item.content_type or "application/octet-stream"
    extension = EXTENSIONS.get(content_type.split(";", 1)[0].strip(), ".bin")
    response = FileResponse(item.file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(item.name, extension=extension)
    response["Cache-Control"] = "private, no-store"
    return response


# --- presentation --------------------------------------------------------------------------------


def progress_steps(status: str) -> list[dict[str, Any]]:
    """The seven steps, each done, current or to come (empty for 不予受理 and 合并)."""
    reached = REACHED.get(TicketStatus(status))
    if reached is None:
        return []
    steps = []
    for index, label in enumerate(STEPS):
        if index <= reached:
            state, word, tone = "done", _("已完成"), "success"
        elif index == reached + 1:
            state, word, tone = "current", _("进行中"), "info"
        else:
            state, word, tone = "todo", _("未开始"), "neutral"
        steps.append({"label": label, "state": state, "word": word, "tone": tone})
    return steps


def public_timeline(ticket: Ticket, events: list[TicketEvent]) -> list[dict[str, Any]]:
    """What the caller may read of the history: steps and the departments' names, never a staff
    member's name, an agent's note, a 退单 or 延期 reason or the classifier's suggestions."""
    rows: list[dict[str, Any]] = []
    for event in events:
        unit = event.department.name if event.department is not None else ""
        note = ""
        tone = "neutral"
        action = event.action
        if action == "intake":
            title = (
                _("您在网上提交了诉求，已受理")
                if event.actor_id is None and ticket.channel != Channel.PHONE
                else _("12345热线已受理您的诉求")
            )
            unit = _("12345热线")
            tone = "info"
        elif action in ("dispatch", "redispatch", "insist", "reopen"):
            title = {
                "dispatch": _("已派单"),
                "redispatch": _("已改派"),
                "insist": _("已重新派单"),
                "reopen": _("重新办理"),
            }[action]
        elif action == "sign":
            title = _("承办单位已签收")
        elif action == "return":
            title = _("承办单位申请退回，12345热线正在重新派单")
            unit = _("12345热线")
        elif action in ("extend", "approve_extension"):
            title = _("办理时限延长%(amount)s个工作日") % {"amount": event.data.get("amount", "")}
            tone = "warning"
        elif action == "answer":
            title = _("承办单位已答复")
            tone = "success"
        elif action == "answer_directly":
            title = _("12345热线已当场答复")
            unit = _("12345热线")
            tone = "success"
        elif action == "callback":
            title = _("12345热线已回访")
            unit = _("12345热线")
        elif action == "close":
            title = _("已办结")
            unit = _("12345热线")
            tone = "success"
        elif action == "refer":
            title = _("不予受理")
            unit = _("12345热线")
            note = event.reason  # the referral the caller is told (告知渠道)
            tone = "danger"
        elif action == "merge":
            title = _("已与相同诉求合并办理")
            unit = _("12345热线")
        elif action in ("rated", "rerated"):
            title = _("您已评价") if action == "rated" else _("您已重新评价")
            unit = ""
        elif action == "review_closed":
            title = _("您的差评已处理，可重新评价一次")
            tone = "success"
        else:  # categorise, supervise and whatever else stays internal
            continue
        rows.append({"at": event.at, "title": title, "actor": unit, "note": note, "tone": tone})
    return rows


# --- access --------------------------------------------------------------------------------------


def _citizen_person(user: Any) -> Person:
    person = getattr(user, "person", None)
    if getattr(user, "kind", None) != User.Kind.PERSON or person is None:
        raise PermissionDenied(
            "realname_required", _("网上诉求仅限实名注册的市民提交；工作人员请使用热线工作台。")
        )
    return person


def _own_ticket(user: Any, number: str) -> Ticket:
    ticket = (
        selectors.tickets_of_caller(user)
        .filter(number=str(number).replace("\x00", "")[:32])
        .first()
    )
    if ticket is None:
        raise NotFound("ticket_not_found", _("工单不存在或您无权查看。"))
    return ticket


# --- submission ----------------------------------------------------------------------------------


def _token() -> str:
    return uuid.uuid4().hex


def _store_attachments(
    ticket: Ticket, user: Any, uploads: list[tuple[Any, CheckedUpload]]
) -> list[TicketAttachment]:
    """Store the checked files under their digest (never the user's name as a path)."""
    stored = []
    for upload, checked in uploads:
        item = TicketAttachment(
            ticket=ticket,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=user,
        )
        item.file.save(f"{checked.sha256}{KIND_EXTENSIONS[checked.kind]}", upload, save=False)
        item.save()
        stored.append(item)
    return stored


def _submit_once(
    request: HttpRequest, form: TicketSubmissionForm, person: Person
) -> tuple[str | None, dict[str, Any]]:
    """受理 the demand and store its files in one transaction, at most once per form (a double
    click or a reload gives the same ticket)."""
    data = form.cleaned_data

    def handler() -> HttpResponse:
        ticket = services.intake(
            None,
            caller=person,
            type=data["type"],
            channel=Channel.WEB,
            content=data["content"],
            region_code=data["region"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            caller_name=person.name,
            caller_phone=data["phone"],
        )
        _store_attachments(ticket, request.user, form.checked_uploads)
        return HttpResponse(ticket.number, status=201, content_type="text/plain")

    request.META["HTTP_IDEMPOTENCY_KEY"] = f"hotline-web-{data['form_token']}"
    response = run_idempotent(request, handler)
    if response.status_code == 201:
        return response.content.decode(), {}
    return None, json.loads(response.content or b"{}")


def _apply_problem(form: TicketSubmissionForm, problem: dict[str, Any]) -> None:
    errors = (problem.get("details") or {}).get("errors")
    if isinstance(errors, dict) and errors:
        for field, error in errors.items():
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            form.add_error(form.field_for_error(str(field)), message)
        return
    listed = problem.get("errors") or [{"field": None, "message": problem.get("detail", "")}]
    for error in listed:
        form.add_error(form.field_for_error(error.get("field")), error.get("message", ""))


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """网上诉求: type, content, place, contact phone and up to three photos or PDFs."""
    person = _citizen_person(request.user)
    if request.method == "POST":
        form = TicketSubmissionForm(request.POST, request.FILES, person=person)
        if form.is_valid():
            number, problem = _submit_once(request, form, person)
            if number:
                messages.success(
                    request,
                    _("诉求已提交，工单编号 %(number)s。您可以在本页查看办理进度。")
                    % {"number": number},
                )
                return redirect("hotline:my_ticket", number=number)
            _apply_problem(form, problem)
        data = request.POST.copy()  # a fresh token: the corrected form is a new request
        data["form_token"] = _token()
        form.data = data
        files_dropped = bool(request.FILES)
        status = 422
    else:
        form = TicketSubmissionForm(
            person=person,
            initial={
                "form_token": _token(),
                "phone": person.phone,
                "region": person.region.code if person.region_id else "",  # type: ignore[union-attr]
            },
        )
        files_dropped = False
        status = 200
    return render(
        request,
        "hotline/citizen/new.html",
        {"form": form, "files_dropped": files_dropped},
        status=status,
    )


# --- his tickets ---------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    qs = selectors.tickets_of_caller(request.user).order_by("-accepted_at", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "ticket": ticket,
            "status_label": PUBLIC_STATUS[TicketStatus(ticket.status)],
            "status_tone": STATUS_TONES.get(TicketStatus(ticket.status), "info"),
        }
        for ticket in page
    ]
    return render(
        request,
        "hotline/citizen/mine.html",
        {
            "page_obj": page,
            "rows": rows,
            "can_submit": getattr(request.user, "kind", None) == User.Kind.PERSON
            and getattr(request.user, "person", None) is not None,
        },
    )


@login_required
@require_GET
def progress(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _own_ticket(request.user, number)
    status = TicketStatus(ticket.status)
    events = list(selectors.timeline(ticket))
    referral = next((e.reason for e in events if e.action == "refer"), "")
    departments = []
    for department in (ticket.first_department, ticket.department):
        if department is not None and department not in departments:
            departments.append(department)
    answered = status in (TicketStatus.ANSWERED, TicketStatus.CALLED_BACK, TicketStatus.CLOSED)
    response = render(
        request,
        "hotline/citizen/progress.html",
        {
            "ticket": ticket,
            "status_label": PUBLIC_STATUS[status],
            "status_tone": STATUS_TONES.get(status, "info"),
            "steps": progress_steps(ticket.status),
            "departments": departments,
            "answer": ticket.answer if answered else "",
            "referral": referral if status == TicketStatus.NOT_ACCEPTED else "",
            "phone": selectors.masked_caller_phone(request.user, ticket),
            "attachments": list(ticket.attachments.all()),
            "events": public_timeline(ticket, events),
            "crumbs": [(_("我的诉求"), reverse("hotline:my_tickets")), (ticket.number, None)],
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    ticket = _own_ticket(request.user, number)
    item = ticket.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise NotFound("attachment_not_found", _("附件不存在。"))
    return attachment_response(item)


urlpatterns: list[URLPattern] = [
    path("new/", new, name="citizen_new"),
    path("my/", mine, name="my_tickets"),
    path("my/<str:number>/", progress, name="my_ticket"),
    path(
        "my/<str:number>/attachments/<int:attachment_id>/",
        attachment,
        name="my_attachment",
    ),
]
