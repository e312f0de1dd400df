"""ninja schemas for the hotline API (explicit fields).

Input schemas only bound sizes and shapes; the rules (allowed types and channels, text that is
empty or emoji-only, phone numbers, region codes, coordinates, categories) are the services', so
that every problem of a demand comes back at once with the services' stable codes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

# 12345 + YYYYMMDD + a daily sequence of 6 digits (more past 999,999 a day).
TICKET_NUMBER_PATTERN = r"^12345[0-9]{14,22}$"
# No NUL: PostgreSQL text cannot hold it, so a lookup with one would fail instead of answering.
NO_NUL = r"^[^\x00]*$"
# The services cut a demand at 10,000 characters once HTML is stripped; far longer bodies are
# refused here before any work.
MAX_RAW_CONTENT = 100_000
MAX_TEXT = 10_000

_TYPES = "consult 咨询 · help 求助 · complaint 投诉 · report 举报 · suggestion 建议"
_CHANNELS = "phone · web · app · sms · email · api"


class TicketIn(Schema):
    """A demand taken by an agent (受理); ``dispatch`` also confirms the classifier's category
    when it is sure enough and dispatches by the rules (受理并派单)."""

    type: str = Field(..., max_length=20, description=_TYPES)
    channel: str = Field("phone", max_length=10, description=_CHANNELS)
    content: str = Field(
        ..., max_length=MAX_RAW_CONTENT, description="诉求内容（去除HTML后不超过10,000字）"
    )
    region_code: str = Field(..., max_length=20, description="12位行政区划代码")
    address: str = Field("", max_length=1000)
    latitude: float | None = Field(None, description="−90…90，与经度同时填写或同时不填")
    longitude: float | None = Field(None, description="−180…180")
    caller_name: str = Field("", max_length=200)
    caller_phone: str = Field("", max_length=40, description="手机号或带区号的固定电话")
    category_code: str = Field(
        "", max_length=12, pattern=NO_NUL, description="末级分类代码；不填则由智能分类建议"
    )
    urgency: str = Field("normal", max_length=12, description="normal · urgent · emergency")
    dispatch: bool = Field(True, description="受理后按规则派单（分类把握足够时自动确认分类）")


class MyTicketIn(Schema):
    """A citizen's own demand (网站/移动端); he is the caller."""

    type: str = Field(..., max_length=20, description=_TYPES)
    channel: Literal["web", "app"] = "app"
    content: str = Field(..., max_length=MAX_RAW_CONTENT)
    region_code: str = Field(..., max_length=20, description="12位行政区划代码")
    address: str = Field("", max_length=1000)
    latitude: float | None = None
    longitude: float | None = None
    caller_phone: str = Field("", max_length=40, description="联系电话；不填则用实名信息中的号码")


class CategoryIn(Schema):
    category_code: str = Field(..., max_length=12, pattern=NO_NUL)


class DispatchIn(Schema):
    department_id: int | None = Field(None, description="人工指定承办单位；不填则按派单规则")


class ReviewIn(Schema):
    decision: str = Field(
        "redispatch", max_length=20, description="redispatch 改派 · insist 维持原派单"
    )
    department_id: int | None = Field(None, description="改派的承办单位；不填则按派单规则")


class NoteIn(Schema):
    note: str = Field(..., max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class TextIn(Schema):
    text: str = Field(..., max_length=MAX_TEXT)


class ExtensionDecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=2000, description="不予延期时必填")


class CallbackIn(Schema):
    resolved: bool
    satisfaction: int = Field(..., description="1 非常不满意 … 5 非常满意")


class ExtendIn(Schema):
    amount: int = Field(..., description="延期工作日数（累计不超过10个工作日）")
    reason: str = Field(..., max_length=2000)


# --- answers ---------------------------------------------------------------------------------------


class CategoryRefOut(Schema):
    code: str
    name: str


class DepartmentRefOut(Schema):
    id: int
    name: str


class SuggestionOut(Schema):
    code: str
    name: str
    confidence: float
    not_accepted: bool = Field(description="不予受理（须告知来电人其他渠道）")
    referral: str


class TicketEventOut(Schema):
    action: str
    label: str
    at: dt.datetime
    from_status: str
    to_status: str
    actor: str
    department: str
    reason: str
    data: dict[str, Any]


class TicketRowOut(Schema):
    id: int
    number: str
    type: str
    type_label: str
    channel: str
    urgency: str
    status: str
    status_label: str
    category: CategoryRefOut | None
    region_code: str
    address: str
    summary: str = Field(description="诉求内容的前60个字")
    caller_name: str
    caller_phone: str = Field(description="来电号码（来电人本人以外均脱敏）")
    department: DepartmentRefOut | None
    accepted_at: dt.datetime
    dispatched_at: dt.datetime | None
    sign_due_at: dt.datetime | None
    signed_at: dt.datetime | None
    due_at: dt.datetime | None
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    supervised: bool
    warning: Literal["none", "yellow", "red"]


class TicketOut(TicketRowOut):
    content: str
    latitude: float | None
    longitude: float | None
    first_department: DepartmentRefOut | None = Field(description="首接负责单位")
    answer: str
    resolved: bool | None
    satisfaction: int | None
    extended_amount: int
    return_count: int
    reopen_count: int
    suggestions: list[SuggestionOut] = Field(description="受理时智能分类的建议（前三）")
    timeline: list[TicketEventOut]


class TakeInOutcomeOut(Schema):
    reason: Literal[
        "dispatched",
        "not_accepted",
        "dispatch_not_requested",
        "no_suggestion",
        "low_confidence",
        "no_dispatch_rule",
    ]
    message: str
    categorised_by: Literal["agent", "classifier", ""]
    confidence: float | None
    threshold: float
    dispatched: bool


class TicketCreatedOut(TicketOut):
    outcome: TakeInOutcomeOut


class TicketPageOut(Schema):
    items: list[TicketRowOut]
    count: int = Field(description="符合条件的总数")
    limit: int
    offset: int


class MyTicketRowOut(Schema):
    id: int
    number: str
    type: str
    status: str
    status_label: str
    category: str = Field(description="分类名称")
    summary: str
    accepted_at: dt.datetime
    answered_at: dt.datetime | None


class ProgressOut(Schema):
    action: str
    label: str
    at: dt.datetime
    status: str
    status_label: str


class MyTicketOut(MyTicketRowOut):
    channel: str
    content: str
    region_code: str
    address: str
    caller_phone: str
    department: str = Field(description="承办单位")
    dispatched_at: dt.datetime | None
    due_at: dt.datetime | None
    answer: str
    closed_at: dt.datetime | None
    referral: str = Field(description="不予受理时告知的渠道")
    progress: list[ProgressOut]


class MyTicketPageOut(Schema):
    items: list[MyTicketRowOut]
    count: int
    limit: int
    offset: int
