"""``POST requests``: reading a GeoReport v2 submission and turning it into ``services.intake``
arguments.

Parameters come form-encoded (the wiki), as a JSON object, or in the query string (the swagger
file declares them there); the body wins over the query string. Mapping:

    service_code → category (an offered service, else ``unknown_service``)
    description → content (required; no HTML: ``<`` and ``>`` are refused; a letter or digit
        of a script in ``LETTER_OR_DIGIT``; at most 4,000 characters)
    lat, long → latitude, longitude;  address_string → address
    first_name, last_name → caller_name (Chinese order: surname first);  phone, email
    media_url → media_url (stored as text, never fetched)
    attribute[type] → type (default 投诉);  attribute[region_code] → region_code (default
        ``YIWANG_OPEN311_DEFAULT_REGION``)

``address_id`` is refused (there is no address registry behind it); ``device_id`` and
``account_id`` are ignored; a body parameter GeoReport v2 does not define is refused (unknown
names in the query string are ignored: URLs pick up other things). Problems found here are reported together;
``services.intake`` then checks the rest (phone, e-mail, coordinates, region, lengths) and
stores nothing unless all is well. Field names in errors are the Open311 names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed
from yiwang.hotline.models import TicketType
from yiwang.hotline.open311 import resources

# Our field names (services.intake) → the Open311 parameter that carried them.
OPEN311_NAMES = {
    "content": "description",
    "category_code": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "caller_name": "first_name",
    "caller_phone": "phone",
    "caller_email": "email",
    "media_url": "media_url",
    "type": f"attribute[{resources.TYPE_ATTRIBUTE}]",
    "region_code": f"attribute[{resources.REGION_ATTRIBUTE}]",
}
_ATTRIBUTE_KEY = re.compile(r"attribute\[([^\[\]]*)\](\[\])?")
# The GeoReport v2 parameters of a submission; anything else is ignored.
PARAMETERS = frozenset(
    {
        "service_code",
        "description",
        "lat",
        "long",
        "address_string",
        "address_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "media_url",
        "device_id",
        "account_id",
        "api_key",
        "jurisdiction_id",
    }
)
MAX_NAME_PART = 40

# The scripts people write to 12345 in: Latin, Greek, Cyrillic, Arabic (Uyghur), Tibetan,
# Mongolian, kana, CJK, Hangul, full-width forms. A description needs one letter or digit of them
# (emoji and punctuation alone say nothing). The class lists each run of code points that
# ``str.isalnum`` accepts, as literal characters, so that the same pattern means the same in
# Python, in JSON Schema (ECMA 262) and in the swagger the conformance test hands schemathesis.
_SCRIPT_BLOCKS = (
    (0x30, 0x7A),
    (0xC0, 0x24F),
    (0x370, 0x4FF),
    (0x600, 0x6FF),
    (0xF00, 0xFFF),
    (0x1800, 0x18AF),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xFF10, 0xFF5A),
)


def _letters_and_digits() -> str:
    runs: list[str] = []
    for low, high in _SCRIPT_BLOCKS:
        start = None
        for code in range(low, high + 2):
            inside = code <= high and chr(code).isalnum()
            if inside and start is None:
                start = code
            elif not inside and start is not None:
                end = code - 1
                runs.append(chr(start) if start == end else f"{chr(start)}-{chr(end)}")
                start = None
    return "[" + "".join(runs) + "]"


LETTER_OR_DIGIT = _letters_and_digits()
# What a description must match: no HTML (< or >), a letter or digit somewhere.
DESCRIPTION_PATTERN = rf"^[^<>]*{LETTER_OR_DIGIT}[^<>]*$"
_MEANINGFUL = re.compile(LETTER_OR_DIGIT)


def _invalid_body() -> ValidationFailed:
    return ValidationFailed(
        "invalid_body",
        _("请求体无法解析：请用表单编码（application/x-www-form-urlencoded）或 JSON 对象提交。"),
    )


@dataclass(frozen=True)
class Submission:
    params: dict[str, Any]  # query string, overridden by the body
    body_keys: frozenset[str]  # the names the body (form or JSON) carried


def read_parameters(request: HttpRequest) -> Submission:
    """The submission's parameters: query string, overridden by the body (form or JSON). A form
    or query parameter given twice keeps its last value, as Django's ``QueryDict.get`` does."""
    params: dict[str, Any] = {key: request.GET.get(key) for key in request.GET}
    content_type = (request.content_type or "").lower()
    try:
        if content_type == "application/json" or content_type.endswith("+json"):
            body = _json_parameters(request.body)
        else:
            body = {key: request.POST.get(key) for key in request.POST}
    except (RequestDataTooBig, TooManyFieldsSent):
        raise ValidationFailed("body_too_large", _("请求体过大。")) from None
    except MultiPartParserError:
        raise _invalid_body() from None
    params.update(body)
    return Submission(params, frozenset(body))


