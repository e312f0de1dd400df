"""Chinese identifiers: validation and check-digit computation (RULES.md, "Identifiers").

Each ``validate_*`` returns the normalised value (or a small record) or raises ``ValidationFailed``
with a stable code and a Chinese message, naming the field. Any input, including ``None``, a number
or full-width digits, gives ``ValidationFailed``, never another exception. Surrounding whitespace is
ignored and letters are upper-cased; nothing else is "repaired".

``*_check`` functions compute check characters and ``make_*`` build valid identifiers so that
factories and the demo can make them; they raise ``ValueError`` on bad arguments (programmer error).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

_DIGITS = "0123456789"


def _clean(value: object) -> str | None:
    """The stripped, upper-cased text, or None when ``value`` is not a string."""
    if not isinstance(value, str):
        return None
    return value.strip().upper()


# --- 居民身份证号 GB 11643 -------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH_YEAR = 1880


def resident_id_check(first17: str) -> str:
    """The GB 11643 check character (0–9 or X) for the first 17 digits."""
    if len(first17) != 17 or any(c not in _DIGITS for c in first17):
        raise ValueError("need 17 ASCII digits")
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
        """mainland / foreigner (9…) / hongkong, macau, taiwan residence permits (81/82/83)."""
        if self.number[0] == "9":
            return "foreigner"
        return {"81": "hongkong", "82": "macau", "83": "taiwan"}.get(self.number[:2], "mainland")


def validate_resident_id(
    value: object, field: str = "id_number", *, today: dt.date | None = None
) -> ResidentId:
    """Validate a 18-digit 居民身份证号 (also residence permits and foreigner permanent-residence IDs).

    Historical address codes are accepted: only the check digit, the shape of the address code and
    the birth date (a real day, not before 1880, not after ``today``) are checked.
    """
    number = _clean(value) or ""
    if not _ID_RE.fullmatch(number):
        raise ValidationFailed(
            "invalid_id_number_format",
            _("身份证号应为18位：17位数字加1位数字或X。"),
            field=field,
        )
    if number[0] == "0":
        raise ValidationFailed(
            "invalid_id_number_address", _("身份证号中的地址码无效。"), field=field
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValidationFailed(
            "invalid_id_number_birth_date", _("身份证号中的出生日期不存在。"), field=field
        ) from exc
    if birth.year < _EARLIEST_BIRTH_YEAR or birth > (today or dt.date.today()):
        raise ValidationFailed(
            "invalid_id_number_birth_date", _("身份证号中的出生日期不在合理范围内。"), field=field
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


def make_resident_id(address_code: str, birth: dt.date, sequence: int) -> str:
    """A valid 身份证号 for ``address_code`` (6 digits), ``birth`` and ``sequence`` (0–999; odd = male)."""
    if len(address_code) != 6 or any(c not in _DIGITS for c in address_code):
        raise ValueError("address_code must be 6 ASCII digits")
    if address_code[0] == "0":
        raise ValueError("address_code may not start with 0")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be between 0 and 999")
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check(first17)


# --- 统一社会信用代码 GB 32100, with the GB 11714 organisation code inside ---------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714 values: A=10 … Z=35
_ORG_VALUES = {c: i for i, c in enumerate(_ORG_ALPHABET)}
# 1: registration department, 2: organisation type, 3–8: region code (digits), 9–18: the rest.
_USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_check(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or any(c not in _USCC_VALUES for c in first17):
        raise ValueError("need 17 characters from the USCC alphabet")
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check(first8: str) -> str:
    """The GB 11714 organisation-code check character (0–9 or X) for its 8-character body."""
    if len(first8) != 8 or any(c not in _ORG_VALUES for c in first8):
        raise ValueError("need 8 characters from 0-9 and A-Z")
    total = sum(_ORG_VALUES[c] * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(value: object, field: str = "uscc") -> str:
    code = _clean(value) or ""
    if not _USCC_RE.fullmatch(code):
        raise ValidationFailed(
            "invalid_uscc_format",
            _(
                "统一社会信用代码应为18位，由数字和大写字母组成（不含 I、O、Z、S、V），"
                "第3–8位为行政区划代码。"
            ),
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


def make_uscc(registration_dept: str, org_type: str, region6: str, org_body8: str) -> str:
    """A valid USCC: computes the organisation-code check and the USCC check.

    ``registration_dept`` (登记管理部门, e.g. ``9`` market regulation) and ``org_type`` (机构类别,
    e.g. ``1`` enterprise) are one character each, ``region6`` the 6-digit region code and
    ``org_body8`` the 8-character organisation code body, all from the USCC alphabet.
    """
    head = registration_dept + org_type
    if len(head) != 2 or any(c not in _USCC_VALUES for c in head):
        raise ValueError("registration_dept and org_type are one USCC character each")
    if len(region6) != 6 or any(c not in _DIGITS for c in region6):
        raise ValueError("region6 must be 6 ASCII digits")
    if len(org_body8) != 8 or any(c not in _USCC_VALUES for c in org_body8):
        raise ValueError("org_body8 must be 8 characters from the USCC alphabet")
    first17 = head + region6 + org_body8 + org_code_check(org_body8)
    return first17 + uscc_check(first17)


# --- 手机号 (mainland mobile) --------------------------------------------------------------------

_PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[ \u3000\t-]+")


def validate_phone(value: object, field: str = "phone") -> str:
    """A mainland mobile number as 11 digits; ``+86``/``0086``/``86``, spaces and hyphens dropped."""
    text = _PHONE_SEPARATORS.sub("", _clean(value) or "")
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not _PHONE_RE.fullmatch(text):
        raise ValidationFailed(
            "invalid_phone",
            _("手机号码应为11位中国大陆手机号，以13–19开头。"),
            field=field,
        )
    return text


# 固定电话: 0 + area code (010, 02x, or 0 + 3 digits from 3–9) + a 7–8 digit number that starts
# with 2–9, then an optional extension of 1–6 digits ("-8001", "转8001", "ext 8001").
_LANDLINE_RE = re.compile(
    r"(?P<area>010|02[0-9]|0[3-9][0-9]{2})-?(?P<number>[2-9][0-9]{6,7})"
    r"(?:(?:-|转|ext\.?|x)(?P<ext>[0-9]{1,6}))?",
    re.IGNORECASE,
)


def validate_contact_phone(value: object, field: str = "phone") -> str:
    """A mobile number (as ``validate_phone``) or a landline with its area code, normalised as
    ``0571-88886666`` (``-8001`` for an extension). A 12345 caller may ring from either."""
    try:
        return validate_phone(value, field)
    except ValidationFailed:
        pass
    text = re.sub(r"[ \u3000\t()（）]+", "", _clean(value) or "")
    if text.startswith("+86"):
        text = "0" + text[3:] if not text[3:].startswith("0") else text[3:]
    match = _LANDLINE_RE.fullmatch(text)
    if match is None:
        raise ValidationFailed(
            "invalid_phone",
            _("联系电话应为11位手机号码，或带区号的固定电话（如0571-88886666）。"),
            field=field,
        )
    normalised = f"{match['area']}-{match['number']}"
    return f"{normalised}-{match['ext']}" if match["ext"] else normalised


# --- 行政区划 12 digits -------------------------------------------------------------------------

_REGION_RE = re.compile(r"[0-9]{12}")
REGION_LEVELS = ("province", "city", "district", "township", "village")


def region_level(code: str) -> str:
    """The level of a valid 12-digit code: province, city, district, township or village."""
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
    """The code one level up (a township directly under a city, e.g. in 东莞, gets the city)."""
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
    """The kind of township from digits 7–9 (GB/T 10114).

    001–099 街道 ``subdistrict``, 100–199 镇 ``town``, 200–399 乡 ``township``, 400–599 政企合一单位
    (farms, forest and pastoral units, development zones) ``enterprise``; None otherwise.
    """
    number = int(code[6:9])
    if 1 <= number <= 99:
        return "subdistrict"
    if 100 <= number <= 199:
        return "town"
    if 200 <= number <= 399:
        return "township"
    if 400 <= number <= 599:
        return "enterprise"
    return None


def validate_region_code(value: object, field: str = "region_code") -> str:
    code = _clean(value) or ""
    if not _REGION_RE.fullmatch(code):
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
            _("行政区划代码第7–9位应在001–599之间（街道、镇、乡或政企合一单位）。"),
            field=field,
        )
    return code


# --- 电子证照标识 GB/T 36904, ISO/IEC 7064 MOD 37,36 ----------------------------------------------

LICENCE_ID_PREFIX = "1.2.156.3005.2"
_MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MOD37_VALUES = {c: i for i, c in enumerate(_MOD37_ALPHABET)}
_LICENCE_RE = re.compile(
    r"1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]+)\.(?P<issuer>[0-9A-Z]{18})\."
    r"(?P<serial>[0-9A-Z]+)\.(?P<version>[0-9]{3})\.(?P<check>[0-9A-Z])"
)


def mod37_36_check(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid) check character over ``body`` (0–9, A–Z)."""
    if any(c not in _MOD37_VALUES for c in body):
        raise ValueError("MOD 37,36 covers 0-9 and A-Z only")
    modulus = 36
    product = modulus
    for char in body:
        total = (product + _MOD37_VALUES[char]) % modulus or modulus
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
    if not 0 <= version <= 999:
        raise ValueError("version must be between 0 and 999")
    ver = f"{version:03d}"
    check = mod37_36_check(f"{type_code}{issuer_uscc}{serial}{ver}")
    return f"{LICENCE_ID_PREFIX}.{type_code}.{issuer_uscc}.{serial}.{ver}.{check}"


def validate_licence_id(value: object, field: str = "licence_id") -> LicenceId:
    text = _clean(value) or ""
    match = _LICENCE_RE.fullmatch(text)
    if not match:
        raise ValidationFailed(
            "invalid_licence_id_format",
            _(
                "电子证照标识格式不正确，应为 1.2.156.3005.2.类型代码.颁发机构代码.流水号.版本号.校验位。"
            ),
            field=field,
        )
    parts = match.groupdict()
    body = parts["type"] + parts["issuer"] + parts["serial"] + parts["version"]
    if mod37_36_check(body) != parts["check"]:
        raise ValidationFailed(
            "invalid_licence_id_checksum", _("电子证照标识校验位不正确。"), field=field
        )
    try:
        validate_uscc(parts["issuer"], field=field)
    except ValidationFailed as exc:
        raise ValidationFailed(
            "invalid_licence_id_issuer",
            _("电子证照标识中的颁发机构代码不是有效的统一社会信用代码。"),
            field=field,
        ) from exc
    return LicenceId(text, parts["type"], parts["issuer"], parts["serial"], parts["version"])
