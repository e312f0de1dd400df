"""Open311 clients from PyPI against the live facade: ``civicbot`` (its GeoReport v2 client
lists services, reads a definition, posts a request with an api_key and reads it back, by id,
token and list) and ``georeport`` (reads, in XML through xmltodict and in JSON).

Personas: the app (a registered ``ApiClient``) and a passer-by (a client without a key)."""

from __future__ import annotations

import pytest
from civicbot import Endpoint, HttpError, HttpTransport, Open311Client
from civicbot.http import RateLimiter
from georeport import GeoReport

from yiwang.hotline.models import Ticket
from yiwang.hotline.open311.clients import create_api_client
from yiwang.hotline.open311.resources import jurisdiction_id
from yiwang.hotline.tests.factories import LIFT, answered_ticket, make_hotline_cast

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(live_server) -> Endpoint:
    return Endpoint(
        id="yiwang-12345",
        name="示范市12345热线",
        base_url=f"{live_server.url}/open311/v2",
        write=True,
    )


@pytest.fixture
def civic(endpoint) -> Open311Client:
    # No pause between calls: the politeness delay is for other people's servers.
    return Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)))


def test_civicbot_lists_services_posts_a_request_and_reads_it_back(civic):
    make_hotline_cast()
    _client, key = create_api_client("civicbot", "app")

    services = civic.list_services()
    lift = next(s for s in services if s["service_code"] == LIFT)
    assert lift["service_name"] == "电梯故障与安全" and lift["metadata"] is True

    prepared = civic.create_request(
        LIFT,
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,  # the client checks our definition: type is a singlevaluelist
        lat=30.274085,
        lng=120.155070,
        address_string="西湖区文三路100号",
        description="3号楼电梯卡在5楼，里面有老人，已经半小时了",
        attributes={"type": "help", "region_code": "330102001001"},
        first_name="丽",
        last_name="李",
        phone="13700001234",
    )

    [receipt] = prepared.response
    number = receipt["service_request_id"]
    ticket = Ticket.objects.get(number=number)
    assert (ticket.type, ticket.category.code, ticket.channel) == ("help", LIFT, "app")
    assert (ticket.status, ticket.caller_name, ticket.caller_phone) == (
        "accepted",
        "李丽",
        "13700001234",
    )
    request = civic.get_request(number)
    assert request["status"] == "open" and request["service_code"] == LIFT
    assert request["description"] == "3号楼电梯卡在5楼，里面有老人，已经半小时了"
    assert "13700001234" not in str(request) and "李丽" not in str(request)
    assert civic.get_token(receipt["token"]) == [{"service_request_id": number, "token": number}]
    assert [r["service_request_id"] for r in civic.list_requests(service_request_ids=[number])] == [
        number
    ]
    assert number in [r["service_request_id"] for r in civic.list_requests(status="open")]


def test_civicbot_with_a_wrong_key_is_refused_with_an_open311_error(civic):
    make_hotline_cast()
    _client, key = create_api_client("civicbot", "app")
    before = Ticket.objects.count()

    with pytest.raises(HttpError) as refused:
        civic.create_request(
            LIFT,
            dry_run=False,
            confirm="SEND",
            api_key=key[:-2] + ("xx" if not key.endswith("xx") else "yy"),
            address_string="文三路100号",
            description="电梯坏了",
        )

    assert refused.value.status == 403 and '"code": 403' in refused.value.body
    assert Ticket.objects.count() == before


@pytest.mark.parametrize("output_format", ["xml", "json"])
def test_georeport_reads_services_definitions_and_requests(live_server, output_format):
    cast = make_hotline_cast()
    ticket = answered_ticket(cast)
    client = GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction=jurisdiction_id(), output_format=output_format
    )

    services = client.get_service_list()
    assert len(services) > 80 and {s["service_code"] for s in services} >= {LIFT}
    definition = client.get_service_definition(LIFT)
    attributes = definition["attributes"]
    if output_format == "xml":  # xmltodict: <attributes><attribute>…</attribute>…</attributes>
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == ["type", "region_code"]

    request = client.get_service_request(ticket.number)
    assert request["service_request_id"] == ticket.number
    assert request["status_notes"] == "已督促物业公司清运垃圾并每日打扫楼道。"
    assert request["agency_responsible"] == "市住房和城乡建设局"
    found = client.get_service_requests(service_request_id=ticket.number)
    if output_format == "xml":  # xmltodict gives one <request> as a dict, not a list
        found = [found]
    assert [r["service_request_id"] for r in found] == [ticket.number]
