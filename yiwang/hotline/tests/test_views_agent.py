"""The 12345 agent's desk (话务员工作台), with personas: the hotline agent of the city's centre,
an agent of another city's centre, the handler (clerk) of the responsible department 住建局, the
handler of another department 市场监管局, a staff member without a role, a citizen and an
anonymous visitor. The intake screen and its htmx panels, the queue, the ticket page and each
action on it, with the bad inputs and refusals."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.accounts.tests.factories import (
    login_as,
    make_department,
    make_region,
    make_user,
)
from yiwang.cases.tests.factories import staff_with_role
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import services
from yiwang.hotline.models import Ticket, TicketEvent, TicketSequence
from yiwang.hotline.tests.factories import (
    FIRE,
    LIFT,
    OTHER_DISTRICT_STREET,
    PROPERTY,
    PROPERTY_TEXT,
    STREET,
    HotlineCast,
    answered_ticket,
    dispatched_ticket,
    intake_kwargs,
    make_hotline_cast,
    new_ticket,
)

pytestmark = pytest.mark.django_db

DESK = "/hotline/desk/"
QUEUE = "/hotline/tickets/"
FOOD = "030201"  # 食品安全: no dispatch rule in the cast
CONSULT_TEXT = "想咨询一下新生儿出生一件事网上怎么办理，需要准备哪些材料？"
_phones = itertools.count(13900000001)


@pytest.fixture
def hcast() -> HotlineCast:
    cast = make_hotline_cast()
    make_region(STREET)
    make_region(OTHER_DISTRICT_STREET)
    return cast


@pytest.fixture
def agent(hcast: HotlineCast) -> Client:
    return login_as(Client(), hcast.agent)


def url(ticket: Ticket, action: str = "") -> str:
    return f"{QUEUE}{ticket.number}/" + (f"{action}/" if action else "")


def html(response: Any) -> str:
    return response.content.decode()


def desk_form(**overrides: Any) -> dict[str, Any]:
    values = {
        "caller_phone": "13812345678",
        "caller_name": "王先生",
        "type": "complaint",
        "urgency": "normal",
        "content": PROPERTY_TEXT,
        "region_code": STREET,
        "address": "文三路100号",
        "category_code": PROPERTY,
        "form_token": uuid.uuid4().hex,
        "action": "dispatch",
    }
    values.update(overrides)
    return values


def other_centres_agent() -> Any:
    make_region("440300000000")
    centre = make_department("深圳市12345热线中心", region="440300000000")
    return staff_with_role(centre, "hotline_agent", ("hotline.intake", "hotline.dispatch"))


def refused_personas(hcast: HotlineCast) -> dict[str, Any]:
    return {
        "handler of the responsible department": hcast.clerk,
        "handler of another department": hcast.other_clerk,
        "staff without a role": make_user(),
        "citizen": hcast.citizen,
    }


def events(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))


def called_back(hcast: HotlineCast, *, resolved: bool, satisfaction: int) -> Ticket:
    ticket = answered_ticket(hcast)
    return services.callback(hcast.agent, ticket, resolved=resolved, satisfaction=satisfaction)


def returned(hcast: HotlineCast) -> Ticket:
    ticket = dispatched_ticket(hcast)
    return services.return_ticket(hcast.clerk, ticket, "不属于本单位职责，建议改派市场监管")


# --- who may use the desk -------------------------------------------------------------------------


def test_only_hotline_agents_open_the_desk_the_queue_and_the_panels(hcast: HotlineCast):
    ticket = dispatched_ticket(hcast)
    urls = [
        DESK,
        f"{DESK}caller/?caller_phone=13812345678",
        f"{DESK}suggest/?content=物业",
        f"{DESK}category/?category_search=010101",
        QUEUE,
        url(ticket),
    ]
    for who, user in refused_personas(hcast).items():
        client = login_as(Client(), user)
        for address in urls:
            response = client.get(address)
            assert response.status_code == 403, (who, address, response.status_code)
            assert PROPERTY_TEXT not in html(response)
    for address in urls:
        response = Client().get(address)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_agent_of_another_centre_gets_404_for_a_ticket_of_this_city(hcast: HotlineCast):
    ticket = dispatched_ticket(hcast)
    client = login_as(Client(), other_centres_agent())
    for address in (url(ticket), url(ticket, "supervise")):
        method = client.post if address.endswith("supervise/") else client.get
        response = method(address, {"note": "请加快"})
        assert response.status_code == 404
        assert PROPERTY_TEXT not in html(response)
    assert ticket.number not in html(client.get(QUEUE))
    assert not Ticket.objects.filter(supervised=True).exists()


def test_a_handler_cannot_act_through_the_agents_pages(hcast: HotlineCast):
    ticket = returned(hcast)
    response = login_as(Client(), hcast.clerk).post(url(ticket, "review"), {"decision": "insist"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "returned"


# --- the desk -------------------------------------------------------------------------------------


def test_the_desk_opens_with_the_number_focused_the_centres_regions_and_every_leaf(
    hcast: HotlineCast, agent: Client
):
    page = html(agent.get(DESK))
    assert re.search(r'<input[^>]*name="caller_phone"[^>]*autofocus', page)
    assert f'<option value="{STREET}">' in page
    assert "440300000000" not in page
    assert '<option value="010101 物业服务质量">' in page and "990102 火灾险情" in page
    assert page.index('value="dispatch"') < page.index('value="intake"')  # Enter 受理并派单
    assert "hotline/agent.js" in page


def test_an_agent_takes_a_call_and_dispatches_it_in_one_step(hcast: HotlineCast, agent: Client):
    response = agent.post(DESK, desk_form())

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{DESK}?last={ticket.number}"
    assert (ticket.status, ticket.department, ticket.channel) == ("dispatched", hcast.zj, "phone")
    assert (ticket.caller_phone, ticket.agent) == ("13812345678", hcast.agent)
    assert events(ticket) == ["intake", "dispatch"]
    page = html(agent.get(response["Location"]))
    assert ticket.number in page and "已派单" in page and hcast.zj.name in page


def test_intake_only_leaves_the_confirmed_ticket_waiting_for_dispatch(
    hcast: HotlineCast, agent: Client
):
    agent.post(DESK, desk_form(action="intake"))

    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.category.code, ticket.department) == ("accepted", PROPERTY, None)


def test_intake_only_without_a_category_keeps_the_classifiers_suggestions(
    hcast: HotlineCast, agent: Client
):
    agent.post(DESK, desk_form(action="intake", category_code=""))

    ticket = Ticket.objects.get()
    assert ticket.category is None and ticket.status == "accepted"
    intake = TicketEvent.objects.get(ticket=ticket, action="intake")
    assert intake.data["suggested"] == PROPERTY
    page = html(agent.get(url(ticket)))
    assert "确认分类" in page
    assert re.search(r'value="010101"[^>]*checked', page)


def test_without_javascript_a_dispatch_without_category_first_shows_the_suggestions(
    hcast: HotlineCast, agent: Client
):
    response = agent.post(DESK, desk_form(category_code=""))

    assert response.status_code == 200
    assert not Ticket.objects.exists() and not TicketSequence.objects.exists()
    page = html(response)
    assert "请确认诉求分类" in page
    # The first suggestion is chosen and takes the focus: Enter now submits it.
    assert re.search(r'name="category_code" value="010101"[^>]*checked autofocus', page)
    assert "按规则派往：市住房和城乡建设局" in page
    assert "该号码没有历史诉求" in page  # the caller's history came with the same submit


def test_a_second_submit_of_the_same_form_stores_one_ticket(hcast: HotlineCast, agent: Client):
    form = desk_form()
    first = agent.post(DESK, form)
    second = agent.post(DESK, form)

    assert Ticket.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_malformed_form_token_is_ignored_not_refused(hcast: HotlineCast, agent: Client):
    response = agent.post(DESK, desk_form(form_token="不是 令牌\x7f"))
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_the_same_form_sent_again_with_other_values_is_not_a_second_ticket(
    hcast: HotlineCast, agent: Client
):
    form = desk_form()
    agent.post(DESK, form)
    response = agent.post(DESK, {**form, "content": "楼道的灯也坏了"})  # Back, edit, Enter

    assert response.status_code == 422
    assert "这张表单已经提交过" in html(response)
    assert Ticket.objects.count() == 1


def test_missing_fields_are_shown_per_field_and_nothing_is_stored(agent: Client):
    response = agent.post(DESK, desk_form(content="  ", region_code=""))

    assert response.status_code == 422
    page = html(response)
    assert "请填写诉求内容（须包含文字或数字）。" in page
    assert "请选择诉求所在的行政区划。" in page
    assert re.search(r'<textarea[^>]*aria-invalid="true"|<textarea[^>]*autofocus', page)
    assert not Ticket.objects.exists()


def test_the_services_objections_are_shown_on_their_fields_and_nothing_is_stored(
    agent: Client,
):
    response = agent.post(DESK, desk_form(caller_phone="12345", content="😀😀😀"))
    assert response.status_code == 422
    page = html(response)
    assert "联系电话应为11位手机号码" in page
    assert "请填写诉求内容（须包含文字或数字）。" in page
    assert 'href="#id_caller_phone"' in page and 'href="#id_content"' in page
    assert not Ticket.objects.exists() and not TicketSequence.objects.exists()
    assert not LedgerEntry.objects.filter(action__startswith="hotline.ticket").exists()


def test_overlong_content_is_refused_and_html_is_stripped(hcast: HotlineCast, agent: Client):
    response = agent.post(DESK, desk_form(content="楼道" * 6000))
    assert response.status_code == 422
    assert "诉求内容过长，最多10000个字。" in html(response)

    agent.post(DESK, desk_form(content="<script>alert(1)</script><b>楼道</b>垃圾没人清理"))
    ticket = Ticket.objects.get()
    assert ticket.content == "楼道 垃圾没人清理"
    assert "<script>alert(1)" not in html(agent.get(url(ticket)))


def test_a_not_accepted_category_is_stored_only_once_the_caller_was_told_where_to_go(
    hcast: HotlineCast, agent: Client
):
    fire = desk_form(content="锦绣路小区有人家里着火了，冒了很多烟！", category_code=FIRE)
    response = agent.post(DESK, fire)

    assert response.status_code == 422
    assert not Ticket.objects.exists()
    page = html(response)
    assert "119" in page and "已向来电人告知转介渠道" in page

    agent.post(DESK, {**fire, "referral_told": "on", "form_token": uuid.uuid4().hex})
    ticket = Ticket.objects.get()
    assert ticket.status == "not_accepted" and ticket.department is None
    assert events(ticket) == ["intake", "refer"]


def test_a_category_typed_in_the_search_box_wins_over_the_suggestion(
    hcast: HotlineCast, agent: Client
):
    agent.post(DESK, desk_form(category_search=f"{LIFT} 电梯故障与安全"))
    ticket = Ticket.objects.get()
    assert ticket.category.code == LIFT and ticket.department == hcast.scjg

    agent.post(DESK, desk_form(category_code="", category_search="物业收费与业委会"))
    assert Ticket.objects.filter(category__code="010102").exists()


def test_an_unknown_category_in_the_search_box_is_a_field_error(agent: Client):
    response = agent.post(DESK, desk_form(category_search="不存在的分类"))

    assert response.status_code == 422
    assert "没有找到该分类" in html(response)
    assert not Ticket.objects.exists()


def test_without_a_dispatch_rule_the_ticket_is_accepted_and_opened_for_a_manual_dispatch(
    hcast: HotlineCast, agent: Client
):
    response = agent.post(DESK, desk_form(content="买到的熟食变质了", category_code=FOOD))

    ticket = Ticket.objects.get()
    assert ticket.status == "accepted" and ticket.category.code == FOOD
    assert response["Location"] == url(ticket)
    page = html(agent.get(response["Location"]))
    assert "未能派单：没有适用的派单规则，请人工指定承办单位。" in page
    assert "没有适用的派单规则，请指定承办单位。" in page


# --- the desk's htmx panels -----------------------------------------------------------------------


def test_the_caller_lookup_lists_earlier_tickets_newest_first_with_masked_content(
    hcast: HotlineCast, agent: Client
):
    older = new_ticket(hcast, content="上次反映的楼道问题，我电话13912345678随时可以联系")
    newer = dispatched_ticket(hcast)
    new_ticket(hcast, caller_phone="13700000000")

    page = html(agent.get(f"{DESK}caller/", {"caller_phone": "138 1234 5678"}))

    assert page.index(newer.number) < page.index(older.number)
    assert "该号码有 2 件历史诉求" in page and "仍在办理" in page
    assert "13912345678" not in page and "139****78" in page
    assert "已派单" in page and "已受理" in page


def test_the_caller_lookup_explains_a_bad_number_and_an_unknown_one(agent: Client):
    assert "联系电话应为11位手机号码" in html(agent.get(f"{DESK}caller/?caller_phone=12ab"))
    assert "该号码没有历史诉求" in html(agent.get(f"{DESK}caller/?caller_phone=13700000000"))
    assert html(agent.get(f"{DESK}caller/")).strip() == ""


def test_the_suggestions_show_confidence_and_the_department_for_the_region(agent: Client):
    response = agent.get(
        f"{DESK}suggest/", {"content": PROPERTY_TEXT, "region_code": STREET, "category_code": ""}
    )

    page = html(response)
    assert response["Cache-Control"] == "no-store"
    assert re.search(r'value="010101" data-shortcut="1" checked', page)
    assert "置信度" in page and "按规则派往：市住房和城乡建设局" in page
    assert page.count('name="category_code"') == 3


def test_the_suggestions_keep_the_agents_choice_and_explain_empty_text(agent: Client):
    kept = html(agent.get(f"{DESK}suggest/", {"content": PROPERTY_TEXT, "category_code": "010102"}))
    assert re.search(r'value="010102" data-shortcut="\d" checked', kept)
    assert not re.search(r'value="010101" data-shortcut="1" checked', kept)
    assert "选择所在区域后显示承办单位" in kept
    assert "输入诉求内容后" in html(agent.get(f"{DESK}suggest/", {"content": ""}))
    assert "未能从内容中识别分类" in html(agent.get(f"{DESK}suggest/", {"content": "😀😀"}))


def test_the_searched_category_shows_its_department_or_its_referral(agent: Client):
    lift = html(agent.get(f"{DESK}category/", {"category_search": LIFT, "region_code": STREET}))
    assert "电梯故障与安全" in lift and "按规则派往：市市场监督管理局" in lift

    fire = html(agent.get(f"{DESK}category/", {"category_search": "990102 火灾险情"}))
    assert "不予受理" in fire and "119" in fire and 'name="referral_told"' in fire

    assert "没有找到该分类" in html(agent.get(f"{DESK}category/?category_search=天上的星星"))


def test_a_ticked_referral_stays_ticked_when_the_panels_refresh(agent: Client):
    told = {"referral_told": "on", "region_code": STREET}
    fire = "锦绣路88号小区门口有人家里着火了，冒了很多烟！"
    suggested = html(agent.get(f"{DESK}suggest/", {"content": fire, **told}))
    searched = html(agent.get(f"{DESK}category/", {"category_search": FIRE, **told}))
    for page in (suggested, searched):
        assert re.search(r'name="referral_told"[^>]*checked', page)


# --- the queue ------------------------------------------------------------------------------------


def test_the_queue_has_a_tab_for_each_step_of_the_agents_work(hcast: HotlineCast, agent: Client):
    waiting = new_ticket(hcast)
    back = returned(hcast)
    answered = answered_ticket(hcast)
    unhappy = called_back(hcast, resolved=False, satisfaction=2)
    late = dispatched_ticket(hcast)
    Ticket.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))

    def listed(tab: str) -> set[str]:
        page = html(agent.get(QUEUE, {"tab": tab}))
        return set(re.findall(r"/hotline/tickets/(\d+)/", page))

    assert listed("accepted") == {waiting.number}
    assert listed("returned") == {back.number}
    assert listed("answered") == {answered.number}
    assert listed("called_back") == {unhappy.number}
    assert listed("overdue") == {late.number}
    assert len(listed("all")) == 5
    page = html(agent.get(QUEUE, {"tab": "overdue"}))
    assert "超期" in page and "badge--danger" in page
    assert html(agent.get(QUEUE)).count('aria-current="page"') >= 1


def test_the_queue_finds_a_ticket_by_number_or_by_the_callers_number(
    hcast: HotlineCast, agent: Client
):
    mine = new_ticket(hcast, caller_phone="0571-88886666")
    other = new_ticket(hcast, caller_phone="13700000000")

    by_phone = html(agent.get(QUEUE, {"q": "(0571) 8888 6666"}))
    assert mine.number in by_phone and other.number not in by_phone
    by_number = html(agent.get(QUEUE, {"q": other.number[-6:]}))
    assert other.number in by_number and mine.number not in by_number
    assert "没有找到匹配的工单" in html(agent.get(QUEUE, {"q": "99999999"}))


def test_the_queue_shows_only_the_centres_tickets_and_pages_them(hcast: HotlineCast, agent: Client):
    make_region("440305001001")
    elsewhere = services.intake(None, **intake_kwargs(channel="web", region_code="440305001001"))
    for _ in range(21):
        new_ticket(hcast, caller_phone=str(next(_phones)))

    first = html(agent.get(QUEUE, {"tab": "all"}))
    assert elsewhere.number not in first
    assert "共 21 条" in first and "第 1 / 2 页" in first
    assert len(set(re.findall(r"/hotline/tickets/(\d+)/", first))) == 20


def _queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_3_or_25_tickets(hcast: HotlineCast, agent: Client):
    for _ in range(3):
        dispatched_ticket(hcast, caller_phone=str(next(_phones)))
    _queries(agent, f"{QUEUE}?tab=all")
    few = _queries(agent, f"{QUEUE}?tab=all")
    for _ in range(22):
        dispatched_ticket(hcast, caller_phone=str(next(_phones)))
    assert _queries(agent, f"{QUEUE}?tab=all") == few


def test_the_ticket_page_costs_the_same_queries_however_long_its_history(
    hcast: HotlineCast, agent: Client
):
    ticket = dispatched_ticket(hcast)
    _queries(agent, url(ticket))
    few = _queries(agent, url(ticket))
    for n in range(6):
        services.supervise(hcast.agent, ticket, f"第{n}次督办")
    assert _queries(agent, url(ticket)) == few


# --- the ticket page ------------------------------------------------------------------------------


def test_the_ticket_page_shows_the_demand_masked_number_clocks_and_timeline(
    hcast: HotlineCast, agent: Client
):
    ticket = dispatched_ticket(hcast)
    services.supervise(hcast.agent, ticket, "请尽快处理")

    page = html(agent.get(url(ticket)))

    assert PROPERTY_TEXT in page and "物业服务质量" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "签收时限" in page and "badge--deadline" in page
    for step in ("受理", "派单", "督办", "请尽快处理"):
        assert step in page
    assert "督办意见" in page  # 督办 again is possible while the department holds it
    assert "回访" not in re.sub(r"回访来电人", "", page)  # not before the answer


def test_the_yellow_and_red_clocks_say_so_in_words(hcast: HotlineCast, agent: Client):
    ticket = dispatched_ticket(hcast)
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        dispatched_at=now - dt.timedelta(hours=30), sign_due_at=now - dt.timedelta(hours=1)
    )
    page = html(agent.get(url(ticket)))
    sign = page[page.index('id="sign-clock"') :][:600]
    assert "超期" in sign and "badge--danger" in sign


def test_the_full_number_is_shown_for_a_stated_purpose_and_the_reading_is_recorded(
    hcast: HotlineCast, agent: Client
):
    ticket = new_ticket(hcast)

    refused = agent.post(url(ticket, "phone"), {"purpose": "  "})
    assert refused.status_code == 422 and "13812345678" not in html(refused)
    assert not LedgerEntry.objects.filter(action="personal_data.read").exists()

    shown = agent.post(url(ticket, "phone"), {"purpose": "回访来电人"})
    assert shown.status_code == 200 and "13812345678" in html(shown)
    assert shown["Cache-Control"] == "no-store"
    entry = LedgerEntry.objects.get(action="personal_data.read")
    assert entry.payload["purpose"] == "回访来电人" and entry.payload["ticket"] == ticket.number


def test_the_agent_confirms_a_suggested_category(hcast: HotlineCast, agent: Client):
    ticket = new_ticket(hcast, category_code="")

    response = agent.post(url(ticket, "category"), {"category_code": PROPERTY})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.category.code == PROPERTY and events(ticket) == ["intake", "categorise"]


def test_confirming_a_not_accepted_category_needs_the_referral_told(
    hcast: HotlineCast, agent: Client
):
    ticket = new_ticket(hcast, category_code="")

    refused = agent.post(url(ticket, "category"), {"category_search": FIRE})
    assert refused.status_code == 422 and "119" in html(refused)
    ticket.refresh_from_db()
    assert ticket.category is None

    agent.post(url(ticket, "category"), {"category_search": FIRE, "referral_told": "on"})
    ticket.refresh_from_db()
    assert ticket.status == "not_accepted"
    page = html(agent.get(url(ticket)))
    assert "不予受理，已告知来电人" in page and 'id="confirm-category"' not in page


def test_confirming_without_any_category_is_refused(hcast: HotlineCast, agent: Client):
    ticket = new_ticket(hcast, category_code="")

    for data in ({}, {"category_code": "010100"}, {"category_search": "星星"}):
        response = agent.post(url(ticket, "category"), data)
        assert response.status_code == 422, data
    ticket.refresh_from_db()
    assert ticket.category is None


def test_the_agent_dispatches_by_the_rules_or_overrides_them(hcast: HotlineCast, agent: Client):
    by_rule = new_ticket(hcast)
    page = html(agent.get(url(by_rule)))
    assert "按派单规则应派往：<strong>市住房和城乡建设局</strong>" in page
    agent.post(url(by_rule, "dispatch"), {"department": ""})
    by_rule.refresh_from_db()
    assert by_rule.department == hcast.zj

    override = new_ticket(hcast)
    agent.post(url(override, "dispatch"), {"department": hcast.scjg.pk})
    override.refresh_from_db()
    assert override.department == hcast.scjg
    event = TicketEvent.objects.get(ticket=override, action="dispatch")
    assert event.data["override"] is True
    assert "人工指定承办单位" in html(agent.get(url(override)))


def test_dispatch_is_refused_without_a_category_or_to_an_unknown_department(
    hcast: HotlineCast, agent: Client
):
    unclassified = new_ticket(hcast, category_code="")
    response = agent.post(url(unclassified, "dispatch"), {"department": ""})
    assert response.status_code == 409 and "请先确认诉求分类再派单。" in html(response)

    ticket = new_ticket(hcast)
    response = agent.post(url(ticket, "dispatch"), {"department": "999999"})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.status == "accepted"


def test_the_agent_reviews_a_return_and_redispatches_it(hcast: HotlineCast, agent: Client):
    ticket = returned(hcast)
    page = html(agent.get(url(ticket)))
    assert "申请退单" in page and "不属于本单位职责" in page

    response = agent.post(
        url(ticket, "review"), {"decision": "redispatch", "department": hcast.scjg.pk}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.department, ticket.first_department) == (
        "dispatched",
        hcast.scjg,
        hcast.zj,
    )


def test_the_agent_insists_on_the_first_department(hcast: HotlineCast, agent: Client):
    ticket = returned(hcast)
    agent.post(url(ticket, "review"), {"decision": "insist", "department": hcast.scjg.pk})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.department) == ("dispatched", hcast.zj)
    assert events(ticket)[-1] == "insist"


def test_redispatching_to_the_same_department_by_the_rules_is_refused(
    hcast: HotlineCast, agent: Client
):
    ticket = returned(hcast)
    response = agent.post(url(ticket, "review"), {"decision": "redispatch", "department": ""})
    assert response.status_code == 409 and "改派须指定其他承办单位。" in html(response)
    response = agent.post(url(ticket, "review"), {"decision": "maybe"})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.status == "returned"


def test_the_agent_supervises_with_a_note(hcast: HotlineCast, agent: Client):
    ticket = dispatched_ticket(hcast)
    assert agent.post(url(ticket, "supervise"), {"note": ""}).status_code == 422
    agent.post(url(ticket, "supervise"), {"note": "请今天内联系来电人"})
    ticket.refresh_from_db()
    assert ticket.supervised
    assert "已督办" in html(agent.get(url(ticket)))


def test_the_agent_grants_a_departments_extension_request_and_the_deadline_moves(
    hcast: HotlineCast, agent: Client
):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    services.request_extension(hcast.clerk, ticket, 3, "需现场勘查")
    due = ticket.due_at
    page = html(agent.get(url(ticket)))
    assert "延期审核" in page and "需现场勘查" in page
    assert ticket.number in html(agent.get("/hotline/tickets/?tab=extension"))

    response = agent.post(url(ticket, "extension"), {"decision": "approve"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.extended_amount, ticket.extension_requested) == (3, 0)
    assert ticket.due_at > due
    assert ticket.number not in html(agent.get("/hotline/tickets/?tab=extension"))


def test_declining_an_extension_needs_a_note_and_keeps_the_deadline(
    hcast: HotlineCast, agent: Client
):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    services.request_extension(hcast.clerk, ticket, 3, "需现场勘查")
    due = ticket.due_at

    assert agent.post(url(ticket, "extension"), {"decision": "decline"}).status_code == 422
    assert agent.post(url(ticket, "extension"), {"decision": "maybe"}).status_code == 422
    response = agent.post(url(ticket, "extension"), {"decision": "decline", "note": "请按期办结"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.due_at, ticket.extended_amount, ticket.extension_requested) == (due, 0, 0)


def test_there_is_no_extension_to_decide_once_it_was_decided(hcast: HotlineCast, agent: Client):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    services.request_extension(hcast.clerk, ticket, 3, "需现场勘查")
    services.decide_extension(hcast.agent, ticket, approve=True)

    response = agent.post(url(ticket, "extension"), {"decision": "approve"})

    assert response.status_code == 409 and "没有待审核的延期申请" in html(response)


def test_the_agent_calls_back_with_the_five_satisfaction_levels(hcast: HotlineCast, agent: Client):
    ticket = answered_ticket(hcast)
    page = html(agent.get(url(ticket)))
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert label in page

    assert agent.post(url(ticket, "callback"), {"resolved": "yes"}).status_code == 422
    assert agent.post(
        url(ticket, "callback"), {"resolved": "yes", "satisfaction": "9"}
    ).status_code == (422)
    agent.post(url(ticket, "callback"), {"resolved": "yes", "satisfaction": "4"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved, ticket.satisfaction) == ("called_back", True, 4)
    page = html(agent.get(url(ticket)))
    assert "已解决 · 满意（4分）" in page
    assert "来电人表示已解决且满意，可以办结。" in page and "重办理由" not in page


def test_the_agent_closes_a_ticket_after_the_callback(hcast: HotlineCast, agent: Client):
    ticket = called_back(hcast, resolved=True, satisfaction=5)
    agent.post(url(ticket, "close"))
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at is not None


def test_an_unresolved_ticket_is_reopened_to_the_same_department(hcast: HotlineCast, agent: Client):
    ticket = called_back(hcast, resolved=False, satisfaction=2)
    assert agent.post(url(ticket, "reopen"), {"reason": ""}).status_code == 422

    agent.post(url(ticket, "reopen"), {"reason": "来电人说垃圾仍未清理"})

    ticket.refresh_from_db()
    assert (ticket.status, ticket.department, ticket.reopen_count) == ("dispatched", hcast.zj, 1)


def test_a_satisfied_caller_gets_no_reopening(hcast: HotlineCast, agent: Client):
    ticket = called_back(hcast, resolved=True, satisfaction=5)
    response = agent.post(url(ticket, "reopen"), {"reason": "再看看"})
    assert response.status_code == 409
    assert "来电人已表示解决且满意，无需重办。" in html(response)
    ticket.refresh_from_db()
    assert ticket.status == "called_back"


def test_a_consultation_is_answered_on_the_spot(hcast: HotlineCast, agent: Client):
    consult = new_ticket(hcast, type="consult", content=CONSULT_TEXT, category_code="120103")
    assert "当场答复" in html(agent.get(url(consult)))
    assert agent.post(url(consult, "answer"), {"text": ""}).status_code == 422

    agent.post(url(consult, "answer"), {"text": "登录一网通办搜索“新生儿出生一件事”。"})

    consult.refresh_from_db()
    assert consult.status == "closed" and "一网通办" in consult.answer


def test_a_complaint_is_not_answered_on_the_spot(hcast: HotlineCast, agent: Client):
    complaint = new_ticket(hcast)
    assert "答复并办结" not in html(agent.get(url(complaint)))
    response = agent.post(url(complaint, "answer"), {"text": "已知悉"})
    assert response.status_code == 409 and "只有咨询类诉求可以当场答复。" in html(response)
    complaint.refresh_from_db()
    assert complaint.status == "accepted"


def test_an_action_the_state_does_not_allow_is_refused_with_a_message(
    hcast: HotlineCast, agent: Client
):
    ticket = new_ticket(hcast)
    response = agent.post(url(ticket, "close"))
    assert response.status_code == 409 and "工单当前状态不允许办结。" in html(response)
    response = agent.post(url(ticket, "callback"), {"resolved": "no", "satisfaction": "1"})
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == "accepted"


def test_the_agent_merges_a_duplicate_into_the_earlier_ticket(hcast: HotlineCast, agent: Client):
    first = dispatched_ticket(hcast)
    again = new_ticket(hcast)
    page = html(agent.get(url(again)))
    assert "可能的重复件" in page and first.number in page and "同一来电号码" in page

    agent.post(url(again, "merge"), {"primary": first.number, "reason": "同一人重复来电"})

    again.refresh_from_db()
    assert again.status == "merged" and again.primary == first
    assert first.number in html(agent.get(url(again)))
    assert again.number in html(agent.get(url(first)))  # 已并入的重复件


def test_merging_into_a_ticket_of_another_centre_is_refused(hcast: HotlineCast, agent: Client):
    make_region("440305001001")
    elsewhere = services.intake(None, **intake_kwargs(channel="web", region_code="440305001001"))
    ticket = new_ticket(hcast)
    response = agent.post(url(ticket, "merge"), {"primary": elsewhere.number})
    assert response.status_code == 422 and "工单不存在或您无权查看。" in html(response)
    ticket.refresh_from_db()
    assert ticket.status == "accepted"


def test_an_unknown_ticket_number_is_404(agent: Client):
    assert agent.get(f"{QUEUE}1234500000000000000/").status_code == 404
    assert agent.post(f"{QUEUE}1234500000000000000/close/").status_code == 404
