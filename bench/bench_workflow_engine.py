"""Our workflow engine against SpiffWorkflow 3.x on the same process, state persisted after every
step in PostgreSQL. The process: start → two department reviews in parallel (公安, 卫健) → final
approval → end, each stage with a working-day limit.

Both sides run as a server would, one request per step, each step one committed transaction that
loads the state from PostgreSQL and writes it back:

ours: `yiwang.workflow.services` on a throwaway PostgreSQL database (migrated): start_process,
then for each review and the approval the task is read by its instance and stage (the request's
look-up) and complete_task runs with everything production does (instance row lock, the tasks,
scope-checked authorisation, clocks on the calendar table, the events of the step, one
SM3-chained ledger entry per decision). ref: the same definition exported by
`yiwang.workflow.bpmn.to_bpmn_xml` (parallel gateways), parsed once by SpiffWorkflow's
BpmnParser; the start request runs the workflow to its first user tasks and INSERTs the
serialized JSON (BpmnWorkflowSerializer) as JSONB; each later request locks and reads the row
(SELECT … FOR UPDATE), deserializes the workflow, runs the named user task and the engine steps,
serializes and UPDATEs the row (psycopg). Both: processes/s over the same N
(YIWANG_BENCH_WORKFLOW_PROCESSES, default 300), single process, after a warm-up, alternating
chunks of 10 processes so that both see the same (shared) machine.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import migrated_database, note, result  # noqa: E402

PROCESSES = int(os.environ.get("YIWANG_BENCH_WORKFLOW_PROCESSES", "300"))
WARMUP = 20
CHUNK = 10


def _setup_world():
    from yiwang.accounts import services as accounts
    from yiwang.accounts.models import Role, User
    from yiwang.core.identifiers import make_uscc

    region = accounts.create_region("330000000000", "浙江省")
    region = accounts.create_region("330100000000", "杭州市")
    region = accounts.create_region("330102000000", "上城区")
    departments = [
        accounts.create_department(name, make_uscc("1", "1", "330102", f"{i:07d}8"), region)
        for i, name in enumerate(("上城区行政审批局", "上城区公安分局", "上城区卫生健康局"), 1)
    ]
    reviewer = accounts.create_role("reviewer", "审核员", scope=Role.Scope.OWN_DEPARTMENT)
    approver = accounts.create_role(
        "approver",
        "审批负责人",
        scope=Role.Scope.DEPARTMENT_SUBTREE,
        capabilities=["cases.approve"],
    )

    def officer(username: str, department, role) -> User:
        user = accounts.create_user_account(username, kind=User.Kind.STAFF, display_name=username)
        accounts.grant_role(None, user, department, role)
        return user

    item, police, health = departments
    return {
        "item": item,
        "police": police,
        "health": health,
        "police_reviewer": officer("police.reviewer", police, reviewer),
        "health_reviewer": officer("health.reviewer", health, reviewer),
        "approver": officer("item.approver", item, approver),
    }


def _spec(world) -> dict:
    return {
        "stages": [
            {
                "key": "police",
                "name": "公安审查",
                "role": "reviewer",
                "departments": [world["police"].uscc],
                "limit": {"amount": 5, "unit": "working_days"},
            },
            {
                "key": "health",
                "name": "卫健审查",
                "role": "reviewer",
                "departments": [world["health"].uscc],
                "limit": {"amount": 5, "unit": "working_days"},
            },
            {
                "key": "approve",
                "name": "审批",
                "role": "approver",
                "departments": ["$item"],
                "after": ["police", "health"],
                "limit": {"amount": 3, "unit": "working_days"},
            },
        ]
    }


def run_ours(definition, world, count: int, offset: int) -> float:
    from django.utils import timezone

    from yiwang.core.deadlines import TimeLimit
    from yiwang.workflow import services
    from yiwang.workflow.models import InstanceState, Task

    steps = (("police", "police_reviewer"), ("health", "health_reviewer"), ("approve", "approver"))
    began = time.perf_counter()
    for n in range(offset, offset + count):
        instance = services.start_process(
            definition,
            business_key=f"BENCH-{n:07d}",
            department=world["item"],
            data={"applicant": {"age": 40}},
            started_at=timezone.now(),
            limit=TimeLimit.working_days(15),
            legal_limit=TimeLimit.working_days(20),
            business_service="bench.joint",  # no hooks: the engine alone
        )
        for stage_key, who in steps:
            task = Task.objects.get(instance=instance, stage_key=stage_key, state="open")
            instance = services.complete_task(task, actor=world[who], outcome="approve")
        assert instance.state == InstanceState.APPROVED
    return time.perf_counter() - began


def run_spiff(spec, pg, count: int, offset: int) -> float:
    """Spiff as a server would run it: one request per step, each loading the workflow from
    PostgreSQL (row lock, deserialize), running the named user task, serializing and writing the
    state back, and committing — the same one transaction per step as ours."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    serializer = BpmnWorkflowSerializer()
    insert = "INSERT INTO spiff_state (id, step, state) VALUES (%s, 0, %s::jsonb)"
    load = "SELECT step, state::text FROM spiff_state WHERE id = %s FOR UPDATE"
    store = "UPDATE spiff_state SET step = %s, state = %s::jsonb WHERE id = %s"
    stage_names = ("公安审查", "卫健审查", "审批")

    began = time.perf_counter()
    for n in range(offset, offset + count):
        key = f"BENCH-{n:07d}"
        with pg.transaction():  # request 1: start
            workflow = BpmnWorkflow(spec)
            workflow.data["applicant"] = {"age": 40}
            workflow.do_engine_steps()
            pg.execute(insert, (key, serializer.serialize_json(workflow)))
        for name in stage_names:  # requests 2–4: one user task each
            with pg.transaction():
                step, state = pg.execute(load, (key,)).fetchone()
                workflow = serializer.deserialize_json(state)
                ready = [
                    t
                    for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                    if t.task_spec.bpmn_name == name
                ]
                if len(ready) != 1:
                    raise RuntimeError(f"SpiffWorkflow: no single ready task {name!r}")
                ready[0].data["outcome"] = "approve"
                ready[0].run()
                workflow.do_engine_steps()
                pg.execute(store, (step + 1, serializer.serialize_json(workflow), key))
        if not workflow.is_completed():
            raise RuntimeError("SpiffWorkflow did not complete the process")
    return time.perf_counter() - began


