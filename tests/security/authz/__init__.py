"""The authorisation matrix (授权矩阵): every URL and API operation, who may use it, and the proof.

How it fits together (docs/testing.md, "Authorisation matrix", explains how to add an entry):

1. ``discover()`` walks the URLconf, namespaces included, and every NinjaAPI mounted in it. Each
   HTML route becomes one ``Endpoint`` keyed by its URL name (``accounts:tokens``; an unnamed
   route by ``namespace:/route``); each API operation becomes one ``Endpoint`` keyed by method and
   path (``DELETE /api/v1/accounts/tokens/{token_id}``). Nothing is listed by hand, so a new view
   or API operation joins the matrix the moment it is routed.
2. Every ``tests/security/matrix_*.py`` module defines ``ENTRIES``: a list of entries, one per
   access rule. An entry's selector (shell-style patterns over endpoint keys) says which endpoints
   it governs; each endpoint must be governed by exactly one entry, and every entry must govern
   at least one endpoint (``test_authz_matrix`` fails otherwise, naming the endpoints).
3. Each entry kind turns its endpoints into ``Case`` objects (endpoint × verb × persona × what is
   checked); ``test_authz_matrix`` runs each case as its own test id against a fresh ``World``.

Entry kinds: ``Public``, ``AnonymousFlow`` (both ``Rules``), ``Authenticated``, ``Listing``,
``Owned``, ``Scoped``, ``Restricted``, ``Parameterised``, ``DemoOnly`` (``entries``) and ``AdminSite``
(``admin_site``). Personas and the per-test ``World``: ``world``. Requests and verdicts:
``asserts``. This module holds the registry and re-exports what matrix modules need.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tests.security.authz.admin_site import AdminSite, admin_models
from tests.security.authz.asserts import body, describe, is_login_redirect, send
from tests.security.authz.discovery import (
    UNSAFE_VERBS,
    VERBS,
    Endpoint,
    discover,
    discovered_apis,
    html_methods,
)
from tests.security.authz.entries import (
    AnonymousFlow,
    Authenticated,
    Case,
    DemoOnly,
    Entry,
    Listing,
    ObjectEntry,
    Owned,
    Page,
    Parameterised,
    Public,
    Restricted,
    Rules,
    Scoped,
)
from tests.security.authz.world import (
    ANONYMOUS,
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    CLERK_CAPABILITIES,
    CORE_PERSONAS,
    OUTSIDER_STAFF,
    PERSONAS,
    SECURITY_ADMIN,
    SESSION,
    STAFF_PENDING_TOTP,
    STAFF_WITHOUT_TOTP,
    SUPERUSER,
    SYSTEM_ADMIN,
    TOKEN,
    Persona,
    World,
    register_persona,
)

__all__ = [
    "ANONYMOUS",
    "AUDITOR",
    "AdminSite",
    "AnonymousFlow",
    "Authenticated",
    "CITIZEN_A",
    "CITIZEN_B",
    "CLERK_A",
    "CLERK_B",
    "CLERK_CAPABILITIES",
    "CORE_PERSONAS",
    "Case",
    "Coverage",
    "DemoOnly",
    "Endpoint",
    "Entry",
    "Listing",
    "OUTSIDER_STAFF",
    "ObjectEntry",
    "Owned",
    "PERSONAS",
    "Page",
    "Parameterised",
    "Persona",
    "Public",
    "Restricted",
    "Rules",
    "SECURITY_ADMIN",
    "SESSION",
    "STAFF_PENDING_TOTP",
    "STAFF_WITHOUT_TOTP",
    "SUPERUSER",
    "SYSTEM_ADMIN",
    "Scoped",
    "TOKEN",
    "UNSAFE_VERBS",
    "VERBS",
    "World",
    "admin_models",
    "all_cases",
    "body",
    "cases_for",
    "coverage",
    "describe",
    "discover",
    "discovered_apis",
    "entry_for",
    "html_methods",
    "is_login_redirect",
    "load_entries",
    "register_persona",
    "send",
]

# --- the registry ---------------------------------------------------------------------------------


@functools.cache
def load_entries() -> tuple[Entry, ...]:
    """Every entry of every ``tests/security/matrix_*.py`` module, in module order."""
    package = importlib.import_module(__name__.rsplit(".", 1)[0])  # tests.security
    entries: list[Entry] = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not module_info.name.startswith("matrix_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        found = getattr(module, "ENTRIES", None)
        assert isinstance(found, list | tuple), f"{module.__name__} must define ENTRIES = [...]"
        entries.extend(found)
    return tuple(entries)


@dataclass(frozen=True)
class Coverage:
    matched: dict[int, list[Endpoint]]  # id(entry) → endpoints it governs (alone)
    uncovered: list[Endpoint]
    ambiguous: dict[str, list[Entry]]  # endpoint key → the several entries matching it
    stale: list[tuple[Entry, str]]  # (entry, pattern) for each pattern matching no endpoint


@functools.cache
def coverage() -> Coverage:
    endpoints = discover()
    entries = load_entries()
    matched: dict[int, list[Endpoint]] = {id(e): [] for e in entries}
    uncovered: list[Endpoint] = []
    ambiguous: dict[str, list[Entry]] = {}
    for endpoint in endpoints:
        owners = [e for e in entries if e.matches(endpoint)]
        if not owners:
            uncovered.append(endpoint)
        elif len(owners) > 1:
            ambiguous[endpoint.key] = owners
        else:
            matched[id(owners[0])].append(endpoint)
    stale = [
        (entry, pattern)
        for entry in entries
        for pattern in entry.patterns
        if not any(fnmatchcase(endpoint.key, pattern) for endpoint in endpoints)
    ]
    return Coverage(matched, uncovered, ambiguous, stale)


@functools.cache
def all_cases() -> tuple[Case, ...]:
    index = {e.key: e for e in discover()}
    result: list[Case] = []
    report = coverage()
    for entry in load_entries():
        endpoints = report.matched[id(entry)]
        if endpoints:
            result.extend(entry.cases(endpoints, index))
    return tuple(result)


def cases_for(check: str) -> list[Case]:
    return [c for c in all_cases() if c.check == check]


def entry_for(endpoint: Endpoint) -> Entry | None:
    for entry in load_entries():
        if endpoint in coverage().matched[id(entry)]:
            return entry
    return None
