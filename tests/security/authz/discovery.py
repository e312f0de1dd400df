"""Discovery: every HTML route and API operation the URLconf serves, as ``Endpoint`` objects."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from ninja import NinjaAPI
from ninja.operation import PathView
from ninja.security import APIKeyCookie, HttpBearer

VERBS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNSAFE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Endpoint:
    """One routed thing: an HTML route (all its verbs) or one API operation (one verb)."""

    key: str
    route: str  # HTML: the Django route as written; API: the OpenAPI-style path
    methods: frozenset[str]
    params: tuple[str, ...] = ()
    is_api: bool = False
    url_name: str | None = None  # qualified ("accounts:tokens"); None for unnamed routes
    token_auth: bool = False  # API: a bearer token is accepted
    session_auth: bool = False  # API: the browser session is accepted
    needs_auth: bool = False  # API: the operation has an authentication class

    def __str__(self) -> str:
        return self.key

    @property
    def method(self) -> str:
        """The verb of an API operation (HTML routes have several)."""
        assert self.is_api, f"{self.key} is an HTML route with several verbs"
        return next(iter(self.methods))

    def url(self, kwargs: Mapping[str, Any] | None = None) -> str:
        kwargs = dict(kwargs or {})
        if self.is_api:
            path = self.route
            for name, value in kwargs.items():
                path = path.replace("{" + name + "}", str(value))
            assert "{" not in path, f"{self.key}: no value for a path parameter in {path}"
            return path
        if self.url_name:
            return reverse(self.url_name, kwargs=kwargs)
        path = "/" + self.route
        for name, value in kwargs.items():
            path = re.sub(r"<(?:\w+:)?" + name + ">", str(value), path)
        assert "<" not in path and "(" not in path, f"{self.key}: cannot build a URL from {path}"
        return path


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _path_view_of(callback: Any) -> PathView | None:
    """The ninja ``PathView`` behind a URL callback (its view wrapper closes over it)."""
    code = getattr(callback, "__code__", None)
    closure = getattr(callback, "__closure__", None)
    if code is None or not closure:
        return None
    for name, cell in zip(code.co_freevars, closure, strict=True):
        if name == "self" and isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def html_methods(callback: Any) -> frozenset[str]:
    """The verbs a Django view accepts: a class-based view's handlers, or the list given to
    ``require_http_methods``/``require_POST``/``require_GET`` anywhere in its decorator chain;
    every verb when nothing restricts it."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return frozenset(v for v in VERBS if hasattr(view_class, v.lower()))
    func = callback
    seen = 0
    while func is not None and seen < 20:
        code = getattr(func, "__code__", None)
        closure = getattr(func, "__closure__", None) or ()
        if code is not None:
            for name, cell in zip(code.co_freevars, closure, strict=True):
                if name == "request_method_list":
                    return frozenset(m.upper() for m in cell.cell_contents) & frozenset(VERBS)
        func = getattr(func, "__wrapped__", None)
        seen += 1
    return frozenset(VERBS)


def _params(pattern: Any) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def _walk(
    patterns: Sequence[URLPattern | URLResolver],
    prefix: str,
    namespace: str,
    params: tuple[str, ...],
    out: dict[str, Endpoint],
    apis: list[NinjaAPI],
) -> None:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        here = params + _params(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            _walk(pattern.url_patterns, route, inner, here, out, apis)
            continue
        callback = pattern.callback
        api = getattr(callback, "keywords", {}).get("api") if hasattr(callback, "func") else None
        if isinstance(api, NinjaAPI) and api not in apis:
            apis.append(api)
        path_view = _path_view_of(callback)
        if path_view is not None:
            api_path = "/" + _CONVERTER.sub(r"{\1}", route)
            for operation in path_view.operations:
                auths = list(getattr(operation, "auth_callbacks", []) or [])
                for method in operation.methods:
                    key = f"{method} {api_path}"
                    out[key] = Endpoint(
                        key=key,
                        route=api_path,
                        methods=frozenset({method}),
                        params=here,
                        is_api=True,
                        url_name=None,
                        token_auth=any(isinstance(a, HttpBearer) for a in auths),
                        session_auth=any(isinstance(a, APIKeyCookie) for a in auths),
                        needs_auth=bool(auths),
                    )
            continue
        if pattern.name:
            url_name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            key = url_name
        else:
            url_name = None
            key = f"{namespace}:/{route}" if namespace else f"/{route}"
        out[key] = Endpoint(
            key=key, route=route, methods=html_methods(callback), params=here, url_name=url_name
        )


def discover() -> list[Endpoint]:
    """Every HTML route and API operation the URLconf serves, sorted by key."""
    return sorted(_discover()[0].values(), key=lambda e: e.key)


def discovered_apis() -> list[NinjaAPI]:
    """The NinjaAPI instances mounted in the URLconf."""
    return list(_discover()[1])


def _discover() -> tuple[dict[str, Endpoint], list[NinjaAPI]]:
    out: dict[str, Endpoint] = {}
    apis: list[NinjaAPI] = []
    _walk(get_resolver().url_patterns, "", "", (), out, apis)
    return out, apis
