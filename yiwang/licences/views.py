"""HTML pages of e-licences (电子证照); they work without JavaScript.

- the holder's wallet (我的证照) and a licence's page: content, status, history, uses, PDF and
  JSON downloads, share links; issuing staff see the same page (each view is recorded as a
  personal-data access the holder can see) and, with ``licences.manage``, change the status;
- public pages: a shared licence (by the link's token), verification by id, QR link or file, and
  the directory of the departments' public keys;
- staff: the licences their departments issued, and issuance by hand (制证).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.accounts.selectors import active_staff_roles, user_departments
from yiwang.cases import selectors as case_selectors
from yiwang.cases.services.base import staff_can
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.exports import content_disposition
from yiwang.core.idempotency import run_idempotent
from yiwang.core.masking import Audience, mask_id_number
from yiwang.licences import keys, selectors, services, verification
from yiwang.licences import render as licence_render
from yiwang.licences.forms import (
    CaseLicenceLookupForm,
    IssueForm,
    IssueTypeForm,
    ManageFilterForm,
    ShareLinkForm,
    StatusChangeForm,
    VerifyForm,
)
from yiwang.licences.models import HolderKind, Licence, LicenceStatus

PAGE_SIZE = 20
STAFF_VIEW_PURPOSE = "证照管理查看"
STAFF_DOWNLOAD_PURPOSE = "证照管理下载"

EVENT_LABELS = {
    "issue": gettext_lazy("签发"),
    "revoke": gettext_lazy("撤销"),
    "cancel": gettext_lazy("注销"),
    "withdraw": gettext_lazy("吊销"),
    "invalidate": gettext_lazy("失效"),
    "share": gettext_lazy("创建分享链接"),
    "unshare": gettext_lazy("撤回分享链接"),
}
CHECK_LABELS = {
    "registry": gettext_lazy("签发登记记录"),
    "digest": gettext_lazy("二维码内容摘要"),
    "signature": gettext_lazy("数字签名"),
    "status": gettext_lazy("证照状态与有效期"),
    "file": gettext_lazy("版式文件完整性"),
}
VERDICT_TONES = {
    verification.VALID: "success",
    verification.REVOKED: "warning",
    verification.EXPIRED: "warning",
    verification.TAMPERED: "danger",
    verification.UNKNOWN: "danger",
}


# --- presentation helpers (shared with the API) --------------------------------------------------


def is_expired(licence: Licence, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return licence.valid_until is not None and licence.valid_until < today


def status_badge(licence: Licence, today: dt.date | None = None) -> tuple[str, str]:
    """(tone, label) of the licence's status pill: expiry shows although it is not a status."""
    if licence.status != LicenceStatus.VALID:
        return "danger", str(LicenceStatus(licence.status).label)
    if is_expired(licence, today):
        return "warning", _("已过期")
    return "success", str(LicenceStatus.VALID.label)


def content_rows(licence: Licence, document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, value) of the signed content, in the order of the type's fields."""
    content = document.get("content") or {}
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for spec in licence.type.fields or []:
        key = str(spec.get("key"))
        seen.add(key)
        if content.get(key) not in (None, ""):
            rows.append((key, str(spec.get("label") or key), str(content[key])))
    for key, value in content.items():  # fields the type no longer lists keep showing
        if key not in seen and value not in (None, ""):
            rows.append((key, key, str(value)))
    return rows


def masked_holder_id(document: dict[str, Any]) -> str:
    holder = document.get("holder") or {}
    number = str(holder.get("id") or "")
    if holder.get("kind") == HolderKind.ENTERPRISE:
        return number  # a USCC is public registry data
    return mask_id_number(number, Audience.STAFF)


def staff_department(user: Any, licence: Licence) -> Any:
    """The department in whose name issuing staff ``user`` looks at ``licence``: his post at the
    issuer, else the post whose department tree holds it, else his first licence post."""
    posts = [
        sr
        for sr in active_staff_roles(user)
        if not sr.role.admin_duty and set(sr.role.capabilities or []) & set(selectors.STAFF_READ)
    ]
    for sr in posts:
        if sr.department_id == licence.issuer_id:
            return sr.department
    for sr in posts:
        if licence.issuer.path.startswith(sr.department.path):
            return sr.department
    return posts[0].department if posts else None


def record_staff_access(user: Any, licence: Licence, purpose: str) -> bool:
    """Record a non-holder's (issuing staff's) look at the licence's personal data."""
    if selectors.is_holder(user, licence):
        return False
    services.record_use(
        user, licence, purpose=purpose, case=None, department=staff_department(user, licence)
    )
    return True


