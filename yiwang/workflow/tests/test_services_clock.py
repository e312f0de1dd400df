"""Time limits of processes and stages across 国庆 2025, 挂起, 延期, 补正, warnings, escalation.

The 2025 official schedule (国务院办公厅): 10月1日–8日 放假（国庆节、中秋节）, 9月28日（周日）
and 10月11日（周六）上班. Accepted on Tuesday 30 September 2025, the start day is not counted
(民法典 201), so the working days run 10/9 (1), 10/10 (2), 10/11 (3, the make-up Saturday),
10/13–17 (4–8), 10/20–24 (9–13), 10/27–31 (14–18), 11/3 (19), 11/4 (20).
"""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.accounts.tests.factories import ledger_entries, make_department
from yiwang.core.calendar import get_calendar
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.workflow import hooks, services
from yiwang.workflow.clock import instance_clock, warning_at
from yiwang.workflow.models import InstanceState, ProcessEvent, Warning
from yiwang.workflow.tests.factories import (
    linear_spec,
    local,
    make_definition,
    make_officer,
    open_tasks,
    start,
)

pytestmark = pytest.mark.django_db

END = dt.time(23, 59, 59, 999999)


def end_of(year, month, day):
    return dt.datetime.combine(dt.date(year, month, day), END, tzinfo=local(2025, 1, 1).tzinfo)


@pytest.fixture
def bureau():
    return make_department("示范区市场监督管理局")


@pytest.fixture
def accepted(bureau):
    """A case accepted on 2025-09-30 10:00 with 20 working days (review stage: 3)."""
    return start(make_definition(linear_spec()), bureau, started_at=local(2025, 9, 30, 10))


def test_twenty_working_days_from_30_september_2025_end_on_4_november(accepted):
    assert accepted.due_at == end_of(2025, 11, 4)
    assert accepted.legal_due_at == end_of(2025, 11, 4)
    assert accepted.provisional is False


def test_yellow_begins_on_the_fourteenth_working_day_two_thirds_of_twenty(accepted):
    # ⌈2/3 × 20⌉ = 14 → Monday 27 October 2025 from 00:00.
    assert accepted.yellow_at == local(2025, 10, 27)


def test_the_review_stage_limit_starts_when_its_task_opens_and_counts_the_make_up_saturday(
    accepted,
):
    [review] = open_tasks(accepted)
    assert review.due_at == end_of(2025, 10, 11)  # 3 working days: 10/9, 10/10, 10/11
    assert review.yellow_at == local(2025, 10, 10)  # ⌈2/3 × 3⌉ = 2nd working day


def test_a_later_stage_limit_starts_when_that_task_opens(bureau):
    spec = linear_spec()
    spec["stages"][1]["limit"] = {"amount": 2, "unit": "working_days"}
    instance = start(make_definition(spec), bureau, started_at=local(2025, 9, 30, 10))
    reviewer = make_officer("reviewer", bureau)

    services.complete_task(
        open_tasks(instance)[0], actor=reviewer, outcome="approve", at=local(2025, 10, 15, 16)
    )

    [approval] = open_tasks(instance)
    assert approval.due_at == end_of(2025, 10, 17)  # Thursday 16th and Friday 17th


def test_the_cached_colour_equals_the_deadline_engine_at_every_moment(accepted):
    clock = instance_clock(accepted, [], [])
    calendar = get_calendar()
    moment = local(2025, 9, 30, 12)
    while moment < local(2025, 11, 8):
        expected = clock.evaluate(moment, calendar=calendar).warning
        assert warning_at(moment, accepted.due_at, accepted.yellow_at) == expected, moment
        moment += dt.timedelta(hours=7)


def test_suspension_for_expert_review_stops_the_clock_and_resuming_moves_the_deadline(
    accepted, bureau
):
    reviewer = make_officer("reviewer", bureau)

    services.suspend(
        accepted,
        actor=reviewer,
        reason_code="expert_review",
        reason="专家评审",
        at=local(2025, 10, 13, 10),
    )
    assert accepted.state == InstanceState.SUSPENDED
    assert accepted.due_at is None  # paused
    with pytest.raises(Conflict) as refused:
        services.complete_task(open_tasks(accepted)[0], actor=reviewer, outcome="approve")
    assert refused.value.code == "instance_not_running"

    services.resume(accepted, actor=reviewer, at=local(2025, 10, 17, 15))

    # 10/14, 10/15, 10/16 were stopped entirely (partly stopped days count): 3 days more.
    assert accepted.state == InstanceState.RUNNING
    assert accepted.due_at == end_of(2025, 11, 7)
    assert [e.action for e in ledger_entries("workflow.suspended")] == ["workflow.suspended"]
    assert ledger_entries("workflow.resumed", object_id=str(accepted.pk))


def test_an_unknown_suspension_reason_is_refused(accepted, bureau):
    with pytest.raises(ValidationFailed):
        services.suspend(
            accepted, actor=make_officer("reviewer", bureau), reason_code="lunch", reason="午休"
        )


