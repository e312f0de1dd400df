"""The Open311 GeoReport v2 endpoints (thin: parse, call selectors/services, render).

Reads are public and carry no personal data (``resources``/``privacy``); a POST needs a valid
``api_key`` (``clients``) and makes an accepted ticket through ``services.intake`` for the
hotline's agents to confirm and dispatch (nothing is dispatched automatically). Every
answer is JSON or XML as the URL's suffix says; errors are Open311 error lists with the HTTP
status as code: 400 bad input, 403 missing or wrong ``api_key``, 404 unknown service, request,
token, format or ``jurisdiction_id``. GET answers allow any origin (CORS): they are public.
Every view is CSRF-exempt: no cookie ever authorises anything here (a POST needs its api_key),
and a verb a resource does not serve is 405, not a CSRF page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import (
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from yiwang.hotline import services
from yiwang.hotline.models import Ticket
from yiwang.hotline.open311 import clients, formats, queries, resources, submissions

View = Callable[..., HttpResponse]
SAFE_METHODS = ("GET", "HEAD")


def _status(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied | NotAuthenticated):
        return 403
    return 400


def error_response(fmt: str, exc: DomainError) -> HttpResponse:
    """One Open311 error: the message, then each field's problem under its Open311 name."""
    description = exc.message
    if isinstance(exc, ValidationFailed):
        fields = submissions.open311_errors(exc)
        if fields:
            description += " " + " ".join(
                f"{name}：{detail.get('message', '')}" for name, detail in fields.items()
            )
        elif exc.field:
            description = f"{exc.field}：{exc.message}"
    return formats.render_errors(fmt, _status(exc), [description])


def _check_jurisdiction(value: Any) -> None:
    if value is not None and value != resources.jurisdiction_id():
        raise NotFound(
            "unknown_jurisdiction",
            _("jurisdiction_id 不存在：本接口只服务 %(id)s。")
            % {"id": resources.jurisdiction_id()},
        )


def open311_view(view: View) -> View:
    """Check the format suffix and ``jurisdiction_id``; render DomainErrors as Open311 errors."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, format: str, **kwargs: Any) -> HttpResponse:
        fmt = format if formats.is_format(format) else formats.JSON
        try:
            if not formats.is_format(format):
                raise NotFound(
                    "unknown_format",
                    _("不支持的格式“%(format)s”：请用 .json 或 .xml。") % {"format": format[:20]},
                )
            _check_jurisdiction(request.GET.get("jurisdiction_id"))
            response = view(request, fmt, *args, **kwargs)
        except DomainError as exc:
            response = error_response(fmt, exc)
        if request.method in SAFE_METHODS:
            response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _ticket(number: str) -> Ticket:
    ticket = None
    if len(number) <= 32:  # Ticket.number's length
        ticket = resources.public_tickets().filter(number=number).first()
    if ticket is None:
        raise NotFound("request_not_found", _("服务请求不存在：%(id)s") % {"id": number[:32]})
    return ticket


# --- discovery and services -------------------------------------------------------------------


@csrf_exempt
@require_http_methods(SAFE_METHODS)
@open311_view
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.path[: -len(f"discovery.{fmt}")].rstrip("/")
    data = resources.discovery(settings.YIWANG_PUBLIC_URL + base)
    return formats.render(data, fmt, root="discovery")


@csrf_exempt
@require_http_methods(SAFE_METHODS)
@open311_view
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    data = [resources.service(category) for category in resources.offered_services()]
    return formats.render(data, fmt, root="services", item="service")


@csrf_exempt
@require_http_methods(SAFE_METHODS)
@open311_view
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    category = resources.offered_service(service_code)
    if category is None:
        raise NotFound(
            "service_not_found", _("服务类型不存在或不受理：%(code)s") % {"code": service_code[:20]}
        )
    return formats.render(resources.service_definition(category), fmt, root="service_definition")


# --- service requests -------------------------------------------------------------------------


@csrf_exempt
@require_http_methods((*SAFE_METHODS, "POST"))
@open311_view
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _submit(request, fmt)
    query = queries.parse_query(request.GET)
    data = [resources.service_request(ticket) for ticket in queries.find_requests(query)]
    return formats.render(data, fmt, root="service_requests", item="request")


def _submit(request: HttpRequest, fmt: str) -> HttpResponse:
    submission = submissions.read_parameters(request)
    _check_jurisdiction(submission.params.get("jurisdiction_id"))
    client = clients.client_for_key(submission.params.get("api_key"))
    if client is None:
        raise PermissionDenied("invalid_api_key", _("api_key 缺失、无效或已停用。"))
    arguments = submissions.intake_arguments(submission)
    ticket = services.intake(None, channel=client.channel, api_client=client, **arguments)
    return formats.render(
        [resources.submission_receipt(ticket)], fmt, root="service_requests", item="request"
    )


@csrf_exempt
@require_http_methods(SAFE_METHODS)
@open311_view
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    """The wiki's ``requests/{id}``: a list of one request."""
    data = [resources.service_request(_ticket(service_request_id))]
    return formats.render(data, fmt, root="service_requests", item="request")


@csrf_exempt
@require_http_methods(SAFE_METHODS)
@open311_view
def request_object(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    """The swagger file's ``request/{id}``: the request itself (in XML the wiki's wrapper)."""
    data = resources.service_request(_ticket(service_request_id))
    if fmt == formats.XML:
        return formats.render([data], fmt, root="service_requests", item="request")
    return formats.render(data, fmt, root="request")


@csrf_exempt
@require_http_methods(SAFE_METHODS)
@open311_view
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """A token is the ticket number itself: the request exists as soon as it is posted."""
    data = [resources.token_answer(_ticket(token))]
    return formats.render(data, fmt, root="service_requests", item="request")


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything else under /open311/v2/: an Open311 404 (XML when the path ends in .xml)."""
    fmt = formats.XML if path.endswith(f".{formats.XML}") else formats.JSON
    exc = NotFound("unknown_endpoint", _("没有这个接口：请参阅 discovery.json。"))
    return error_response(fmt, exc)
