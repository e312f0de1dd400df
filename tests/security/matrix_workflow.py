"""Authorisation matrix entries for the workflow engine (/api/v1/workflow): public process
definitions, the rule simulation (approvers and the system administrator), and the staff
worklist of tasks, scope-filtered (see tests/security/authz/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from tests.security.authz import (
    ANONYMOUS,
    AUDITOR,
    CITIZEN_A,
    CITIZEN_B,
    CLERK_A,
    CLERK_B,
    OUTSIDER_STAFF,
    SYSTEM_ADMIN,
    Case,
    Endpoint,
    Entry,
    Listing,
    Page,
    Scoped,
    World,
    body,
    describe,
    send,
)
from tests.security.authz.asserts import assert_no_leak
from yiwang.core.deadlines import TimeLimit
from yiwang.workflow import services
from yiwang.workflow.models import ProcessDefinition, Task

# The role code the matrix's counter clerks hold (tests/security/authz/world.py).
CLERK_ROLE = "authz-counter-clerk"


def _definition(world: World) -> ProcessDefinition:
    spec = {
        "stages": [
            {"key": "review", "name": "受理审查", "role": CLERK_ROLE, "departments": ["$item"]}
        ],
        "auto_approval": {
            "enabled": True,
            "rules": [
                {"id": "R1", "name": "老年人", "when": {"field": "age", "op": "gte", "value": 60}}
            ],
        },
    }
    return services.publish_definition("authz-process", "授权矩阵测试流程", spec)


def _task(world: World) -> Task:
    """An open task of department A for the clerks' role: clerk A handles it, clerk B not."""
    definition = _definition(world)
    instance = services.start_process(
        definition,
        business_key="AUTHZ-0001",
        department=world.department("a"),
        data={"age": 30},
        started_at=definition.created_at,
        limit=TimeLimit.working_days(5),
        legal_limit=TimeLimit.working_days(20),
        business_service="authz.test",
    )
    return Task.objects.get(instance=instance)


@dataclass(eq=False)
class PublicObject(Entry):
    """A public GET about an object named in the URL: everyone (anonymous included) gets 200
    for the object ``make`` builds and 404 for an unknown one, and no one's personal data."""

    make: Callable[[World], Model] = _definition
    kwargs: Callable[[Model], Mapping[str, Any]] = lambda obj: {"key": obj.key}  # type: ignore[attr-defined]
    unknown: Mapping[str, Any] = field(default_factory=lambda: {"key": "no-such-process"})
    personas: Sequence[str] = (ANONYMOUS, CITIZEN_A, CLERK_A)

    def cases(self, endpoints: Sequence[Endpoint], index: Mapping[str, Endpoint]) -> Iterator[Case]:
        for endpoint in endpoints:
            for persona in self.personas:
                yield Case("public", self, endpoint, "GET", persona)
            yield Case("unknown", self, endpoint, "GET", ANONYMOUS)

    def run(self, case: Case, world: World) -> None:
        world.everyone()
        endpoint = case.endpoint
        if case.check == "unknown":
            response = send(world.client(case.persona), "GET", endpoint.url(self.unknown), api=True)
            assert response.status_code == 404, f"{case}: expected 404, got {describe(response)}"
            return
        url = endpoint.url(self.kwargs(world.obj(self)))  # type: ignore[arg-type]
        response = send(world.client(case.persona), "GET", url, api=True)
        assert response.status_code == 200, f"{case}: expected 200, got {describe(response)}"
        assert_no_leak(body(response), world.foreign_secrets(case.persona), str(case))

    def page(self, world: World, endpoint: Endpoint) -> Page | None:
        return Page(ANONYMOUS, endpoint.url(self.kwargs(world.obj(self))))  # type: ignore[arg-type]


ENTRIES = [
    # The process of a public item is public: its definition, BPMN XML and diagram.
    PublicObject(
        (
            "GET /api/v1/workflow/definitions/{key}",
            "GET /api/v1/workflow/definitions/{key}/bpmn",
            "GET /api/v1/workflow/definitions/{key}/diagram.svg",
        )
    ),
    # Simulation replays the rules over past cases' data: the system administrator (and staff
    # with cases.approve) only; clerks, citizens, staff without a role and the auditor: 403.
    Scoped(
        "POST /api/v1/workflow/definitions/{key}/simulate",
        make=_definition,
        owner=SYSTEM_ADMIN,
        outsiders=(CLERK_A, CLERK_B, OUTSIDER_STAFF, CITIZEN_A, CITIZEN_B, AUDITOR),
        kwargs=lambda definition: {"key": definition.key},
        payloads={"POST": {}},
    ),
    # The worklist: each staff user's own tasks (citizens get an empty list).
    Listing("GET /api/v1/workflow/tasks"),
    # A task of department A: clerk A (his role, his region) sees it; clerk B of the sibling
    # district, staff without a role, citizens and the auditor get 404 and never list it.
    Scoped(
        "GET /api/v1/workflow/tasks/{task_id}",
        make=_task,
        lists=("GET /api/v1/workflow/tasks",),
        marker=lambda task: task.instance.business_key,  # type: ignore[attr-defined]
    ),
]
