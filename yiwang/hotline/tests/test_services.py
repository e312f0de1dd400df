import datetime as dt
import re

import pytest
from django.utils import timezone

from yiwang.core.calendar import count_working_days
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import services
from yiwang.hotline.categories import sync_categories
from yiwang.hotline.models import Category, Ticket, TicketEvent, TicketSequence
from yiwang.hotline.tests.factories import (
    FIRE,
    GAS_LEAK,
    LIFT,
    OTHER_DISTRICT_STREET,
    PROPERTY,
    PROPERTY_TEXT,
    answered_ticket,
    dispatched_ticket,
    intake_kwargs,
    make_hotline_cast,
    new_ticket,
    rule,
)


@pytest.fixture
def hcast(db):
    return make_hotline_cast()


def actions(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))


def local(value):
    return timezone.localtime(value)


def test_a_ticket_lives_from_intake_to_closing_with_an_event_and_ledger_entry_per_step(hcast):
    ticket = new_ticket(hcast)
    assert re.fullmatch(r"12345\d{8}000001", ticket.number)
    assert ticket.number[5:13] == timezone.localdate().strftime("%Y%m%d")
    ticket = services.dispatch(hcast.agent, ticket)
    assert (ticket.status, ticket.department, ticket.first_department) == (
        "dispatched",
        hcast.zj,
        hcast.zj,
    )
    services.sign(hcast.clerk, ticket)
    services.extend(hcast.clerk, ticket, 3, "需要协调业委会")
    services.decide_extension(hcast.agent, ticket, approve=True)
    services.supervise(hcast.agent, ticket, "请加快办理")
    services.answer(hcast.clerk, ticket, "已督促物业清扫。")
    services.callback(hcast.agent, ticket, resolved=True, satisfaction=5)
    services.close(hcast.agent, ticket)
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.closed_at is not None and ticket.supervised and ticket.extended_amount == 3
    expected = [
        "intake",
        "dispatch",
        "sign",
        "request_extension",
        "approve_extension",
        "supervise",
        "answer",
        "callback",
        "close",
    ]
    assert actions(ticket) == expected
    ledger = LedgerEntry.objects.filter(object_type="hotline.ticket", object_id=str(ticket.pk))
    assert sorted(ledger.values_list("action", flat=True)) == sorted(
        f"hotline.ticket.{a}" for a in expected
    )


def test_ticket_numbers_follow_a_daily_sequence(hcast):
    first, second = new_ticket(hcast), new_ticket(hcast)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert TicketSequence.objects.get(day=timezone.localdate()).last == 2


def test_a_citizen_may_submit_without_an_agent_but_may_not_act_as_one(hcast):
    ticket = services.intake(None, **intake_kwargs(channel="web"))
    assert ticket.agent is None and ticket.status == "accepted"
    with pytest.raises(PermissionDenied) as exc:
        services.intake(hcast.citizen, **intake_kwargs())
    assert exc.value.code == "ticket_action_not_allowed"


def test_only_the_responsible_department_may_sign_and_only_agents_dispatch(hcast):
    ticket = new_ticket(hcast)
    for user in (hcast.citizen, hcast.clerk):
        with pytest.raises(PermissionDenied) as exc:
            services.dispatch(user, ticket)
        assert exc.value.code == "ticket_action_not_allowed"
    services.dispatch(hcast.agent, ticket)
    for user in (hcast.other_clerk, hcast.agent, hcast.citizen):
        with pytest.raises(PermissionDenied) as exc:
            services.sign(user, ticket)
        assert exc.value.code == "ticket_action_not_allowed"
    assert Ticket.objects.get(pk=ticket.pk).status == "dispatched"


def test_it_refuses_an_answer_before_the_ticket_is_signed(hcast):
    ticket = dispatched_ticket(hcast)
    with pytest.raises(Conflict) as exc:
        services.answer(hcast.clerk, ticket, "已处理")
    assert exc.value.code == "illegal_transition"


def test_the_deadline_of_a_general_matter_counts_working_days_and_signing_one(hcast):
    ticket = dispatched_ticket(hcast)
    dispatched = local(ticket.dispatched_at).date()
    due = local(ticket.due_at)
    assert (due.hour, due.minute, due.second) == (23, 59, 59)
    assert count_working_days(dispatched, due.date()) == 5
    assert count_working_days(dispatched, local(ticket.sign_due_at).date()) == 1


