"""Site-wide error handlers: problem+json under /api/, the design system's pages elsewhere."""

from __future__ import annotations

import json
import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.core.middleware import database_unavailable_response, is_database_unavailable
from yiwang.core.problems import PROBLEM_CONTENT_TYPE, problem_body

_TITLES = {
    400: ("bad_request", "Bad request", "请求格式不正确。"),
    403: ("permission_denied", "Permission denied", "您没有权限执行此操作。"),
    404: ("not_found", "Not found", "您访问的内容不存在或您无权查看。"),
    500: ("server_error", "Server error", "服务器内部错误，请稍后重试。"),
}


def _wants_problem(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/open311/"))


def _handle(request: HttpRequest, status: int) -> HttpResponse:
    code, title, detail = _TITLES[status]
    if _wants_problem(request):
        body = problem_body(
            status=status, code=code, title=title, detail=detail, instance=request.path
        )
        return HttpResponse(
            json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
        )
    return render(request, f"{status}.html", {"status": status, "message": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _handle(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _handle(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _handle(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: a database outage met outside a view
    # (a middleware loading the session, saving it on the way out) is a 503, not a 500.
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        return database_unavailable_response(request, exception)
    return _handle(request, 500)
