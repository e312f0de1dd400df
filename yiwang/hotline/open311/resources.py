"""The Open311 GeoReport v2 resources, built from our categories and tickets (plain dicts that
``formats`` renders as JSON or XML).

- A *service* is an active, accepted leaf of the taxonomy (不予受理 leaves are not offered):
  ``service_code`` = the category code, ``group`` = its level-1 name, ``keywords`` = the
  taxonomy's keywords, ``type`` = ``realtime`` (a request is a ticket at once), ``metadata`` =
  true: its *definition* has two attributes, the ticket type (诉求类型, a singlevaluelist,
  default 投诉) and the 12-digit region code (Open311 has no notion of region; default
  ``YIWANG_OPEN311_DEFAULT_REGION``).
- A *service request* is a ticket: ``service_request_id`` = the ticket number, ``status`` open or
  closed (closed = 已办结, 不予受理, 已合并), ``status_notes`` the answer once there is one (the
  referral for 不予受理, the primary ticket for a merged one, the status label otherwise),
  ``agency_responsible`` the handling department, ``expected_datetime`` the handling deadline.
  Personal data never appears (``privacy``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.hotline import states
from yiwang.hotline.models import Category, Ticket, TicketStatus, TicketType
from yiwang.hotline.open311 import privacy

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this facade last changed in a way clients should notice (discovery's "changeset").
CHANGESET = "2026-11-22T00:00:00+08:00"
DEFAULT_REGION = "339900000000"
DEFAULT_TYPE = TicketType.COMPLAINT
TYPE_ATTRIBUTE = "type"
REGION_ATTRIBUTE = "region_code"
ATTRIBUTES = (TYPE_ATTRIBUTE, REGION_ATTRIBUTE)
OPEN = "open"
CLOSED = "closed"
DESCRIPTION_LIMIT = 4000  # GeoReport v2: free text "limited to 4,000 characters"
_CODE = re.compile(r"[0-9]{6}")


def default_region() -> str:
    return str(getattr(settings, "YIWANG_OPEN311_DEFAULT_REGION", DEFAULT_REGION))


def jurisdiction_id() -> str:
    """Our jurisdiction_id: ``YIWANG_OPEN311_JURISDICTION``, else the public host name."""
    configured = getattr(settings, "YIWANG_OPEN311_JURISDICTION", "")
    if configured:
        return str(configured)
    return urlsplit(settings.YIWANG_PUBLIC_URL).hostname or "localhost"


def w3c(value: dt.datetime | None) -> str | None:
    """A W3C / RFC 3339 date-time in the deployment's time zone (``2026-11-22T09:30:00+08:00``)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# --- services ---------------------------------------------------------------------------------


def offered_services() -> QuerySet[Category]:
    return (
        Category.objects.filter(level=3, is_active=True, not_accepted=False)
        .select_related("parent__parent")
        .order_by("code")
    )


def offered_service(code: str) -> Category | None:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return None
    return offered_services().filter(code=code).first()


def limit_text(category: Category | None) -> str:
    if category is None or not category.limit_amount:
        return ""
    if category.limit_unit == Category.Unit.HOURS:
        return _("办理时限：%(amount)s小时") % {"amount": category.limit_amount}
    return _("办理时限：%(amount)s个工作日") % {"amount": category.limit_amount}


def _path(category: Category) -> list[str]:
    names = [category.name]
    parent = category.parent
    while parent is not None:
        names.insert(0, parent.name)
        parent = parent.parent
    return names


def service(category: Category) -> dict[str, Any]:
    path = _path(category)
    limit = limit_text(category)
    description = " › ".join(path) + (f"。{limit}。" if limit else "。")
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": description,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(str(k) for k in category.keywords or []),
        "group": path[0],
    }


