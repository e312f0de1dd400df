"""Masking by audience (RULES.md "Masking defaults"): every kind for every audience."""

from __future__ import annotations

import pytest

from yiwang.core.masking import (
    COMPOUND_SURNAMES,
    Audience,
    Kind,
    mask,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
)

ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"
ADDRESS = "北京市朝阳区建国路88号院3号楼2单元501"

# kind, value, audience → expected
TABLE = [
    (Kind.ID_NUMBER, ID_NUMBER, Audience.OWNER, ID_NUMBER),
    (Kind.ID_NUMBER, ID_NUMBER, Audience.STAFF, "110105********002X"),
    (Kind.ID_NUMBER, ID_NUMBER, Audience.PUBLIC, "1****************X"),
    (Kind.PHONE, PHONE, Audience.OWNER, PHONE),
    (Kind.PHONE, PHONE, Audience.STAFF, "138****8000"),
    (Kind.PHONE, PHONE, Audience.PUBLIC, "138****8000"),
    (Kind.NAME, "张三丰", Audience.OWNER, "张三丰"),
    (Kind.NAME, "张三丰", Audience.STAFF, "张**"),
    (Kind.NAME, "张三丰", Audience.PUBLIC, "张**"),
    (Kind.ADDRESS, ADDRESS, Audience.OWNER, ADDRESS),
    (Kind.ADDRESS, ADDRESS, Audience.STAFF, "北京市朝阳区建国路********"),
    (Kind.ADDRESS, ADDRESS, Audience.PUBLIC, "北京市朝阳区********"),
]


@pytest.mark.parametrize(("kind", "value", "audience", "expected"), TABLE)
def test_it_masks_each_kind_for_each_audience(kind, value, audience, expected):
    assert mask(kind, value, audience) == expected


@pytest.mark.parametrize(("kind", "value", "audience", "expected"), TABLE)
def test_the_plain_string_names_of_kinds_and_audiences_work_too(kind, value, audience, expected):
    assert mask(str(kind), value, str(audience)) == expected


@pytest.mark.parametrize("audience", ["auditor", "", "OWNER", "Staff", None, 42, ["owner"]])
@pytest.mark.parametrize("kind", list(Kind))
def test_an_unknown_audience_gets_the_public_mask(kind, audience):
    value = {
        Kind.ID_NUMBER: ID_NUMBER,
        Kind.PHONE: PHONE,
        Kind.NAME: "欧阳修",
        Kind.ADDRESS: ADDRESS,
    }[kind]

    assert mask(kind, value, audience) == mask(kind, value, Audience.PUBLIC)
    assert mask(kind, value, audience) != value


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        mask("bank_account", "6222020000000000000", Audience.STAFF)


# --- ID numbers -------------------------------------------------------------------------------


def test_staff_see_the_region_and_the_last_four_of_an_id_number():
    masked = mask_id_number(ID_NUMBER, Audience.STAFF)

    assert masked[:6] == "110105"
    assert masked[-4:] == "002X"
    assert "1949" not in masked
    assert len(masked) == len(ID_NUMBER)


def test_the_public_see_only_the_first_and_last_character_of_an_id_number():
    masked = mask_id_number(ID_NUMBER, Audience.PUBLIC)

    assert masked == "1" + "*" * 16 + "X"


@pytest.mark.parametrize(
    ("value", "audience", "expected"),
    [
        ("", Audience.STAFF, ""),
        ("", Audience.PUBLIC, ""),
        ("1", Audience.PUBLIC, "*"),
        ("12", Audience.PUBLIC, "**"),
        ("123", Audience.PUBLIC, "1*3"),
        ("1234567890", Audience.STAFF, "**********"),  # 6 + 4 would show it all
        ("12345678901", Audience.STAFF, "123456*8901"),
    ],
)
def test_short_id_numbers_never_come_out_in_full(value, audience, expected):
    assert mask_id_number(value, audience) == expected


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("110", "***"),
        ("1380013", "*******"),  # 3 + 4 would show it all
        ("13800138", "138*0138"),
        ("010-65123456", "010*****3456"),
    ],
)
def test_phones_keep_three_in_front_and_four_behind(value, expected):
    assert mask_phone(value, Audience.STAFF) == expected
    assert mask_phone(value, Audience.PUBLIC) == expected


