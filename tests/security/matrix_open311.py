"""Authorisation matrix entries for the Open311 GeoReport v2 facade (/open311/v2/, yiwang/hotline/
open311): discovery, services, definitions, requests and tokens are public and never show a
caller's personal data; posting a request needs an app's valid ``api_key`` — a signed-in
session, a wrong key or a revoked client's key is 403 and stores nothing.

The world adds the taxonomy, a ticket citizen A called in (his name, phone, e-mail and address on
it, his ID number and phone in its text) and two API clients, one revoked. Every answer, in JSON
and in XML, is searched for citizen A's data and for every persona's (``World.secrets``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tests.security.authz import (
    ANONYMOUS,
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    VERBS,
    Case,
    Endpoint,
    Entry,
    Page,
    World,
    body,
    describe,
    send,
)
from tests.security.authz.asserts import assert_no_leak
from yiwang.accounts.selectors import decrypt_id_number
from yiwang.hotline import services
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import Ticket, TicketEvent, TicketSequence
from yiwang.hotline.open311.clients import create_api_client, revoke_api_client

PROPERTY = "010101"  # 物业服务质量
CALLER_PHONE = "13966668888"
CALLER_EMAIL = "alice.caller@example.cn"
CALLER_ADDRESS = "上城区清波街道河坊街18号2单元301室"
FORMATS = ("json", "xml")
PERSONAS = (ANONYMOUS, CITIZEN_A, CLERK_A)
# Everyone who might try to post with his session instead of a key.
SESSIONS = (ANONYMOUS, CITIZEN_A, CITIZEN_B, CLERK_A, CLERK_B, OUTSIDER_STAFF, AUDITOR)


def _made(world: World) -> dict[str, Any]:
    """The facade's objects for this world, made once: the caller's ticket and the API clients."""
    cache = world.__dict__.setdefault("_open311_objects", {})
    if not cache:
        sync_categories()
        caller = world.must(CITIZEN_A).person
        ticket = services.intake(
            None,
            type="complaint",
            channel="web",
            content=(
                f"我是{caller.name}，身份证号{decrypt_id_number(caller)}，电话{CALLER_PHONE}，"
                "小区楼道三个星期没人打扫了。"
            ),
            region_code="330102001001",
            address=CALLER_ADDRESS,
            caller_name=caller.name,
            caller_phone=CALLER_PHONE,
            caller_email=CALLER_EMAIL,
            category_code=PROPERTY,
            caller=caller,
        )
        _client, key = create_api_client("授权矩阵小程序", "app")
        revoked, revoked_key = create_api_client("授权矩阵停用平台", "web")
        revoke_api_client(revoked)
        cache.update(ticket=ticket, key=key, revoked_key=revoked_key)
    return cache


def _callers_data(world: World) -> set[str]:
    person = world.must(CITIZEN_A).person
    return {
        person.name,
        decrypt_id_number(person),
        CALLER_PHONE,
        CALLER_EMAIL,
        CALLER_ADDRESS,
        "河坊街18号",
    }


def _assert_private(world: World, persona: str, text: str, what: str) -> None:
    """No other persona's data, and the caller's not even to himself: these answers are public."""
    assert_no_leak(text, world.foreign_secrets(persona), what)
    leaked = sorted(s for s in _callers_data(world) if s in text)
    assert not leaked, f"{what} shows the caller's personal data: {leaked}"


def _kwargs(endpoint: Endpoint, made: dict[str, Any], fmt: str) -> dict[str, str]:
    number = made["ticket"].number
    values = {
        "format": fmt,
        "service_code": PROPERTY,
        "service_request_id": number,
        "token": number,
        "path": f"no-such-resource.{fmt}",
    }
    return {name: values[name] for name in endpoint.params}


def _url(endpoint: Endpoint, made: dict[str, Any], fmt: str) -> str:
    return endpoint.url(_kwargs(endpoint, made, fmt))


class Open311Public(Entry):
    """Public Open311 reads: each persona gets ``status`` in JSON and in XML (an Open311 error
    list when it is 404), showing nobody's personal data."""

    def __init__(
        self,
        selector: str | Sequence[str],
        *,
        status: Mapping[str, int] | None = None,
        note: str = "",
    ) -> None:
        super().__init__(selector, note=note)
        self.status = dict(status or {"GET": 200})

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        for endpoint in endpoints:
            for method in sorted(endpoint.methods & set(self.status)):
                for persona in PERSONAS:
                    yield Case("expect", self, endpoint, method, persona)

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        made = _made(world)
        for fmt in FORMATS:
            url = _url(case.endpoint, made, fmt)
            response = send(world.client(case.persona), case.method, url, api=False)
            what = f"{case} ({fmt})"
            expected = self.status[case.method]
            assert response.status_code == expected, (
                f"{what}: expected {expected}, got {describe(response)}"
            )
            assert response["Content-Type"].startswith(
                "text/xml" if fmt == "xml" else "application/json"
            ), f"{what}: {response['Content-Type']}"
            _assert_private(world, case.persona, body(response), what)

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        if "GET" not in endpoint.methods:
            return None
        return Page(ANONYMOUS, _url(endpoint, _made(world), "json"), (self.status["GET"],))


