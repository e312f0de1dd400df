"""Masking policies for personal data, by audience (RULES.md "Masking defaults").

Audiences: ``owner`` (the person himself: nothing hidden), ``staff`` (a case handler with need to
know), ``public`` (anyone else, published lists). Project defaults, configurable later per grant:
- ID number: staff front 6 back 4, public front 1 back 1;
- phone: ``3****4`` (first 3, last 4) for staff and public;
- name: keep the surname (compound surnames such as 欧阳 keep both characters);
- address: staff keep everything before the house number (up to the road, street or village),
  public keep at most the first 6 characters, never reaching the house number; at most 8 mask
  characters are appended.

A value too short to show both ends is masked entirely. ``mask`` treats an unknown audience as
``public``.
"""

from __future__ import annotations

import re
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
# Compound surnames (复姓) from the 百家姓 that are still in use. Ones whose first character is a
# common surname and whose second is a common given-name character (乐正, 梁丘, 单于, …) are left
# out: for them keeping two characters would too often reveal part of the given name.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "太史",
        "端木",
        "上官",
        "司马",
        "东方",
        "独孤",
        "南宫",
        "万俟",
        "闻人",
        "夏侯",
        "诸葛",
        "尉迟",
        "公羊",
        "赫连",
        "澹台",
        "皇甫",
        "宗政",
        "濮阳",
        "公冶",
        "太叔",
        "申屠",
        "公孙",
        "慕容",
        "仲孙",
        "钟离",
        "长孙",
        "宇文",
        "司徒",
        "鲜于",
        "司空",
        "闾丘",
        "子车",
        "亓官",
        "司寇",
        "巫马",
        "公西",
        "颛孙",
        "壤驷",
        "公良",
        "漆雕",
        "宰父",
        "谷梁",
        "拓跋",
        "轩辕",
        "令狐",
        "呼延",
        "百里",
        "东郭",
        "南门",
        "羊舌",
        "微生",
        "第五",
        "西门",
        "淳于",
    ]
)
MAX_ADDRESS_MASK = 8


def _keep(value: str, front: int, back: int) -> str:
    if len(value) <= front + back:
        # Too short to show both ends without revealing it all: hide everything.
        return MASK * len(value)
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
# Where the house-number part begins: a digit, or a Chinese number before 号/栋/幢/单元/室.
_HOUSE_NUMBER = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千零〇]+(?:号|栋|幢|单元|室)")
PUBLIC_ADDRESS_CHARS = 6


def _house_number_start(value: str) -> int:
    match = _HOUSE_NUMBER.search(value)
    return match.start() if match else len(value)


def _marker_prefix(value: str) -> str:
    """The address up to the furthest road/street/village marker; "" without one."""
    cut = 0
    for marker in _ADDRESS_MARKERS:
        index = value.find(marker)
        if index != -1:
            cut = max(cut, index + len(marker))
    return value[:cut]


def mask_address(value: str, audience: Audience | str) -> str:
    """Staff: up to the road/street/village, never the house number; public: at most 6 characters."""
    if audience == Audience.OWNER or not value:
        return value
    house = _house_number_start(value)
    kept = value[: min(PUBLIC_ADDRESS_CHARS, house)]
    if audience == Audience.STAFF:
        street = value[:house] if house < len(value) else _marker_prefix(value)
        kept = max(kept, street, key=len)
    return kept + MASK * min(len(value) - len(kept), MAX_ADDRESS_MASK)


_MASKERS = {
    Kind.ID_NUMBER: mask_id_number,
    Kind.PHONE: mask_phone,
    Kind.NAME: mask_name,
    Kind.ADDRESS: mask_address,
}


def mask(kind: Kind | str, value: str, audience: Audience | str) -> str:
    """Mask ``value`` of ``kind`` for ``audience``; an unknown audience gets the public mask."""
    try:
        known = Audience(audience)
    except (ValueError, TypeError):
        known = Audience.PUBLIC
    return _MASKERS[Kind(kind)](value or "", known)