def service_definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": TYPE_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("不填时按“%(default)s”受理。")
                % {"default": TicketType(DEFAULT_TYPE).label},
                "order": 1,
                "description": _("诉求类型"),
                "values": [
                    {"key": value, "name": str(label)} for value, label in TicketType.choices
                ],
            },
            {
                "variable": True,
                "code": REGION_ATTRIBUTE,
                "datatype": "string",
                "required": False,
                "datatype_description": _(
                    "12位行政区划代码（区县6位+乡镇街道3位+村社区3位），不填时为%(default)s。"
                )
                % {"default": default_region()},
                "order": 2,
                "description": _("诉求发生地的行政区划"),
            },
        ],
    }


# --- service requests -------------------------------------------------------------------------


def public_tickets() -> QuerySet[Ticket]:
    """Every ticket, for the public facade (what may be shown is decided by ``service_request``)."""
    return Ticket.objects.select_related("category", "department", "primary")


def request_status(ticket: Ticket) -> str:
    return CLOSED if ticket.status in states.FINAL_STATUSES else OPEN


def _redact(ticket: Ticket, text: str) -> str:
    return privacy.redact(
        text,
        name=ticket.caller_name,
        phone=ticket.caller_phone,
        email=ticket.caller_email,
        address=ticket.address,
    )


def status_notes(ticket: Ticket) -> str:
    if ticket.answer and ticket.type != TicketType.REPORT:  # a 举报's answer is not published
        return _redact(ticket, ticket.answer)
    if ticket.status == TicketStatus.NOT_ACCEPTED and ticket.category is not None:
        return ticket.category.referral or str(TicketStatus(ticket.status).label)
    if ticket.status == TicketStatus.MERGED and ticket.primary is not None:
        return _("重复诉求，已并入工单%(number)s。") % {"number": ticket.primary.number}
    return str(TicketStatus(ticket.status).label)


def public_description(ticket: Ticket) -> str:
    if ticket.type == TicketType.REPORT:
        return _("举报内容不予公开。")
    text = _redact(ticket, ticket.content)
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1] + "…"
    return text


def service_request(ticket: Ticket) -> dict[str, Any]:
    category = ticket.category
    closed = request_status(ticket) == CLOSED
    updated = ticket.closed_at if closed and ticket.closed_at else ticket.updated_at
    return {
        "service_request_id": ticket.number,
        "status": request_status(ticket),
        "status_notes": status_notes(ticket),
        "service_name": category.name if category is not None else None,
        "service_code": category.code if category is not None else "",
        "description": public_description(ticket),
        "agency_responsible": ticket.department.name if ticket.department is not None else None,
        "service_notice": limit_text(category) or None,
        "requested_datetime": w3c(ticket.accepted_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(ticket.due_at),
        "address": privacy.public_address(ticket.address) or None,
        "address_id": None,
        "zipcode": None,
        "lat": privacy.public_coordinate(ticket.latitude),
        "long": privacy.public_coordinate(ticket.longitude),
        "media_url": ticket.media_url or None,
    }


def submission_receipt(ticket: Ticket) -> dict[str, Any]:
    """The answer to a POST: the ticket number, which is also the token."""
    limit = limit_text(ticket.category)
    notice = _("诉求已受理，工单编号%(number)s。12345热线确认后将派至承办单位办理。") % {
        "number": ticket.number
    }
    if limit:
        notice += limit + "。"
    return {
        "service_request_id": ticket.number,
        "token": ticket.number,
        "service_notice": notice,
        "account_id": None,
    }


def token_answer(ticket: Ticket) -> dict[str, Any]:
    return {"service_request_id": ticket.number, "token": ticket.number}


# --- discovery --------------------------------------------------------------------------------


def discovery(url: str) -> dict[str, Any]:
    endpoint_type = "test" if getattr(settings, "YIWANG_DEMO", False) else "production"
    return {
        "changeset": CHANGESET,
        "contact": _("12345政务服务便民热线"),
        "key_service": _("接口密钥（api_key）请向12345热线中心申请；查询无需密钥。"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": endpoint_type,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
