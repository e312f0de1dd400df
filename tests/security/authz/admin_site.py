"""The Django admin site as one matrix entry (三员分立)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from tests.security.authz.asserts import describe, is_login_redirect, snapshot
from tests.security.authz.discovery import Endpoint, discover
from tests.security.authz.entries import Case, Entry, Page
from tests.security.authz.world import (
    ANONYMOUS,
    AUDITOR,
    CITIZEN_A,
    CLERK_A,
    OUTSIDER_STAFF,
    SECURITY_ADMIN,
    SUPERUSER,
    SYSTEM_ADMIN,
    World,
)


def admin_models() -> list[type[Model]]:
    return sorted(admin.site._registry, key=lambda m: m._meta.label_lower)


def admin_url(model: type[Model], view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@dataclass(eq=False)
class AdminSite(Entry):
    """The Django admin site, one entry for all its routes. ``access`` names the personas who
    enter the admin site and, for each, the model labels (``core.ledgerentry``) whose changelist
    he may open (the admin index lists exactly those); every other model answers him 403, and
    every persona not in ``access`` is sent to the admin login on every admin route. ``read_only[persona]``: models the
    persona may view but never add, change or delete. ``public_routes``: admin routes outside
    the login wall, with the status an anonymous GET gets."""

    access: Mapping[str, frozenset[str]] = field(default_factory=dict)
    read_only: Mapping[str, frozenset[str]] = field(default_factory=dict)
    public_routes: Mapping[str, int] = field(default_factory=dict)
    personas: Sequence[str] = (
        ANONYMOUS,
        CITIZEN_A,
        CLERK_A,
        OUTSIDER_STAFF,
        AUDITOR,
        SYSTEM_ADMIN,
        SECURITY_ADMIN,
        SUPERUSER,
    )
    page_statuses: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    rows: Mapping[str, Callable[[World], Model | None]] = field(default_factory=dict)

    def row_pk(self, world: World, model: type[Model]) -> Any:
        """The pk of a row of ``model`` (made by ``rows[label]`` when there is none), else 0."""
        row = model._default_manager.order_by("pk").first()
        make = self.rows.get(model._meta.label_lower)
        if row is None and make is not None:
            row = make(world)
        return row.pk if row is not None else 0

    def allowed(self, persona: str, label: str) -> bool:
        return persona == SUPERUSER or label in self.access.get(persona, frozenset())

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        keys = {e.key for e in endpoints}
        for model in admin_models():
            meta = model._meta
            key = f"admin:{meta.app_label}_{meta.model_name}_changelist"
            if key not in keys:
                continue
            for persona in self.personas:
                yield Case("admin_changelist", self, index[key], "GET", persona)
        for persona in self.personas:
            yield Case("admin_index", self, index["admin:index"], "GET", persona)
        for persona in self.personas:
            if persona not in self.access and persona != SUPERUSER:
                yield Case(
                    "admin_routes", self, index["admin:index"], "GET", persona, detail="all routes"
                )
        for persona, labels in self.read_only.items():
            for label in sorted(labels):
                key = "admin:{}_changelist".format(label.replace(".", "_"))
                for method, view in (
                    ("GET", "add"),
                    ("POST", "add"),
                    ("POST", "change"),
                    ("GET", "delete"),
                    ("POST", "delete"),
                ):
                    yield Case("admin_read_only", self, index[key], method, persona, detail=view)

    def run(self, case: Case, world: World) -> None:
        client = world.client(case.persona)
        if case.check == "admin_changelist":
            label = _label_of(case.endpoint.key)
            response = client.get(case.endpoint.url())
            if self.allowed(case.persona, label):
                assert response.status_code == 200, (
                    f"{case}: expected 200, got {describe(response)}"
                )
            else:
                assert is_login_redirect(response) or response.status_code == 403, (
                    f"{case}: expected a refusal (302 to the admin login or 403), got "
                    f"{describe(response)}"
                )
            return
        if case.check == "admin_index":
            response = client.get(reverse("admin:index"))
            allowed = {
                m._meta.label_lower
                for m in admin_models()
                if self.allowed(case.persona, m._meta.label_lower)
            }
            if case.persona not in self.access and case.persona != SUPERUSER:
                assert is_login_redirect(response), (
                    f"{case}: expected 302 to the admin login, got {describe(response)}"
                )
                return
            assert response.status_code == 200, f"{case}: expected 200, got {describe(response)}"
            shown = {
                f"{app['app_label']}.{m['object_name'].lower()}"
                for app in response.context["app_list"]
                for m in app["models"]
            }
            assert shown == allowed, f"{case}: the admin index lists {sorted(shown)}"
            return
        if case.check == "admin_routes":
            problems = []
            for endpoint in discover():
                if not self.matches(endpoint) or "GET" not in endpoint.methods:
                    continue
                url = self.url_for(world, endpoint)
                response = client.get(url)
                expected = self.public_routes.get(endpoint.key)
                if expected is not None:
                    ok = response.status_code == expected or is_login_redirect(response)
                else:
                    ok = is_login_redirect(response) or response.status_code == 403
                if not ok:
                    problems.append(f"{url}: {describe(response)}")
            assert not problems, f"{case}: admin routes not refused:\n" + "\n".join(problems)
            return
        if case.check == "admin_read_only":
            self._run_read_only(case, world, client)
            return
        raise AssertionError(f"unknown check {case.check}")

    def _run_read_only(self, case: Case, world: World, client: Client) -> None:
        model = _model_of(_label_of(case.endpoint.key))
        pk = self.row_pk(world, model)
        assert pk, f"{case}: the world has no {model._meta.label} row to try"
        row = model._default_manager.get(pk=pk)
        before = snapshot(row)
        url = (
            admin_url(model, case.detail)
            if case.detail == "add"
            else admin_url(model, case.detail, pk)
        )
        response = getattr(client, case.method.lower())(url, {"post": "yes"})
        assert response.status_code == 403, f"{case}: expected 403, got {describe(response)}"
        assert snapshot(row) == before, f"{case}: the row changed"

    def url_for(self, world: World, endpoint: Endpoint) -> str:
        kwargs: dict[str, Any] = {}
        model = _model_of_route(endpoint)
        for name in endpoint.params:
            if name == "object_id":
                kwargs[name] = self.row_pk(world, model) if model is not None else 1
            elif name == "app_label":
                kwargs[name] = "core"
            elif name == "url":
                kwargs[name] = "no-such-page/"
            elif name == "content_type_id":
                kwargs[name] = 1
            else:
                kwargs[name] = 1
        if endpoint.url_name and "(" not in endpoint.route:
            return endpoint.url(kwargs)
        if endpoint.key.endswith("app_list"):
            return reverse("admin:app_list", kwargs={"app_label": "core"})
        path = "/" + endpoint.route
        if "(?P<url>" in path:
            return reverse("admin:index") + "no-such-page/"
        for name, value in kwargs.items():
            path = re.sub(r"<(?:\w+:)?" + name + ">", str(value), path)
        return path

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        world.user(SUPERUSER)
        for pattern, statuses in self.page_statuses.items():
            if fnmatchcase(endpoint.key, pattern):
                persona = ANONYMOUS if endpoint.key == "admin:login" else SUPERUSER
                return Page(persona, self.url_for(world, endpoint), statuses)
        model = _model_of_route(endpoint)
        statuses: tuple[int, ...] = (200,)
        if model is not None and "object_id" in endpoint.params and not self.row_pk(world, model):
            statuses = (302,)  # no row: the admin redirects to its index with a message
        return Page(SUPERUSER, self.url_for(world, endpoint), statuses)


def _label_of(changelist_key: str) -> str:
    name = changelist_key.split(":", 1)[1].removesuffix("_changelist")
    for model in admin_models():
        meta = model._meta
        if f"{meta.app_label}_{meta.model_name}" == name:
            return meta.label_lower
    raise KeyError(changelist_key)


def _model_of(label: str) -> type[Model]:
    for model in admin_models():
        if model._meta.label_lower == label:
            return model
    raise KeyError(label)


def _model_of_route(endpoint: Endpoint) -> type[Model] | None:
    for model in admin_models():
        meta = model._meta
        if endpoint.route.startswith(f"admin/{meta.app_label}/{meta.model_name}/"):
            return model
    return None