def _rows() -> tuple[int, int, int]:
    """Tickets, their events and the ticket numbers handed out so far."""
    numbers = sum(TicketSequence.objects.values_list("last", flat=True))
    return Ticket.objects.count(), TicketEvent.objects.count(), numbers


def _submission(world: World, key: str | None) -> dict[str, str]:
    data = {
        "service_code": PROPERTY,
        "description": "授权矩阵：小区门口路灯不亮",
        "address_string": "上城区河坊街",
    }
    if key is not None:
        data["api_key"] = key
    return data


class Open311Requests(Entry):
    """``requests``: GET is public (as ``Open311Public``); POST needs an app's valid api_key.

    Checks: each persona's session without a key, a wrong key and a revoked client's key are 403
    with no ticket, event or number used up; the app's key makes an accepted ticket of that
    client; the list shows nobody's personal data."""

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        for endpoint in endpoints:
            for persona in PERSONAS:
                yield Case("expect", self, endpoint, "GET", persona)
            for persona in SESSIONS:
                yield Case("denied", self, endpoint, "POST", persona, detail="without an api_key")
            yield Case("denied", self, endpoint, "POST", ANONYMOUS, detail="with a wrong api_key")
            yield Case(
                "denied",
                self,
                endpoint,
                "POST",
                CITIZEN_B,
                detail="with a revoked client's api_key",
            )
            yield Case("reach", self, endpoint, "POST", ANONYMOUS, detail="with the app's api_key")

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        made = _made(world)
        client = world.client(case.persona)
        if case.method == "GET":
            Open311Public(self.patterns).run(case, world)
            return
        key = {
            "without an api_key": None,
            "with a wrong api_key": made["key"][:-4]
            + ("abcd" if made["key"][-4:] != "abcd" else "wxyz"),
            "with a revoked client's api_key": made["revoked_key"],
            "with the app's api_key": made["key"],
        }[case.detail]
        before = _rows()
        for fmt in FORMATS:
            what = f"{case} ({fmt})"
            response = client.post(_url(case.endpoint, made, fmt), _submission(world, key))
            _assert_private(world, case.persona, body(response), what)
            if case.check == "reach":
                assert response.status_code == 200, (
                    f"{what}: expected 200, got {describe(response)}"
                )
                number = (
                    ET.fromstring(response.content).findtext("request/service_request_id")
                    if fmt == "xml"
                    else response.json()[0]["service_request_id"]
                )
                ticket = Ticket.objects.get(number=number)
                assert ticket.api_client is not None and ticket.api_client.name == "授权矩阵小程序"
                assert ticket.status == "accepted" and ticket.channel == "app"
            else:
                assert response.status_code == 403, (
                    f"{what}: expected 403, got {describe(response)}"
                )
                assert _rows() == before, f"{what}: rows were written though the key was refused"

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        return Page(ANONYMOUS, _url(endpoint, _made(world), "json"))


ENTRIES = [
    Open311Public(
        (
            "open311:discovery",
            "open311:services",
            "open311:service_definition",
            "open311:request",
            "open311:request_object",
            "open311:token",
        ),
        note="Open311 reads are public; answers carry no personal data.",
    ),
    Open311Requests(
        "open311:requests",
        note="Anyone reads the request list; only an app with a valid api_key posts.",
    ),
    Open311Public(
        "open311:not_found",
        status=dict.fromkeys(VERBS, 404),
        note="Anything else under /open311/v2/ is an Open311 404 for every verb.",
    ),
]
