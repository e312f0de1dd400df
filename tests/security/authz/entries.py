"""Cases and the entry kinds of the matrix (all but the admin site, see ``admin_site``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from django.db.models import Model
from django.test import override_settings

from tests.security.authz.asserts import (
    assert_denied,
    assert_no_leak,
    assert_refused_anonymous,
    body,
    describe,
    is_login_redirect,
    json_ids,
    send,
    snapshot,
    with_query,
)
from tests.security.authz.discovery import Endpoint
from tests.security.authz.world import (
    ANONYMOUS,
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    CORE_PERSONAS,
    OUTSIDER_STAFF,
    SESSION,
    TOKEN,
    World,
)


@dataclass(frozen=True, eq=False)
class Case:
    """One test: ``check`` is what is asserted (each check has its own test function)."""

    check: str
    entry: Entry
    endpoint: Endpoint
    method: str
    persona: str
    transports: tuple[str, ...] = (SESSION,)  # each is tried in turn within the one test
    detail: str = ""

    def __str__(self) -> str:
        target = self.endpoint.key if self.endpoint.is_api else f"{self.method} {self.endpoint.key}"
        via = f" by {' and '.join(self.transports)}" if self.transports != (SESSION,) else ""
        extra = f" {self.detail}" if self.detail else ""
        return f"{target}{extra} as {self.persona}{via}"

    def run(self, world: World) -> None:
        self.entry.run(self, world)


@dataclass(frozen=True)
class Page:
    """How the headers test fetches an endpoint: as whom, which URL, which statuses count."""

    persona: str
    url: str
    statuses: tuple[int, ...] = (200,)
    transport: str = SESSION


Payload = Mapping[str, Any] | Callable[..., Mapping[str, Any]]


def transports_for(endpoint: Endpoint) -> tuple[str, ...]:
    """The browser session always; a bearer token too where the API operation accepts one."""
    return (SESSION, TOKEN) if endpoint.is_api and endpoint.token_auth else (SESSION,)


def _selector(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(eq=False)
class Entry(ABC):
    """Base class. ``selector``: shell-style patterns over endpoint keys (``accounts:*``,
    ``GET /api/v1/accounts/me``, ``* /api/v1/accounts/tokens/{token_id}``)."""

    selector: str | Sequence[str]
    note: str = ""

    @property
    def patterns(self) -> tuple[str, ...]:
        return _selector(self.selector)

    def matches(self, endpoint: Endpoint) -> bool:
        return any(fnmatchcase(endpoint.key, p) for p in self.patterns)

    @abstractmethod
    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        """The test cases this entry makes for the endpoints it matches."""

    @abstractmethod
    def run(self, case: Case, world: World) -> None:
        """Run one case, asserting the entry's access rule."""

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        """The request the headers test makes for a GET endpoint (None: not a GET route)."""
        return None

    def referenced(self) -> tuple[str, ...]:
        """Keys of other endpoints this entry relies on (list endpoints); checked to exist."""
        return ()

    def __str__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.patterns)})"


def _payload(payloads: Mapping[str, Payload], method: str, *args: Any) -> Mapping[str, Any] | None:
    value = payloads.get(method)
    if value is None:
        return None
    return value(*args) if callable(value) else value


@dataclass(eq=False)
class Rules(Entry):
    """Explicit expectations: ``expect[persona][verb]`` is the status (or statuses) the endpoint
    answers. Every answer is also checked for other users' data. Base of Public and
    AnonymousFlow."""

    expect: Mapping[str, Mapping[str, int | tuple[int, ...]]] = field(default_factory=dict)
    payloads: Mapping[str, Payload] = field(default_factory=dict)

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        for endpoint in endpoints:
            for persona, verbs in self.expect.items():
                for method in verbs:
                    if endpoint.is_api and method != endpoint.method:
                        continue
                    yield Case("expect", self, endpoint, method, persona)

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        expected = self.expect[case.persona][case.method]
        statuses = (expected,) if isinstance(expected, int) else tuple(expected)
        response = send(
            world.client(case.persona),
            case.method,
            case.endpoint.url(),
            api=case.endpoint.is_api,
            payload=_payload(self.payloads, case.method, world),
        )
        assert response.status_code in statuses, (
            f"{case}: expected {statuses}, got {describe(response)}"
        )
        assert_no_leak(body(response), world.foreign_secrets(case.persona), str(case))

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        candidates = [(p, v["GET"]) for p, v in self.expect.items() if "GET" in v]
        candidates.sort(key=lambda pv: pv[1] != 200)  # a persona who gets the page, if any
        if not candidates:
            return None
        persona, expected = candidates[0]
        statuses = (expected,) if isinstance(expected, int) else tuple(expected)
        return Page(persona, endpoint.url(), statuses)


