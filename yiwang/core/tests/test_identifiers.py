"""Identifier validation (RULES.md "Identifiers"): real examples, exhaustive mutations, properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import (
    LICENCE_ID_PREFIX,
    USCC_ALPHABET,
    make_licence_id,
    make_resident_id,
    make_uscc,
    mod37_36_check,
    org_code_check,
    region_level,
    region_parent_code,
    resident_id_check,
    township_kind,
    uscc_check,
    validate_contact_phone,
    validate_licence_id,
    validate_phone,
    validate_region_code,
    validate_resident_id,
    validate_uscc,
)

SEEDED = settings(derandomize=True, database=None, deadline=None, max_examples=300)

EXAMPLE_ID = "11010519491231002X"
EXAMPLE_USCCS = ("11100000000013338W", "91350100M000100Y43")
EXAMPLE_LICENCE = "1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y"
ID_ALPHABET = "0123456789X"
MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FIXED_TODAY = dt.date(2025, 6, 1)

# Malformed inputs of every sort: each must give ValidationFailed naming the field.
MALFORMED = [
    None,
    "",
    "   ",
    "\t\n",
    "None",
    "null",
    0,
    110105194912310020,
    12.5,
    b"11010519491231002X",
    ["11010519491231002X"],
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width
    "110105 19491231 002X",
    "11010519491231002X11010519491231002X",
    "٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧",  # Arabic-Indic digits
]


def _replace(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


def _code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.code


# --- 居民身份证号 -------------------------------------------------------------------------------


def test_it_accepts_the_example_id_number_and_reads_its_parts():
    person = validate_resident_id(EXAMPLE_ID)

    assert person.number == EXAMPLE_ID
    assert person.address_code == "110105"
    assert person.birth_date == dt.date(1949, 12, 31)
    assert person.sequence == "002"
    assert person.male is False
    assert person.kind == "mainland"


def test_it_accepts_a_lowercase_x_and_normalises_it_to_uppercase():
    assert validate_resident_id(" 11010519491231002x ").number == EXAMPLE_ID


@pytest.mark.parametrize("position", range(18))
def test_it_rejects_every_single_character_change_of_the_example_id_number(position):
    accepted = []
    for char in ID_ALPHABET:
        if char == EXAMPLE_ID[position]:
            continue
        mutated = _replace(EXAMPLE_ID, position, char)
        try:
            validate_resident_id(mutated, today=FIXED_TODAY)
        except ValidationFailed:
            continue
        accepted.append(mutated)
    assert accepted == []


def test_it_rejects_a_wrong_check_digit_with_the_checksum_code():
    assert _code_of(validate_resident_id, "110105194912310021") == "invalid_id_number_checksum"


def test_it_rejects_an_impossible_birth_date_even_with_a_correct_check_digit():
    first17 = "110105" + "19900230" + "123"  # 30 February
    number = first17 + resident_id_check(first17)

    assert _code_of(validate_resident_id, number) == "invalid_id_number_birth_date"


def test_it_knows_29_february_only_in_leap_years():
    leap = "110105" + "20000229" + "123"
    not_leap = "110105" + "19000229" + "123"

    assert validate_resident_id(leap + resident_id_check(leap)).birth_date == dt.date(2000, 2, 29)
    assert (
        _code_of(validate_resident_id, not_leap + resident_id_check(not_leap))
        == "invalid_id_number_birth_date"
    )


def test_it_rejects_a_birth_date_in_the_future():
    tomorrow = FIXED_TODAY + dt.timedelta(days=1)
    number = make_resident_id("110105", tomorrow, 1)

    assert (
        _code_of(validate_resident_id, number, today=FIXED_TODAY) == "invalid_id_number_birth_date"
    )
    assert validate_resident_id(
        make_resident_id("110105", FIXED_TODAY, 1), today=FIXED_TODAY
    ).birth_date == (FIXED_TODAY)


def test_it_rejects_a_birth_date_before_1880():
    number = make_resident_id("110105", dt.date(1879, 12, 31), 1)

    assert _code_of(validate_resident_id, number) == "invalid_id_number_birth_date"
    assert validate_resident_id(make_resident_id("110105", dt.date(1880, 1, 1), 1))


def test_it_rejects_an_address_code_starting_with_zero():
    first17 = "010105" + "19491231" + "002"

    assert (
        _code_of(validate_resident_id, first17 + resident_id_check(first17))
        == "invalid_id_number_address"
    )


@pytest.mark.parametrize(
    ("address_code", "kind"),
    [
        ("810000", "hongkong"),
        ("820000", "macau"),
        ("830000", "taiwan"),
        ("935840", "foreigner"),  # 9 + issuing province 35 + nationality 840 (2023 format)
        ("110105", "mainland"),
        ("710000", "mainland"),  # Taiwan province code as a historical address code
    ],
)
def test_it_tells_residence_permits_and_foreigner_ids_apart(address_code, kind):
    number = make_resident_id(address_code, dt.date(1990, 5, 17), 37)

    assert validate_resident_id(number).kind == kind


def test_it_reads_the_sex_from_the_parity_of_the_sequence():
    assert validate_resident_id(make_resident_id("110105", dt.date(1990, 1, 1), 41)).male is True
    assert validate_resident_id(make_resident_id("110105", dt.date(1990, 1, 1), 42)).male is False


@pytest.mark.parametrize("value", MALFORMED, ids=repr)
def test_it_answers_any_malformed_id_number_with_a_validation_error_naming_the_field(value):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_resident_id(value, field="applicant.id_number")

    assert excinfo.value.field == "applicant.id_number"
    assert excinfo.value.code == "invalid_id_number_format"


def test_the_field_name_defaults_to_id_number():
    with pytest.raises(ValidationFailed) as excinfo:
        validate_resident_id("x")
    assert excinfo.value.field == "id_number"


@SEEDED
@given(
    address=st.integers(100000, 999999).map(str),
    birth=st.dates(dt.date(1880, 1, 1), FIXED_TODAY),
    sequence=st.integers(0, 999),
)
def test_generated_id_numbers_round_trip(address, birth, sequence):
    number = make_resident_id(address, birth, sequence)
    person = validate_resident_id(number, today=FIXED_TODAY)

    assert person.number == number
    assert person.address_code == address
    assert person.birth_date == birth
    assert person.sequence == f"{sequence:03d}"
    assert person.male is (sequence % 2 == 1)


@SEEDED
@given(
    address=st.integers(100000, 999999).map(str),
    birth=st.dates(dt.date(1880, 1, 1), FIXED_TODAY),
    sequence=st.integers(0, 999),
)
def test_every_17_digit_body_has_exactly_one_valid_check_character(address, birth, sequence):
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    valid = []
    for char in ID_ALPHABET:
        try:
            validate_resident_id(body + char, today=FIXED_TODAY)
        except ValidationFailed:
            continue
        valid.append(char)
    assert len(valid) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("11010", dt.date(1990, 1, 1), 1), "6 ASCII digits"),
        (("11010a", dt.date(1990, 1, 1), 1), "6 ASCII digits"),
        (("010105", dt.date(1990, 1, 1), 1), "may not start with 0"),
        (("110105", dt.date(1990, 1, 1), 1000), "between 0 and 999"),
        (("110105", dt.date(1990, 1, 1), -1), "between 0 and 999"),
    ],
)
def test_make_resident_id_refuses_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        make_resident_id(*args)


def test_resident_id_check_needs_17_ascii_digits():
    with pytest.raises(ValueError):
        resident_id_check("1101051949123100")
    with pytest.raises(ValueError):
        resident_id_check("１１０１０５１９４９１２３１００２")


# --- 统一社会信用代码 ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", EXAMPLE_USCCS)
def test_it_accepts_the_example_credit_codes(code):
    assert validate_uscc(code) == code


def test_it_accepts_lowercase_letters_in_a_credit_code_and_normalises_them():
    assert validate_uscc(" 91350100m000100y43\n") == "91350100M000100Y43"


@pytest.mark.parametrize("code", EXAMPLE_USCCS)
@pytest.mark.parametrize("position", range(18))
def test_it_rejects_every_single_character_change_of_the_example_credit_codes(code, position):
    accepted = []
    for char in USCC_ALPHABET:
        if char == code[position]:
            continue
        mutated = _replace(code, position, char)
        try:
            validate_uscc(mutated)
        except ValidationFailed:
            continue
        accepted.append(mutated)
    assert accepted == []


@pytest.mark.parametrize("letter", "IOZSV")
@pytest.mark.parametrize("position", [0, 1, 8, 12, 16, 17])
def test_it_rejects_the_forbidden_letters_i_o_z_s_v(letter, position):
    mutated = _replace("91350100M000100Y43", position, letter)

    assert _code_of(validate_uscc, mutated) == "invalid_uscc_format"


@pytest.mark.parametrize("position", range(2, 8))
def test_it_requires_digits_in_the_region_part_of_a_credit_code(position):
    first17 = _replace("91350100M000100Y4", position, "A")
    code = first17 + uscc_check(first17)

    assert _code_of(validate_uscc, code) == "invalid_uscc_format"


def test_it_rejects_a_wrong_outer_check_with_the_checksum_code():
    assert _code_of(validate_uscc, "91350100M000100Y44") == "invalid_uscc_checksum"


@pytest.mark.parametrize("code", EXAMPLE_USCCS)
def test_it_rejects_a_broken_inner_check_even_when_the_outer_check_is_recomputed(code):
    """Change the GB 11714 check (position 17) and recompute the outer check: still refused."""
    for char in USCC_ALPHABET:
        if char == code[16]:
            continue
        first17 = code[:16] + char
        forged = first17 + uscc_check(first17)

        assert _code_of(validate_uscc, forged, field="issuer") == "invalid_uscc_org_code"


ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


@pytest.mark.parametrize("code", EXAMPLE_USCCS)
@pytest.mark.parametrize("position", range(8, 16))
def test_the_inner_check_catches_body_changes_unless_the_value_moves_by_a_multiple_of_11(
    code, position
):
    """Forge positions 9–16 with a recomputed outer check: GB 11714 (mod 11 over values 0–35)
    catches every change except one by 11, 22 or 33 (e.g. 1 → C), a limit of that standard;
    the outer check catches those as long as it is not forged too."""
    for char in USCC_ALPHABET:
        if char == code[position]:
            continue
        first17 = _replace(code[:17], position, char)
        forged = first17 + uscc_check(first17)
        if (ORG_VALUE[char] - ORG_VALUE[code[position]]) % 11 == 0:
            assert validate_uscc(forged) == forged
        else:
            assert _code_of(validate_uscc, forged) == "invalid_uscc_org_code"


@pytest.mark.parametrize("value", MALFORMED, ids=repr)
def test_it_answers_any_malformed_credit_code_with_a_validation_error_naming_the_field(value):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_uscc(value, field="organisation.uscc")

    assert excinfo.value.field == "organisation.uscc"
    assert excinfo.value.code == "invalid_uscc_format"


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("00001333", "8"),  # inside 11100000000013338W: 5 + 24 + 12 + 6 = 47 ≡ 3 → 11 − 3
        ("00000001", "9"),  # 1 × 2 = 2 → 11 − 2
        ("00000006", "X"),  # 6 × 2 = 12 ≡ 1 → 11 − 1 = 10 → X
        ("00000000", "0"),  # 0 → 11 − 0 = 11 → 0
        ("D0000000", "5"),  # letters count A = 10 …: D = 13, 13 × 3 = 39 ≡ 6 → 5
    ],
)
def test_the_organisation_code_check_follows_gb_11714(body, check):
    assert org_code_check(body) == check


USCC_BODY = st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8)
USCC_ONE = st.sampled_from(USCC_ALPHABET)
REGION6 = st.integers(0, 999999).map(lambda n: f"{n:06d}")


@SEEDED
@given(dept=USCC_ONE, org_type=USCC_ONE, region=REGION6, body=USCC_BODY)
def test_generated_credit_codes_round_trip(dept, org_type, region, body):
    code = make_uscc(dept, org_type, region, body)

    assert validate_uscc(code) == code
    assert code[:2] == dept + org_type
    assert code[2:8] == region
    assert code[8:16] == body


@SEEDED
@given(dept=USCC_ONE, org_type=USCC_ONE, region=REGION6, body=USCC_BODY)
def test_every_credit_code_body_has_exactly_one_valid_check_character(dept, org_type, region, body):
    first17 = make_uscc(dept, org_type, region, body)[:17]
    valid = []
    for char in USCC_ALPHABET:
        try:
            validate_uscc(first17 + char)
        except ValidationFailed:
            continue
        valid.append(char)
    assert len(valid) == 1


def test_make_uscc_reproduces_the_example_codes():
    assert make_uscc("1", "1", "100000", "00001333") == "11100000000013338W"
    assert make_uscc("9", "1", "350100", "M000100Y") == "91350100M000100Y43"


@pytest.mark.parametrize(
    "args",
    [
        ("91", "1", "350100", "M000100Y"),
        ("I", "1", "350100", "M000100Y"),
        ("9", "1", "35010", "M000100Y"),
        ("9", "1", "35010A", "M000100Y"),
        ("9", "1", "350100", "M000100"),
        ("9", "1", "350100", "M00010OY"),
    ],
)
def test_make_uscc_refuses_bad_arguments(args):
    with pytest.raises(ValueError):
        make_uscc(*args)


# --- 手机号 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        " 13800138000 ",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "+8613800138000",
        "0086 13800138000",
        "8613800138000",
        "138\u30000013\u30008000",  # ideographic spaces
    ],
)
def test_it_normalises_mainland_mobile_numbers(value):
    assert validate_phone(value) == "13800138000"


@pytest.mark.parametrize("second", "3456789")
def test_it_accepts_every_mobile_prefix_from_13_to_19(second):
    assert validate_phone(f"1{second}912345678") == f"1{second}912345678"


@pytest.mark.parametrize(
    "value",
    [
        "12800138000",  # 12x is not a mobile prefix
        "10800138000",
        "23800138000",
        "1380013800",  # 10 digits
        "138001380000",  # 12 digits
        "+87 13800138000",
        "+86 +86 13800138000",
        "86 1380013800",
        "１３８００１３８０００",  # full-width
        "138.0013.8000",
        "1380013800O",
        "010-65123456",  # landline
        *MALFORMED,
    ],
    ids=repr,
)
def test_it_rejects_anything_else_as_a_phone_number_naming_the_field(value):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_phone(value, field="contact_phone")

    assert excinfo.value.code == "invalid_phone"
    assert excinfo.value.field == "contact_phone"


@st.composite
def _typed_phone(draw: st.DrawFn) -> tuple[str, str]:
    """A valid mobile number and the way a person might type it."""
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "86", "+86-"]))
    separator = draw(st.sampled_from(["", " ", "-", "\u3000"]))
    typed = prefix + separator.join([number[:3], number[3:7], number[7:]])
    return number, draw(st.sampled_from(["", " "])) + typed + draw(st.sampled_from(["", " "]))


@SEEDED
@given(_typed_phone())
def test_generated_phone_numbers_normalise_to_their_eleven_digits(case):
    number, typed = case

    assert validate_phone(typed) == number


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("13800138000", "13800138000"),  # a mobile stays a mobile
        ("+86 138 0013 8000", "13800138000"),
        ("0571-88886666", "0571-88886666"),
        ("057188886666", "0571-88886666"),
        ("010 6512 3456", "010-65123456"),
        ("(0571)88886666-8001", "0571-88886666-8001"),
        ("021-88886666转12", "021-88886666-12"),
        ("+86 571 88886666", "0571-88886666"),
        ("0898-6512345", "0898-6512345"),  # seven-digit numbers still exist
    ],
)
def test_a_caller_may_give_a_mobile_or_a_landline_with_its_area_code(typed, normalised):
    assert validate_contact_phone(typed) == normalised


@pytest.mark.parametrize(
    "value",
    [
        "88886666",  # no area code
        "0571-08886666",  # a subscriber number never starts with 0 or 1
        "021-1234567",
        "0123-4567890",  # no area code starts with 01 but 010
        "0571-888866661",  # nine digits
        "12345",
        "0571-88886666-1234567",  # extension too long
        *MALFORMED,
    ],
    ids=repr,
)
def test_it_rejects_a_contact_number_that_is_neither(value):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_contact_phone(value, field="caller_phone")

    assert excinfo.value.code == "invalid_phone"
    assert excinfo.value.field == "caller_phone"


# --- 行政区划 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("110000000000", "province", None),
        ("110100000000", "city", "110000000000"),
        ("110105000000", "district", "110100000000"),
        ("110105001000", "township", "110105000000"),
        ("110105001001", "village", "110105001000"),
        ("441900003000", "township", "441900000000"),  # 东莞: towns directly under the city
        ("441900003001", "village", "441900003000"),
        ("429004100000", "township", "429004000000"),  # 仙桃: province-administered city
        ("429004000000", "district", "429000000000"),
    ],
)
def test_it_knows_the_level_and_parent_of_a_region_code(code, level, parent):
    assert validate_region_code(code) == code
    assert region_level(code) == level
    assert region_parent_code(code) == parent


def test_walking_up_from_a_village_reaches_the_province_in_four_steps():
    chain = ["110105001001"]
    while (parent := region_parent_code(chain[-1])) is not None:
        chain.append(parent)

    assert [region_level(code) for code in chain] == [
        "village",
        "township",
        "district",
        "city",
        "province",
    ]


@pytest.mark.parametrize(
    ("digits", "kind"),
    [
        ("001", "subdistrict"),
        ("099", "subdistrict"),
        ("100", "town"),
        ("199", "town"),
        ("200", "township"),
        ("399", "township"),
        ("400", "enterprise"),
        ("599", "enterprise"),
    ],
)
def test_it_tells_subdistricts_towns_and_townships_apart(digits, kind):
    code = f"110105{digits}000"

    assert township_kind(code) == kind
    assert validate_region_code(code) == code


@pytest.mark.parametrize(
    "code",
    [
        "110105600000",  # 600–999 is no township range
        "110105999001",
        "110105000001",  # a village must belong to a township
        "000000000000",
        "001000000000",  # province 00
        "110001000000",  # city 00 under a province but district set
    ],
)
def test_it_rejects_region_codes_that_break_the_structure(code):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_region_code(code, field="region")

    assert excinfo.value.code == "invalid_region_code"
    assert excinfo.value.field == "region"


@pytest.mark.parametrize(
    "value", [*MALFORMED, "11010500100", "1101050010001", "１１０１０５００１００１"], ids=repr
)
def test_it_answers_any_malformed_region_code_with_a_validation_error(value):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_region_code(value, field="region")

    assert excinfo.value.code == "invalid_region_code_format"
    assert excinfo.value.field == "region"


# --- 电子证照标识 ------------------------------------------------------------------------------


def test_it_accepts_the_example_licence_id_and_reads_its_fields():
    licence = validate_licence_id(EXAMPLE_LICENCE)

    assert licence.value == EXAMPLE_LICENCE
    assert licence.type_code == "11100000000013338W011"
    assert licence.issuer_uscc == "11110000000021135M"
    assert licence.serial == "20230329701"
    assert licence.version == "003"


def test_it_accepts_a_lowercase_licence_id_and_normalises_it():
    assert validate_licence_id(EXAMPLE_LICENCE.lower()).value == EXAMPLE_LICENCE


def _checked_positions(licence_id: str) -> list[int]:
    """Indexes of every character of the four checked fields and of the check character."""
    start = len(LICENCE_ID_PREFIX) + 1
    return [i for i in range(start, len(licence_id)) if licence_id[i] != "."]


def test_the_checked_positions_cover_the_four_fields_and_the_check_character():
    positions = _checked_positions(EXAMPLE_LICENCE)

    assert "".join(EXAMPLE_LICENCE[i] for i in positions) == (
        "11100000000013338W01111110000000021135M20230329701003Y"
    )


@pytest.mark.parametrize("position", _checked_positions(EXAMPLE_LICENCE))
def test_it_rejects_every_single_character_change_of_the_example_licence_id(position):
    accepted = []
    for char in MOD37_ALPHABET:
        if char == EXAMPLE_LICENCE[position]:
            continue
        mutated = _replace(EXAMPLE_LICENCE, position, char)
        try:
            validate_licence_id(mutated)
        except ValidationFailed:
            continue
        accepted.append(mutated)
    assert accepted == []


def test_the_mod_37_36_check_alone_catches_every_single_substitution_in_the_example():
    body = "11100000000013338W01111110000000021135M20230329701003"
    assert mod37_36_check(body) == "Y"
    for index in range(len(body)):
        for char in MOD37_ALPHABET:
            if char != body[index]:
                assert mod37_36_check(_replace(body, index, char)) != "Y"


def test_it_rejects_a_licence_id_whose_issuer_is_no_valid_credit_code():
    forged = make_licence_id("11100000000013338W011", "11110000000021135N", "20230329701", 3)

    assert _code_of(validate_licence_id, forged) == "invalid_licence_id_issuer"


@pytest.mark.parametrize(
    "value",
    [
        *MALFORMED,
        "1.2.156.3005.3.11100000000013338W011.11110000000021135M.20230329701.003.Y",
        "11100000000013338W011.11110000000021135M.20230329701.003.Y",
        "1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.03.Y",
        "1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.*",
        "1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003",
        "1.2.156.3005.2.11100000000013338W011.11110000000021135.20230329701.003.Y",
        "1.2.156.3005.2..11110000000021135M.20230329701.003.Y",
        "1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y.",
        "1.2.156.3005.2.11100000000013338W011.11110000000021135M.2023-0329701.003.Y",
    ],
    ids=repr,
)
def test_it_answers_any_malformed_licence_id_with_a_format_error(value):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_licence_id(value, field="licence")

    assert excinfo.value.code == "invalid_licence_id_format"
    assert excinfo.value.field == "licence"


FIELD = st.text(alphabet=MOD37_ALPHABET, min_size=1, max_size=24)


@SEEDED
@given(
    type_code=FIELD,
    region=REGION6,
    body=USCC_BODY,
    serial=FIELD,
    version=st.integers(0, 999),
)
def test_generated_licence_ids_round_trip(type_code, region, body, serial, version):
    issuer = make_uscc("1", "1", region, body)
    value = make_licence_id(type_code, issuer, serial, version)
    licence = validate_licence_id(value)

    assert licence.value == value
    assert (licence.type_code, licence.issuer_uscc, licence.serial) == (type_code, issuer, serial)
    assert licence.version == f"{version:03d}"


@SEEDED
@given(type_code=FIELD, body=USCC_BODY, serial=FIELD, version=st.integers(0, 999))
def test_every_licence_id_body_has_exactly_one_valid_check_character(
    type_code, body, serial, version
):
    issuer = make_uscc("9", "1", "350100", body)
    without_check = make_licence_id(type_code, issuer, serial, version)[:-1]
    valid = []
    for char in MOD37_ALPHABET:
        try:
            validate_licence_id(without_check + char)
        except ValidationFailed:
            continue
        valid.append(char)
    assert len(valid) == 1
