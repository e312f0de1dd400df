"""The 12345 demo: every accepted leaf reaches a real department by the rules (district bureaus in
their districts), the handlers can act, the demo tickets are in the states the tour needs, and a
second run adds nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from yiwang.accounts import demo as accounts_demo
from yiwang.accounts.models import User
from yiwang.cases.services.base import staff_can
from yiwang.core.demo import registered_seeders
from yiwang.hotline import services
from yiwang.hotline.demo import TICKETS, seed_hotline
from yiwang.hotline.models import Category, DispatchRule, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    with override_settings(YIWANG_DEMO=True):
        accounts_demo.seed_demo()
        yield seed_hotline()


def test_the_hotline_seeder_is_registered_after_the_accounts():
    assert "hotline" in registered_seeders()


def test_every_accepted_leaf_is_dispatched_somewhere_in_both_districts(seeded):
    leaves = Category.objects.filter(level=3, not_accepted=False, is_active=True)
    assert leaves.count() >= 90
    for leaf in leaves:
        for region in ("339902001001", "339903101201"):
            department = services.responsible_department(leaf, region)
            assert department.is_active, leaf.code


def test_a_district_bureau_wins_in_its_district_and_the_city_bureau_elsewhere(seeded):
    food = Category.objects.get(code="030201")  # 食品安全: 市场监管

    assert services.responsible_department(food, "339902001001").short_name == "东湖市场监管分局"
    assert services.responsible_department(food, "339903002001").short_name == "西岭市场监管分局"
    assert services.responsible_department(food, "339900000000").short_name == "市市场监管局"


def test_the_handlers_may_handle_the_tickets_of_their_department(seeded):
    for username in ("handler.zj", "handler.cg", "handler.scjg", "handler.cg_xl"):
        user = User.objects.get(username=username)
        department = user.staff_roles.get().department
        assert staff_can(user, (services.HANDLE,), department), username


def test_the_demo_tickets_cover_the_life_of_a_ticket(seeded):
    states = set(Ticket.objects.values_list("status", flat=True))

    assert {"accepted", "dispatched", "signed", "answered", "returned", "closed"} <= states
    assert "not_accepted" in states
    web = Ticket.objects.get(content=TICKETS[0].content)
    assert web.channel == "web" and web.caller.user.username == "zhangwei"
    waiting = Ticket.objects.get(content=TICKETS[1].content)
    assert waiting.category is None and waiting.events.get(action="intake").data["suggestions"]


def test_seeding_twice_adds_nothing(seeded):
    rules, tickets = DispatchRule.objects.count(), Ticket.objects.count()

    with override_settings(YIWANG_DEMO=True):
        assert seed_hotline() == {}

    assert (DispatchRule.objects.count(), Ticket.objects.count()) == (rules, tickets)
