"""The project's NinjaAPI: documents the problem+json error answers on every operation.

Ninja documents only the success responses an endpoint declares; the errors every endpoint can
answer (authentication, scope, validation, conflicts, rate limits, outages) are rendered centrally
in ``config/api.py``, so they are documented centrally here too. Schema checks (schemathesis
``status_code_conformance``) then hold for every operation.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; branch on `code`, which never changes.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
        "details": {"type": "object"},
    },
}

# Status → description. Every operation may answer these; 401 only where authentication applies.
COMMON_PROBLEMS = {
    "400": "Malformed request",
    "403": "Not allowed",
    "404": "Not found, or outside your data scope",
    "409": "Conflicts with the current state",
    "422": "Input breaks a rule",
    "429": "Too many requests",
    "503": "A dependency is unavailable; retry after Retry-After",
}
AUTH_PROBLEM = {"401": "Authentication required"}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


class YiwangAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method not in _METHODS:
                    continue
                responses = operation.setdefault("responses", {})
                problems = dict(COMMON_PROBLEMS)
                if operation.get("security"):
                    problems.update(AUTH_PROBLEM)
                for status, description in problems.items():
                    responses.setdefault(status, _problem_response(description))
        return schema