def test_the_owner_sees_his_phone_number():
    assert mask_phone(PHONE, Audience.OWNER) == PHONE


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("王", "王"),
        ("王五", "王*"),
        ("李小龙", "李**"),
        ("欧阳修", "欧阳*"),
        ("欧阳娜娜", "欧阳**"),
        ("司马相如", "司马**"),
        ("诸葛亮", "诸葛*"),
        ("上官婉儿", "上官**"),
        ("令狐冲", "令狐*"),
        ("欧阳", "欧*"),  # two characters: surname 欧, given name 阳
        ("阿卜杜·热合曼", "阿******"),
        ("", ""),
    ],
)
def test_names_keep_the_surname_including_compound_surnames(name, expected):
    assert mask_name(name, Audience.STAFF) == expected
    assert mask_name(name, Audience.PUBLIC) == expected
    assert mask_name(name, Audience.OWNER) == name


def test_every_compound_surname_is_two_characters_and_is_kept_whole():
    for surname in COMPOUND_SURNAMES:
        assert len(surname) == 2
        assert mask_name(surname + "明", Audience.PUBLIC) == surname + "*"


def test_a_common_single_surname_followed_by_a_common_given_name_is_not_taken_as_compound():
    assert mask_name("吴铭远", Audience.PUBLIC) == "吴**"
    assert mask_name("梁丘明", Audience.PUBLIC) == "梁**"


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "staff", "public"),
    [
        (
            "北京市朝阳区建国路88号院3号楼2单元501",
            "北京市朝阳区建国路********",
            "北京市朝阳区********",
        ),
        (
            "河北省保定市涿州市松林店镇东仙坡村25号",
            "河北省保定市涿州市松林店镇东仙坡村***",
            "河北省保定市********",
        ),
        (
            "广东省深圳市南山区粤海街道科技园１２栋",  # full-width digits
            "广东省深圳市南山区粤海街道科技园***",
            "广东省深圳市********",
        ),
        (
            "北京市海淀区颐和园路新建宫门路一号",
            "北京市海淀区颐和园路新建宫门路**",
            "北京市海淀区********",
        ),
        (
            "上海市浦东新区世纪大道三号楼",
            "上海市浦东新区世纪大道***",
            "上海市浦东新********",
        ),
        ("北京市海淀区某某小区", "北京市海淀区****", "北京市海淀区****"),
        ("北京市88号", "北京市***", "北京市***"),
        ("北京市", "北京市", "北京市"),
        ("", "", ""),
    ],
)
def test_addresses_show_staff_the_street_and_the_public_only_the_start(address, staff, public):
    assert mask_address(address, Audience.STAFF) == staff
    assert mask_address(address, Audience.PUBLIC) == public
    assert mask_address(address, Audience.OWNER) == address


@pytest.mark.parametrize(
    "address",
    [
        "北京市朝阳区建国路88号院3号楼2单元501",
        "浙江省杭州市西湖区文三路90号东部软件园1号楼",
        "河北省保定市涿州市松林店镇东仙坡村25号",
        "北京市88号",
    ],
)
def test_no_audience_but_the_owner_ever_sees_the_house_number(address):
    for audience in (Audience.STAFF, Audience.PUBLIC):
        masked = mask_address(address, audience)
        assert not any(ch.isdigit() for ch in masked)
        assert "号" not in masked


def test_the_public_never_see_more_of_an_address_than_staff():
    for address in ("北京市88号", "北京市朝阳区建国路88号", "某某村12号", "北京市海淀区中关村大街"):
        public = mask_address(address, Audience.PUBLIC).rstrip("*")
        staff = mask_address(address, Audience.STAFF).rstrip("*")
        assert staff.startswith(public)


def test_a_long_tail_is_masked_with_at_most_eight_stars():
    masked = mask_address("北京市朝阳区" + "某" * 40, Audience.PUBLIC)

    assert masked == "北京市朝阳区" + "*" * 8


def test_none_is_masked_as_an_empty_value():
    assert mask(Kind.NAME, None, Audience.PUBLIC) == ""  # type: ignore[arg-type]
