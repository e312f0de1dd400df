"""Sending requests as a persona and judging the answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse


def send(
    client: Client,
    method: str,
    url: str,
    *,
    api: bool,
    payload: Mapping[str, Any] | None = None,
) -> HttpResponse:
    call = getattr(client, method.lower())
    if payload is None:
        return call(url)
    if api:
        return call(url, data=json.dumps(payload), content_type="application/json")
    if method in ("GET", "POST"):
        return call(url, dict(payload))
    return call(url, urlencode(payload), content_type="application/x-www-form-urlencoded")


def with_query(url: str, query: Mapping[str, Any] | None) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def body(response: HttpResponse) -> str:
    """The response text; JSON is re-serialised without ``\\uXXXX`` escapes, so that Chinese
    markers are found in it."""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        raw = response.content
    text = raw.decode(errors="replace")
    if "json" in response.get("Content-Type", ""):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def login_urls() -> tuple[str, ...]:
    return (reverse(settings.LOGIN_URL), reverse("admin:login"))


def is_login_redirect(response: HttpResponse) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login_urls())


def describe(response: HttpResponse) -> str:
    where = f" → {response['Location']}" if response.has_header("Location") else ""
    return f"{response.status_code}{where}: {body(response)[:300]!r}"


def assert_no_leak(text: str, secrets: Mapping[str, str], what: str) -> None:
    leaked = sorted(
        f"{secret!r} (of {owner})" for secret, owner in secrets.items() if secret in text
    )
    assert not leaked, f"{what} shows data of other users: {', '.join(leaked)}"


def assert_refused_anonymous(response: HttpResponse, what: str) -> None:
    assert is_login_redirect(response) or response.status_code in (401, 403, 404, 405), (
        f"{what}: an anonymous visitor should be sent to sign in (302 to the login page) or get "
        f"401/403/404, got {describe(response)}"
    )


def assert_denied(response: HttpResponse, what: str) -> None:
    assert response.status_code in (403, 404), (
        f"{what}: expected 403 or 404, got {describe(response)}"
    )


def json_ids(text: str) -> set[Any]:
    """The ``id`` of every item of a JSON list (bare or paginated under ``items``)."""
    try:
        data = json.loads(text)
    except ValueError:
        return set()
    if isinstance(data, dict):
        data = data.get("items", data.get("results", []))
    if not isinstance(data, list):
        return set()
    return {item.get("id") for item in data if isinstance(item, dict)}


def snapshot(obj: Model) -> tuple[dict[str, Any] | None, int]:
    """The object's stored row and its table's row count."""
    manager = type(obj)._default_manager
    return manager.filter(pk=obj.pk).values().first(), manager.count()