def main() -> None:
    url, env = migrated_database("yiwang_bench_workflow")
    os.environ.update(env)

    import django

    django.setup()
    import psycopg
    from SpiffWorkflow.bpmn.parser import BpmnParser

    from yiwang.workflow import services
    from yiwang.workflow.bpmn import to_bpmn_xml

    world = _setup_world()
    definition = services.publish_definition("bench-joint", "并联审批基准流程", _spec(world))

    parser = BpmnParser()
    parser.add_bpmn_str(to_bpmn_xml(definition, executable=True).encode("utf-8"))
    spiff_spec = parser.get_spec("Process_1")
    pg = psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True)
    pg.execute("CREATE TABLE spiff_state (id text PRIMARY KEY, step int NOT NULL, state jsonb)")

    run_ours(definition, world, WARMUP, 0)
    run_spiff(spiff_spec, pg, WARMUP, 0)
    # Alternate small chunks so that both engines see the same (shared, noisy) machine.
    ours_seconds = spiff_seconds = 0.0
    for offset in range(WARMUP, WARMUP + PROCESSES, CHUNK):
        count = min(CHUNK, WARMUP + PROCESSES - offset)
        ours_seconds += run_ours(definition, world, count, offset)
        spiff_seconds += run_spiff(spiff_spec, pg, count, offset)
    size = pg.execute("SELECT avg(pg_column_size(state))::int FROM spiff_state").fetchone()[0]
    pg.close()

    from yiwang.core.models.ledger import LedgerEntry
    from yiwang.workflow.models import ProcessEvent

    events = ProcessEvent.objects.count()
    entries = LedgerEntry.objects.filter(action="workflow.task_completed").count()
    ours_rate = PROCESSES / ours_seconds
    spiff_rate = PROCESSES / spiff_seconds
    note(
        f"{PROCESSES} processes × 4 committed steps each: ours {ours_seconds:.2f} s "
        f"({ours_seconds / PROCESSES / 4 * 1000:.2f} ms/step; {events} events, {entries} task "
        f"decisions in the ledger in total), SpiffWorkflow {spiff_seconds:.2f} s "
        f"({spiff_seconds / PROCESSES / 4 * 1000:.2f} ms/step; serialized state ≈ {size} bytes)"
    )
    note(f"run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; goal: ratio ≥ 5")
    result("workflow_engine", ours_rate, "processes/s", spiff_rate, "processes/s")


if __name__ == "__main__":
    main()
