"""Ninja schemas of the workflow API."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema


class StageOut(Schema):
    key: str
    name: str
    role: str
    departments: list[str]
    mode: str
    after: list[str]
    conditional: bool
    limit_amount: int | None
    limit_unit: str | None


class DefinitionOut(Schema):
    key: str
    version: int
    name: str
    stages: list[StageOut]
    auto_approval_enabled: bool
    max_extension: int
    spec: dict[str, Any]


class SimulateIn(Schema):
    spec: dict[str, Any] | None = None


class SimulatedInstanceOut(Schema):
    business_key: str
    old: str
    new: str
    changed: bool
    rule_id: str
    explanation: str


class SimulationOut(Schema):
    key: str
    candidate: bool
    total: int
    would_auto_approve: int
    would_stop_auto_approving: int
    unchanged: int
    summary: str
    instances: list[SimulatedInstanceOut]


class TaskOut(Schema):
    id: int
    name: str
    stage_key: str
    mode: str
    role_code: str
    state: str
    department_id: int
    department_name: str
    business_service: str
    business_key: str
    instance_state: str
    created_at: datetime.datetime
    due_at: datetime.datetime | None
    yellow_at: datetime.datetime | None
    warning: str


class TaskPageOut(Schema):
    count: int
    items: list[TaskOut]
