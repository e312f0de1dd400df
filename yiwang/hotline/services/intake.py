"""受理: validation of a demand from any channel, intake with the classifier's suggestions,
confirmation of the category and 不予受理 referral."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Person, User
from yiwang.core.errors import Conflict, ValidationFailed
from yiwang.core.identifiers import validate_contact_phone, validate_region_code
from yiwang.hotline import states
from yiwang.hotline.models import (
    ApiClient,
    Category,
    Channel,
    Ticket,
    TicketType,
    Urgency,
)
from yiwang.hotline.numbering import allocate_number
from yiwang.hotline.services.base import (
    MAX_CONTENT_CHARS,
    _locked,
    _move,
    _record,
    _sync,
    clean_content,
    require_agent,
    require_agent_regions,
)


def _content_error(value: Any) -> tuple[str, str] | tuple[None, str]:
    if not isinstance(value, str):
        return None, ""
    if len(value) > MAX_CONTENT_CHARS * 10:  # never run the regexes over megabytes
        return ("content_too_long", "")
    text = clean_content(value)
    if len(text) > MAX_CONTENT_CHARS:
        return ("content_too_long", "")
    if not any(ch.isalnum() for ch in text):  # letters, digits and CJK; emoji are not
        return ("content_empty", "")
    return None, text


def _coordinate(value: Any, low: int, high: int) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or not low <= number <= high:
        return None
    return number.quantize(Decimal("0.000001"))


def leaf_category(code: str) -> Category | None:
    return Category.objects.filter(code=code, level=3, is_active=True).first()


def _media_url(value: Any) -> str | None:
    """An http(s) link without credentials, at most 500 characters; never fetched."""
    if not isinstance(value, str) or len(value.strip()) > 500:
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return url


def _validate(
    *,
    type: Any,
    channel: Any,
    content: Any,
    region_code: Any,
    address: Any,
    latitude: Any,
    longitude: Any,
    caller_name: Any,
    caller_phone: Any,
    category_code: Any,
    urgency: Any,
    caller_email: Any = "",
    media_url: Any = "",
    region_prefixes: list[str] | None = None,
) -> dict[str, Any]:
    errors: dict[str, dict[str, str]] = {}

    def fail(field: str, code: str, message: str) -> None:
        errors.setdefault(field, {"code": code, "message": message})

    clean: dict[str, Any] = {}
    if type not in TicketType.values:
        fail("type", "unknown_type", _("诉求类型无效。"))
    if channel not in Channel.values:
        fail("channel", "unknown_channel", _("来源渠道无效。"))
    if urgency not in Urgency.values:
        fail("urgency", "unknown_urgency", _("紧急程度无效。"))

    code, text = _content_error(content)
    if code == "content_too_long":
        fail(
            "content",
            code,
            _("诉求内容过长，最多%(max)s个字。") % {"max": MAX_CONTENT_CHARS},
        )
    elif code == "content_empty" or not isinstance(content, str):
        fail("content", "content_empty", _("请填写诉求内容（须包含文字或数字）。"))
    clean["content"] = text

    try:
        clean["region_code"] = validate_region_code(region_code)
    except ValidationFailed as exc:
        fail("region_code", exc.code, exc.message)
    else:
        if region_prefixes is not None and not clean["region_code"].startswith(
            tuple(region_prefixes)
        ):
            fail(
                "region_code",
                "region_outside_centre",
                _("该地点不在本热线中心的服务区域内，请转对应地区的12345热线。"),
            )

    address = clean_content(address) if isinstance(address, str) else ""
    if len(address) > 255:
        fail("address", "address_too_long", _("地址过长，最多255个字。"))
    clean["address"] = address

    clean["latitude"] = clean["longitude"] = None
    if (latitude is None) != (longitude is None):
        fail("latitude", "coordinates_incomplete", _("经纬度须同时填写或同时不填。"))
    elif latitude is not None:
        clean["latitude"] = _coordinate(latitude, -90, 90)
        clean["longitude"] = _coordinate(longitude, -180, 180)
        if clean["latitude"] is None:
            fail("latitude", "latitude_out_of_range", _("纬度应在−90至90之间。"))
        if clean["longitude"] is None:
            fail("longitude", "longitude_out_of_range", _("经度应在−180至180之间。"))

    caller_name = clean_content(caller_name) if isinstance(caller_name, str) else ""
    if len(caller_name) > 100:
        fail("caller_name", "caller_name_too_long", _("来电人姓名过长。"))
    clean["caller_name"] = caller_name
    clean["caller_phone"] = ""
    if caller_phone not in (None, ""):
        try:
            clean["caller_phone"] = validate_contact_phone(caller_phone, field="caller_phone")
        except ValidationFailed as exc:
            fail("caller_phone", exc.code, exc.message)
    clean["caller_email"] = ""
    if caller_email not in (None, ""):
        email = caller_email.strip() if isinstance(caller_email, str) else ""
        try:
            validate_email(email)
        except DjangoValidationError:
            fail("caller_email", "invalid_email", _("电子邮箱格式不正确。"))
        else:
            if len(email) > 254:
                fail("caller_email", "invalid_email", _("电子邮箱格式不正确。"))
            clean["caller_email"] = email
    clean["media_url"] = ""
    if media_url not in (None, ""):
        url = _media_url(media_url)
        if url is None:
            fail(
                "media_url",
                "invalid_media_url",
                _("图片链接须为不超过500个字符的http或https地址。"),
            )
        clean["media_url"] = url or ""

    clean["category"] = None
    if category_code:
        category = leaf_category(str(category_code))
        if category is None:
            fail("category_code", "unknown_category", _("诉求分类不存在或不是末级分类。"))
        clean["category"] = category

    if errors:
        raise ValidationFailed(
            "ticket_invalid",
            _("工单信息有误，请修改后重新提交。"),
            details={"errors": errors},
        )
    return clean


# --------------------------------------------------------------------------- intake


def suggestions_for(text: str, k: int = 3) -> list[dict[str, Any]]:
    from yiwang.hotline.classifier import default_model

    return [
        {"code": s.code, "confidence": round(s.confidence, 4)}
        for s in default_model().suggest(text, k=k)
    ]


def intake(
    agent: Any,
    *,
    type: str,
    channel: str,
    content: str,
    region_code: str,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    caller_name: str = "",
    caller_phone: str = "",
    category_code: str = "",
    urgency: str = Urgency.NORMAL,
    caller_email: str = "",
    media_url: str = "",
    caller: Person | None = None,
    api_client: ApiClient | None = None,
) -> Ticket:
    """受理 a demand (``agent`` None: submitted by the caller through the web, app or API)."""
    prefixes = require_agent_regions(agent) if agent is not None else None
    clean = _validate(
        region_prefixes=prefixes,
        type=type,
        channel=channel,
        content=content,
        region_code=region_code,
        address=address,
        latitude=latitude,
        longitude=longitude,
        caller_name=caller_name,
        caller_phone=caller_phone,
        category_code=category_code,
        urgency=urgency,
        caller_email=caller_email,
        media_url=media_url,
    )
    category: Category | None = clean.pop("category")
    data: dict[str, Any] = {"channel": channel}
    if category is None:
        suggestions = suggestions_for(clean["content"])
        data["suggestions"] = suggestions
        data["suggested"] = suggestions[0]["code"] if suggestions else ""
    else:
        data["category"] = category.code
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=allocate_number(now),
            type=type,
            channel=channel,
            urgency=urgency,
            category=category,
            accepted_at=now,
            agent=agent if isinstance(agent, User) else None,
            caller=caller,
            api_client=api_client,
            **clean,
        )
        _record(
            ticket,
            "intake",
            agent,
            from_status="",
            to_status=ticket.status,
            data=data,
            at=now,
        )
        if category is not None and category.not_accepted:
            _refer(ticket, agent, category, now)
    return ticket


def _refer(ticket: Ticket, actor: Any, category: Category, at: dt.datetime) -> None:
    ticket.closed_at = at
    _move(
        ticket,
        "refer",
        actor,
        reason=category.referral,
        data={"category": category.code},
        at=at,
        update_fields=("closed_at",),
    )


def confirm_category(agent: Any, ticket: Ticket, code: str) -> Ticket:
    """The agent confirms (or corrects) the category of a ticket not yet dispatched; a
    not-accepted category refers the caller at once."""
    require_agent(agent)
    category = leaf_category(str(code or ""))
    if category is None:
        raise ValidationFailed(
            "unknown_category",
            _("诉求分类不存在或不是末级分类。"),
            field="category_code",
        )
    with transaction.atomic():
        current = _locked(ticket)
        if current.status != states.ACCEPTED:
            raise Conflict("illegal_transition", _("工单已派单，不能再修改分类。"))
        now = timezone.now()
        previous = current.category.code if current.category is not None else ""
        current.category = category
        current.save(update_fields=["category", "updated_at"])
        _record(
            current,
            "categorise",
            agent,
            from_status=current.status,
            to_status=current.status,
            data={"category": category.code, "previous": previous},
            at=now,
        )
        if category.not_accepted:
            _refer(current, agent, category, now)
    return _sync(ticket, current)
