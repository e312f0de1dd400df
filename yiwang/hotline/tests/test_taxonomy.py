"""The 12345 taxonomy: the shipped file is valid and rich enough; check() catches each defect."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from yiwang.hotline import taxonomy
from yiwang.hotline.taxonomy import TaxonomyInvalid


@pytest.fixture(scope="module")
def shipped_data() -> dict:
    with open(taxonomy.TAXONOMY_PATH, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def tax() -> taxonomy.Taxonomy:
    return taxonomy.load()


def _entry(data: dict, code: str) -> dict:
    return next(c for c in data["categories"] if c["code"] == code)


def test_the_shipped_taxonomy_passes_every_check(shipped_data):
    assert taxonomy.check(shipped_data) == []


def test_it_covers_at_least_twelve_areas_and_sixty_leaves(tax):
    areas = [c for c in tax.by_code.values() if c.level == 1 and c.code != "99"]
    assert len(areas) >= 12
    assert len(tax.accepted_leaves()) >= 60
    assert {"城乡建设", "交通出行", "市场监管", "生态环境", "劳动社保", "教育", "医疗卫生"} <= {
        a.name for a in areas
    }


def test_every_leaf_has_a_department_a_limit_and_keywords(tax):
    for leaf in tax.leaves():
        assert leaf.department, leaf.code
        assert leaf.limit is not None and leaf.limit.unit in taxonomy.LIMIT_UNITS, leaf.code
        assert leaf.limit.amount > 0, leaf.code
        assert leaf.keywords, leaf.code


def test_the_default_limits_are_the_four_the_rules_name(tax):
    limits = {(leaf.limit.amount, leaf.limit.unit) for leaf in tax.accepted_leaves()}
    assert limits == {(2, "hours"), (24, "hours"), (5, "working_days"), (15, "working_days")}
    assert tax.by_code["090301"].limit == taxonomy.Limit(2, "hours")  # a gas leak is an emergency


def test_path_names_the_categories_from_level_one_to_three(tax):
    assert tax.path("010101") == ["城乡建设", "物业管理", "物业服务质量"]
    assert tax.path("0101") == ["城乡建设", "物业管理"]
    assert tax.path("990102") == ["非受理事项", "紧急警情", "火灾险情"]


def test_an_unknown_code_is_refused_rather_than_guessed(tax):
    with pytest.raises(KeyError):
        tax.path("019999")
    with pytest.raises(KeyError):
        tax.is_not_accepted("77")
    assert not tax.is_leaf("019999")
    assert not tax.is_leaf("0101")


def test_children_and_roots_follow_the_codes(tax):
    assert [c.code for c in tax.children("0101")] == ["010101", "010102", "010103"]
    assert all(root.level == 1 for root in tax.roots())
    assert len(tax.roots()) == len([c for c in tax.by_code.values() if c.level == 1])


def test_it_knows_which_leaves_are_not_accepted(tax):
    assert tax.is_not_accepted("990101")
    assert not tax.is_not_accepted("010101")
    not_accepted = [leaf for leaf in tax.leaves() if leaf.not_accepted]
    assert len(not_accepted) >= 9
    assert all(leaf.referral.strip() for leaf in not_accepted)
    assert all(not leaf.referral for leaf in tax.accepted_leaves())


@pytest.mark.parametrize(
    ("code", "number"), [("990101", "110"), ("990102", "119"), ("990103", "120"), ("990104", "122")]
)
def test_each_emergency_referral_names_the_right_number(tax, code, number):
    assert number in tax.by_code[code].referral


def test_the_referrals_cover_litigation_petitions_and_the_other_organs(tax):
    referrals = "".join(leaf.referral for leaf in tax.leaves() if leaf.not_accepted)
    for word in ("诉讼", "仲裁", "信访", "党", "人大", "法院", "检察院"):
        assert word in referrals, word


def _drop_parent_of_a_leaf(data):
    _entry(data, "010101")["parent"] = "0199"


def _leaf_points_at_its_grandparent(data):
    _entry(data, "010101")["parent"] = "01"


def _duplicate_a_code(data):
    data["categories"].append(copy.deepcopy(_entry(data, "010101")))


def _five_digit_code(data):
    data["categories"].append({"code": "01011", "name": "残缺编码", "parent": "0101"})


def _leaf_without_department(data):
    del _entry(data, "010102")["department"]


def _leaf_without_limit(data):
    del _entry(data, "010103")["limit"]


def _limit_in_calendar_days(data):
    _entry(data, "020101")["limit"] = {"amount": 5, "unit": "days"}


def _limit_of_zero(data):
    _entry(data, "020102")["limit"] = {"amount": 0, "unit": "hours"}


def _not_accepted_without_referral(data):
    _entry(data, "990102")["referral"] = "  "


def _branch_with_leaf_fields(data):
    _entry(data, "0101")["department"] = "zj"


def _branch_without_children(data):
    data["categories"].append({"code": "0199", "name": "空分类", "parent": "01"})


def _unknown_version(data):
    data["version"] = 2


def _sibling_names_repeat(data):
    _entry(data, "010102")["name"] = _entry(data, "010101")["name"]


DEFECTS: list[tuple[Callable[[dict], None], str]] = [
    (_drop_parent_of_a_leaf, "010101: parent is '0199'"),
    (_leaf_points_at_its_grandparent, "010101: parent is '01'"),
    (_duplicate_a_code, "010101: duplicate code"),
    (_five_digit_code, "'01011' is not 2, 4 or 6 digits"),
    (_leaf_without_department, "010102: leaf needs a department"),
    (_leaf_without_limit, "010103: leaf needs a limit"),
    (_limit_in_calendar_days, "020101: limit unit must be one of"),
    (_limit_of_zero, "020102: limit amount must be a positive integer"),
    (_not_accepted_without_referral, "990102: a not-accepted leaf needs a referral"),
    (_branch_with_leaf_fields, "0101: only level-3 leaves carry department"),
    (_branch_without_children, "0199: level-2 category has no children"),
    (_unknown_version, "unsupported version 2"),
    (_sibling_names_repeat, "010102: name '物业服务质量' repeats sibling 010101"),
]


@pytest.mark.parametrize(("plant", "expected"), DEFECTS, ids=[d[0].__name__ for d in DEFECTS])
def test_check_finds_each_planted_defect(shipped_data, plant, expected):
    data = copy.deepcopy(shipped_data)
    plant(data)
    problems = taxonomy.check(data)
    assert any(expected in problem for problem in problems), problems


def test_check_refuses_data_that_is_not_a_taxonomy_at_all():
    assert taxonomy.check([]) == ["taxonomy must be a JSON object"]
    assert "categories must be a non-empty list" in taxonomy.check({"version": 1, "categories": []})


def test_a_parent_that_does_not_exist_is_reported(shipped_data):
    data = copy.deepcopy(shipped_data)
    data["categories"] = [c for c in data["categories"] if c["code"] != "0102"]
    problems = taxonomy.check(data)
    assert "010201: parent 0102 does not exist" in problems


def test_load_refuses_an_invalid_file_and_lists_every_problem(shipped_data, tmp_path):
    data = copy.deepcopy(shipped_data)
    _leaf_without_department(data)
    _limit_in_calendar_days(data)
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TaxonomyInvalid) as refused:
        taxonomy.load(path)
    assert refused.value.code == "hotline.taxonomy_invalid"
    assert len(refused.value.details["problems"]) == 2


def test_load_reads_a_valid_file_from_any_path(shipped_data, tmp_path):
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(shipped_data, ensure_ascii=False), encoding="utf-8")
    loaded = taxonomy.load(path)
    assert loaded.by_code.keys() == taxonomy.load().by_code.keys()
    assert loaded.by_code["010101"].keywords[0] == _entry(shipped_data, "010101")["keywords"][0]


def test_a_loaded_taxonomy_cannot_be_changed_by_a_caller(tax):
    with pytest.raises(TypeError):
        tax.by_code["010101"] = tax.by_code["010102"]  # type: ignore[index]
    assert tax.by_code["010101"].name == "物业服务质量"
