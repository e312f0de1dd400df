"""ninja schemas for the cases API (explicit fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class MaterialChoiceIn(Schema):
    source: Literal["upload", "licence", "shared", "commitment"]
    licence_id: str = ""
    shared_record: int | None = None


class CaseIn(Schema):
    item: str = Field("", description="实施编码 of the item (or give bundle)")
    bundle: str = Field("", description="一件事 code")
    enterprise: int | None = None
    form: dict[str, Any] = Field(default_factory=dict)
    materials: dict[str, MaterialChoiceIn] = Field(default_factory=dict)
    delivery: Literal["electronic", "post", "pickup"] = "electronic"
    delivery_address: str = ""


class CaseMaterialOut(Schema):
    key: str
    name: str
    source: str
    original_name: str
    size: int
    sha256: str
    licence_id: str
    trust_level: str


class CaseOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    item: str | None
    item_name: str
    bundle: str | None
    parent: str | None
    members: list[str]
    department: str
    channel: str
    acceptance_mode: str
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    due_at: dt.datetime | None
    legal_due_at: dt.datetime | None
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    decision_reason: str
    result: dict[str, Any]
    delivery: str
    deficiencies: list[dict[str, Any]]
    materials: list[CaseMaterialOut]


class CaseRowOut(Schema):
    id: int
    number: str
    status: str
    item: str | None
    item_name: str
    department: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    warning: str


class CasePageOut(Schema):
    count: int
    page: int
    results: list[CaseRowOut]


class TimelineOut(Schema):
    at: dt.datetime
    title: str
    actor: str
    note: str
    source: str


class AcceptIn(Schema):
    mode: Literal["normal", "deficiency", "commitment"] = "normal"
    deficient: list[str] = Field(default_factory=list)
    deficiency_due: dt.date | None = None
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


class CorrectionItemIn(Schema):
    material: str = ""
    note: str = ""


class CorrectionIn(Schema):
    items: list[CorrectionItemIn] = Field(default_factory=list)
    note: str = ""


class ResubmitIn(Schema):
    form: dict[str, Any] = Field(default_factory=dict)
    materials: dict[str, MaterialChoiceIn] = Field(default_factory=dict)


class ReviewIn(Schema):
    outcome: Literal["approve", "reject"]
    comment: str = ""


class SuspendIn(Schema):
    reason_code: str = "expert_review"
    reason: str


class ExtendIn(Schema):
    amount: int = Field(..., ge=1, le=60)
    reason: str


class DeliverIn(Schema):
    method: Literal["electronic", "post", "pickup"] | None = None