class Public(Rules):
    """Anyone may use it, anonymous visitors included; it shows nobody's data.

    ``Public("ui:home")`` expects 200 on GET for an anonymous visitor, a citizen and a clerk;
    pass ``status={"GET": 302}`` (and ``payloads``) for other verbs or answers."""

    def __init__(
        self,
        selector: str | Sequence[str],
        *,
        status: Mapping[str, int | tuple[int, ...]] | None = None,
        personas: Sequence[str] = (ANONYMOUS, CITIZEN_A, CLERK_A),
        payloads: Mapping[str, Payload] | None = None,
        note: str = "",
    ) -> None:
        status = dict(status or {"GET": 200})
        super().__init__(
            selector,
            note=note,
            expect={p: status for p in personas},
            payloads=dict(payloads or {}),
        )


class AnonymousFlow(Rules):
    """Sign-in steps (login, logout, TOTP): reachable before or half-way through signing in;
    ``expect`` says what each persona gets. They show nobody's data."""


@dataclass(eq=False)
class Authenticated(Entry):
    """Any signed-in user may use it and it answers only about him (``/accounts/me``).

    Checks: anonymous visitors are refused on every verb; each of ``personas`` (by session, and
    by bearer token where the API accepts one) gets 200 on GET showing ``own_marker`` and none of
    the other users' data; verbs with a payload in ``payloads`` succeed (< 400) for each persona;
    an API operation closed to tokens refuses a valid token."""

    own_marker: Callable[[World, str], str] | None = lambda world, persona: (
        world.must(persona).username
    )
    personas: Sequence[str] = (CITIZEN_A, CITIZEN_B, CLERK_A)
    payloads: Mapping[str, Payload] = field(default_factory=dict)
    may_see: Mapping[str, Sequence[str]] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        for endpoint in endpoints:
            for method in sorted(endpoint.methods):
                yield Case("anonymous", self, endpoint, method, ANONYMOUS)
                if method == "GET" or method in self.payloads:
                    for persona in self.personas:
                        yield Case(
                            "own_data", self, endpoint, method, persona, transports_for(endpoint)
                        )
                if endpoint.is_api and endpoint.session_auth and not endpoint.token_auth:
                    yield Case("token_refused", self, endpoint, method, self.personas[0], (TOKEN,))

    def run(self, case: Case, world: World) -> None:
        endpoint = case.endpoint
        url = with_query(endpoint.url(), self.query)
        if case.check == "anonymous":
            response = send(world.client(ANONYMOUS), case.method, url, api=endpoint.is_api)
            assert_refused_anonymous(response, str(case))
            return
        world.everyone()
        payload = _payload(self.payloads, case.method, world, case.persona)
        if case.check == "token_refused":
            response = send(
                world.client(case.persona, TOKEN), case.method, url, api=True, payload=payload
            )
            assert response.status_code == 401, (
                f"{case}: this operation does not accept API tokens and must answer 401, got "
                f"{describe(response)}"
            )
            return
        for transport in case.transports:
            what = f"{case} (by {transport})"
            payload = _payload(self.payloads, case.method, world, case.persona)
            response = send(
                world.client(case.persona, transport),
                case.method,
                url,
                api=endpoint.is_api,
                payload=payload,
            )
            if case.method == "GET":
                assert response.status_code == 200, (
                    f"{what}: expected 200, got {describe(response)}"
                )
            else:
                assert response.status_code < 400 and not is_login_redirect(response), (
                    f"{what}: expected success, got {describe(response)}"
                )
            text = body(response)
            if case.method == "GET" and self.own_marker is not None:
                marker = self.own_marker(world, case.persona)
                assert marker in text, f"{what}: the answer does not show the user's own {marker!r}"
            assert_no_leak(
                text,
                world.foreign_secrets(case.persona, self.may_see.get(case.persona, ())),
                what,
            )

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        return Page(self.personas[0], with_query(endpoint.url(), self.query))


