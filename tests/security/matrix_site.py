"""Authorisation matrix entries for project-level routes (config/urls.py, config/api.py): the
language switch and the API's own pages."""

from __future__ import annotations

from tests.security.authz import Public

ENTRIES = [
    Public(
        "set_language",
        status={"GET": 302, "POST": 302},
        payloads={"POST": {"language": "en", "next": "/"}},
        note="The language switch: a redirect that sets a cookie.",
    ),
    Public("GET /api/v1/health", note="Liveness check for load balancers."),
    Public(("api:openapi-json", "api:openapi-view"), note="The API description is public."),
    Public("api:api-root", status={"GET": 404}, note="Ninja's root: only names the docs URL."),
]