def test_the_deadline_of_an_urgent_utility_runs_in_hours(hcast):
    ticket = dispatched_ticket(hcast, category_code=LIFT)
    assert ticket.due_at - ticket.dispatched_at == dt.timedelta(hours=24)
    gas = dispatched_ticket(hcast, category_code=GAS_LEAK)
    assert gas.due_at - gas.dispatched_at == dt.timedelta(hours=2)


def test_the_urgency_overrides_the_category_limit(hcast):
    emergency = dispatched_ticket(hcast, urgency="emergency")
    assert emergency.due_at - emergency.dispatched_at == dt.timedelta(hours=2)
    urgent = dispatched_ticket(hcast, urgency="urgent")
    assert urgent.due_at - urgent.dispatched_at == dt.timedelta(hours=24)


def test_an_approved_extension_moves_the_deadline_by_working_days_up_to_ten_in_all(hcast):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    before = local(ticket.due_at).date()
    services.extend(hcast.clerk, ticket, 4, "需现场勘查")
    assert local(ticket.due_at).date() == before  # asked, not yet granted
    services.decide_extension(hcast.agent, ticket, approve=True)
    assert count_working_days(before, local(ticket.due_at).date()) == 4
    services.extend(hcast.clerk, ticket, 6, "需协调多方")
    services.decide_extension(hcast.agent, ticket, approve=True)
    with pytest.raises(Conflict) as exc:
        services.extend(hcast.clerk, ticket, 1, "再延一天")
    assert exc.value.code == "extension_too_long"
    assert Ticket.objects.get(pk=ticket.pk).extended_amount == 10


def test_a_declined_extension_leaves_the_deadline_and_needs_a_note(hcast):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    due = ticket.due_at
    services.extend(hcast.clerk, ticket, 3, "需现场勘查")
    with pytest.raises(ValidationFailed) as exc:
        services.decide_extension(hcast.agent, ticket, approve=False, note=" ")
    assert exc.value.code == "reason_required"

    services.decide_extension(hcast.agent, ticket, approve=False, note="情况简单，请按期办结")

    ticket.refresh_from_db()
    assert (ticket.due_at, ticket.extended_amount, ticket.extension_requested) == (due, 0, 0)
    assert actions(ticket)[-1] == "decline_extension"


def test_one_extension_request_at_a_time_and_only_the_hotline_decides(hcast):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    services.extend(hcast.clerk, ticket, 2, "需现场勘查")
    with pytest.raises(Conflict) as exc:
        services.extend(hcast.clerk, ticket, 1, "再申请一次")
    assert exc.value.code == "extension_pending"
    with pytest.raises(PermissionDenied):
        services.decide_extension(hcast.clerk, ticket, approve=True)
    with pytest.raises(PermissionDenied):
        services.extend(hcast.other_clerk, ticket, 1, "别的单位")


def test_there_is_nothing_to_decide_without_a_request(hcast):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    with pytest.raises(Conflict) as exc:
        services.decide_extension(hcast.agent, ticket, approve=True)
    assert exc.value.code == "no_extension_pending"


def test_the_most_specific_dispatch_rule_wins(hcast):
    lift = new_ticket(hcast, category_code=LIFT)
    property_ = Category.objects.get(code=PROPERTY)
    # 010103 (a leaf rule) beats 0101 and 01.
    assert services.responsible_department(lift.category, lift.region_code) == hcast.scjg
    assert services.responsible_department(property_, lift.region_code) == hcast.zj
    # A region-specific rule for the same category beats the city-wide one, only in its region.
    rule("0101", hcast.scjg, region_prefix="330102")
    assert services.responsible_department(property_, lift.region_code) == hcast.scjg
    assert services.responsible_department(property_, OTHER_DISTRICT_STREET) == hcast.zj


def test_it_refuses_to_dispatch_without_a_rule_unless_the_agent_names_a_department(hcast):
    orphan = Category.objects.filter(level=3, not_accepted=False, code__startswith="02").first()
    ticket = new_ticket(hcast, category_code=orphan.code)
    with pytest.raises(NotFound) as exc:
        services.dispatch(hcast.agent, ticket)
    assert exc.value.code == "no_dispatch_rule"
    services.dispatch(hcast.agent, ticket, department=hcast.scjg)
    assert ticket.department == hcast.scjg
    event = TicketEvent.objects.get(ticket=ticket, action="dispatch")
    assert event.data["override"] is True and event.data["rule_department_id"] is None


