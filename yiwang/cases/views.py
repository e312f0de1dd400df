"""HTML pages for cases (work without JavaScript): apply, my cases, case page with the actions the
user may take, staff worklist, counter intake (一窗受理) and notifications.

A double click never makes two cases: every apply/intake form carries a one-time ``form_token``
which becomes the request's ``Idempotency-Key`` for ``yiwang.core.idempotency.run_idempotent``;
the second identical POST gets the first answer (the case number) and is redirected to it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.accounts.models import User
from yiwang.accounts.selectors import active_staff_roles
from yiwang.cases import notifications, selectors, services, shared, specs
from yiwang.cases.forms import ApplyForm, DecisionForm
from yiwang.cases.models import CaseStatus
from yiwang.cases.services.base import HANDLING_CAPABILITIES, INTAKE, staff_can
from yiwang.cases.services.submission import LOCKED_SOURCES, prefill_value
from yiwang.catalog import selectors as catalog_selectors
from yiwang.core.errors import DomainError, NotFound, PermissionDenied
from yiwang.core.idempotency import run_idempotent

SOURCE_NAMES = {"person": _("实名信息"), "enterprise": _("企业登记信息"), "shared": _("共享数据")}


def _token() -> str:
    return uuid.uuid4().hex


def _apply_errors(form: ApplyForm, problem: dict[str, Any]) -> None:
    from yiwang.cases.forms import material_field_name

    errors = (problem.get("details") or {}).get("errors") or problem.get("errors") or []
    if not errors:
        form.add_error(None, problem.get("detail", ""))
    for error in errors:
        name = str(error.get("field", ""))
        if name.startswith("materials."):
            name = material_field_name(name.removeprefix("materials."))
        form.add_error(name if name in form.fields else None, error.get("message", ""))


def _run_guarded(request: HttpRequest, token: str, handler: Any) -> tuple[str | None, dict]:
    """Run ``handler`` (returns a case number) at most once for ``token``."""
    request.META["HTTP_IDEMPOTENCY_KEY"] = f"form-{token}"

    def body() -> HttpResponse:
        return HttpResponse(handler(), status=201, content_type="text/plain")

    response = run_idempotent(request, body)
    if response.status_code == 201:
        return response.content.decode(), {}
    return None, json.loads(response.content or b"{}")


def _prefilled(spec: Any, user: Any) -> dict[str, tuple[Any, str]]:
    person = getattr(user, "person", None)
    out: dict[str, tuple[Any, str]] = {}
    if person is None:
        return out
    for f in spec.fields:
        if f.source and (f.source in LOCKED_SOURCES or f.source.startswith(("person.", "shared:"))):
            value = prefill_value(f.source, person, None, user, _("办件申请自动填充"))
            if value not in (None, ""):
                out[f.key] = (value, SOURCE_NAMES.get(f.source.split(".")[0].split(":")[0], ""))
    return out


def _apply(request: HttpRequest, target: Any, spec: Any, bundle: bool) -> HttpResponse:
    user = request.user
    if getattr(user, "kind", None) != User.Kind.PERSON:
        raise PermissionDenied("applicant_required", _("请以自然人账户登录后申请。"))
    person = getattr(user, "person", None)
    datasets = shared.datasets_available(person, None)
    prefilled = _prefilled(spec, user) if request.method == "GET" else {}
    kwargs = {
        "spec": spec,
        "bundle": bundle,
        "prefilled": prefilled,
        "shared_datasets": datasets,
        "licence_options": shared.licence_options(
            person, None, (m.licence_type for m in spec.materials)
        ),
    }
    if request.method == "POST":
        form = ApplyForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            number, problem = _run_guarded(
                request,
                form.cleaned_data["form_token"],
                lambda: (
                    services.submit_online(
                        user,
                        target,
                        form.form_values(spec),
                        form.materials(),
                        delivery=form.cleaned_data["delivery"],
                        delivery_address=form.cleaned_data["delivery_address"],
                    ).number
                ),
            )
            if number:
                messages.success(request, _("申请已提交，办件编号 %(n)s。") % {"n": number})
                return redirect("cases:detail", number=number)
            _apply_errors(form, problem)
        data = form.data.copy()
        data["form_token"] = _token()
        form.data = data
    else:
        form = ApplyForm(initial={"form_token": _token()}, **kwargs)
    return render(
        request,
        "cases/apply.html",
        {"form": form, "target": target, "bundle": bundle, "prefilled": prefilled},
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply_item(request: HttpRequest, code: str) -> HttpResponse:
    item = catalog_selectors.get_published_item(code)
    return _apply(request, item, specs.spec_for_item(item), False)


@login_required
@require_http_methods(["GET", "POST"])
def apply_bundle(request: HttpRequest, code: str) -> HttpResponse:
    bundle = catalog_selectors.get_bundle(code)
    return _apply(request, bundle, specs.spec_for_bundle(bundle), True)


@login_required
@require_http_methods(["GET"])
def mine(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.cases_for_applicant(request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "cases/mine.html", {"page_obj": page})


def _staff_actions(user: Any, case: Any) -> list[str]:
    if getattr(user, "kind", None) != User.Kind.STAFF or case.item_id is None:
        return []
    actions: list[str] = []
    if case.status in (CaseStatus.SUBMITTED, CaseStatus.FORWARDED) and staff_can(
        user, services.INTAKE_CAPABILITIES, case.department, case.receiving_department
    ):
        actions += ["accept", "accept_deficiency", "accept_commitment", "reject", "correction"]
    if case.status == CaseStatus.IN_REVIEW and staff_can(
        user, HANDLING_CAPABILITIES, case.department
    ):
        actions += ["approve", "deny", "correction", "suspend", "resume", "extend"]
    if case.status == CaseStatus.APPROVED and staff_can(
        user, HANDLING_CAPABILITIES, case.department
    ):
        actions.append("deliver")
    return actions


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, number)
    material_choices = [(m.key, m.name) for m in case.item.materials.all()] if case.item_id else []
    if request.method == "POST":
        form = DecisionForm(request.POST, material_choices=material_choices)
        if form.is_valid():
            try:
                _act(request.user, case, form.cleaned_data, request.FILES)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("操作已完成。"))
            return redirect("cases:detail", number=number)
        messages.error(request, _("请检查填写的内容。"))
        return redirect("cases:detail", number=number)
    applicant_side = services.is_applicant_side(request.user, case)
    context = {
        "case": case,
        "timeline": selectors.timeline(case),
        "materials": case.materials.filter(replaced_at__isnull=True).select_related("material"),
        "members": case.members.select_related("item", "department").order_by("id"),
        "correction": case.corrections.filter(resolved_at__isnull=True).first(),
        "actions": _staff_actions(request.user, case),
        "missing": services.missing_materials(case) if case.item_id else [],
        "material_choices": material_choices,
        "applicant_side": applicant_side,
        # At the counter the clerk hands in a walk-in applicant's 补正 papers (scans or originals).
        "clerk_resubmits": not applicant_side
        and case.status == CaseStatus.CORRECTION
        and staff_can(request.user, (INTAKE,), case.department, case.receiving_department),
        "can_withdraw": applicant_side
        and case.status in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION, CaseStatus.FORWARDED),
        "delivery_choices": case._meta.get_field("delivery").choices,
        # 好差评: the applicant rates a finished case (the ratings app's page says if he did).
        "can_rate": applicant_side
        and case.status in (CaseStatus.COMPLETED, CaseStatus.DENIED, CaseStatus.NOT_ACCEPTED),
    }
    return render(request, "cases/detail.html", context)


def _act(user: Any, case: Any, data: dict[str, Any], files: Any) -> None:
    action = data["action"]
    reason = data.get("reason") or ""
    if action == "accept":
        services.accept(user, case, "normal", note=data.get("note") or "")
    elif action == "accept_deficiency":
        services.accept(user, case, "deficiency", deficient=data.get("materials") or [])
    elif action == "accept_commitment":
        services.accept(user, case, "commitment")
    elif action == "reject":
        services.reject(user, case, reason)
    elif action == "correction":
        items = [{"material": key, "note": ""} for key in data.get("materials") or []]
        services.request_correction(user, case, items, data.get("note") or reason)
    elif action in ("approve", "deny"):
        services.review(user, case, "approve" if action == "approve" else "reject", reason)
    elif action == "suspend":
        services.suspend(user, case, "expert_review", reason)
    elif action == "resume":
        services.resume(user, case)
    elif action == "extend":
        services.extend(user, case, data.get("amount") or 0, reason)
    elif action == "deliver":
        services.deliver(user, case, data.get("method") or None)
    elif action == "withdraw":
        services.withdraw(user, case, reason)


@login_required
@require_POST
def resubmit(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, number)
    materials = {}
    for key in request.FILES:
        if key.startswith("m_"):
            materials[key[2:]] = {"source": "upload", "file": request.FILES[key]}
    try:
        services.resubmit(request.user, case, materials, paper=request.POST.getlist("paper"))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("补正材料已提交。"))
    return redirect("cases:detail", number=number)


def _require_staff(user: Any) -> None:
    if getattr(user, "kind", None) != User.Kind.STAFF:
        raise NotFound("not_found", _("页面不存在。"))


@login_required
@require_http_methods(["GET"])
def worklist(request: HttpRequest) -> HttpResponse:
    _require_staff(request.user)
    filters = {k: request.GET.get(k) or None for k in ("status", "warning", "item", "q")}
    page = Paginator(selectors.worklist(request.user, **filters), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cases/worklist.html",
        {
            "page_obj": page,
            "filters": filters,
            "statuses": CaseStatus.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """一窗受理: find or register the applicant by ID number, choose the item, tick the paper
    materials received, then accept at once or issue a 补正 notice."""
    _require_staff(request.user)
    if not staff_can(
        request.user, (INTAKE,), *[sr.department for sr in active_staff_roles(request.user)]
    ):
        raise PermissionDenied("intake_not_allowed", _("您的岗位无权窗口受理。"))
    item = None
    code = request.POST.get("item") or request.GET.get("item") or ""
    if code:
        try:
            item = catalog_selectors.get_published_item(code)
        except NotFound:
            messages.error(request, _("没有找到该事项。"))
    if request.method == "POST" and item is not None:
        spec = specs.spec_for_item(item)
        form_values = {f.key: request.POST.get(f.key, "") for f in spec.fields}
        paper = request.POST.getlist("paper")
        decision = request.POST.get("decision", "accept")
        enterprise_uscc = request.POST.get("applicant_enterprise", "").strip().upper()

        def handle() -> str:
            enterprise = (
                services.counter_enterprise(
                    enterprise_uscc,
                    authorisation_checked=bool(request.POST.get("authorisation_checked")),
                )
                if enterprise_uscc
                else None
            )
            person = services.find_or_register_applicant(
                request.user,
                request.POST.get("id_number", ""),
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
            )
            case = services.counter_intake(
                request.user, person, item, form_values, {}, paper=paper, enterprise=enterprise
            )
            if case.status == CaseStatus.SUBMITTED:
                if decision == "correction":
                    missing = [{"material": m.key} for m in services.missing_materials(case)]
                    services.request_correction(
                        request.user, case, missing, request.POST.get("note", "")
                    )
                elif decision == "deficiency":
                    services.accept(request.user, case, "deficiency")
                else:
                    services.accept(request.user, case, "normal")
            return case.number

        number, problem = _run_guarded(request, request.POST.get("form_token") or _token(), handle)
        if number:
            messages.success(request, _("已受理，办件编号 %(n)s。") % {"n": number})
            return redirect("cases:detail", number=number)
        errors = (problem.get("details") or {}).get("errors") or problem.get("errors") or []
        for error in errors or [{"message": problem.get("detail", "")}]:
            messages.error(request, error.get("message", ""))
    items = catalog_selectors.published_items()[:200]
    return render(
        request,
        "cases/counter.html",
        {
            "item": item,
            "items": items,
            "spec": specs.spec_for_item(item) if item else None,
            "form_token": _token(),
            "post": request.POST,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notifications_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications.mark_read(request.user)
        return redirect(reverse("cases:notifications"))
    page = Paginator(notifications.notifications_for(request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "cases/notifications.html", {"page_obj": page})