@dataclass(eq=False)
class Listing(Authenticated):
    """A list every signed-in user may call, filtered to what he may see. The filtering is
    proven by the ``Owned``/``Scoped`` entries that name it in ``lists``; a Listing no such entry
    names fails the matrix. Also runs the ``Authenticated`` checks (own_marker off by default)."""

    own_marker: Callable[[World, str], str] | None = None


@dataclass(eq=False)
class ObjectEntry(Entry):
    """An object that belongs to someone (``Owned``) or to a data scope (``Scoped``).

    ``make(world)`` builds the object; ``kwargs(obj)`` gives the URL parameters (default: the
    endpoint's only parameter = ``obj.pk``); ``marker(obj)`` a text that identifies it in a page
    (required when an HTML list is named); ``lists`` the list endpoints (keys) that must never
    show it to an outsider; ``payloads[verb](world, obj)`` valid bodies for unsafe verbs, so that
    an outsider's request reaches the permission check and the owner's succeeds.

    Checks, each verb the endpoint supports: every outsider (by session and, where accepted, by
    bearer token) gets 403/404, the object's row is unchanged and its marker absent; anonymous
    visitors are refused; the owner succeeds (proof the URL and payload are right); the object
    is absent from each list for each outsider and present for the owner.
    """

    make: Callable[[World], Model] = lambda world: None  # type: ignore[assignment,return-value]
    owner: str = CITIZEN_A
    outsiders: Sequence[str] | None = None
    lists: Sequence[str] = ()
    marker: Callable[[Model], str] | None = None
    kwargs: Callable[[Model], Mapping[str, Any]] | None = None
    payloads: Mapping[str, Payload] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    default_outsiders: tuple[str, ...] = CORE_PERSONAS

    def __post_init__(self) -> None:
        if self.outsiders is None:
            self.outsiders = tuple(p for p in self.default_outsiders if p != self.owner)

    def referenced(self) -> tuple[str, ...]:
        return tuple(self.lists)

    def url_for(self, endpoint: Endpoint, obj: Model) -> str:
        if self.kwargs is not None:
            return with_query(endpoint.url(self.kwargs(obj)), self.query)
        if not endpoint.params:
            return with_query(endpoint.url(), self.query)
        assert len(endpoint.params) == 1, (
            f"{endpoint.key} has several parameters {endpoint.params}: give the entry kwargs="
        )
        return with_query(endpoint.url({endpoint.params[0]: obj.pk}), self.query)

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        assert self.outsiders is not None
        for endpoint in endpoints:
            for method in sorted(endpoint.methods):
                yield Case("anonymous", self, endpoint, method, ANONYMOUS)
                via = transports_for(endpoint)
                for transport in via:
                    # The owner's request may change the object: one test per transport.
                    yield Case("reach", self, endpoint, method, self.owner, (transport,))
                for persona in self.outsiders:
                    yield Case("denied", self, endpoint, method, persona, via)
        for key in self.lists:
            listing = index.get(key)
            if listing is None:
                continue  # reported by test_every_list_an_entry_names_exists
            via = transports_for(listing)
            yield Case("listed", self, listing, "GET", self.owner, via)
            for persona in self.outsiders:
                yield Case("unlisted", self, listing, "GET", persona, via)

    def run(self, case: Case, world: World) -> None:
        obj = world.obj(self)
        endpoint = case.endpoint
        if case.check in ("listed", "unlisted"):
            self._run_list(case, world, obj)
            return
        url = self.url_for(endpoint, obj)
        for transport in case.transports:
            what = f"{case} (by {transport})"
            payload = _payload(self.payloads, case.method, world, obj)
            client = world.client(case.persona, transport)
            before = snapshot(obj)
            response = send(client, case.method, url, api=endpoint.is_api, payload=payload)
            if case.check == "reach":
                assert response.status_code < 400 and not is_login_redirect(response), (
                    f"{what}: the rightful user should succeed (else the URL or payload in the "
                    f"entry is wrong), got {describe(response)}"
                )
                continue
            if case.check == "anonymous":
                assert_refused_anonymous(response, what)
            else:
                assert_denied(response, what)
            if self.marker is not None:
                assert self.marker(obj) not in body(response), f"{what}: the answer names it"
            assert snapshot(obj) == before, f"{what}: the object changed though access was refused"

    def _run_list(self, case: Case, world: World, obj: Model) -> None:
        listing = case.endpoint
        marker = self.marker(obj) if self.marker is not None else None
        assert listing.is_api or marker, (
            f"{self}: an HTML list is named, so the entry needs marker= to find the object in it"
        )
        for transport in case.transports:
            what = f"{case} (by {transport})"
            response = send(
                world.client(case.persona, transport),
                "GET",
                with_query(listing.url(), self.query),
                api=listing.is_api,
            )
            text = body(response)
            if case.check == "listed":
                assert response.status_code == 200, (
                    f"{what}: expected 200, got {describe(response)}"
                )
                present = (obj.pk in json_ids(text)) if listing.is_api else False
                present = present or bool(marker and marker in text)
                assert present, f"{what}: the rightful user does not find the object in the list"
                continue
            assert response.status_code in (200, 403, 404), (
                f"{what}: expected the list (200) or a refusal, got {describe(response)}"
            )
            if listing.is_api:
                assert obj.pk not in json_ids(text), f"{what}: the list shows the object"
            if marker:
                assert marker not in text, f"{what}: the list shows the object ({marker!r})"

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        return Page(self.owner, self.url_for(endpoint, world.obj(self)))


