"""Login, second factor, profile, API tokens and the demo persona switcher (HTML, no JS needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.accounts import selectors, services
from yiwang.accounts.backends import client_ip
from yiwang.accounts.forms import ApiTokenForm, LoginForm, PersonaForm, TotpForm
from yiwang.accounts.login_session import (
    PASSWORD_BACKEND,
    mark_second_factor_passed,
    needs_second_factor,
    second_factor_passed,
    start_session,
)
from yiwang.accounts.models import User
from yiwang.accounts.permissions import requires_second_factor
from yiwang.core.errors import DomainError, NotFound


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _second_factor_url(user: User, next_url: str) -> str:
    name = "accounts:totp_verify" if user.totp_confirmed_at else "accounts:totp_setup"
    return reverse(name) + "?" + urlencode({"next": next_url})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.YIWANG_OIDC_ENABLED
        context["timed_out"] = self.request.GET.get("timeout") == "1"
        return context

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        start_session(self.request, user, backend=getattr(user, "backend", PASSWORD_BACKEND))
        next_url = self.get_success_url()
        if requires_second_factor(user):
            return HttpResponseRedirect(_second_factor_url(user, next_url))
        return HttpResponseRedirect(next_url)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_logout(request.user, reason="user", ip=client_ip(request))  # type: ignore[arg-type]
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


def _locked_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.error(request, _("账号或密码错误，或账号已被临时锁定。请核对后重试，或稍后再试。"))
    return redirect(settings.LOGIN_URL)


def _qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _second_factor_step(
    request: HttpRequest, form: TotpForm, check: Callable[..., object]
) -> HttpResponse | None:
    """Run ``check(user, code, ip=…)`` on a posted, valid TOTP form.

    Returns the response that ends the step (redirect to ``next`` once passed, the lockout
    page), or None to show the form again (with the error added to it).
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        check(request.user, form.cleaned_data["code"], ip=client_ip(request))
    except DomainError as exc:
        if exc.code == "account_locked":
            return _locked_out(request)
        form.add_error("code", exc.message)
        return None
    mark_second_factor_passed(request)
    return HttpResponseRedirect(_safe_next(request))


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    next_url = _safe_next(request)
    if user.totp_confirmed_at is not None:
        if needs_second_factor(request):
            return HttpResponseRedirect(_second_factor_url(user, next_url))
        return HttpResponseRedirect(next_url)
    try:
        secret = services.begin_totp_enrolment(user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:profile")
    form = TotpForm(request.POST or None)
    passed = _second_factor_step(request, form, services.confirm_totp_enrolment)
    if passed is not None:
        if second_factor_passed(request):
            messages.success(request, _("动态口令绑定成功。"))
        return passed
    context = {
        "form": form,
        "secret": secret,
        "qr_data_uri": _qr_data_uri(services.totp_provisioning_uri(user, secret)),
        "next": next_url,
    }
    return render(request, "accounts/totp_setup.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def totp_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    next_url = _safe_next(request)
    if user.totp_confirmed_at is None:
        return HttpResponseRedirect(_second_factor_url(user, next_url))
    if second_factor_passed(request):
        return HttpResponseRedirect(next_url)
    form = TotpForm(request.POST or None)
    passed = _second_factor_step(request, form, services.verify_totp)
    if passed is not None:
        return passed
    return render(request, "accounts/totp_verify.html", {"form": form, "next": next_url})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "account": user,
        "masked_id_number": selectors.own_masked_id_number(user),
        "staff_roles": selectors.active_staff_roles(user),
        "second_factor_required": requires_second_factor(user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenForm(request.POST or None)
    created_plain = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, created_plain = services.create_api_token(
                    user,
                    form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                    by=user,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 422
            else:
                form = ApiTokenForm()
        else:
            status = 422
    context = {
        "form": form,
        "tokens": selectors.api_tokens_of(user),
        "created_plain": created_plain,
    }
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = selectors.get_api_token_for_user(request.user, token_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    services.revoke_api_token(request.user, token)
    messages.success(request, _("令牌已撤销。"))
    return redirect("accounts:tokens")


@require_http_methods(["GET", "POST"])
def personas(request: HttpRequest) -> HttpResponse:
    """Demo only: sign in as a demo persona with one button (second factor marked as passed)."""
    if not settings.YIWANG_DEMO:
        raise Http404
    available = selectors.demo_personas()
    if request.method == "POST":
        form = PersonaForm(request.POST)
        chosen = None
        if form.is_valid():
            chosen = next(
                (u for u, _label in available if u.username == form.cleaned_data["username"]),
                None,
            )
        if chosen is None or not chosen.is_active:
            raise Http404
        previous = request.user if request.user.is_authenticated else None
        start_session(request, chosen)
        mark_second_factor_passed(request)
        services.record_demo_persona_login(previous, chosen, ip=client_ip(request))
        messages.success(request, _("已切换为演示角色：%(name)s") % {"name": chosen})
        return HttpResponseRedirect(_safe_next(request))
    return render(request, "accounts/personas.html", {"personas": available})