def test_an_agent_override_is_recorded_and_a_rule_dispatch_is_not_an_override(hcast):
    by_rule = dispatched_ticket(hcast)
    overridden = services.dispatch(hcast.agent, new_ticket(hcast), department=hcast.scjg)
    assert overridden.department == hcast.scjg
    rule_event = TicketEvent.objects.get(ticket=by_rule, action="dispatch")
    override_event = TicketEvent.objects.get(ticket=overridden, action="dispatch")
    assert rule_event.data["override"] is False
    assert override_event.data == {
        "department_id": hcast.scjg.pk,
        "override": True,
        "rule_department_id": hcast.zj.pk,
    }


def test_a_returned_ticket_redispatched_to_another_department_keeps_its_first_department(hcast):
    ticket = dispatched_ticket(hcast)
    with pytest.raises(ValidationFailed) as exc:
        services.return_ticket(hcast.clerk, ticket, "  ")
    assert exc.value.code == "reason_required"
    services.return_ticket(hcast.clerk, ticket, "电梯问题应由市场监管部门处理")
    assert (ticket.status, ticket.return_count) == ("returned", 1)
    services.review_return(hcast.agent, ticket, "redispatch", department=hcast.scjg)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.department, ticket.first_department) == (
        "dispatched",
        hcast.scjg,
        hcast.zj,
    )
    with pytest.raises(PermissionDenied):
        services.sign(hcast.clerk, ticket)
    services.sign(hcast.other_clerk, ticket)
    assert actions(ticket)[-3:] == ["return", "redispatch", "sign"]


def test_the_hotline_may_insist_on_the_original_department(hcast):
    ticket = dispatched_ticket(hcast)
    services.return_ticket(hcast.clerk, ticket, "不属于我局职责")
    services.review_return(hcast.agent, ticket, "insist")
    assert (ticket.status, ticket.department) == ("dispatched", hcast.zj)
    services.sign(hcast.clerk, ticket)


def test_it_refuses_a_return_after_two_working_days(hcast):
    ticket = dispatched_ticket(hcast)
    Ticket.objects.filter(pk=ticket.pk).update(dispatched_at=timezone.now() - dt.timedelta(days=10))
    with pytest.raises(Conflict) as exc:
        services.return_ticket(hcast.clerk, ticket, "不属于我局职责")
    assert exc.value.code == "return_too_late"
    assert Ticket.objects.get(pk=ticket.pk).status == "dispatched"


def test_an_unsatisfied_caller_gets_the_ticket_reopened(hcast):
    ticket = answered_ticket(hcast)
    services.callback(hcast.agent, ticket, resolved=True, satisfaction=2)
    services.reopen(hcast.agent, ticket, "来电人表示楼道仍未清扫")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.department) == ("dispatched", 1, hcast.zj)
    assert ticket.answer == "" and ticket.satisfaction is None
    services.sign(hcast.clerk, ticket)
    services.answer(hcast.clerk, ticket, "已安排保洁每日打扫。")
    services.callback(hcast.agent, ticket, resolved=True, satisfaction=4)
    services.close(hcast.agent, ticket)
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_it_refuses_to_reopen_a_resolved_and_satisfied_ticket(hcast):
    ticket = answered_ticket(hcast)
    services.callback(hcast.agent, ticket, resolved=True, satisfaction=3)
    with pytest.raises(Conflict) as exc:
        services.reopen(hcast.agent, ticket, "再办一次")
    assert exc.value.code == "reopen_not_needed"


def test_it_refuses_a_satisfaction_outside_one_to_five(hcast):
    ticket = answered_ticket(hcast)
    with pytest.raises(ValidationFailed) as exc:
        services.callback(hcast.agent, ticket, resolved=True, satisfaction=6)
    assert exc.value.code == "invalid_satisfaction"


def test_a_consultation_may_be_answered_directly_but_a_complaint_may_not(hcast):
    consult = new_ticket(hcast, type="consult", content="请问物业费的收费标准在哪里可以查到？")
    services.answer_directly(hcast.agent, consult, "可在市住建局网站“物业收费”栏目查询。")
    assert consult.status == "closed" and consult.closed_at is not None
    with pytest.raises(Conflict) as exc:
        services.answer_directly(hcast.agent, new_ticket(hcast), "已告知")
    assert exc.value.code == "not_a_consultation"


