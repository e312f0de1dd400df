"""Chinese identifiers: validation and check-digit computation (RULES.md, "Identifiers").

Each ``validate_*`` returns the normalised value or raises ``ValidationFailed`` with a stable code
and a Chinese message naming the field. ``*_check`` functions compute check characters so that
factories and the demo can make valid identifiers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

# --- 居民身份证号 GB 11643 -------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def resident_id_check(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    address_code: str
    birth_date: dt.date
    sequence: str
    male: bool

    @property
    def kind(self) -> str:
        """mainland / foreigner (9…) / hk, macau, taiwan residence permits (81/82/83)."""
        if self.number[0] == "9":
            return "foreigner"
        return {"81": "hongkong", "82": "macau", "83": "taiwan"}.get(self.number[:2], "mainland")


def validate_resident_id(value: str, field: str = "id_number") -> ResidentId:
    number = (value or "").strip().upper()
    if not _ID_RE.match(number):
        raise ValidationFailed(
            "invalid_id_number_format",
            _("身份证号应为18位：17位数字加1位数字或X。"),
            field=field,
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValidationFailed(
            "invalid_id_number_birth_date", _("身份证号中的出生日期不存在。"), field=field
        ) from exc
    if birth.year < 1880 or birth > dt.date.today():
        raise ValidationFailed(
            "invalid_id_number_birth_date", _("身份证号中的出生日期不在合理范围内。"), field=field
        )
    if number[:2] in {"00"} or number[:6] == "000000":
        raise ValidationFailed(
            "invalid_id_number_address", _("身份证号中的地址码无效。"), field=field
        )
    if resident_id_check(number[:17]) != number[17]:
        raise ValidationFailed(
            "invalid_id_number_checksum", _("身份证号校验码不正确，请核对后重新输入。"), field=field
        )
    return ResidentId(
        number=number,
        address_code=number[:6],
        birth_date=birth,
        sequence=number[14:17],
        male=int(number[16]) % 2 == 1,
    )


# --- 统一社会信用代码 GB 32100, with the GB 11714 organisation code inside ---------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714 body may use any letter
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def uscc_check(first17: str) -> str:
    values = [USCC_ALPHABET.index(c) for c in first17]
    if len(values) != 17:
        raise ValueError("need 17 characters")
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check(first8: str) -> str:
    if len(first8) != 8:
        raise ValueError("need 8 characters")
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(value: str, field: str = "uscc") -> str:
    code = (value or "").strip().upper()
    if not _USCC_RE.match(code):
        raise ValidationFailed(
            "invalid_uscc_format",
            _("统一社会信用代码应为18位，由数字和大写字母组成（不含 I、O、Z、S、V）。"),
            field=field,
        )
    if uscc_check(code[:17]) != code[17]:
        raise ValidationFailed(
            "invalid_uscc_checksum", _("统一社会信用代码校验码不正确。"), field=field
        )
    if org_code_check(code[8:16]) != code[16]:
        raise ValidationFailed(
            "invalid_uscc_org_code",
            _("统一社会信用代码中的组织机构代码（第9–17位）校验不正确。"),
            field=field,
        )
    return code


# --- 行政区划 12 digits -------------------------------------------------------------------------

_REGION_RE = re.compile(r"^\d{12}$")
REGION_LEVELS = ("province", "city", "district", "township", "village")


def region_level(code: str) -> str:
    """The level of a 12-digit code: province, city, district, township or village."""
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "district"
    if code[9:] == "000":
        return "township"
    return "village"


def region_parent_code(code: str) -> str | None:
    level = region_level(code)
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0" * 10
    if level == "district":
        return code[:4] + "0" * 8
    if level == "township":
        return code[:6] + "0" * 6
    return code[:9] + "000"


def township_kind(code: str) -> str | None:
    """街道 (001–099), 镇 (100–199), 乡 (200–399) per the township digits; None otherwise."""
    number = int(code[6:9])
    if 1 <= number <= 99:
        return "subdistrict"
    if 100 <= number <= 199:
        return "town"
    if 200 <= number <= 399:
        return "township"
    return None


def validate_region_code(value: str, field: str = "region_code") -> str:
    code = (value or "").strip()
    if not _REGION_RE.match(code):
        raise ValidationFailed(
            "invalid_region_code_format", _("行政区划代码应为12位数字。"), field=field
        )
    if code[:2] == "00" or (code[2:4] == "00" and code[4:] != "0" * 8):
        raise ValidationFailed(
            "invalid_region_code", _("行政区划代码的省级或市级部分无效。"), field=field
        )
    if code[9:] != "000" and code[6:9] == "000":
        raise ValidationFailed(
            "invalid_region_code", _("行政区划代码：村级代码必须属于某个乡级单位。"), field=field
        )
    if region_level(code) in {"township", "village"} and township_kind(code) is None:
        raise ValidationFailed(
            "invalid_region_code",
            _("行政区划代码第7–9位应在001–399之间（街道、镇、乡）。"),
            field=field,
        )
    return code


# --- 电子证照标识 GB/T 36904, ISO/IEC 7064 MOD 37,36 ----------------------------------------------

LICENCE_ID_PREFIX = "1.2.156.3005.2"
_MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LICENCE_RE = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]+)\.(?P<issuer>[0-9A-Z]{18})\."
    r"(?P<serial>[0-9A-Z]+)\.(?P<version>\d{3})\.(?P<check>[0-9A-Z*])$"
)


def mod37_36_check(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid) check character over ``body``."""
    modulus = 36
    product = modulus
    for char in body:
        value = _MOD37_ALPHABET.index(char)
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return _MOD37_ALPHABET[(modulus + 1 - product) % modulus]


@dataclass(frozen=True)
class LicenceId:
    value: str
    type_code: str
    issuer_uscc: str
    serial: str
    version: str


def make_licence_id(type_code: str, issuer_uscc: str, serial: str, version: int = 1) -> str:
    ver = f"{version:03d}"
    check = mod37_36_check(f"{type_code}{issuer_uscc}{serial}{ver}")
    return f"{LICENCE_ID_PREFIX}.{type_code}.{issuer_uscc}.{serial}.{ver}.{check}"


def validate_licence_id(value: str, field: str = "licence_id") -> LicenceId:
    text = (value or "").strip().upper()
    match = _LICENCE_RE.match(text)
    if not match:
        raise ValidationFailed(
            "invalid_licence_id_format",
            _(
                "电子证照标识格式不正确，应为 1.2.156.3005.2.类型代码.颁发机构代码.流水号.版本号.校验位。"
            ),
            field=field,
        )
    parts = match.groupdict()
    if (
        mod37_36_check(parts["type"] + parts["issuer"] + parts["serial"] + parts["version"])
        != (parts["check"])
    ):
        raise ValidationFailed(
            "invalid_licence_id_checksum", _("电子证照标识校验位不正确。"), field=field
        )
    return LicenceId(text, parts["type"], parts["issuer"], parts["serial"], parts["version"])
