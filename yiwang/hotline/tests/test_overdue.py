"""超期预警: yellow at 2/3 of a clock, red when overdue; once per clock and level."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from yiwang.cases.models import Notification
from yiwang.hotline import overdue, services
from yiwang.hotline.models import Ticket, TicketEvent
from yiwang.hotline.tests.factories import (
    answered_ticket,
    dispatched_ticket,
    make_hotline_cast,
)


@pytest.fixture
def hcast(db):
    return make_hotline_cast()


def at_share(start, due, share):
    return start + (due - start) * share


def warnings(ticket):
    return [(e.data["clock"], e.data["level"]) for e in overdue.warnings_of(ticket)]


def titles(user):
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


def signed_ticket(cast):
    ticket = dispatched_ticket(cast)
    return services.sign(cast.clerk, ticket)


def test_a_sign_clock_two_thirds_used_turns_yellow_once_and_tells_the_department(hcast):
    ticket = dispatched_ticket(hcast)
    now = at_share(ticket.dispatched_at, ticket.sign_due_at, 0.7)
    assert overdue.check(now) == 1
    assert warnings(ticket) == [("sign", "yellow")]
    event = TicketEvent.objects.get(ticket=ticket, action="warn")
    assert event.from_status == event.to_status == "dispatched" and event.actor is None
    assert titles(hcast.clerk) == [f"工单{ticket.number}签收即将到期"]
    assert titles(hcast.other_clerk) == [] and titles(hcast.agent) == []
    assert overdue.check(now) == 0
    assert overdue.check(now + dt.timedelta(minutes=10)) == 0
    assert len(titles(hcast.clerk)) == 1


def test_before_two_thirds_of_the_time_nothing_is_recorded(hcast):
    ticket = dispatched_ticket(hcast)
    assert overdue.check(at_share(ticket.dispatched_at, ticket.sign_due_at, 0.6)) == 0
    assert warnings(ticket) == []


def test_an_overdue_handling_clock_is_red_and_asks_the_agents_for_supervision(hcast):
    ticket = signed_ticket(hcast)
    now = ticket.due_at + dt.timedelta(hours=1)
    assert overdue.check(now) == 2  # the yellow it skipped is recorded too
    assert warnings(ticket) == [("handle", "yellow"), ("handle", "red")]
    assert titles(hcast.clerk) == [f"工单{ticket.number}办理已超期"]
    assert titles(hcast.agent) == [f"工单{ticket.number}办理超期，请督办"]
    ticket.refresh_from_db()
    assert ticket.status == "signed" and not ticket.supervised
    assert overdue.check(now) == 0


def test_yellow_first_then_red_later(hcast):
    ticket = signed_ticket(hcast)
    overdue.check(at_share(ticket.dispatched_at, ticket.due_at, 0.8))
    overdue.check(ticket.due_at + dt.timedelta(minutes=1))
    assert warnings(ticket) == [("handle", "yellow"), ("handle", "red")]
    assert len(titles(hcast.clerk)) == 2


def test_a_new_deadline_is_a_new_clock(hcast):
    ticket = signed_ticket(hcast)
    overdue.check(ticket.due_at + dt.timedelta(minutes=1))
    # 延期 approved by the hotline: the same handling clock with a later deadline.
    Ticket.objects.filter(pk=ticket.pk).update(due_at=ticket.due_at + dt.timedelta(days=2))
    ticket.refresh_from_db()
    assert overdue.check(ticket.due_at + dt.timedelta(minutes=1)) == 2
    assert warnings(ticket)[-2:] == [("handle", "yellow"), ("handle", "red")]


def test_answered_tickets_are_not_warned(hcast):
    ticket = answered_ticket(hcast)
    assert overdue.check(ticket.due_at + dt.timedelta(days=30)) == 0


def test_the_pass_reads_the_open_tickets_and_the_warnings_given_in_two_queries(
    hcast, django_assert_num_queries
):
    tickets = [dispatched_ticket(hcast, caller_phone=f"1390000{i:04d}") for i in range(5)]
    now = max(t.sign_due_at for t in tickets) + dt.timedelta(minutes=1)
    assert overdue.check(now) == 10  # sign yellow + red each
    with django_assert_num_queries(2):
        assert overdue.check(now) == 0


def test_the_command_checks_the_deadlines(hcast):
    ticket = dispatched_ticket(hcast)
    Ticket.objects.filter(pk=ticket.pk).update(
        dispatched_at=timezone.now() - dt.timedelta(days=30),
        sign_due_at=timezone.now() - dt.timedelta(days=29),
        due_at=timezone.now() - dt.timedelta(days=20),
    )
    out = io.StringIO()
    call_command("check_hotline_deadlines", stdout=out)
    assert out.getvalue().strip() == "warnings recorded: 4"
