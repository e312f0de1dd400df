"""Masking policies for personal data, by audience (RULES.md "Masking defaults").

Audiences: ``owner`` (the person himself: nothing hidden), ``staff`` (a case handler with need to
know), ``public`` (anyone else, published lists). Project defaults, configurable later per grant:
- ID number: staff front 6 back 4, public front 1 back 1;
- phone: ``3****4`` (first 3, last 4) for staff and public;
- name: keep the surname (compound surnames such as 欧阳 keep both characters);
- address: staff keep up to the street/road part, public keep only the first 6 characters.
"""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    PUBLIC = "public"


class Kind(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"


MASK = "*"
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "申屠",
    ]
)


def _keep(value: str, front: int, back: int) -> str:
    if len(value) <= front + back:
        # Too short to show both ends: reveal at most the first character.
        return value[:1] + MASK * max(len(value) - 1, 0)
    return value[:front] + MASK * (len(value) - front - back) + (value[-back:] if back else "")


def mask_id_number(value: str, audience: Audience | str) -> str:
    if audience == Audience.OWNER:
        return value
    if audience == Audience.STAFF:
        return _keep(value, 6, 4)
    return _keep(value, 1, 1)


def mask_phone(value: str, audience: Audience | str) -> str:
    if audience == Audience.OWNER:
        return value
    return _keep(value, 3, 4)


def mask_name(value: str, audience: Audience | str) -> str:
    if audience == Audience.OWNER or not value:
        return value
    surname_len = 2 if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else 1
    return value[:surname_len] + MASK * (len(value) - surname_len)


_ADDRESS_MARKERS = ("街道", "路", "街", "道", "巷", "镇", "乡", "村")


def mask_address(value: str, audience: Audience | str) -> str:
    if audience == Audience.OWNER or not value:
        return value
    if audience == Audience.STAFF:
        cut = -1
        for marker in _ADDRESS_MARKERS:
            index = value.find(marker)
            if index != -1:
                cut = max(cut, index + len(marker))
        if cut > 0:
            return value[:cut] + MASK * min(len(value) - cut, 8)
    keep = min(6, len(value))
    return value[:keep] + MASK * min(len(value) - keep, 8)


_MASKERS = {
    Kind.ID_NUMBER: mask_id_number,
    Kind.PHONE: mask_phone,
    Kind.NAME: mask_name,
    Kind.ADDRESS: mask_address,
}


def mask(kind: Kind | str, value: str, audience: Audience | str) -> str:
    """Mask ``value`` of ``kind`` for ``audience``; an unknown audience gets the public mask."""
    audience = audience if audience in Audience._value2member_map_ else Audience.PUBLIC
    return _MASKERS[Kind(kind)](value or "", audience)
