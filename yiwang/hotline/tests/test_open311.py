"""The Open311 GeoReport v2 facade (/open311/v2/): discovery, services and their definitions,
requests read by anyone without personal data, requests posted by an app with its api_key (and
refused, with nothing stored, when the key or the input is wrong), tokens, JSON and XML.

Personas: the app (an ``ApiClient`` of the 12345 mini-program), a passer-by (no account), the
hotline agent, the clerk of the responsible department (住建局) and the caller."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import services
from yiwang.hotline.duplicates import merge
from yiwang.hotline.models import (
    ApiClient,
    Category,
    Ticket,
    TicketEvent,
    TicketSequence,
)
from yiwang.hotline.open311 import clients, privacy, queries
from yiwang.hotline.open311.clients import create_api_client, revoke_api_client
from yiwang.hotline.tests.factories import (
    FIRE,
    LIFT,
    PROPERTY,
    STREET,
    answered_ticket,
    dispatched_ticket,
    make_hotline_cast,
    new_ticket,
)

BASE = "/open311/v2"
SPECS = Path(__file__).resolve().parents[3] / "tests" / "specs" / "open311-georeport-v2"
PROPERTY_REPORT = "我们小区物业三个星期没打扫楼道，垃圾堆在楼梯口，业主群里反映了也没人管。"


@pytest.fixture
def hcast(db):
    return make_hotline_cast()


@pytest.fixture
def app_key(hcast) -> str:
    """The api_key of the 12345 mini-program (an ApiClient on the app channel)."""
    _client, key = create_api_client("12345小程序", "app")
    return key


@pytest.fixture
def passer_by() -> Client:
    return Client()


def get_json(client: Client, path: str, **params: Any) -> tuple[int, Any]:
    response = client.get(f"{BASE}/{path}", params)
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.status_code, json.loads(response.content)


def get_xml(client: Client, path: str, **params: Any) -> tuple[int, ET.Element]:
    response = client.get(f"{BASE}/{path}", params)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return response.status_code, ET.fromstring(response.content)


def post(client: Client, key: str | None, fmt: str = "json", **fields: Any) -> Any:
    data = {"service_code": PROPERTY, "description": PROPERTY_REPORT, **fields}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def stored_rows() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "numbers": sum(TicketSequence.objects.values_list("last", flat=True)),
        "ledger": LedgerEntry.objects.filter(action__startswith="hotline.ticket").count(),
    }


def spec_schema(name: str) -> dict[str, Any]:
    path = SPECS / name
    assert path.is_file(), f"the GeoReport v2 specification files are expected in {SPECS}"
    return json.loads(path.read_text())


def validate(instance: Any, name: str) -> None:
    """Against the JSON Schemas shipped with the GeoReport v2 swagger (schema-validation)."""
    validator = jsonschema_rs.validator_for(
        spec_schema(name),
        retriever=lambda uri: spec_schema(uri.rsplit("/", 1)[-1]),
        base_uri="https://open311.invalid/schema/",
        validate_formats=True,
    )
    validator.validate(instance)


# --- discovery and services -------------------------------------------------------------------


def test_discovery_names_the_v2_endpoint_in_both_formats(passer_by, db):
    status, data = get_json(passer_by, "discovery.json")

    assert status == 200
    [endpoint] = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    status, root = get_xml(passer_by, "discovery.xml")
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_the_services_are_the_accepted_leaves_of_the_taxonomy(passer_by, hcast):
    status, services_ = get_json(passer_by, "services.json")

    assert status == 200
    offered = set(
        Category.objects.filter(level=3, not_accepted=False, is_active=True).values_list(
            "code", flat=True
        )
    )
    assert {s["service_code"] for s in services_} == offered
    assert FIRE not in offered  # 火灾险情 is referred to 119, never a service
    by_code = {s["service_code"]: s for s in services_}
    assert by_code[PROPERTY]["service_name"] == "物业服务质量"
    assert by_code[PROPERTY]["group"] == "城乡建设"
    assert by_code[PROPERTY]["metadata"] is True and by_code[PROPERTY]["type"] == "realtime"
    assert "办理时限：5个工作日" in by_code[PROPERTY]["description"]
    assert "物业" in by_code[PROPERTY]["keywords"]
    validate(services_, "services.json")


def test_the_services_read_the_same_in_xml(passer_by, hcast):
    _status, as_json = get_json(passer_by, "services.json")
    status, root = get_xml(passer_by, "services.xml")

    assert status == 200 and root.tag == "services"
    services_ = root.findall("service")
    assert len(services_) == len(as_json)
    first = services_[0]
    assert first.findtext("service_code") == as_json[0]["service_code"]
    assert first.findtext("metadata") == "true"
    assert first.findtext("group") == as_json[0]["group"]


def test_a_service_definition_offers_the_ticket_type_and_the_region(passer_by, hcast):
    status, definition = get_json(passer_by, f"services/{PROPERTY}.json")

    assert status == 200
    validate(definition, "service-definition.json")
    kind, region = definition["attributes"]
    assert (kind["code"], kind["datatype"], kind["required"]) == ("type", "singlevaluelist", False)
    assert [v["key"] for v in kind["values"]] == [
        "consult",
        "help",
        "complaint",
        "report",
        "suggestion",
    ]
    assert [v["name"] for v in kind["values"]] == ["咨询", "求助", "投诉", "举报", "建议"]
    assert (region["code"], region["datatype"]) == ("region_code", "string")
    assert "339900000000" in region["datatype_description"]

    status, root = get_xml(passer_by, f"services/{PROPERTY}.xml")
    assert root.tag == "service_definition"
    values = root.findall("attributes/attribute/values/value")
    assert [v.findtext("key") for v in values][:2] == ["consult", "help"]


@pytest.mark.parametrize("code", [FIRE, "999999", "01", "abc", "0101/../x"])
def test_an_unknown_or_not_accepted_service_is_404_in_the_open311_error_format(
    passer_by, hcast, code
):
    status, errors = get_json(passer_by, f"services/{code}.json")

    assert status == 404
    [error] = errors
    assert error["code"] == 404 and "服务类型不存在" in error["description"]
    status, root = get_xml(passer_by, f"services/{code}.xml")
    assert status == 404 and root.tag == "errors"
    assert root.findtext("error/code") == "404"


# --- posting a request ------------------------------------------------------------------------


def test_an_app_posts_a_request_and_reads_it_back_by_its_id_and_token(passer_by, hcast, app_key):
    response = post(
        passer_by,
        app_key,
        lat="30.274085",
        long="120.155070",
        address_string="西湖区文三路100号",
        first_name="伟",
        last_name="张",
        phone="13812345678",
        email="zhangwei@example.cn",
        media_url="https://img.example.cn/stairs.jpg",
        **{"attribute[type]": "complaint", "attribute[region_code]": STREET},
    )

    assert response.status_code == 200, response.content
    [receipt] = json.loads(response.content)
    ticket = Ticket.objects.get(number=receipt["service_request_id"])
    assert receipt["token"] == ticket.number
    assert ticket.number in receipt["service_notice"]
    # An accepted ticket for the agents: the app's channel, not dispatched, the caller kept.
    assert (ticket.status, ticket.channel, ticket.type) == ("accepted", "app", "complaint")
    assert ticket.api_client.name == "12345小程序"
    assert ticket.dispatched_at is None and ticket.department is None
    assert ticket.category.code == PROPERTY and ticket.region_code == STREET
    assert (ticket.caller_name, ticket.caller_phone) == ("张伟", "13812345678")
    assert ticket.caller_email == "zhangwei@example.cn"
    assert ticket.media_url == "https://img.example.cn/stairs.jpg"
    assert str(ticket.latitude) == "30.274085"

    status, [token] = get_json(passer_by, f"tokens/{receipt['token']}.json")
    assert status == 200 and token == {"service_request_id": ticket.number, "token": ticket.number}
    status, [request] = get_json(passer_by, f"requests/{ticket.number}.json")
    assert status == 200
    validate(request, "request.json")
    assert request["status"] == "open" and request["status_notes"] == "已受理"
    assert request["service_code"] == PROPERTY and request["service_name"] == "物业服务质量"
    assert request["lat"] == 30.274 and request["long"] == 120.155
    assert request["media_url"] == "https://img.example.cn/stairs.jpg"
    text = json.dumps(request, ensure_ascii=False)
    for personal in ("张伟", "13812345678", "zhangwei@example.cn", "文三路100号"):
        assert personal not in text


def test_the_swagger_files_request_path_answers_the_request_itself(passer_by, hcast, app_key):
    number = json.loads(post(passer_by, app_key).content)[0]["service_request_id"]

    status, request = get_json(passer_by, f"request/{number}.json")

    assert status == 200 and request["service_request_id"] == number
    _status, root = get_xml(passer_by, f"request/{number}.xml")
    assert root.findtext("request/service_request_id") == number


def test_an_app_may_post_json_with_its_attributes_as_an_object(passer_by, hcast, app_key):
    response = passer_by.post(
        f"{BASE}/requests.xml",
        json.dumps(
            {
                "api_key": app_key,
                "service_code": LIFT,
                "description": "3号楼电梯卡在5楼，里面有人",
                "attribute": {"type": "help", "region_code": STREET},
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    root = ET.fromstring(response.content)
    number = root.findtext("request/service_request_id")
    assert root.tag == "service_requests" and root.findtext("request/token") == number
    ticket = Ticket.objects.get(number=number)
    assert (ticket.type, ticket.category.code, ticket.region_code) == ("help", LIFT, STREET)


def test_without_attributes_a_request_is_a_complaint_in_the_default_region(
    passer_by, hcast, app_key
):
    with override_settings(YIWANG_OPEN311_DEFAULT_REGION="330102000000"):
        response = post(passer_by, app_key)

    ticket = Ticket.objects.get(number=json.loads(response.content)[0]["service_request_id"])
    assert (ticket.type, ticket.region_code) == ("complaint", "330102000000")


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (None, "no key"),
        ("", "an empty key"),
        ("o311_not-a-real-key-at-all-not-a-real-key-at-all-xx", "an unknown key"),
        ("yw_abcdefgh_somebody-elses-api-token", "another kind of token"),
    ],
)
def test_a_post_without_a_valid_api_key_is_403_and_stores_nothing(passer_by, hcast, key, why):
    before = stored_rows()

    response = post(passer_by, key)

    assert response.status_code == 403, why
    [error] = json.loads(response.content)
    assert error["code"] == 403 and "api_key" in error["description"]
    assert stored_rows() == before


def test_nul_characters_in_a_form_are_refused_or_dropped_never_stored(passer_by, hcast, app_key):
    assert post(passer_by, app_key + "\x00").status_code == 403
    assert post(passer_by, app_key, service_code="0101\x0001").status_code == 400
    assert post(passer_by, app_key, phone="138\x0012345678").status_code == 400

    response = post(passer_by, app_key, description="楼道\x00没人打扫", first_name="伟\x00")
    ticket = Ticket.objects.get(number=json.loads(response.content)[0]["service_request_id"])
    assert ticket.content == "楼道没人打扫" and ticket.caller_name == "伟"


def test_a_revoked_client_is_refused_like_an_unknown_one(passer_by, hcast):
    client, key = create_api_client("停用的合作平台", "web")
    assert post(passer_by, key).status_code == 200

    revoke_api_client(client)
    before = stored_rows()

    assert post(passer_by, key, fmt="xml").status_code == 403
    assert stored_rows() == before
    assert LedgerEntry.objects.filter(action="hotline.api_client.revoked").count() == 1


def test_a_signed_in_session_is_no_substitute_for_the_api_key(hcast):
    from yiwang.accounts.tests.factories import login_as

    agent = login_as(Client(), hcast.agent)
    before = stored_rows()

    assert post(agent, None).status_code == 403
    assert stored_rows() == before


def test_a_key_is_stored_hashed_and_compared_whole(hcast):
    client, key = create_api_client("区县平台")

    client.refresh_from_db()
    assert key.startswith("o311_") and len(key) >= 40
    assert client.key_prefix == key[:8] and key not in client.key_hash
    assert clients.client_for_key(key) == client
    assert clients.client_for_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert clients.client_for_key(key + " ") == client  # surrounding blanks are not the key
    assert clients.client_for_key(None) is None
    assert ApiClient.objects.get(pk=client.pk).last_used_at is not None


EMOJI_ONLY = "😡😡😡🔥🔥"
FIFTY_KB = "楼道太脏了" * 10_240  # 51,200 characters


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"description": ""}, "description", "请填写诉求内容"),
        ({"description": None}, "description", "请填写诉求内容"),
        ({"description": "   \n  "}, "description", "请填写诉求内容"),
        ({"description": EMOJI_ONLY}, "description", "请填写诉求内容"),
        ({"description": FIFTY_KB}, "description", "诉求内容过长，最多4000个字"),
        ({"description": "<script>alert(1)</script>"}, "description", "HTML"),
        ({"description": "楼道<b>很脏</b>"}, "description", "HTML"),
        ({"description": "Բարև"}, "description", "须包含汉字、字母或数字"),  # Armenian only
        ({"phone": "12345"}, "phone", "联系电话"),
        ({"phone": "138-1234-567８"}, "phone", "联系电话"),
        ({"email": "not-an-address"}, "email", "电子邮箱"),
        ({"lat": "91", "long": "120"}, "lat", "纬度"),
        ({"lat": "30", "long": "-180.5"}, "long", "经度"),
        ({"lat": "north", "long": "120"}, "lat", "纬度"),
        ({"lat": "30.2"}, "lat", "经纬度须同时填写"),
        ({"service_code": "999999"}, "service_code", "服务类型不存在"),
        ({"service_code": FIRE}, "service_code", "服务类型不存在"),  # 119's business
        ({"service_code": ""}, "service_code", "请填写服务类型代码"),
        ({"attribute[type]": "praise"}, "attribute[type]", "诉求类型无效"),
        ({"attribute[region_code]": "3301"}, "attribute[region_code]", "行政区划代码"),
        ({"attribute[colour]": "red"}, "attribute[colour]", "没有这个附加属性"),
        ({"attribute": "type=complaint"}, "attribute", "attribute[代码]"),
        ({"address_id": "545483"}, "address_id", "不支持地址编号"),
        ({"media_url": "javascript:alert(1)"}, "media_url", "图片链接"),
        ({"first_name": "名" * 41}, "first_name", "姓名过长"),
        ({"address_string": "路" * 256}, "address_string", "地址过长"),
        ({"descripton": "拼错了参数名"}, "descripton", "不是 GeoReport v2 的参数"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    passer_by, hcast, app_key, fields, field, words
):
    before = stored_rows()

    response = post(passer_by, app_key, **fields)

    assert response.status_code == 400, response.content
    [error] = json.loads(response.content)
    assert error["code"] == 400
    assert f"{field}：" in error["description"] and words in error["description"]
    assert stored_rows() == before


def test_every_problem_of_a_request_is_told_at_once(passer_by, hcast, app_key):
    response = post(
        passer_by, app_key, description=EMOJI_ONLY, phone="110", lat="95", long="200", fmt="xml"
    )

    assert response.status_code == 400
    root = ET.fromstring(response.content)
    description = root.findtext("error/description")
    for field in ("description：", "phone：", "lat：", "long："):
        assert field in description


def test_a_body_that_cannot_be_read_is_400(passer_by, hcast, app_key):
    for body, content_type in (
        ("[1, 2]", "application/json"),
        ("{not json", "application/json"),
        ('"text"', "application/json"),
        ("description=x", "multipart/form-data"),  # no boundary
        ("[" * 100_000 + "]" * 100_000, "application/json"),  # too deep to read
    ):
        response = passer_by.post(
            f"{BASE}/requests.json?api_key={app_key}", body, content_type=content_type
        )
        assert response.status_code == 400, body
        assert "请求体无法解析" in json.loads(response.content)[0]["description"]


def test_a_json_value_must_be_text_or_a_number_and_null_is_not_given(passer_by, hcast, app_key):
    def post_json(**fields: Any) -> Any:
        data = {"api_key": app_key, "service_code": PROPERTY, "description": PROPERTY_REPORT}
        data.update(fields)
        return passer_by.post(
            f"{BASE}/requests.json", json.dumps(data), content_type="application/json"
        )

    refused = post_json(description=["楼道", "很脏"])
    assert refused.status_code == 400
    assert "description：参数值应为文本" in json.loads(refused.content)[0]["description"]
    accepted = post_json(email=None, lat=30.27, long=120.15)
    assert accepted.status_code == 200, accepted.content
    ticket = Ticket.objects.get(number=json.loads(accepted.content)[0]["service_request_id"])
    assert ticket.caller_email == "" and str(ticket.latitude) == "30.270000"


def test_parameters_in_the_query_string_count_as_the_swagger_file_declares_them(
    passer_by, hcast, app_key
):
    response = passer_by.post(
        f"{BASE}/requests.json?api_key={app_key}&service_code={PROPERTY}&lat=30.27&long=120.15",
        {"description": PROPERTY_REPORT},
    )

    assert response.status_code == 200, response.content
    number = json.loads(response.content)[0]["service_request_id"]
    assert Ticket.objects.get(number=number).latitude is not None
    # Other things in the query string (a cache buster) are no business of ours.
    also = passer_by.post(
        f"{BASE}/requests.json?api_key={app_key}&service_code={PROPERTY}&_=1732252800",
        {"description": PROPERTY_REPORT},
    )
    assert also.status_code == 200, also.content


# --- reading requests -------------------------------------------------------------------------


def test_the_request_list_maps_our_statuses_to_open_and_closed_with_notes(passer_by, hcast):
    waiting = new_ticket(hcast)
    handled = answered_ticket(hcast)
    referred = new_ticket(hcast, category_code=FIRE, content="锦绣路88号小区门口着火了，冒烟！")
    primary = dispatched_ticket(hcast)
    duplicate = new_ticket(hcast)
    merge(hcast.agent, duplicate, primary, "同一楼道")
    closed = answered_ticket(hcast)
    services.callback(hcast.agent, closed, resolved=True, satisfaction=5)
    services.close(hcast.agent, closed)

    status, requests = get_json(passer_by, "requests.json")

    assert status == 200
    for request in requests:
        validate(request, "request.json")
    by_id = {r["service_request_id"]: r for r in requests}
    assert by_id[waiting.number]["status"] == "open"
    assert by_id[handled.number]["status"] == "open"
    assert by_id[handled.number]["status_notes"] == "已督促物业公司清运垃圾并每日打扫楼道。"
    assert by_id[handled.number]["agency_responsible"] == "市住房和城乡建设局"
    handled.refresh_from_db()
    assert by_id[handled.number]["expected_datetime"] == timezone.localtime(
        handled.due_at
    ).isoformat(timespec="seconds")
    assert by_id[referred.number]["status"] == "closed"
    assert "119" in by_id[referred.number]["status_notes"]
    assert by_id[duplicate.number]["status"] == "closed"
    assert primary.number in by_id[duplicate.number]["status_notes"]
    assert by_id[closed.number]["status"] == "closed"
    closed.refresh_from_db()
    assert by_id[closed.number]["updated_datetime"] == timezone.localtime(
        closed.closed_at
    ).isoformat(timespec="seconds")


def test_the_filters_select_by_id_service_status_and_date(passer_by, hcast):
    property_ = new_ticket(hcast)
    lift = new_ticket(hcast, category_code=LIFT)
    referred = new_ticket(hcast, category_code=FIRE, content="锦绣路88号小区门口着火了，冒烟！")
    old = new_ticket(hcast)
    Ticket.objects.filter(pk=old.pk).update(accepted_at=timezone.now() - dt.timedelta(days=120))

    def ids(**params: Any) -> list[str]:
        status, requests = get_json(passer_by, "requests.json", **params)
        assert status == 200, requests
        return sorted(r["service_request_id"] for r in requests)

    recent = sorted([property_.number, lift.number, referred.number])
    assert ids() == recent  # the last 90 days by default
    assert ids(service_code=LIFT) == [lift.number]
    assert ids(service_code=f"{LIFT},{PROPERTY}") == sorted([lift.number, property_.number])
    assert ids(status="closed") == [referred.number]
    assert ids(status="open") == sorted([property_.number, lift.number])
    assert ids(status="open,closed") == recent
    # service_request_id overrides every other filter, the 90-day window included
    assert ids(service_request_id=f"{old.number},{lift.number}", status="closed") == sorted(
        [old.number, lift.number]
    )
    start = timezone.now() - dt.timedelta(days=130)
    assert ids(start_date=start.isoformat(), end_date=(start + dt.timedelta(days=30)).isoformat())
    assert ids(
        start_date=(start - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        end_date=(start + dt.timedelta(days=89)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ) == [old.number]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "2026-02-30T00:00:00Z"}, "start_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-11-01"}, "end_date"),  # a date-time needs a time and an offset
        ({"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"}, "start_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "end_date"),
        ({"service_request_id": ",".join(str(n) for n in range(1001))}, "service_request_id"),
    ],
)
def test_a_bad_filter_is_400_naming_it(passer_by, hcast, params, field):
    status, [error] = get_json(passer_by, "requests.json", **params)

    assert status == 400 and error["code"] == 400
    assert f"{field}：" in error["description"]


def test_dates_are_read_as_rfc_3339_and_clamped_to_sane_bounds():
    parse = queries.parse_datetime
    assert parse("2026-11-01T08:00:00+08:00") == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert parse("2026-11-01t00:00:00.123z") == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert parse("2016-12-31T23:59:60Z") == dt.datetime(2016, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    assert parse("0001-01-01T00:00:00+14:00") == queries.EARLIEST
    assert parse("0000-01-01T00:00:00Z") == queries.EARLIEST
    assert parse("9999-12-31T23:59:59-12:00") == queries.LATEST
    for bad in ("2026-11-01", "2026-11-01T00:00:00", "2026-13-01T00:00:00Z", "2026-11-01 00:00Z"):
        assert parse(bad) is None


def test_the_list_stops_at_1000_requests_newest_first(passer_by, hcast):
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            number=f"12345{now:%Y%m%d}{n:06d}",
            type="complaint",
            channel="web",
            content=f"第{n}件诉求",
            region_code=STREET,
            accepted_at=now - dt.timedelta(minutes=n),
        )
        for n in range(1, 1006)
    )

    status, requests = get_json(passer_by, "requests.json")

    assert status == 200 and len(requests) == 1000
    assert requests[0]["service_request_id"].endswith("000001")
    assert requests[-1]["service_request_id"].endswith("001000")


def test_the_list_costs_one_query_however_many_requests(
    passer_by, hcast, django_assert_max_num_queries
):
    for n in range(5):
        answered_ticket(hcast, content=f"{PROPERTY_REPORT}（第{n}次反映）")
    primary = dispatched_ticket(hcast)
    merge(hcast.agent, new_ticket(hcast), primary, "重复")
    new_ticket(hcast, category_code=FIRE, content="锦绣路88号着火了")

    with django_assert_max_num_queries(1):
        response = passer_by.get(f"{BASE}/requests.json")
    assert len(json.loads(response.content)) == 8
    with django_assert_max_num_queries(1):
        passer_by.get(f"{BASE}/requests.xml")


# --- no personal data -------------------------------------------------------------------------


def test_a_request_shows_no_personal_data_of_its_caller(passer_by, hcast, app_key):
    response = post(
        passer_by,
        app_key,
        description=(
            "我是王建国，电话13912345678，身份证11010519491231002X，"
            "邮箱wjg@example.cn，座机0571-88886666，楼道垃圾没人清理。"
        ),
        first_name="建国",
        last_name="王",
        phone="13912345678",
        email="wjg@example.cn",
        address_string="西湖区文三路100号3幢201室",
        lat="30.2740851",
        long="120.1550701",
    )
    number = json.loads(response.content)[0]["service_request_id"]

    for fmt in ("json", "xml"):
        for path in (f"requests/{number}.{fmt}", f"requests.{fmt}", f"request/{number}.{fmt}"):
            text = passer_by.get(f"{BASE}/{path}").content.decode()
            assert number in text
            for personal in (
                "王建国",
                "13912345678",
                "11010519491231002X",
                "wjg@example.cn",
                "88886666",
                "文三路100号",
                "3幢201室",
                "30.2740851",
            ):
                assert personal not in text, (path, personal)
    [request] = json.loads(passer_by.get(f"{BASE}/requests/{number}.json").content)
    assert (
        "139****5678" in request["description"] and "1****************X" in request["description"]
    )
    assert "楼道垃圾没人清理" in request["description"]
    assert request["address"].startswith("西湖区文三路") and "*" in request["address"]


def test_a_report_is_listed_but_its_content_and_answer_are_withheld(passer_by, hcast):
    ticket = answered_ticket(hcast, type="report", content="举报某小区物业经理收受回扣，知情人李四")

    _status, [request] = get_json(passer_by, f"requests/{ticket.number}.json")

    assert request["description"] == "举报内容不予公开。"
    assert request["status_notes"] == "已答复"
    text = json.dumps(request, ensure_ascii=False)
    assert "李四" not in text and "物业公司" not in text


def test_an_answer_is_shown_with_numbers_masked_and_ticket_numbers_kept(passer_by, hcast):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    other = new_ticket(hcast)
    services.answer(
        hcast.clerk,
        ticket,
        f"已联系物业（联系人电话13800001111），与工单{other.number}一并处理完毕。",
    )

    _status, [request] = get_json(passer_by, f"requests/{ticket.number}.json")

    assert (
        request["status_notes"]
        == f"已联系物业（联系人电话138****1111），与工单{other.number}一并处理完毕。"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话１３８１２３４５６７８", "电话１３８****５６７８"),
        ("+86 138 1234 5678", "+86**********5678"),
        ("卡号6222020200112233445", "卡号6*****************5"),
        ("编号ABC13812345678X", "编号ABC13812345678X"),  # inside a code: not a phone
        ("a.b@example.org", "a***@example.org"),
    ],
)
def test_free_text_is_masked_for_the_public(text, expected):
    assert privacy.redact(text) == expected


# --- formats, jurisdictions and strange paths -------------------------------------------------


def test_xml_carries_no_character_xml_cannot_hold(passer_by, hcast):
    ticket = new_ticket(hcast, content="楼道\x01垃圾\x1b没人管")

    _status, root = get_xml(passer_by, f"requests/{ticket.number}.xml")

    assert root.findtext("request/description") == "楼道垃圾没人管"


def test_our_jurisdiction_is_welcome_and_another_is_404(passer_by, hcast):
    with override_settings(YIWANG_OPEN311_JURISDICTION="12345.example.gov.cn"):
        ours, _data = get_json(passer_by, "services.json", jurisdiction_id="12345.example.gov.cn")
        theirs, [error] = get_json(passer_by, "services.json", jurisdiction_id="sfgov.org")

    assert (ours, theirs) == (200, 404)
    assert "jurisdiction_id" in error["description"]


@pytest.mark.parametrize(
    "path",
    [
        "services.html",
        "services.",
        "requests.csv",
        "nothing-here",
        "",
        "services/010101",
        "a/b.xml",
    ],
)
def test_anything_else_is_an_open311_404(passer_by, db, path):
    response = passer_by.get(f"{BASE}/{path}")

    assert response.status_code == 404
    if path.endswith(".xml"):
        assert ET.fromstring(response.content).findtext("error/code") == "404"
    else:
        [error] = json.loads(response.content)
        assert error["code"] == 404


def test_unsupported_methods_are_405(passer_by, db):
    assert passer_by.delete(f"{BASE}/requests.json").status_code == 405
    assert passer_by.post(f"{BASE}/services.json").status_code == 405


def test_public_reads_may_be_fetched_from_any_origin_but_posts_may_not(passer_by, hcast, app_key):
    assert passer_by.get(f"{BASE}/services.json")["Access-Control-Allow-Origin"] == "*"
    assert not post(passer_by, app_key).has_header("Access-Control-Allow-Origin")


def test_create_api_client_prints_the_key_once(hcast, capsys):
    call_command("create_api_client", "街道网格平台", "--channel", "web")

    out = capsys.readouterr().out
    client = ApiClient.objects.get(name="街道网格平台")
    key = next(word for word in out.split() if word.startswith("o311_"))
    assert clients.client_for_key(key) == client and client.channel == "web"