@dataclass(eq=False)
class Owned(ObjectEntry):
    """An object belonging to one user (API tokens, a citizen's application): every other
    user is an outsider."""


@dataclass(eq=False)
class Scoped(ObjectEntry):
    """An object inside a staff data scope (a department's case, a district's person): the
    clerk of the sibling department, staff without a role, citizens and the auditor are
    outsiders."""

    owner: str = CLERK_A
    default_outsiders: tuple[str, ...] = (CLERK_B, OUTSIDER_STAFF, CITIZEN_A, CITIZEN_B, AUDITOR)


@dataclass(eq=False)
class Restricted(Entry):
    """An action only some roles may take (a capability, e.g. registering a walk-in applicant).

    ``allowed`` personas succeed (< 400) with ``payloads[verb](world, persona)``; every persona
    in ``refused`` (default: the core personas not allowed) gets 403/404, by session and by
    bearer token where accepted, and the row counts of ``counts`` (models) do not move; anonymous
    visitors are refused. ``idempotency=True`` (API): an ``Idempotency-Key`` one allowed user
    used is no replay for another — the second user's request runs as his own."""

    allowed: Sequence[str] = (CLERK_A,)
    refused: Sequence[str] | None = None
    payloads: Mapping[str, Payload] = field(default_factory=dict)
    counts: Sequence[type[Model]] = ()
    query: Mapping[str, Any] = field(default_factory=dict)
    idempotency: bool = False

    def __post_init__(self) -> None:
        if self.refused is None:
            self.refused = tuple(p for p in CORE_PERSONAS if p not in self.allowed)

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        assert self.refused is not None
        for endpoint in endpoints:
            via = transports_for(endpoint)
            for method in sorted(endpoint.methods):
                yield Case("anonymous", self, endpoint, method, ANONYMOUS)
                for persona in self.allowed:
                    yield Case("reach", self, endpoint, method, persona, via)
                for persona in self.refused:
                    yield Case("denied", self, endpoint, method, persona, via)
                if self.idempotency and endpoint.is_api and len(self.allowed) > 1:
                    yield Case("idempotency", self, endpoint, method, self.allowed[1])

    def _counts(self) -> list[int]:
        return [model._default_manager.count() for model in self.counts]

    def _send(self, world: World, case: Case, persona: str, transport: str, **headers: str) -> Any:
        client = world.client(persona, transport)
        for name, value in headers.items():
            client.defaults[name] = value
        return send(
            client,
            case.method,
            with_query(case.endpoint.url(), self.query),
            api=case.endpoint.is_api,
            payload=_payload(self.payloads, case.method, world, persona),
        )

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        if case.check == "idempotency":
            first = self._send(world, case, self.allowed[0], SESSION, HTTP_IDEMPOTENCY_KEY="k-1")
            assert first.status_code < 400, f"{case}: the first request failed: {describe(first)}"
            second = self._send(world, case, case.persona, SESSION, HTTP_IDEMPOTENCY_KEY="k-1")
            assert second.status_code < 400, f"{case}: expected his own answer: {describe(second)}"
            assert not second.has_header("Idempotent-Replayed"), (
                f"{case}: another user's stored answer was replayed"
            )
            assert body(second) != body(first), f"{case}: the answer equals the other user's"
            return
        for transport in case.transports:
            what = f"{case} (by {transport})"
            before = self._counts()
            response = self._send(world, case, case.persona, transport)
            if case.check == "reach":
                assert response.status_code < 400 and not is_login_redirect(response), (
                    f"{what}: an allowed user should succeed (else the payload in the entry is "
                    f"wrong), got {describe(response)}"
                )
                continue
            if case.check == "anonymous":
                assert_refused_anonymous(response, what)
            else:
                assert_denied(response, what)
            assert self._counts() == before, f"{what}: rows were written though it was refused"

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        return Page(self.allowed[0], with_query(endpoint.url(), self.query))


