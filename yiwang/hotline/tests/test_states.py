"""The 12345 ticket state machine: every transition names real statuses, final statuses lead
nowhere, the main path and the 退单/重办 loops are reachable, illegal moves are Conflict."""

from __future__ import annotations

import pytest

from yiwang.core.errors import Conflict
from yiwang.hotline import states
from yiwang.hotline.models import TicketStatus

STATUSES = set(TicketStatus.values)


def test_every_transition_names_real_statuses():
    for t in states.TRANSITIONS.values():
        assert t.sources <= STATUSES, t.action
        assert t.target is None or t.target in STATUSES, t.action
    assert states.OPEN_STATUSES | states.FINAL_STATUSES == STATUSES


def test_final_statuses_lead_nowhere():
    for t in states.TRANSITIONS.values():
        assert not (t.sources & states.FINAL_STATUSES), t.action


def test_the_whole_life_of_a_ticket_follows_the_table():
    status = states.ACCEPTED
    for action in (
        "dispatch",
        "sign",
        "return",
        "redispatch",
        "sign",
        "request_extension",
        "approve_extension",
        "supervise",
        "answer",
        "callback",
        "reopen",
        "sign",
        "answer",
        "callback",
        "close",
    ):
        status = states.check_transition(status, action)
    assert status == states.CLOSED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("accepted", "sign"),
        ("closed", "reopen"),
        ("dispatched", "answer"),
        ("not_accepted", "dispatch"),
        ("answered", "return"),
        ("signed", "close"),
    ],
)
def test_illegal_moves_are_conflicts(status, action):
    with pytest.raises(Conflict) as caught:
        states.check_transition(status, action)
    assert caught.value.code == "illegal_transition"


def test_an_unknown_action_is_a_conflict_and_the_table_prints_every_action():
    with pytest.raises(Conflict):
        states.check_transition("accepted", "teleport")
    text = states.table()
    assert all(action in text for action in states.TRANSITIONS)