BAD_INPUTS = [
    ({"content": ""}, "content", "content_empty"),
    ({"content": "😀😡🙏"}, "content", "content_empty"),
    ({"content": "<p> </p><script>alert(1)</script>"}, "content", "content_empty"),
    ({"content": "楼道垃圾" * 12_800}, "content", "content_too_long"),  # 51,200 characters
    ({"caller_phone": "1381234567"}, "caller_phone", "invalid_phone"),
    ({"caller_phone": "电话号码"}, "caller_phone", "invalid_phone"),
    ({"latitude": 91, "longitude": 120}, "latitude", "latitude_out_of_range"),
    ({"latitude": 30, "longitude": -181}, "longitude", "longitude_out_of_range"),
    ({"latitude": 30}, "latitude", "coordinates_incomplete"),
    ({"region_code": "3301"}, "region_code", "invalid_region_code_format"),
    ({"category_code": "999999"}, "category_code", "unknown_category"),
    ({"category_code": "0101"}, "category_code", "unknown_category"),  # not a leaf
    ({"type": "praise"}, "type", "unknown_type"),
    ({"channel": "fax"}, "channel", "unknown_channel"),
    ({"urgency": "asap"}, "urgency", "unknown_urgency"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), BAD_INPUTS)
def test_it_refuses_bad_input_and_stores_nothing(hcast, overrides, field, code):
    with pytest.raises(ValidationFailed) as exc:
        services.intake(hcast.agent, **intake_kwargs(**overrides))
    assert exc.value.code == "ticket_invalid"
    assert exc.value.details["errors"][field]["code"] == code
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()
    assert not TicketSequence.objects.exists()


def test_it_lists_every_problem_at_once(hcast):
    with pytest.raises(ValidationFailed) as exc:
        services.intake(
            hcast.agent,
            **intake_kwargs(content="🙂", caller_phone="123", latitude=100, longitude=200),
        )
    assert set(exc.value.details["errors"]) == {"content", "caller_phone", "latitude", "longitude"}


def test_it_strips_html_and_scripts_from_the_content(hcast):
    ticket = new_ticket(
        hcast, content="<b>楼道</b>垃圾没人清理<script>alert('x')</script>&amp;有异味<img src=x>"
    )
    assert ticket.content == "楼道 垃圾没人清理 &有异味"


def test_an_uncategorised_ticket_records_the_classifier_suggestion_for_the_agent(hcast):
    ticket = new_ticket(hcast, category_code="")
    assert ticket.category is None
    data = TicketEvent.objects.get(ticket=ticket, action="intake").data
    assert len(data["suggestions"]) == 3
    assert data["suggested"] == data["suggestions"][0]["code"] == PROPERTY
    assert all(0 <= s["confidence"] <= 1 for s in data["suggestions"])
    with pytest.raises(Conflict) as exc:
        services.dispatch(hcast.agent, ticket)
    assert exc.value.code == "category_required"
    services.confirm_category(hcast.agent, ticket, data["suggested"])
    services.dispatch(hcast.agent, ticket)
    assert ticket.department == hcast.zj
    assert actions(ticket) == ["intake", "categorise", "dispatch"]


def test_a_not_accepted_category_is_referred_with_its_referral_text(hcast):
    ticket = new_ticket(hcast, category_code=FIRE, content="楼下着火了冒烟很大")
    referral = Category.objects.get(code=FIRE).referral
    assert "119" in referral
    assert ticket.status == "not_accepted"
    event = TicketEvent.objects.get(ticket=ticket, action="refer")
    assert event.reason == referral
    confirmed = new_ticket(hcast, category_code="", content=PROPERTY_TEXT)
    services.confirm_category(hcast.agent, confirmed, FIRE)
    assert Ticket.objects.get(pk=confirmed.pk).status == "not_accepted"


def test_syncing_the_taxonomy_twice_changes_nothing_the_second_time(db):
    first = sync_categories()
    assert first.created == Category.objects.count() > 100
    second = sync_categories()
    assert (second.created, second.updated, second.deactivated) == (0, 0, 0)
    assert Category.objects.get(code=PROPERTY).parent.code == "0101"


def test_a_pending_extension_request_does_not_survive_a_redispatch(hcast):
    ticket = dispatched_ticket(hcast)
    services.sign(hcast.clerk, ticket)
    services.extend(hcast.clerk, ticket, 3, "需现场勘查")
    services.return_ticket(hcast.clerk, ticket, "不属于本单位职责")
    services.review_return(hcast.agent, ticket, "redispatch", hcast.scjg)

    ticket.refresh_from_db()
    assert (ticket.extension_requested, ticket.extension_reason) == (0, "")
