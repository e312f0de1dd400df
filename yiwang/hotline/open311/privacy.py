"""What the public Open311 answers may say about a ticket: no personal data.

- The caller's name, phone number and e-mail are never output.
- Free text (the demand, the department's answer) is searched for personal data and masked
  with ``yiwang.core.masking`` (public audience): the ticket's own caller name, phone, e-mail
  and address wherever they occur; mobile numbers (``138****5678``), landlines, e-mail addresses, and runs
  of 15–18 digits (ID numbers, ``1****************X``; bank cards likewise). Full-width digits
  count as digits. Ticket numbers (``12345`` + date + sequence, 19 digits) stay readable.
- The address keeps at most its first 6 characters (``mask_address``, public audience), and
  coordinates are rounded to 3 decimals (about 100 m), so that the position cannot point at a
  door the address hides.
- The content of a 举报 (report) and the answer to it are withheld altogether: whistle-blowers
  and the people they report are protected, and either text could identify them.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from yiwang.core.masking import Audience, mask_address, mask_id_number, mask_name, mask_phone

_D = "[0-9０-９]"
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９A-Za-z])"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of 15–19 digits (optionally ending in X): ID numbers (15 or 18), bank cards (16–19).
_LONG_NUMBER = re.compile(_NOT_DIGIT_BEFORE + rf"{_D}{{14,18}}[0-9０-９Xx]" + _NOT_DIGIT_AFTER)
_TICKET_NUMBER = re.compile(r"12345[0-9]{14}")
_MOBILE = re.compile(
    _NOT_DIGIT_BEFORE
    + rf"(?:(?:\+|＋)?86[- ]?)?[1１][3-9３-９]{_D}[- ]?{_D}{{4}}[- ]?{_D}{{4}}"
    + _NOT_DIGIT_AFTER
)
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE + rf"[0０]{_D}{{2,3}}[-－ ]?[2-9２-９]{_D}{{6,7}}" + _NOT_DIGIT_AFTER
)
COORDINATE_PLACES = Decimal("0.001")


def _mask_email(value: str) -> str:
    local, _at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_long_number(match: re.Match[str]) -> str:
    value = match.group(0)
    if _TICKET_NUMBER.fullmatch(value):
        return value
    return mask_id_number(value, Audience.PUBLIC)


def redact(
    text: str, *, name: str = "", phone: str = "", email: str = "", address: str = ""
) -> str:
    """``text`` with personal data masked for the public (see the module docstring)."""
    if not text:
        return ""
    if len(address) >= 4:
        text = text.replace(address, public_address(address))
    if email:
        text = text.replace(email, _mask_email(email))
    if phone:
        text = text.replace(phone, mask_phone(phone, Audience.PUBLIC))
    if len(name) >= 2:  # a one-character "name" would mask ordinary words
        text = text.replace(name, mask_name(name, Audience.PUBLIC))
    text = _EMAIL.sub(lambda m: _mask_email(m.group(0)), text)
    text = _LONG_NUMBER.sub(_mask_long_number, text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0), Audience.PUBLIC), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(0), Audience.PUBLIC), text)


def public_address(address: str) -> str:
    return mask_address(address, Audience.PUBLIC) if address else ""


def public_coordinate(value: Decimal | None) -> float | None:
    if value is None:
        return None
    return float(Decimal(value).quantize(COORDINATE_PLACES, rounding=ROUND_HALF_EVEN))
