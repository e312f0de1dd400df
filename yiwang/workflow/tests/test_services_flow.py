"""How a process moves: stages in order, 会签, 或签, conditions, permissions, illegal steps."""

from __future__ import annotations

import pytest

from yiwang.accounts.tests.factories import ledger_entries, make_department
from yiwang.core.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.workflow import hooks, selectors, services
from yiwang.workflow.models import InstanceState, ProcessEvent, Task, TaskState
from yiwang.workflow.tests.factories import (
    linear_spec,
    make_definition,
    make_officer,
    open_tasks,
    stage,
    start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau():
    return make_department("示范区市场监督管理局")


@pytest.fixture
def reviewer(bureau):
    return make_officer("reviewer", bureau)


@pytest.fixture
def approver(bureau):
    return make_officer("approver", bureau)


def test_a_linear_process_runs_review_then_approval_to_approved(bureau, reviewer, approver):
    instance = start(make_definition(linear_spec()), bureau)

    [review] = open_tasks(instance)
    assert (review.stage_key, review.role_code, review.department) == ("review", "reviewer", bureau)
    services.complete_task(review, actor=reviewer, outcome="approve", comment="材料齐全")

    [approval] = open_tasks(instance)
    assert approval.stage_key == "approve"
    services.complete_task(approval, actor=approver, outcome="approve")

    instance.refresh_from_db()
    assert instance.state == InstanceState.APPROVED
    assert instance.ended_at is not None
    kinds = [e.kind for e in selectors.timeline(instance)]
    assert kinds == [
        "started",
        "task_opened",
        "task_completed",
        "task_opened",
        "task_completed",
        "approved",
    ]
    assert all(e.at for e in selectors.timeline(instance))
    decisions = ledger_entries("workflow.task_completed", object_id=str(instance.pk))
    assert [d.actor for d in decisions] == [f"user:{reviewer.pk}", f"user:{approver.pk}"]


def test_a_reject_at_review_rejects_the_process_and_opens_nothing_more(bureau, reviewer):
    instance = start(make_definition(linear_spec()), bureau)

    services.complete_task(open_tasks(instance)[0], actor=reviewer, outcome="reject")

    instance.refresh_from_db()
    assert instance.state == InstanceState.REJECTED
    assert open_tasks(instance) == []
    assert not Task.objects.filter(instance=instance, stage_key="approve").exists()


def _joint_spec(mode, codes):
    return {
        "stages": [
            stage("joint", "reviewer", name="联合审查", departments=codes, mode=mode),
            stage("approve", "approver", after=["joint"]),
        ]
    }


def test_all_sign_is_rejected_when_one_department_rejects(bureau):
    police, health = make_department("公安分局"), make_department("卫健局")
    instance = start(make_definition(_joint_spec("all", [police.uscc, health.uscc])), bureau)
    police_task, health_task = open_tasks(instance, "joint")

    services.complete_task(police_task, actor=make_officer("reviewer", police), outcome="approve")
    instance.refresh_from_db()
    assert instance.state == InstanceState.RUNNING  # 会签 waits for every department
    services.complete_task(health_task, actor=make_officer("reviewer", health), outcome="reject")

    instance.refresh_from_db()
    assert instance.state == InstanceState.REJECTED


def test_all_sign_moves_on_only_when_every_department_approved(bureau):
    police, health = make_department("公安分局"), make_department("卫健局")
    instance = start(make_definition(_joint_spec("all", [police.uscc, health.uscc])), bureau)
    police_task, health_task = open_tasks(instance, "joint")

    services.complete_task(police_task, actor=make_officer("reviewer", police), outcome="approve")
    assert open_tasks(instance, "approve") == []
    services.complete_task(health_task, actor=make_officer("reviewer", health), outcome="approve")
    assert len(open_tasks(instance, "approve")) == 1


def test_any_sign_closes_the_other_tasks_at_the_first_approval(bureau):
    police, health = make_department("公安分局"), make_department("卫健局")
    instance = start(make_definition(_joint_spec("any", [police.uscc, health.uscc])), bureau)
    police_task, health_task = open_tasks(instance, "joint")

    services.complete_task(police_task, actor=make_officer("reviewer", police), outcome="approve")

    health_task.refresh_from_db()
    assert health_task.state == TaskState.CANCELLED
    assert len(open_tasks(instance, "approve")) == 1


def test_any_sign_is_rejected_only_when_every_task_rejected(bureau):
    police, health = make_department("公安分局"), make_department("卫健局")
    instance = start(make_definition(_joint_spec("any", [police.uscc, health.uscc])), bureau)
    police_task, health_task = open_tasks(instance, "joint")

    services.complete_task(police_task, actor=make_officer("reviewer", police), outcome="reject")
    instance.refresh_from_db()
    assert instance.state == InstanceState.RUNNING
    services.complete_task(health_task, actor=make_officer("reviewer", health), outcome="reject")
    instance.refresh_from_db()
    assert instance.state == InstanceState.REJECTED


def _conditional_spec():
    return {
        "stages": [
            stage("review", "reviewer"),
            stage(
                "site_check",
                "reviewer",
                name="现场核查",
                after=["review"],
                when={"field": "business.area", "op": "gt", "value": 100},
            ),
            stage("approve", "approver", after=["site_check"]),
        ]
    }


def test_a_conditional_stage_is_skipped_when_its_condition_is_false(bureau, reviewer):
    instance = start(make_definition(_conditional_spec()), bureau, data={"business": {"area": 60}})

    services.complete_task(open_tasks(instance)[0], actor=reviewer, outcome="approve")

    assert [t.stage_key for t in open_tasks(instance)] == ["approve"]
    skipped = ProcessEvent.objects.get(instance=instance, kind="stage_skipped")
    assert skipped.data["stage"] == "site_check"
    assert "business.area > 100（值 60）：不成立" in skipped.data["explanation"]


def test_a_conditional_stage_is_taken_when_its_condition_holds(bureau, reviewer):
    instance = start(make_definition(_conditional_spec()), bureau, data={"business": {"area": 250}})

    services.complete_task(open_tasks(instance)[0], actor=reviewer, outcome="approve")

    assert [t.stage_key for t in open_tasks(instance)] == ["site_check"]


def test_parallel_stages_join_before_the_final_approval(bureau):
    police, health = make_department("公安分局"), make_department("卫健局")
    spec = {
        "stages": [
            stage("police", "reviewer", departments=[police.uscc]),
            stage("health", "reviewer", departments=[health.uscc]),
            stage("approve", "approver", after=["police", "health"]),
        ]
    }
    instance = start(make_definition(spec), bureau)
    assert sorted(t.stage_key for t in open_tasks(instance)) == ["health", "police"]

    services.complete_task(
        open_tasks(instance, "police")[0], actor=make_officer("reviewer", police), outcome="approve"
    )
    assert open_tasks(instance, "approve") == []
    services.complete_task(
        open_tasks(instance, "health")[0], actor=make_officer("reviewer", health), outcome="approve"
    )
    assert len(open_tasks(instance, "approve")) == 1


def test_a_reviewer_of_another_department_may_not_complete_the_task(bureau):
    instance = start(make_definition(linear_spec()), bureau)
    stranger = make_officer("reviewer", make_department("别的局"))

    with pytest.raises(PermissionDenied) as refused:
        services.complete_task(open_tasks(instance)[0], actor=stranger, outcome="approve")

    assert refused.value.code == "not_task_handler"
    assert open_tasks(instance)[0].state == TaskState.OPEN


def test_an_approver_of_the_parent_department_covers_its_branches():
    city = make_department("市局")
    branch = make_department("区分局", parent=city)
    instance = start(make_definition(linear_spec()), branch)
    services.complete_task(
        open_tasks(instance)[0], actor=make_officer("reviewer", branch), outcome="approve"
    )

    services.complete_task(
        open_tasks(instance)[0], actor=make_officer("approver", city), outcome="approve"
    )

    instance.refresh_from_db()
    assert instance.state == InstanceState.APPROVED


def test_completing_a_completed_task_is_a_conflict(bureau, reviewer):
    instance = start(make_definition(linear_spec()), bureau)
    review = open_tasks(instance)[0]
    services.complete_task(review, actor=reviewer, outcome="approve")

    with pytest.raises(Conflict) as refused:
        services.complete_task(review, actor=reviewer, outcome="reject")

    assert refused.value.code == "task_not_open"


def test_a_task_claimed_by_one_reviewer_cannot_be_completed_by_another(bureau, reviewer):
    instance = start(make_definition(linear_spec()), bureau)
    review = open_tasks(instance)[0]
    services.claim_task(review, actor=reviewer)

    with pytest.raises(Conflict) as refused:
        services.complete_task(review, actor=make_officer("reviewer", bureau), outcome="approve")

    assert refused.value.code == "task_claimed_by_other"


def test_an_unknown_outcome_is_refused(bureau, reviewer):
    instance = start(make_definition(linear_spec()), bureau)
    with pytest.raises(ValidationFailed):
        services.complete_task(open_tasks(instance)[0], actor=reviewer, outcome="maybe")


def test_a_cancelled_process_closes_its_tasks(bureau, reviewer):
    instance = start(make_definition(linear_spec()), bureau)

    services.cancel(instance, actor=reviewer, reason="申请人撤回")

    assert instance.state == InstanceState.CANCELLED
    assert open_tasks(instance) == []
    assert ledger_entries("workflow.cancelled", object_id=str(instance.pk))
    with pytest.raises(Conflict):
        services.cancel(instance, actor=reviewer, reason="again")


def test_the_business_service_hooks_are_called_in_order(bureau, reviewer, approver):
    seen = []
    hooks.register(
        "test.hooks",
        on_finished=lambda i: seen.append(("finished", i.state)),
        on_clock_changed=lambda i: seen.append(("clock", i.due_at is not None)),
        on_task_opened=lambda t: seen.append(("opened", t.stage_key)),
    )
    try:
        from yiwang.core.deadlines import TimeLimit
        from yiwang.workflow.tests.factories import local

        instance = services.start_process(
            make_definition(linear_spec()),
            business_key="H-1",
            department=bureau,
            data={},
            started_at=local(2025, 9, 30, 10),
            limit=TimeLimit.working_days(5),
            legal_limit=TimeLimit.working_days(20),
            business_service="test.hooks",
        )
        services.complete_task(open_tasks(instance)[0], actor=reviewer, outcome="approve")
        services.complete_task(open_tasks(instance)[0], actor=approver, outcome="approve")
    finally:
        hooks.unregister("test.hooks")

    assert seen == [
        ("opened", "review"),
        ("clock", True),
        ("opened", "approve"),
        ("finished", "approved"),
    ]


def test_a_definition_publishes_new_versions_and_retires_the_old(bureau):
    first = make_definition(linear_spec(), key="food-licence")
    second = services.publish_definition("food-licence", "食品经营许可", linear_spec())

    first.refresh_from_db()
    assert (first.status, second.status, second.version) == ("retired", "active", 2)
    assert selectors.active_definition("food-licence") == second