def _json_parameters(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: [[[[…]]]]
        raise _invalid_body() from None
    if not isinstance(data, dict):
        raise _invalid_body()
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "attribute" and isinstance(value, dict):
            for code, inner in value.items():
                flat[f"attribute[{code}]"] = inner
        else:
            flat[key] = value
    return flat


def _text(value: Any) -> str | None:
    """A scalar parameter as text; None for a list, an object or a string with lone surrogates."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return None if any("\ud800" <= ch <= "\udfff" for ch in value) else value
    return None


def _caller_name(first: str, last: str) -> str:
    first, last = first.strip(), last.strip()
    if first.isascii() and last.isascii():
        return " ".join(part for part in (first, last) if part)
    return f"{last}{first}"


def intake_arguments(submission: Submission) -> dict[str, Any]:
    """``services.intake`` keyword arguments (but channel and client) from the parameters."""
    params = submission.params
    errors: dict[str, dict[str, str]] = {}

    def fail(field: str, code: str, message: str) -> None:
        errors.setdefault(field, {"code": code, "message": message})

    values: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for key, raw in params.items():
        if raw is None:  # JSON null: not given
            continue
        value = _text(raw)
        match = _ATTRIBUTE_KEY.fullmatch(key)
        if key == "attribute" or (key.startswith("attribute[") and match is None):
            fail(
                "attribute",
                "invalid_attribute",
                _("附加属性须写成 attribute[代码]=值。"),
            )
            continue
        if match is not None:
            code = match.group(1)
            if code not in resources.ATTRIBUTES:
                fail(key, "unknown_attribute", _("没有这个附加属性。"))
            elif match.group(2) or value is None:
                fail(key, "invalid_attribute", _("该附加属性只能取一个值。"))
            else:
                attributes[code] = value.strip()
            continue
        if key not in PARAMETERS:
            if key in submission.body_keys:  # the query string may carry other things
                fail(key or '""', "unknown_parameter", _("不是 GeoReport v2 的参数。"))
            continue
        if value is None:
            fail(key, "invalid_parameter", _("参数值应为文本。"))
            continue
        values[key] = value

    category_code = values.get("service_code", "").strip()
    if not category_code:
        fail("service_code", "service_code_required", _("请填写服务类型代码（service_code）。"))
    elif resources.offered_service(category_code) is None:
        fail("service_code", "unknown_service", _("服务类型不存在或不受理。"))

    description = values.get("description", "")
    if "<" in description or ">" in description:
        fail("description", "description_html", _("诉求内容不能包含HTML标记（< 或 >）。"))
    elif not _MEANINGFUL.search(description) and any(ch.isalnum() for ch in description):
        # Letters of another script only; text with none at all is left to services.intake,
        # which then reports it together with the other fields' problems.
        fail("description", "content_script", _("诉求内容须包含汉字、字母或数字。"))
    elif len(description) > resources.DESCRIPTION_LIMIT:
        fail(
            "description",
            "content_too_long",
            _("诉求内容过长，最多%(max)s个字。") % {"max": resources.DESCRIPTION_LIMIT},
        )

    if values.get("address_id"):
        fail(
            "address_id",
            "address_id_unsupported",
            _("不支持地址编号，请用 address_string 或经纬度（lat、long）说明位置。"),
        )

    first, last = values.get("first_name", ""), values.get("last_name", "")
    for name, part in (("first_name", first), ("last_name", last)):
        if len(part) > MAX_NAME_PART:
            fail(name, "caller_name_too_long", _("姓名过长。"))

    # An empty value is "not given" (a form's optional select left blank).
    ticket_type = attributes.get(resources.TYPE_ATTRIBUTE) or resources.DEFAULT_TYPE
    if ticket_type not in TicketType.values:
        fail(
            f"attribute[{resources.TYPE_ATTRIBUTE}]",
            "unknown_type",
            _("诉求类型无效，可选：%(keys)s。") % {"keys": ", ".join(TicketType.values)},
        )

    if errors:
        raise submission_invalid(errors)

    def coordinate(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    return {
        "type": ticket_type,
        "content": description,
        "category_code": category_code,
        "region_code": attributes.get(resources.REGION_ATTRIBUTE) or resources.default_region(),
        "address": values.get("address_string", ""),
        "latitude": coordinate("lat"),
        "longitude": coordinate("long"),
        "caller_name": _caller_name(first, last),
        "caller_phone": values.get("phone", "").strip(),
        "caller_email": values.get("email", "").strip(),
        "media_url": values.get("media_url", "").strip(),
    }


def submission_invalid(errors: Mapping[str, Mapping[str, str]]) -> ValidationFailed:
    return ValidationFailed(
        "ticket_invalid",
        _("工单信息有误，请修改后重新提交。"),
        details={"errors": {key: dict(value) for key, value in errors.items()}},
    )


def open311_errors(exc: ValidationFailed) -> dict[str, dict[str, str]]:
    """The field errors of ``exc`` keyed by Open311 parameter names."""
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {OPEN311_NAMES.get(str(field), str(field)): detail for field, detail in errors.items()}
