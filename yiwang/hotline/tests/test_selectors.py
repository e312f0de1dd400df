"""Who sees which tickets: agents of the centre, the handling department, the caller; masked and
revealed caller numbers; the colours of the clocks; intake of e-mail, links and landlines."""

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.accounts.models import Role
from yiwang.accounts.tests.factories import make_citizen, make_department, make_region
from yiwang.cases.tests.factories import staff_with_role
from yiwang.core.deadlines import WarningLevel
from yiwang.core.errors import NotFound, ValidationFailed
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import selectors, services
from yiwang.hotline.models import Ticket
from yiwang.hotline.tests.factories import (
    dispatched_ticket,
    intake_kwargs,
    make_hotline_cast,
    new_ticket,
)


@pytest.fixture
def hcast(db):
    return make_hotline_cast()


def numbers(queryset):
    return sorted(queryset.values_list("number", flat=True))


def test_an_agent_sees_every_ticket_of_his_centres_region_and_none_elsewhere(hcast):
    here = new_ticket(hcast)
    make_region("440300000000")
    elsewhere = services.intake(None, **intake_kwargs(channel="web", region_code="440305001001"))

    assert numbers(selectors.tickets_for_agent(hcast.agent)) == [here.number]
    assert elsewhere.number not in numbers(selectors.visible_tickets(hcast.agent))


def test_a_handler_sees_the_tickets_now_with_his_department_only(hcast):
    mine = dispatched_ticket(hcast)
    waiting = new_ticket(hcast)  # not dispatched: nobody's in the departments yet

    assert numbers(selectors.tickets_for_department(hcast.clerk)) == [mine.number]
    assert numbers(selectors.tickets_for_department(hcast.other_clerk)) == []
    with pytest.raises(NotFound):
        selectors.get_ticket_for_user(hcast.other_clerk, mine.number)
    with pytest.raises(NotFound):
        selectors.get_ticket_for_user(hcast.clerk, waiting.number)


def test_a_handler_loses_the_ticket_when_it_is_redispatched_elsewhere(hcast):
    ticket = dispatched_ticket(hcast)
    services.return_ticket(hcast.clerk, ticket, "不属于本单位职责")
    services.review_return(hcast.agent, ticket, "redispatch", hcast.scjg)

    assert numbers(selectors.tickets_for_department(hcast.clerk)) == []
    assert numbers(selectors.tickets_for_department(hcast.other_clerk)) == [ticket.number]


def test_a_staff_member_without_the_hotline_capability_sees_nothing(hcast):
    reviewer = staff_with_role(hcast.zj, "reviewer", ("cases.review",))
    dispatched_ticket(hcast)

    assert numbers(selectors.visible_tickets(reviewer)) == []


def test_a_caller_sees_his_own_tickets_and_not_his_neighbours(hcast):
    own = services.intake(None, caller=hcast.citizen.person, **intake_kwargs(channel="web"))
    new_ticket(hcast)
    neighbour = make_citizen()

    assert numbers(selectors.tickets_of_caller(hcast.citizen)) == [own.number]
    assert selectors.get_ticket_for_user(hcast.citizen, own.number) == own
    with pytest.raises(NotFound):
        selectors.get_ticket_for_user(neighbour, own.number)


def test_the_callers_number_is_masked_for_staff_and_whole_for_himself(hcast):
    ticket = services.intake(None, caller=hcast.citizen.person, **intake_kwargs(channel="web"))

    assert selectors.masked_caller_phone(hcast.agent, ticket) == "138****5678"
    assert selectors.masked_caller_phone(hcast.citizen, ticket) == "13812345678"


def test_revealing_the_number_needs_a_purpose_and_is_recorded_for_the_caller(hcast):
    ticket = services.intake(None, caller=hcast.citizen.person, **intake_kwargs(channel="web"))
    with pytest.raises(ValidationFailed) as excinfo:
        selectors.reveal_caller_phone(hcast.agent, ticket, "  ")
    assert excinfo.value.code == "purpose_required"

    assert selectors.reveal_caller_phone(hcast.agent, ticket, "回访来电人") == "13812345678"

    entry = LedgerEntry.objects.filter(action="personal_data.read").latest("seq")
    assert entry.payload["subject_person_id"] == hcast.citizen.person.pk
    assert entry.payload["purpose"] == "回访来电人"
    assert entry.payload["field"] == "caller_phone"