def _parse_time(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return value


def verdict_context(verdict: verification.Verdict) -> dict[str, Any]:
    """What the result banner shows: only ``verdict.public()`` (never an ID number)."""
    public = verdict.public()
    shown = dict(public["licence"] or {})
    for name in ("issued_at", "status_changed_at"):
        if shown.get(name):
            shown[name] = _parse_time(shown[name])
    return {
        "verdict": public,
        "verdict_tone": VERDICT_TONES[verdict.result],
        "verdict_licence": shown or None,
        "verdict_checks": [str(CHECK_LABELS.get(c, c)) for c in public["checked"]],
        "verdict_time": _parse_time(public["verified_at"]),
    }


# --- the holder's wallet and a licence's page ----------------------------------------------------


@login_required
@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.wallet(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(licence, *status_badge(licence, today)) for licence in page]
    return render(request, "licences/wallet.html", {"page_obj": page, "rows": rows})


def _events(licence: Licence) -> list[dict[str, Any]]:
    out = []
    for event in selectors.events_of(licence):
        label = EVENT_LABELS.get(event.action, event.action)
        if event.action in ("share", "unshare"):
            actor, tone = _("持证人"), "info"
        elif event.action == "issue":
            actor, tone = licence.issuer.name, "success"
        else:
            actor, tone = licence.issuer.name, "danger"
        out.append(
            {"at": event.at, "title": label, "actor": actor, "note": event.reason, "tone": tone}
        )
    return out


def _share_rows(user: Any, licence: Licence) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for link in selectors.share_links_of(user, licence):
        if link.revoked_at is not None:
            state, tone = _("已撤回"), "neutral"
        elif link.expires_at <= now:
            state, tone = _("已过期"), "neutral"
        else:
            state, tone = _("有效"), "success"
        rows.append({"link": link, "state": state, "tone": tone, "live": tone == "success"})
    return rows


def _detail_context(request: HttpRequest, licence: Licence) -> dict[str, Any]:
    user = request.user
    holder = selectors.is_holder(user, licence)
    document = selectors.document_of(licence)
    if not holder:
        record_staff_access(user, licence, STAFF_VIEW_PURPOSE)
    tone, label = status_badge(licence)
    can_manage = staff_can(user, (services.MANAGE,), licence.issuer)
    return {
        "licence": licence,
        "is_holder": holder,
        "status_tone": tone,
        "status_label": label,
        "rows": content_rows(licence, document),
        "holder_id": masked_holder_id(document),
        "events": _events(licence),
        "uses": selectors.uses_of(licence),
        "share_rows": _share_rows(user, licence) if holder else [],
        "share_form": ShareLinkForm() if holder and licence.status == LicenceStatus.VALID else None,
        "status_form": StatusChangeForm()
        if can_manage and licence.status == LicenceStatus.VALID
        else None,
        "verify_url": licence_render.verification_url(licence),
    }


@login_required
@require_GET
def detail(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence = selectors.get_licence_for_user(request.user, licence_id)
    return render(request, "licences/detail.html", _detail_context(request, licence))


@login_required
@require_GET
def download_pdf(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence = selectors.get_licence_for_user(request.user, licence_id)
    record_staff_access(request.user, licence, STAFF_DOWNLOAD_PURPOSE)
    response = HttpResponse(licence_render.pdf_for(licence), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(licence.licence_id, extension=".pdf")
    return response


@login_required
@require_GET
def download_json(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence = selectors.get_licence_for_user(request.user, licence_id)
    record_staff_access(request.user, licence, STAFF_DOWNLOAD_PURPOSE)
    body = json.dumps(selectors.json_form_of(licence), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition(licence.licence_id, extension=".json")
    return response


@login_required
@require_POST
def share_create(request: HttpRequest, licence_id: str) -> HttpResponse:
    """Make a share link and show its URL once (only a digest of the token is kept)."""
    licence = selectors.get_licence_for_user(request.user, licence_id)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择分享有效期。"))
        return redirect("licences:detail", licence_id=licence.licence_id)
    try:
        made = services.create_share_link(request.user, licence, hours=form.cleaned_data["hours"])
    except (ValidationFailed, Conflict) as error:  # refusals (not the holder) answer 403
        messages.error(request, error.message)
        return redirect("licences:detail", licence_id=licence.licence_id)
    url = request.build_absolute_uri(reverse("licences:shared", args=[made.token]))
    return render(
        request, "licences/share_created.html", {"licence": licence, "link": made.link, "url": url}
    )


@login_required
@require_POST
def share_revoke(request: HttpRequest, licence_id: str, link_id: int) -> HttpResponse:
    link = selectors.get_share_link_for_user(request.user, link_id)
    if link.licence.licence_id != licence_id:
        raise NotFound("share_link_not_found", _("分享链接不存在。"))
    services.revoke_share_link(request.user, link)
    messages.success(request, _("分享链接已撤回，此后无法再打开。"))
    return redirect("licences:detail", licence_id=licence_id)


@login_required
@require_POST
def change_status(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence = selectors.get_licence_for_user(request.user, licence_id)
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择操作并填写原因。"))
        return redirect("licences:detail", licence_id=licence.licence_id)
    changed = services.change_status(
        request.user, licence, form.cleaned_data["action"], form.cleaned_data["reason"]
    )
    messages.success(
        request,
        _("证照状态已变更为：%(status)s。") % {"status": LicenceStatus(changed.status).label},
    )
    return redirect("licences:detail", licence_id=licence.licence_id)


# --- public pages --------------------------------------------------------------------------------


@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """A licence its holder shared: verification result and content, ID number masked."""
    link = services.open_share_link(token)
    licence = link.licence
    verdict = verification.verify_reference(licence.licence_id, licence.digest_short)
    document = selectors.document_of(licence)
    context = {
        "licence": licence,
        "link": link,
        "rows": content_rows(licence, document),
        "holder_name": (document.get("holder") or {}).get("name", ""),
        "holder_id": masked_holder_id(document),
        "holder_is_person": licence.holder_kind == HolderKind.PERSON,
        **verdict_context(verdict),
    }
    response = render(request, "licences/shared.html", context)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _verify_form_page(request: HttpRequest, form: VerifyForm, status: int = 200) -> HttpResponse:
    return render(request, "licences/verify.html", {"form": form}, status=status)


def _result_page(request: HttpRequest, verdict: verification.Verdict) -> HttpResponse:
    return render(request, "licences/verify_result.html", verdict_context(verdict))


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """证照核验: type a licence id or upload the PDF/JSON; malformed input → the form, 422."""
    if request.method != "POST":
        return _verify_form_page(request, VerifyForm())
    form = VerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _verify_form_page(request, form, 422)
    try:
        if form.cleaned_data["licence_id"]:
            verdict = verification.verify_reference(form.cleaned_data["licence_id"])
        else:
            upload = form.cleaned_data["file"]
            verdict = verification.verify_file(upload.read(verification.MAX_UPLOAD_BYTES + 1))
    except ValidationFailed as error:
        form.add_error("licence_id" if form.cleaned_data["licence_id"] else "file", error.message)
        return _verify_form_page(request, form, 422)
    return _result_page(request, verdict)


@require_GET
def verify_reference(request: HttpRequest, licence_id: str) -> HttpResponse:
    """The QR code's target: ``/licences/verify/<id>/?d=<first 16 hex of the SM3>``."""
    digest = str(request.GET.get("d", ""))[:64]
    try:
        verdict = verification.verify_reference(licence_id, digest)
    except ValidationFailed as error:
        form = VerifyForm(initial={"licence_id": licence_id[:120]})
        form.is_bound = False
        return render(
            request,
            "licences/verify.html",
            {"form": form, "error": error.message},
            status=422,
        )
    return _result_page(request, verdict)


@require_GET
def key_directory(request: HttpRequest) -> HttpResponse:
    return render(request, "licences/keys.html", {"keys": keys.published_keys()})


@require_GET
def key_pem(request: HttpRequest, key_id: str) -> HttpResponse:
    key = keys.key_by_id(key_id)
    if key is None:
        raise Http404
    response = HttpResponse(keys.public_pem(key.public_hex), content_type="application/x-pem-file")
    response["Content-Disposition"] = content_disposition(key.key_id, extension=".pem")
    return response


# --- staff ---------------------------------------------------------------------------------------


def _require_licence_staff(user: Any) -> None:
    if not any(
        not sr.role.admin_duty and set(sr.role.capabilities or []) & set(selectors.STAFF_READ)
        for sr in active_staff_roles(user)
    ):
        raise NotFound("not_found", _("页面不存在。"))


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    _require_licence_staff(request.user)
    qs = selectors.issued_by_departments(request.user)
    # Filter by the types his departments issued (not every type of the platform).
    types = selectors.active_types().filter(pk__in=qs.values("type_id"))
    form = ManageFilterForm(request.GET or None, types=types)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["type"]:
            qs = qs.filter(type__code=form.cleaned_data["type"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(licence, *status_badge(licence, today)) for licence in page]
    actions = (
        [{"label": _("签发证照"), "href": reverse("licences:issue"), "variant": "primary"}]
        if _issuers(request.user)
        else []
    )
    return render(
        request,
        "licences/manage.html",
        {"form": form, "page_obj": page, "rows": rows, "header_actions": actions},
    )


def _issuers(user: Any) -> list[Any]:
    """The user's departments in whose name his ``licences.issue`` role lets him issue."""
    return [d for d in user_departments(user) if staff_can(user, (services.ISSUE,), d)]


def _apply_problem(form: IssueForm, problem: dict[str, Any]) -> None:
    details = problem.get("details") or {}
    errors = details.get("errors")
    if isinstance(errors, dict) and errors:  # content checks list every field at once
        for field, message in errors.items():
            form.add_error(form.field_for_error(str(field)), str(message))
        return
    listed = problem.get("errors") or [{"field": None, "message": problem.get("detail", "")}]
    for error in listed:
        form.add_error(form.field_for_error(error.get("field")), error.get("message", ""))


@login_required
@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest) -> HttpResponse:
    """制证: choose the type (step one), then holder, issuing department and content."""
    user = request.user
    issuers = _issuers(user)
    if not issuers:
        raise PermissionDenied("licence_issue_not_allowed", _("您的岗位无权签发电子证照。"))
    types = selectors.active_types()
    code = (request.POST.get("type") if request.method == "POST" else request.GET.get("type")) or ""
    code = code.replace("\x00", "")[:40]  # PostgreSQL text holds no NUL
    licence_type = types.filter(code=code).first() if code else None
    if licence_type is None:
        chooser = IssueTypeForm(types=types)
        context: dict[str, Any] = {"chooser": chooser}
        if code:
            context["error"] = _("没有该证照类型，或已停用。")
        return render(request, "licences/issue.html", context, status=422 if code else 200)
    if request.method == "POST":
        form = IssueForm(request.POST, licence_type=licence_type, issuers=issuers)
        if form.is_valid():
            licence_id, problem = _issue_once(request, form, issuers)
            if licence_id:
                messages.success(request, _("证照已签发：%(id)s") % {"id": licence_id})
                return redirect("licences:detail", licence_id=licence_id)
            _apply_problem(form, problem)
        data = request.POST.copy()  # a fresh token: the corrected form is a new request
        data["form_token"] = uuid.uuid4().hex
        form.data = data
        status = 422
    else:
        form = IssueForm(
            initial={"type": licence_type.code, "form_token": uuid.uuid4().hex},
            licence_type=licence_type,
            issuers=issuers,
        )
        status = 200
    return render(
        request, "licences/issue.html", {"form": form, "licence_type": licence_type}, status=status
    )


def _issue_once(
    request: HttpRequest, form: IssueForm, issuers: list[Any]
) -> tuple[str | None, dict[str, Any]]:
    """Issue at most once per form (a double click issues one licence)."""
    data = form.cleaned_data
    issuer = {d.pk: d for d in issuers}[data["issuer"]]

    def handler() -> HttpResponse:
        case = None
        if data["case_number"]:
            try:
                case = case_selectors.get_case_for_user(request.user, data["case_number"].strip())
            except NotFound as error:
                raise NotFound(error.code, error.message, field="case_number") from error
        licence = services.issue_by_hand(
            request.user,
            licence_type=form.licence_type,
            issuer=issuer,
            content=form.content(),
            holder_id=data["holder_id"],
            case=case,
        )
        return HttpResponse(licence.licence_id, status=201, content_type="text/plain")

    request.META["HTTP_IDEMPOTENCY_KEY"] = f"licence-issue-{data['form_token']}"[:255]
    response = run_idempotent(request, handler)
    if response.status_code == 201:
        return response.content.decode(), {}
    return None, json.loads(response.content or b"{}")


@login_required
@require_http_methods(["GET", "POST"])
def case_licences(request: HttpRequest, number: str) -> HttpResponse:
    """一证通办: a clerk handling the case fetches the applicant's (or enterprise's) usable
    licences with a purpose; each one shown is recorded as a use the holder sees."""
    case = services.case_for_clerk(request.user, number)
    form = CaseLicenceLookupForm(request.POST or None, has_enterprise=bool(case.enterprise_id))
    found: list[tuple[Licence, list[tuple[str, str, str]]]] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            licences = services.fetch_for_case_party(
                request.user,
                case_number=case.number,
                party=form.cleaned_data["party"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            found = [(lic, content_rows(lic, selectors.document_of(lic))) for lic in licences]
    return render(
        request,
        "licences/case_licences.html",
        {"case": case, "form": form, "found": found},
        status=422 if form.errors else 200,
    )
