"""未诉先办: a spike of one category in one street becomes a proactive task for the department."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from yiwang.accounts.models import Role
from yiwang.accounts.tests.factories import login_as, make_department
from yiwang.cases.models import Notification
from yiwang.cases.tests.factories import staff_with_role
from yiwang.core.deadlines import TimeLimit, compute_deadline
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.models.ledger import LedgerEntry
from yiwang.hotline import hotspots
from yiwang.hotline.models import HotSpot, Ticket
from yiwang.hotline.tests.factories import (
    CITY,
    LIFT,
    OTHER_DISTRICT_STREET,
    make_hotline_cast,
    new_ticket,
)

STREET_AREA = "330102001000"  # the street of factories.STREET


@pytest.fixture
def hcast(db):
    return make_hotline_cast()


def calls(cast, n, **overrides):
    return [new_ticket(cast, caller_phone=f"1390000{i:04d}", **overrides) for i in range(n)]


def later():
    return timezone.now() + dt.timedelta(seconds=1)


def age(tickets, **delta):
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        accepted_at=timezone.now() - dt.timedelta(**delta)
    )


def test_five_calls_about_one_matter_in_one_street_open_a_hot_spot_for_the_department(hcast):
    tickets = calls(hcast, 5)
    now = later()
    found = hotspots.detect(now)
    [hot_spot] = found.opened
    assert (hot_spot.category.code, hot_spot.region_code, hot_spot.department) == (
        "010101",
        STREET_AREA,
        hcast.zj,
    )
    assert (hot_spot.count, hot_spot.baseline, hot_spot.status) == (5, 0, "open")
    assert set(hot_spot.tickets.all()) == set(tickets)
    assert hot_spot.window_end == now and hot_spot.window_start == now - dt.timedelta(hours=24)
    assert hot_spot.due_at == compute_deadline(now, TimeLimit.working_days(3)).due_at
    assert Notification.objects.filter(user=hcast.clerk, title__startswith="热点诉求").count() == 1
    assert not Notification.objects.filter(user=hcast.other_clerk).exists()
    assert LedgerEntry.objects.filter(
        action="hotline.hotspot.open", object_id=str(hot_spot.pk)
    ).exists()


def test_four_calls_are_no_hot_spot(hcast):
    calls(hcast, 4)
    assert hotspots.detect(later()).opened == []


def test_calls_of_other_streets_or_categories_do_not_add_up(hcast):
    calls(hcast, 3)
    calls(hcast, 1, region_code=OTHER_DISTRICT_STREET)
    calls(hcast, 1, category_code=LIFT)
    assert hotspots.detect(later()).opened == []


def test_calls_older_than_the_window_do_not_count(hcast):
    age(calls(hcast, 2), hours=25)
    calls(hcast, 3)
    assert hotspots.detect(later()).opened == []


def test_a_level_that_is_usual_for_the_street_is_no_spike(hcast, settings):
    settings.YIWANG_HOTLINE_HOTSPOT_BASELINE_DAYS = 2
    age(calls(hcast, 4), days=1)  # 2 a day in the two days before: baseline 2
    calls(hcast, 5)
    assert hotspots.spikes(later()) == []  # 5 < 3 × 2
    calls(hcast, 1)
    [spike] = hotspots.spikes(later())
    assert (spike.count, spike.baseline) == (6, 2.0)


def test_detecting_again_never_opens_a_second_hot_spot_and_adds_the_new_calls(hcast):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    assert hotspots.detect(later()).opened == [] and hotspots.detect(later()).extended == []
    hotspots.accept(hcast.clerk, hot_spot)
    newest = new_ticket(hcast, caller_phone="13700000000")
    again = hotspots.detect(later())
    assert again.opened == [] and [h.pk for h in again.extended] == [hot_spot.pk]
    hot_spot.refresh_from_db()
    assert hot_spot.count == 6 and newest in hot_spot.tickets.all()
    assert HotSpot.objects.count() == 1
    assert Notification.objects.filter(user=hcast.clerk, title__startswith="热点诉求").count() == 1


def test_after_a_hot_spot_is_done_a_new_spike_opens_a_new_one(hcast):
    calls(hcast, 5)
    [first] = hotspots.detect(later()).opened
    hotspots.accept(hcast.clerk, first)
    hotspots.resolve(hcast.clerk, first, "已约谈物业公司，增加保洁频次。")
    new_ticket(hcast, caller_phone="13700000000")
    [second] = hotspots.detect(later()).opened
    assert second.pk != first.pk and second.count == 6


def test_the_department_accepts_and_resolves_a_hot_spot(hcast):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    hotspots.accept(hcast.clerk, hot_spot)
    assert hot_spot.status == "accepted"
    hotspots.resolve(hcast.clerk, hot_spot, "已约谈物业公司，增加保洁频次。")
    hot_spot.refresh_from_db()
    assert (hot_spot.status, hot_spot.result) == ("done", "已约谈物业公司，增加保洁频次。")
    assert [h["action"] for h in hotspots.history(hot_spot)] == [
        "hotline.hotspot.open",
        "hotline.hotspot.accept",
        "hotline.hotspot.resolve",
    ]


def test_only_the_responsible_department_may_accept_or_resolve(hcast):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    for persona in (hcast.other_clerk, hcast.agent, hcast.citizen):
        with pytest.raises(PermissionDenied) as exc:
            hotspots.accept(persona, hot_spot)
        assert exc.value.code == "hot_spot_action_not_allowed"
    assert HotSpot.objects.get(pk=hot_spot.pk).status == "open"


def test_a_hot_spot_is_resolved_after_acceptance_and_with_a_result(hcast):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    with pytest.raises(Conflict) as exc:
        hotspots.resolve(hcast.clerk, hot_spot, "已处理")
    assert exc.value.code == "illegal_transition"
    hotspots.accept(hcast.clerk, hot_spot)
    with pytest.raises(ValidationFailed) as exc:
        hotspots.resolve(hcast.clerk, hot_spot, "   ")
    assert exc.value.code == "result_required"
    with pytest.raises(Conflict):
        hotspots.accept(hcast.clerk, hot_spot)


def test_agents_leaders_and_the_department_see_the_hot_spot_others_do_not(hcast):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    leader = staff_with_role(
        make_department("示范市人民政府办公室", region=CITY),
        "insight-leader",
        ("insight.view",),
        scope=Role.Scope.REGION_SUBTREE,
    )
    far_leader = staff_with_role(
        make_department("另一市人民政府办公室", region="320100000000"),
        "insight-leader",
        ("insight.view",),
        scope=Role.Scope.REGION_SUBTREE,
    )
    for persona in (hcast.agent, hcast.clerk, leader):
        assert hotspots.get_hot_spot_for_user(persona, hot_spot.pk) == hot_spot
    for persona in (hcast.other_clerk, hcast.citizen, far_leader):
        assert list(hotspots.hot_spots_for(persona)) == []
        with pytest.raises(NotFound) as exc:
            hotspots.get_hot_spot_for_user(persona, hot_spot.pk)
        assert exc.value.code == "hot_spot_not_found"


def test_the_command_detects_hot_spots(hcast):
    calls(hcast, 5)
    Ticket.objects.update(accepted_at=timezone.now() - dt.timedelta(minutes=5))
    out = io.StringIO()
    call_command("detect_hot_spots", stdout=out)
    assert out.getvalue().strip() == "hot spots opened: 1, extended: 0"


# --- the pages ---------------------------------------------------------------------------------


def test_the_department_accepts_and_resolves_a_hot_spot_on_its_page(hcast, client):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    login_as(client, hcast.clerk)
    listing = client.get("/hotline/hotspots/").content.decode()
    assert f"/hotline/hotspots/{hot_spot.pk}/" in listing and "物业服务质量" in listing
    page = client.get(f"/hotline/hotspots/{hot_spot.pk}/").content.decode()
    assert "接收并处置" in page and "13900000000" not in page  # callers' numbers never shown
    response = client.post(f"/hotline/hotspots/{hot_spot.pk}/accept/")
    assert response.status_code == 302
    empty = client.post(f"/hotline/hotspots/{hot_spot.pk}/resolve/", {"result": " "})
    assert empty.status_code == 422 and "处置结果" in empty.content.decode()
    done = client.post(
        f"/hotline/hotspots/{hot_spot.pk}/resolve/", {"result": "已约谈物业公司，增加保洁频次。"}
    )
    assert done.status_code == 302
    page = client.get(f"/hotline/hotspots/{hot_spot.pk}/").content.decode()
    assert "已约谈物业公司" in page and "已处置" in page


def test_an_agent_sees_the_hot_spot_but_may_not_accept_it(hcast, client):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    login_as(client, hcast.agent)
    page = client.get(f"/hotline/hotspots/{hot_spot.pk}/").content.decode()
    assert "接收并处置" not in page
    assert client.post(f"/hotline/hotspots/{hot_spot.pk}/accept/").status_code == 403
    assert HotSpot.objects.get(pk=hot_spot.pk).status == "open"


def test_another_department_gets_404_for_the_hot_spot(hcast, client):
    calls(hcast, 5)
    [hot_spot] = hotspots.detect(later()).opened
    login_as(client, hcast.other_clerk)
    assert client.get(f"/hotline/hotspots/{hot_spot.pk}/").status_code == 404
    assert client.post(f"/hotline/hotspots/{hot_spot.pk}/accept/").status_code == 404
    assert "物业服务质量" not in client.get("/hotline/hotspots/").content.decode()


def test_the_demo_streetlight_calls_open_one_hot_spot_for_the_donghu_bureau(db, settings):
    from yiwang.accounts import demo as accounts_demo
    from yiwang.hotline import rates
    from yiwang.hotline.demo import seed_hotline

    settings.YIWANG_DEMO = True
    accounts_demo.seed_demo()
    seeded = seed_hotline()
    assert (seeded["history tickets"], seeded["hot spots"]) == (48, 1)
    [hot_spot] = HotSpot.objects.all()
    assert (hot_spot.category.code, hot_spot.region_code, hot_spot.status) == (
        "100301",
        "339902002000",
        "open",
    )
    assert hot_spot.department.short_name == "东湖城管分局" and hot_spot.count == 7
    merged = hot_spot.tickets.filter(status="merged")
    assert merged.count() == 3 and {t.primary_id for t in merged} == {
        Ticket.objects.get(content__startswith="书香路和文昌路交叉口的路灯坏了").pk
    }
    now = timezone.now()
    districts = rates.rates(now - dt.timedelta(days=60), now, by=rates.BY_DISTRICT)
    assert {r.name for r in districts} == {"东湖区", "西岭区"}
    assert all(0 < (r.response_rate or 0) < 1 for r in districts)  # some were late
    assert all(0 < (r.satisfaction_rate or 0) < 1 for r in districts)  # some unsatisfied
    assert seed_hotline() == {}