def test_an_approver_extends_by_up_to_ten_working_days_and_no_more(accepted, bureau):
    approver = make_officer("approver", bureau)

    services.extend(accepted, actor=approver, amount=6, reason="情况复杂", at=local(2025, 10, 20))
    assert accepted.due_at == end_of(2025, 11, 12)  # 11/5, 6, 7, 10, 11, 12

    with pytest.raises(ValidationFailed) as refused:
        services.extend(accepted, actor=approver, amount=5, reason="再延")
    assert refused.value.code == "extension_limit_exceeded"
    services.extend(accepted, actor=approver, amount=4, reason="最后一次")
    assert accepted.due_at == end_of(2025, 11, 18)


def test_a_reviewer_without_cases_approve_cannot_extend(accepted, bureau):
    with pytest.raises(PermissionDenied) as refused:
        services.extend(accepted, actor=make_officer("reviewer", bureau), amount=2, reason="想延期")
    assert refused.value.code == "extension_needs_approver"


def test_correction_stops_the_clock_and_the_resubmission_restarts_it(accepted, bureau):
    clerk = make_officer("counter_clerk", bureau)

    services.request_correction(accepted, actor=clerk, at=local(2025, 10, 10, 9))
    assert accepted.state == InstanceState.AWAITING_CORRECTION
    assert accepted.due_at is None

    services.correction_received(accepted, actor=clerk, at=local(2025, 10, 20, 9))

    # Counting begins anew after Monday 20 October: 10/21 … 11/17 is the 20th working day.
    assert accepted.state == InstanceState.RUNNING
    assert accepted.clock_started_at == local(2025, 10, 20, 9)
    assert accepted.due_at == end_of(2025, 11, 17)
    [review] = open_tasks(accepted)
    assert review.due_at == end_of(2025, 10, 23)  # the stage clock restarts too
    with pytest.raises(Conflict):
        services.correction_received(accepted, actor=clerk, at=local(2025, 10, 21, 9))


def test_yellow_at_two_thirds_then_red_when_overdue_escalates_to_the_approver(bureau):
    city = make_department("示范市市场监督管理局")
    branch = make_department("示范区分局", parent=city)
    supervisor = make_officer("approver", city)
    seen = []
    hooks.register(
        "test.warn", on_warning=lambda obj, level: seen.append((type(obj).__name__, level))
    )
    try:
        from yiwang.core.deadlines import TimeLimit

        instance = services.start_process(
            make_definition(linear_spec()),
            business_key="W-1",
            department=branch,
            data={},
            started_at=local(2025, 9, 30, 10),
            limit=TimeLimit.working_days(20),
            legal_limit=TimeLimit.working_days(20),
            business_service="test.warn",
        )
        assert services.check_deadlines(local(2025, 10, 9, 12)) == 0

        assert services.check_deadlines(local(2025, 10, 10, 8)) == 1
        [review] = open_tasks(instance)
        assert review.warning == Warning.YELLOW

        assert services.check_deadlines(local(2025, 10, 13, 9)) == 1
        review.refresh_from_db()
        assert review.warning == Warning.RED
        assert review.escalated_at == local(2025, 10, 13, 9)
        escalation = ProcessEvent.objects.get(instance=instance, kind="task_escalated")
        assert escalation.data["supervisors"] == [supervisor.pk]
        assert ledger_entries("workflow.task_escalated", object_id=str(instance.pk))

        assert services.check_deadlines(local(2025, 10, 27, 9)) == 1  # the case itself: yellow
        instance.refresh_from_db()
        assert instance.warning == Warning.YELLOW
        assert services.check_deadlines(local(2025, 11, 5, 0, 1)) == 1
        instance.refresh_from_db()
        assert instance.warning == Warning.RED
    finally:
        hooks.unregister("test.warn")
    assert seen == [
        ("Task", "yellow"),
        ("Task", "red"),
        ("ProcessInstance", "yellow"),
        ("ProcessInstance", "red"),
    ]


def test_an_extension_lifts_a_red_warning(accepted, bureau):
    services.check_deadlines(local(2025, 11, 5, 9))
    accepted.refresh_from_db()
    assert accepted.warning == Warning.RED

    services.extend(
        accepted,
        actor=make_officer("approver", bureau),
        amount=5,
        reason="补充鉴定",
        at=local(2025, 11, 5, 10),
    )

    assert accepted.warning == Warning.YELLOW
    assert accepted.due_at == end_of(2025, 11, 11)


def test_hour_limits_run_on_wall_clock_time(bureau):
    from yiwang.core.deadlines import TimeLimit

    instance = services.start_process(
        make_definition(linear_spec()),
        business_key="H-12345",
        department=bureau,
        data={},
        started_at=local(2025, 10, 1, 9),
        limit=TimeLimit.hours(24),
        legal_limit=TimeLimit.hours(24),
    )
    assert instance.due_at == local(2025, 10, 2, 9)
    assert instance.yellow_at == local(2025, 10, 2, 1)  # 16 of 24 hours
