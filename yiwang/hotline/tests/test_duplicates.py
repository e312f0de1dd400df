"""重复件: candidates by caller or place, merging, and one handling answering all."""

import datetime as dt

import pytest

from yiwang.accounts.tests.factories import make_department
from yiwang.cases.tests.factories import staff_with_role
from yiwang.core.errors import Conflict, NotFound, PermissionDenied
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import duplicates, services
from yiwang.hotline.models import Ticket, TicketEvent
from yiwang.hotline.tests.factories import (
    LIFT,
    OTHER_DISTRICT_STREET,
    PROPERTY_TEXT,
    answered_ticket,
    dispatched_ticket,
    intake_kwargs,
    make_hotline_cast,
    new_ticket,
)

SAME_MATTER = "物业不打扫楼道卫生，楼梯口垃圾堆了一个星期也没人管，物业太差了。"
OTHER_MATTER = "想问一下新生儿医保怎么办理，需要带哪些材料去窗口？"


@pytest.fixture
def hcast(db):
    return make_hotline_cast()


def age(ticket, **delta):
    Ticket.objects.filter(pk=ticket.pk).update(
        accepted_at=ticket.accepted_at - dt.timedelta(**delta)
    )
    ticket.refresh_from_db()
    return ticket


def actions(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))


def test_the_same_caller_calling_again_about_the_same_matter_is_a_candidate(hcast):
    first = new_ticket(hcast)
    again = new_ticket(
        hcast, content=SAME_MATTER, region_code=OTHER_DISTRICT_STREET, category_code=LIFT
    )
    found = duplicates.candidates(again)
    assert [(c.ticket, c.reason) for c in found] == [(first, "same_caller")]
    assert 0.15 <= found[0].score <= 1


def test_a_neighbour_reporting_the_same_matter_is_a_candidate_by_place(hcast):
    first = new_ticket(hcast)
    neighbour = new_ticket(hcast, caller_phone="13900001111", content=SAME_MATTER)
    [candidate] = duplicates.candidates(neighbour)
    assert (candidate.ticket, candidate.reason) == (first, "same_place")


def test_an_unrelated_demand_of_the_same_caller_is_not_a_candidate(hcast):
    new_ticket(hcast)
    other = new_ticket(hcast, content=OTHER_MATTER, category_code="120103")
    assert duplicates.candidates(other) == []


def test_tickets_outside_the_windows_are_not_candidates(hcast):
    old_same_caller = age(new_ticket(hcast, region_code=OTHER_DISTRICT_STREET), days=8)
    old_same_place = age(new_ticket(hcast, caller_phone="13900001111"), days=4)
    recent = new_ticket(hcast)
    assert old_same_caller and old_same_place
    assert duplicates.candidates(recent) == []


def test_candidates_exclude_the_ticket_itself_merged_and_not_accepted_ones_and_rank_by_score(hcast):
    exact = new_ticket(hcast)
    close = new_ticket(hcast, caller_phone="13900001111", content=SAME_MATTER)
    merged = new_ticket(hcast, caller_phone="13900002222")
    duplicates.merge(hcast.agent, merged, exact)
    new_ticket(hcast, content="楼道里着火了，冒烟！", category_code="990102")  # 不予受理
    ticket = new_ticket(hcast, caller_phone="13900003333")
    found = duplicates.candidates(ticket)
    assert [c.ticket for c in found] == [exact, close]
    assert found[0].score == 1.0 > found[1].score
    assert duplicates.candidates(ticket, limit=1) == found[:1]


def test_a_ticket_of_another_city_is_never_a_candidate(hcast):
    services.intake(None, **intake_kwargs(channel="web", region_code="320102001001"))
    assert duplicates.candidates(new_ticket(hcast)) == []


def test_candidates_are_found_in_one_query(hcast, django_assert_num_queries):
    for i in range(5):
        new_ticket(hcast, caller_phone=f"1390000{i:04d}")
    ticket = new_ticket(hcast)
    with django_assert_num_queries(1):
        assert len(duplicates.candidates(ticket, limit=10)) == 5


def test_an_agent_merges_a_duplicate_with_an_event_on_both_tickets_and_the_ledger(hcast):
    primary = dispatched_ticket(hcast)
    duplicate = dispatched_ticket(hcast, caller_phone="13900001111", content=SAME_MATTER)
    merged = duplicates.merge(hcast.agent, duplicate, primary, reason="同一小区同一问题")
    assert merged is duplicate and duplicate.status == "merged" and duplicate.primary == primary
    assert actions(duplicate)[-1] == "merge" and actions(primary)[-1] == "merged_in"
    event = TicketEvent.objects.get(ticket=duplicate, action="merge")
    assert (event.from_status, event.to_status, event.reason) == (
        "dispatched",
        "merged",
        "同一小区同一问题",
    )
    assert event.data["primary"] == primary.number
    assert LedgerEntry.objects.filter(
        action="hotline.ticket.merge", object_id=str(duplicate.pk)
    ).exists()
    assert list(primary.duplicates.all()) == [duplicate]