def test_a_department_that_does_not_hold_the_ticket_cannot_reveal_the_number(hcast):
    ticket = dispatched_ticket(hcast)
    before = LedgerEntry.objects.filter(action="personal_data.read").count()

    with pytest.raises(NotFound):
        selectors.reveal_caller_phone(hcast.other_clerk, ticket, "想看看")

    assert LedgerEntry.objects.filter(action="personal_data.read").count() == before


def test_caller_history_finds_earlier_tickets_of_the_same_number_typed_any_way(hcast):
    first = new_ticket(hcast, caller_phone="0571-88886666")
    new_ticket(hcast, caller_phone="13900000000")

    found = selectors.caller_history(hcast.agent, "(0571) 8888 6666")

    assert [t.number for t in found] == [first.number]
    assert selectors.caller_history(hcast.clerk, "057188886666") == []


def test_the_clock_turns_yellow_after_two_thirds_and_red_when_overdue():
    start = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    due = start + dt.timedelta(hours=3)

    assert selectors.clock_warning(start, due, start + dt.timedelta(hours=1)) == WarningLevel.NONE
    assert selectors.clock_warning(start, due, start + dt.timedelta(hours=2)) == WarningLevel.YELLOW
    assert selectors.clock_warning(start, due, due + dt.timedelta(seconds=1)) == WarningLevel.RED
    assert selectors.clock_warning(None, due) == WarningLevel.NONE


def test_a_ticket_is_red_while_its_sign_clock_has_run_out_and_plain_once_answered(hcast):
    ticket = dispatched_ticket(hcast)
    late = ticket.sign_due_at + dt.timedelta(minutes=1)

    assert selectors.ticket_warning(ticket, late) == WarningLevel.RED
    services.sign(hcast.clerk, ticket)
    assert selectors.ticket_warning(ticket, late) == WarningLevel.NONE  # 5 working days to go
    services.answer(hcast.clerk, ticket, "已处理。")
    assert selectors.ticket_warning(ticket, ticket.due_at + dt.timedelta(days=1)) == (
        WarningLevel.NONE
    )


def test_intake_keeps_a_valid_email_and_link_and_refuses_bad_ones_storing_nothing(hcast):
    ticket = new_ticket(
        hcast, caller_email="wang@example.cn", media_url="https://img.example.cn/a.jpg"
    )
    assert (ticket.caller_email, ticket.media_url) == (
        "wang@example.cn",
        "https://img.example.cn/a.jpg",
    )
    count = Ticket.objects.count()
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://user:pw@example.cn/a.jpg",
        "https://example.cn/" + "a" * 500,
    ):
        with pytest.raises(ValidationFailed) as excinfo:
            new_ticket(hcast, media_url=bad, caller_email="not-an-email")
        assert set(excinfo.value.details["errors"]) == {"media_url", "caller_email"}
    assert Ticket.objects.count() == count


def test_a_landline_caller_is_taken_in_with_his_number_normalised(hcast):
    ticket = new_ticket(hcast, caller_phone="0571 8888 6666")

    assert ticket.caller_phone == "0571-88886666"


def test_a_handler_with_a_subtree_role_sees_the_tickets_of_his_district_bureaus(hcast):
    make_region("330102000000")
    bureau = make_department("市住建局西湖分局", region="330102000000", parent=hcast.zj)
    chief = staff_with_role(
        hcast.zj, "hotline_chief", ("hotline.handle",), scope=Role.Scope.DEPARTMENT_SUBTREE
    )
    ticket = services.dispatch(hcast.agent, new_ticket(hcast), bureau)

    assert ticket.number in numbers(selectors.tickets_for_department(chief))
    assert ticket.number not in numbers(selectors.tickets_for_department(hcast.clerk))
    assert timezone.now() < ticket.due_at


def test_an_agent_cannot_take_in_a_demand_located_outside_his_centre(hcast):
    make_region("440300000000")
    count = Ticket.objects.count()

    with pytest.raises(ValidationFailed) as excinfo:
        new_ticket(hcast, region_code="440305001001")

    assert excinfo.value.details["errors"]["region_code"]["code"] == "region_outside_centre"
    assert Ticket.objects.count() == count
