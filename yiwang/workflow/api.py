"""JSON API of the workflow engine (mounted at /api/v1/workflow).

Definitions are public (the process of a public item is public): the active version, its BPMN
XML and its diagram. Simulation reads past instances' data: approvers (cases.approve) and the
system administrator. Tasks: the signed-in staff user's own worklist, scope-filtered.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from yiwang.accounts.auth import SessionOrTokenAuth
from yiwang.core.errors import PermissionDenied
from yiwang.workflow import bpmn, rules, selectors
from yiwang.workflow.models import Task
from yiwang.workflow.permissions import can_simulate
from yiwang.workflow.schemas import (
    DefinitionOut,
    SimulateIn,
    SimulationOut,
    StageOut,
    TaskOut,
    TaskPageOut,
)
from yiwang.workflow.spec import parse_spec

router = Router(tags=["workflow"], auth=SessionOrTokenAuth())


class TaskFilter(Schema):
    warning: str | None = None
    limit: int = 50
    offset: int = 0


def _task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.pk,
        name=task.name,
        stage_key=task.stage_key,
        mode=task.mode,
        role_code=task.role_code,
        state=task.state,
        department_id=task.department_id,
        department_name=task.department.name,
        business_service=task.instance.business_service,
        business_key=task.instance.business_key,
        instance_state=task.instance.state,
        created_at=task.created_at,
        due_at=task.due_at,
        yellow_at=task.yellow_at,
        warning=task.warning,
    )


@router.get("/definitions/{key}", response=DefinitionOut, auth=None, summary="Active definition")
def get_definition(request: HttpRequest, key: str) -> DefinitionOut:
    definition = selectors.active_definition(key)
    spec = parse_spec(definition.spec)
    return DefinitionOut(
        key=definition.key,
        version=definition.version,
        name=definition.name,
        stages=[
            StageOut(
                key=s.key,
                name=s.name,
                role=s.role,
                departments=list(s.departments),
                mode=s.mode,
                after=list(s.after),
                conditional=s.when is not None,
                limit_amount=None if s.limit is None else s.limit.amount,
                limit_unit=None if s.limit is None else str(s.limit.unit),
            )
            for s in spec.order
        ],
        auto_approval_enabled=spec.auto_approval.enabled,
        max_extension=spec.max_extension,
        spec=definition.spec,
    )


@router.get("/definitions/{key}/bpmn", auth=None, summary="Definition as BPMN 2.0 XML")
def get_definition_bpmn(request: HttpRequest, key: str) -> HttpResponse:
    definition = selectors.active_definition(key)
    return HttpResponse(bpmn.to_bpmn_xml(definition), content_type="application/xml")


@router.get("/definitions/{key}/diagram.svg", auth=None, summary="Definition diagram (SVG)")
def get_definition_diagram(request: HttpRequest, key: str) -> HttpResponse:
    definition = selectors.active_definition(key)
    return HttpResponse(bpmn.diagram_svg(definition), content_type="image/svg+xml")


@router.post(
    "/definitions/{key}/simulate", response=SimulationOut, summary="Simulate auto-approval rules"
)
def simulate_definition(request: HttpRequest, key: str, body: SimulateIn) -> SimulationOut:
    user = request.auth  # type: ignore[attr-defined]
    if not can_simulate(user):
        raise PermissionDenied(
            "simulation_not_allowed", _("只有审批负责人或系统管理员可以模拟秒办规则。")
        )
    definition = selectors.active_definition(key)
    candidate = parse_spec(body.spec) if body.spec is not None else parse_spec(definition.spec)
    report = rules.simulate(candidate, selectors.instances_for_simulation(key))
    return SimulationOut(key=key, candidate=body.spec is not None, **report.as_dict())


@router.get("/tasks", response=TaskPageOut, summary="My open tasks")
def my_tasks(request: HttpRequest, filters: Query[TaskFilter]) -> TaskPageOut:
    user = request.auth  # type: ignore[attr-defined]
    limit = max(1, min(filters.limit, 200))
    offset = max(0, filters.offset)
    queryset = selectors.tasks_for_user(user, warning=filters.warning, now=timezone.now())
    page = list(queryset[offset : offset + limit])
    return TaskPageOut(count=queryset.count(), items=[_task_out(t) for t in page])


@router.get("/tasks/{task_id}", response=TaskOut, summary="One of my tasks")
def get_task(request: HttpRequest, task_id: int) -> TaskOut:
    return _task_out(selectors.get_task_for_user(request.auth, task_id))  # type: ignore[attr-defined]