def _send_multipart(client: Any, method: str, url: str, payload: Mapping[str, Any] | None) -> Any:
    """POST (or another verb) as ``multipart/form-data``: file uploads, for the API as well."""
    call = getattr(client, method.lower())
    return call(url) if payload is None else call(url, dict(payload))


@dataclass(eq=False)
class Parameterised(Entry):
    """A route whose URL needs something made for the test (an item's code, a case's number and
    a material key) and which only some signed-in users may use (every citizen may apply for a
    published item; only a case's applicant may upload its materials).

    ``make(world)`` builds the thing; ``kwargs(obj)`` gives the URL parameters;
    ``payloads[verb](world, obj, persona)`` (or a plain mapping) a valid body, made afresh for
    each request (so it may hold files); ``multipart=True`` sends it as ``multipart/form-data``
    even to the API (uploads). Checks, each verb: anonymous visitors are refused; each
    ``allowed`` persona succeeds (< 400, by session and, where accepted, by bearer token, one
    test each: the request may change the object; ``expect[verb]``: the status(es) that count as
    success, default 200 for GET and any answer below 400 otherwise); each ``refused`` persona (default: the core
    personas not allowed) gets 403/404, the row counts of ``counts`` and, when ``obj`` is a
    model instance, its row do not move, and the answer shows nobody else's data."""

    make: Callable[[World], Any] = lambda world: None
    kwargs: Callable[[Any], Mapping[str, Any]] = lambda obj: {}
    allowed: Sequence[str] = (CITIZEN_A, CITIZEN_B)
    refused: Sequence[str] | None = None
    payloads: Mapping[str, Payload] = field(default_factory=dict)
    multipart: bool = False
    counts: Sequence[type[Model]] = ()
    query: Mapping[str, Any] = field(default_factory=dict)
    expect: Mapping[str, int | tuple[int, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.refused is None:
            self.refused = tuple(p for p in CORE_PERSONAS if p not in self.allowed)

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        assert self.refused is not None
        for endpoint in endpoints:
            via = transports_for(endpoint)
            for method in sorted(endpoint.methods):
                yield Case("anonymous", self, endpoint, method, ANONYMOUS)
                # Without a valid body an allowed user's success proves nothing: not tried.
                reachable = method == "GET" or method in self.payloads
                for persona in self.allowed if reachable else ():
                    for transport in via:
                        yield Case("reach", self, endpoint, method, persona, (transport,))
                for persona in self.refused:
                    yield Case("denied", self, endpoint, method, persona, via)

    def url_for(self, endpoint: Endpoint, obj: Any) -> str:
        return with_query(endpoint.url(self.kwargs(obj)), self.query)

    def _send(self, world: World, case: Case, obj: Any, transport: str) -> Any:
        client = world.client(case.persona, transport)
        url = self.url_for(case.endpoint, obj)
        payload = _payload(self.payloads, case.method, world, obj, case.persona)
        if self.multipart and case.method != "GET":
            return _send_multipart(client, case.method, url, payload)
        return send(client, case.method, url, api=case.endpoint.is_api, payload=payload)

    def _state(self, obj: Any) -> tuple[Any, list[int]]:
        row = snapshot(obj) if isinstance(obj, Model) else None
        return row, [model._default_manager.count() for model in self.counts]

    def run(self, case: Case, world: World) -> None:
        obj = world.obj(self)  # type: ignore[arg-type]
        if case.check == "anonymous":
            before = self._state(obj)
            response = self._send(world, case, obj, SESSION)
            assert_refused_anonymous(response, str(case))
            assert self._state(obj) == before, f"{case}: rows changed for an anonymous visitor"
            return
        world.everyone()
        for transport in case.transports:
            what = f"{case} (by {transport})"
            before = self._state(obj)
            response = self._send(world, case, obj, transport)
            if case.check == "reach":
                expected = self.expect.get(case.method, 200 if case.method == "GET" else None)
                if expected is None:
                    ok = response.status_code < 400 and not is_login_redirect(response)
                else:
                    statuses = (expected,) if isinstance(expected, int) else tuple(expected)
                    ok = response.status_code in statuses and not is_login_redirect(response)
                assert ok, (
                    f"{what}: an allowed user should succeed (else the URL or payload in the "
                    f"entry is wrong), got {describe(response)}"
                )
            else:
                assert_denied(response, what)
                assert self._state(obj) == before, (
                    f"{what}: rows were written though access was refused"
                )
            assert_no_leak(body(response), world.foreign_secrets(case.persona), what)

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        return Page(self.allowed[0], self.url_for(endpoint, world.obj(self)))  # type: ignore[arg-type]


@dataclass(eq=False)
class DemoOnly(Entry):
    """Exists only in demo mode (``YIWANG_DEMO``): with it off every verb answers 404 to
    everybody; with it on an anonymous visitor gets the page."""

    personas: Sequence[str] = (ANONYMOUS, CITIZEN_A, CLERK_A)

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        for endpoint in endpoints:
            for method in sorted(endpoint.methods):
                for persona in self.personas:
                    yield Case("demo_off", self, endpoint, method, persona)
            if "GET" in endpoint.methods:
                yield Case("reach", self, endpoint, "GET", ANONYMOUS)

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        client = world.client(case.persona)
        url = case.endpoint.url()
        if case.check == "reach":
            with override_settings(YIWANG_DEMO=True):
                response = send(client, "GET", url, api=case.endpoint.is_api)
            assert response.status_code == 200, f"{case}: expected 200, got {describe(response)}"
            return
        payload = {"username": world.must(CITIZEN_A).username} if case.method != "GET" else None
        with override_settings(YIWANG_DEMO=False):
            response = send(client, case.method, url, api=case.endpoint.is_api, payload=payload)
        assert response.status_code == 404, (
            f"{case}: outside demo mode this must not exist (404), got {describe(response)}"
        )
        assert_no_leak(body(response), world.foreign_secrets(case.persona), str(case))

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        return Page(ANONYMOUS, endpoint.url()) if "GET" in endpoint.methods else None