def test_a_clerk_or_a_citizen_may_not_merge(hcast):
    primary, duplicate = new_ticket(hcast), new_ticket(hcast)
    for persona in (hcast.clerk, hcast.citizen):
        with pytest.raises(PermissionDenied) as exc:
            duplicates.merge(persona, duplicate, primary)
        assert exc.value.code == "ticket_action_not_allowed"
    assert Ticket.objects.get(pk=duplicate.pk).status == "accepted"


def test_an_agent_of_another_centre_may_not_merge_tickets_he_cannot_see(hcast):
    centre = make_department("另一市12345热线中心", region="320100000000")
    stranger = staff_with_role(centre, "hotline_agent", ("hotline.intake", "hotline.dispatch"))
    primary, duplicate = new_ticket(hcast), new_ticket(hcast)
    with pytest.raises(NotFound) as exc:
        duplicates.merge(stranger, duplicate, primary)
    assert exc.value.code == "ticket_not_found"


def test_merging_refuses_itself_a_merged_primary_and_an_answered_ticket(hcast):
    primary = new_ticket(hcast)
    with pytest.raises(Conflict) as exc:
        duplicates.merge(hcast.agent, primary, primary)
    assert exc.value.code == "merge_into_itself"
    merged = new_ticket(hcast)
    duplicates.merge(hcast.agent, merged, primary)
    with pytest.raises(Conflict) as exc:
        duplicates.merge(hcast.agent, new_ticket(hcast), merged)
    assert exc.value.code == "primary_not_mergeable"
    answered = answered_ticket(hcast)
    with pytest.raises(Conflict) as exc:
        duplicates.merge(hcast.agent, answered, primary)
    assert exc.value.code == "illegal_transition"


def test_the_duplicates_of_a_merged_ticket_move_under_the_new_primary(hcast):
    primary, middle, leaf = new_ticket(hcast), new_ticket(hcast), new_ticket(hcast)
    duplicates.merge(hcast.agent, leaf, middle)
    duplicates.merge(hcast.agent, middle, primary)
    leaf.refresh_from_db()
    assert leaf.primary == primary
    assert actions(leaf)[-1] == "follow"


def test_one_handling_answers_all_the_merged_tickets_and_closes_them_with_the_primary(hcast):
    primary = dispatched_ticket(hcast)
    first = new_ticket(hcast, caller_phone="13900001111")
    second = dispatched_ticket(hcast, caller_phone="13900002222")
    duplicates.merge(hcast.agent, first, primary)
    duplicates.merge(hcast.agent, second, primary)
    services.sign(hcast.clerk, primary)
    services.answer(hcast.clerk, primary, "已督促物业公司清运垃圾并每日打扫楼道。")
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.answer == "已督促物业公司清运垃圾并每日打扫楼道。"
        assert ticket.answered_at == Ticket.objects.get(pk=primary.pk).answered_at
        assert ticket.closed_at is None
    services.callback(hcast.agent, primary, resolved=True, satisfaction=5)
    services.close(hcast.agent, primary)
    closed_at = Ticket.objects.get(pk=primary.pk).closed_at
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.closed_at) == ("merged", closed_at)
        follows = TicketEvent.objects.filter(ticket=ticket, action="follow")
        assert [e.data["step"] for e in follows] == ["answer", "close"]
        assert all(e.from_status == e.to_status == "merged" for e in follows)


def test_a_ticket_merged_into_an_answered_primary_gets_the_answer_at_once(hcast):
    primary = answered_ticket(hcast)
    late = new_ticket(hcast, caller_phone="13900001111", content=PROPERTY_TEXT)
    duplicates.merge(hcast.agent, late, primary)
    late.refresh_from_db()
    assert late.answer == primary.answer and late.answered_at == primary.answered_at


def test_a_primary_without_duplicates_answers_and_closes_as_before(hcast):
    ticket = answered_ticket(hcast)
    services.callback(hcast.agent, ticket, resolved=True, satisfaction=4)
    services.close(hcast.agent, ticket)
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert not TicketEvent.objects.filter(action="follow").exists()
