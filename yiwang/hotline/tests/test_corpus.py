"""The labelled 12345 corpus: big, spread over every leaf, varied, and reproducible."""

from __future__ import annotations

import json
import re
import runpy
from collections import Counter
from pathlib import Path

import pytest

from yiwang.hotline import corpus, taxonomy
from yiwang.hotline.corpus import CorpusInvalid, Example

GENERATOR = Path(__file__).resolve().parents[3] / "scripts" / "make_hotline_corpus.py"


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return corpus.load()


@pytest.fixture(scope="module")
def tax() -> taxonomy.Taxonomy:
    return taxonomy.load()


def _normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def test_the_corpus_holds_at_least_2500_texts(examples):
    assert len(examples) >= 2500


def test_every_leaf_has_enough_examples(examples, tax):
    per_leaf = Counter(example.category for example in examples)
    for leaf in tax.leaves():
        needed = 10 if leaf.not_accepted else 25
        assert per_leaf[leaf.code] >= needed, f"{leaf.code} {leaf.name}: {per_leaf[leaf.code]}"


def test_no_example_names_an_unknown_or_non_leaf_category(examples, tax):
    assert corpus.check(examples, tax) == []


def test_check_reports_examples_with_unknown_or_branch_categories(tax):
    planted = [
        Example("小区楼道没人打扫", "010101", "投诉", "phone"),
        Example("小区楼道没人打扫", "0101", "投诉", "phone"),
        Example("小区楼道没人打扫", "019999", "投诉", "phone"),
    ]
    assert corpus.check(planted, tax) == [
        "example 1: category 0101 is not a level-3 leaf",
        "example 2: unknown category '019999'",
    ]


def test_texts_are_distinct_once_punctuation_is_removed(examples):
    distinct = {_normalised(example.text) for example in examples}
    assert len(distinct) / len(examples) >= 0.95


def test_no_leaf_is_dominated_by_one_repeated_opening(examples):
    by_leaf: dict[str, Counter] = {}
    for example in examples:
        by_leaf.setdefault(example.category, Counter())[_normalised(example.text)[:12]] += 1
    for code, openings in by_leaf.items():
        _, most = openings.most_common(1)[0]
        assert most / sum(openings.values()) <= 0.3, code


def test_types_and_channels_are_valid_and_all_used(examples):
    assert {example.type for example in examples} == set(corpus.TYPES)
    assert {example.channel for example in examples} == set(corpus.CHANNELS)


def test_texts_are_set_in_the_demo_city(examples):
    places = ("东湖区", "西岭区", "湖滨", "文昌", "望江", "西岭", "新桥", "石门", "锦绣", "柳岸")
    placed = sum(any(place in example.text for place in places) for example in examples)
    assert placed / len(examples) >= 0.25


def test_phone_texts_sound_like_callers(examples):
    phone = [e.text for e in examples if e.channel == "phone"]
    spoken = sum(e.startswith(("喂", "你好")) or "来电" in e for e in phone)
    assert spoken / len(phone) >= 0.5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 7: not JSON"),
        (
            '{"text": "停水了", "category": "090101", "type": "抱怨", "channel": "phone"}',
            "unknown type",
        ),
        (
            '{"text": "停水了", "category": "090101", "type": "求助", "channel": "fax"}',
            "unknown channel",
        ),
        ('{"text": "停水了", "category": "090101", "type": "求助"}', "expected exactly the keys"),
        (
            '{"text": " ", "category": "090101", "type": "求助", "channel": "sms"}',
            "non-empty string",
        ),
    ],
)
def test_a_malformed_line_is_refused_with_its_number(line, message):
    with pytest.raises(CorpusInvalid) as refused:
        corpus.parse_line(line, 7)
    assert message in refused.value.message
    assert refused.value.message.startswith("line 7")


def test_load_reads_examples_from_any_path_and_skips_blank_lines(tmp_path):
    row = {"text": "停水三天了", "category": "090101", "type": "求助", "channel": "sms"}
    path = tmp_path / "corpus.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n\n", encoding="utf-8")
    assert corpus.load(path) == [Example("停水三天了", "090101", "求助", "sms")]


def test_the_shipped_corpus_is_what_the_seeded_generator_makes():
    generator = runpy.run_path(str(GENERATOR), run_name="make_hotline_corpus")
    regenerated = generator["dump"](generator["generate"]())
    assert regenerated == corpus.CORPUS_PATH.read_text(encoding="utf-8")
