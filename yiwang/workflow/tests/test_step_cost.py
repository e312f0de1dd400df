"""What one step costs: a bounded number of queries, with nothing dropped on the way (the new
tasks' clocks, the events before the hooks, the ledger entry)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.accounts.tests.factories import ledger_entries, make_department
from yiwang.core.deadlines import TimeLimit
from yiwang.workflow import hooks, services
from yiwang.workflow.models import InstanceState, ProcessEvent, Task
from yiwang.workflow.tests.factories import local, make_definition, make_officer, open_tasks, stage

pytestmark = pytest.mark.django_db

# lock the instance, read the tasks, the actor's roles, update the task, the events, the ledger
# (3 queries on PostgreSQL, 2 on SQLite), plus the savepoint pair of the test transaction.
PLAIN_STEP_QUERIES = 10
# … and when the step opens a stage with a limit: stops, extensions, the calendar (its years, and
# a confirmed year's days the first time this process sees its revision), insert the tasks.
OPENING_STEP_QUERIES = PLAIN_STEP_QUERIES + 5


@pytest.fixture
def joint():
    """审批局 owns the case; 公安 and 卫健 review in parallel, then 审批局 approves."""
    bureau, police, health = (
        make_department("审批局"),
        make_department("公安分局"),
        make_department("卫健局"),
    )
    spec = {
        "stages": [
            stage("police", departments=[police.uscc], limit={"amount": 5, "unit": "working_days"}),
            stage("health", departments=[health.uscc], limit={"amount": 5, "unit": "working_days"}),
            stage(
                "approve",
                "approver",
                after=["police", "health"],
                limit={"amount": 3, "unit": "working_days"},
            ),
        ]
    }
    officers = {
        "police": make_officer("reviewer", police),
        "health": make_officer("reviewer", health),
        "approve": make_officer("approver", bureau),
    }
    instance = services.start_process(
        make_definition(spec),
        business_key="STEP-COST-1",
        department=bureau,
        data={},
        started_at=local(2025, 9, 30, 10),
        limit=TimeLimit.working_days(20),
        legal_limit=TimeLimit.working_days(20),
        business_service="test.step_cost",  # no hooks of another app: the engine's own queries
    )
    return instance, officers


def _complete(instance, stage_key, officers):
    [task] = open_tasks(instance, stage_key)
    with CaptureQueriesContext(connection) as queries:
        result = services.complete_task(task, actor=officers[stage_key], outcome="approve")
    return result, len(queries)


def test_each_step_of_a_parallel_process_stays_within_its_query_budget(joint):
    instance, officers = joint

    _, first = _complete(instance, "police", officers)
    _, joining = _complete(instance, "health", officers)
    result, last = _complete(instance, "approve", officers)

    assert first <= PLAIN_STEP_QUERIES
    assert joining <= OPENING_STEP_QUERIES
    assert last <= PLAIN_STEP_QUERIES + 1  # the instance row is closed
    assert result.state == InstanceState.APPROVED
    assert ProcessEvent.objects.filter(instance=instance).count() == 8
    assert len(ledger_entries("workflow.task_completed", object_id=str(instance.pk))) == 3


def test_a_task_opened_by_a_join_is_inserted_with_its_stage_clock(joint):
    instance, officers = joint
    _complete(instance, "police", officers)
    _complete(instance, "health", officers)

    [approval] = open_tasks(instance, "approve")
    computed = (approval.due_at, approval.yellow_at)
    services.refresh_clock(instance)
    approval.refresh_from_db()

    assert computed[0] is not None
    assert (approval.due_at, approval.yellow_at) == computed


def test_a_task_opened_hook_already_sees_the_events_of_its_step(joint):
    instance, officers = joint
    seen = []

    def on_opened(task: Task) -> None:
        seen.append(
            list(
                ProcessEvent.objects.filter(instance_id=task.instance_id, task=task).values_list(
                    "kind", flat=True
                )
            )
        )

    hooks.register(instance.business_service, on_task_opened=on_opened)
    try:
        _complete(instance, "police", officers)
        _complete(instance, "health", officers)
    finally:
        hooks.unregister(instance.business_service)

    assert seen == [["task_opened"]]
