"""The 12345 demand classifier: learning, suggestions, model files, hostile input, retraining.

Most tests train on a small seeded synthetic corpus (five categories, each with its own words in
shared colloquial filler) so that they stay fast; the real corpus is used when it is shipped.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from yiwang.hotline import classifier
from yiwang.hotline.classifier import (
    MAX_TEXT_CHARS,
    SHIPPED_CORPUS,
    Config,
    Example,
    ModelFileInvalid,
    default_model,
    load,
    load_corpus,
    normalise,
    save,
    split_examples,
    train,
)

TOPICS = {
    "010101": ["路灯不亮", "路灯坏了", "灯杆倾斜", "照明设施损坏", "晚上一片漆黑"],
    "020304": ["夜间噪音", "广场舞音响", "装修噪声", "吵得睡不着", "邻居半夜敲打"],
    "030201": ["拖欠工资", "老板不发薪水", "农民工讨薪", "加班费不给", "辞退不补偿"],
    "040102": ["垃圾没人清运", "垃圾桶满了", "垃圾堆放发臭", "厨余垃圾", "垃圾分类不规范"],
    "050403": ["公交车晚点", "公交站牌", "司机拒载", "线路调整", "末班车太早"],
}
OPENERS = ["你好，", "喂，我想反映一下，", "您好我要投诉，", "麻烦问一下，", "我是附近居民，", ""]
PLACES = ["我们小区", "幸福路三号楼", "东门那边", "学校门口", "菜市场旁边", "村口"]
FILLERS = ["已经好几天了", "一直没人管", "打过好几次电话", "希望尽快处理", "太影响生活了", "谢谢"]


def synthetic_examples(per_class: int = 40, seed: int = 7) -> list[Example]:
    rng = random.Random(seed)
    examples = []
    for code, words in TOPICS.items():
        for _ in range(per_class):
            parts = [rng.choice(OPENERS), rng.choice(PLACES), rng.choice(words)]
            parts += rng.sample(FILLERS, 2)
            if rng.random() < 0.4:
                parts.insert(3, rng.choice(words))
            examples.append(Example("，".join(p for p in parts if p) + "。", code))
    rng.shuffle(examples)
    return examples


@pytest.fixture(scope="module")
def split() -> tuple[list[Example], list[Example]]:
    return split_examples(synthetic_examples(), test_fraction=0.2, seed=0)


@pytest.fixture(scope="module")
def model(split):
    return train(split[0], seed=0)


def write_corpus(path: Path, examples: list[Example]) -> Path:
    path.write_text(
        "".join(
            json.dumps(
                {"text": e.text, "category": e.category, "type": "投诉", "channel": "phone"},
                ensure_ascii=False,
            )
            + "\n"
            for e in examples
        ),
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- learning and suggestions


def test_it_learns_separable_categories_well_above_chance_on_held_out_texts(split, model):
    report = model.evaluate(split[1])
    assert report.n == len(split[1]) == 40
    assert report.accuracy >= 0.9  # chance is 0.2
    assert report.top3_accuracy >= report.accuracy
    assert report.macro_f1 >= 0.85
    assert set(report.per_category_recall) == set(TOPICS)
    assert all(0.0 <= r <= 1.0 for r in report.per_category_recall.values())


def test_suggestions_are_sorted_best_first_with_confidences_summing_to_at_most_one(model):
    suggestions = model.suggest("您好，我们楼下路灯坏了好几天，晚上一片漆黑", k=3)
    assert len(suggestions) == 3
    assert suggestions[0].code == "010101"
    confidences = [s.confidence for s in suggestions]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert sum(confidences) <= 1.0 + 1e-6
    assert len({s.code for s in suggestions}) == 3


def test_suggest_many_agrees_with_suggest_text_by_text(split, model):
    texts = [e.text for e in split[1][:10]]
    assert model.suggest_many(texts, k=2) == [model.suggest(t, k=2) for t in texts]


def test_k_larger_than_the_number_of_categories_gives_every_category_once(model):
    suggestions = model.suggest("公交车晚点", k=50)
    assert sorted(s.code for s in suggestions) == sorted(TOPICS)
    assert sum(s.confidence for s in suggestions) == pytest.approx(1.0, abs=1e-5)


def test_confidences_are_calibrated_enough_that_wrong_answers_are_less_sure(split, model):
    report = model.evaluate(split[1])
    assert report.calibration_error < 0.25
    assert model.meta["temperature"] > 0


def test_training_is_deterministic_for_a_seed(split, model):
    again = train(split[0], seed=0)
    assert np.array_equal(again.coef, model.coef)
    assert again.meta["corpus_sha256"] == model.meta["corpus_sha256"]


def test_the_held_out_split_is_stratified_seeded_and_disjoint():
    examples = synthetic_examples(per_class=10)
    train_a, test_a = split_examples(examples, test_fraction=0.2, seed=3)
    train_b, test_b = split_examples(examples, test_fraction=0.2, seed=3)
    _, test_c = split_examples(examples, test_fraction=0.2, seed=4)
    assert (train_a, test_a) == (train_b, test_b)
    assert test_a != test_c
    assert sorted(train_a + test_a) == sorted(examples)
    assert {code: sum(e.category == code for e in test_a) for code in TOPICS} == dict.fromkeys(
        TOPICS, 2
    )


def test_a_category_with_one_example_stays_in_training():
    examples = [*synthetic_examples(per_class=5), Example("井盖丢失", "060101")]
    train_part, test_part = split_examples(examples, seed=0)
    assert Example("井盖丢失", "060101") in train_part
    assert all(e.category != "060101" for e in test_part)


def test_training_refuses_a_corpus_of_one_category():
    with pytest.raises(classifier.ValidationFailed) as caught:
        train([("路灯坏了", "010101"), ("路灯不亮", "010101"), ("😀", "020304")])
    assert caught.value.code == "hotline_classifier_too_few_classes"


# ---------------------------------------------------------------- normalisation and bad input


def test_normalise_folds_width_case_traditional_script_and_markup():
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("路燈壞了，請儘快處理") == "路灯坏了 请尽快处理"
    assert normalise("<p>路灯&nbsp;坏了</p><br/>") == "路灯 坏了"
    assert normalise("见 https://example.com/a?b=1 路灯") == "见 路灯"
    assert normalise("   \t\n ") == ""
    assert normalise("😀🎉👍") == ""
    assert normalise(None) == ""


@pytest.mark.parametrize("text", ["", "   \n\t", "😀😀🎉", "\x00\x00", "！？。，", None, 12345])
def test_nothing_classifiable_gives_no_suggestions(model, text):
    assert model.suggest(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "路灯坏了" * 12_800,  # 51,200 characters, ~150 KB of UTF-8
        "<script>alert('x')</script>我们小区垃圾没人清运",
        "路灯\x00坏了\x00好几天",
        "'; DROP TABLE hotline_ticket; --",
        "\u202e\u200b\ufeff拖欠工资\u2028",
        "a" * 60_000,
    ],
)
def test_hostile_text_gives_valid_suggestions_or_none_without_raising(model, text):
    suggestions = model.suggest(text)
    assert len(suggestions) <= 3
    assert all(s.code in TOPICS and 0.0 <= s.confidence <= 1.0 for s in suggestions)


def test_a_50_kb_text_is_cut_before_vectorising():
    text = "我们小区路灯坏了，" * 6_000
    assert len(text.encode()) > 50_000
    assert len(normalise(text)) <= MAX_TEXT_CHARS


def test_markup_does_not_change_what_a_demand_is_about(model):
    plain = model.suggest("我们小区垃圾没人清运，发臭了")
    wrapped = model.suggest("<div onclick='x()'><b>我们小区垃圾没人清运</b>，发臭了</div>")
    assert plain[0].code == wrapped[0].code == "040102"


# ---------------------------------------------------------------- model files


def test_a_saved_model_loads_back_with_identical_suggestions(tmp_path, split, model):
    path = save(model, tmp_path / "model.npz")
    loaded = load(path)
    texts = [e.text for e in split[1]] + ["路燈壞了", "😀"]
    assert loaded.suggest_many(texts, k=3) == model.suggest_many(texts, k=3)
    assert loaded.meta == model.meta
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_model_file_holds_no_pickled_object(tmp_path, model):
    path = save(model, tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as npz:
        assert all(npz[name].dtype != object for name in npz.files)


def test_a_model_with_jieba_words_round_trips_too(tmp_path, split):
    worded = train(split[0], seed=0, config=Config(words=True, calibrate=False))
    loaded = load(save(worded, tmp_path / "words.npz"))
    texts = [e.text for e in split[1][:10]]
    assert loaded.suggest_many(texts) == worded.suggest_many(texts)
    assert len(worded.word_terms) > 0


def _rewrite(source: Path, target: Path, **replace: np.ndarray) -> Path:
    with np.load(source, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays.update(replace)
    with open(target, "wb") as handle:
        np.savez(handle, **arrays)
    return target


def test_load_refuses_files_that_are_not_our_model(tmp_path, model):
    good = save(model, tmp_path / "good.npz")
    header = json.loads(str(np.load(good)["header"][()]))
    bad_files = {
        "random": (tmp_path / "random.npz", None),
        "pickled": _rewrite(good, tmp_path / "pickled.npz", classes=np.array([{"a": 1}], object)),
        "shape": _rewrite(good, tmp_path / "shape.npz", intercept=np.zeros(2, np.float32)),
        "nan": _rewrite(
            good, tmp_path / "nan.npz", coef=np.full(model.coef.shape, np.nan, np.float32)
        ),
        "format": _rewrite(
            good, tmp_path / "format.npz", header=np.array(json.dumps({**header, "version": 99}))
        ),
        "config": _rewrite(
            good,
            tmp_path / "config.npz",
            header=np.array(json.dumps({**header, "config": {"model": "os.system"}})),
        ),
    }
    (tmp_path / "random.npz").write_bytes(random.Random(1).randbytes(4096))
    for name, path in bad_files.items():
        with pytest.raises(ModelFileInvalid) as caught:
            load(path if isinstance(path, Path) else path[0])
        assert caught.value.code == "hotline_model_invalid", name


def test_load_refuses_an_archive_that_would_decompress_too_much(tmp_path, monkeypatch, model):
    path = save(model, tmp_path / "model.npz")
    with zipfile.ZipFile(path) as archive:
        total = sum(m.file_size for m in archive.infolist())
    monkeypatch.setattr(classifier, "MAX_UNCOMPRESSED_BYTES", total - 1)
    with pytest.raises(ModelFileInvalid):
        load(path)


def test_the_app_model_comes_from_the_configured_file_and_follows_it(
    tmp_path, settings, monkeypatch, split, model
):
    monkeypatch.setattr(classifier, "_default", None)
    settings.YIWANG_HOTLINE_MODEL_PATH = tmp_path / "hotline-model.npz"
    save(model, settings.YIWANG_HOTLINE_MODEL_PATH)
    first = default_model()
    assert default_model() is first
    assert first.suggest("路灯坏了") == model.suggest("路灯坏了")

    other = train(split[0][:60], seed=1)
    save(other, settings.YIWANG_HOTLINE_MODEL_PATH)
    assert default_model() is not first
    assert default_model().meta["corpus_sha256"] == other.meta["corpus_sha256"]


def test_without_a_model_file_the_app_trains_once_from_the_shipped_corpus(
    tmp_path, settings, monkeypatch
):
    monkeypatch.setattr(classifier, "_default", None)
    monkeypatch.setattr(
        classifier,
        "SHIPPED_CORPUS",
        write_corpus(tmp_path / "corpus.jsonl", synthetic_examples(per_class=12)),
    )
    settings.YIWANG_HOTLINE_MODEL_PATH = tmp_path / "absent.npz"
    first = default_model()
    assert default_model() is first
    assert first.meta["n_examples"] == 60
    assert first.suggest("公交车又晚点了")[0].code == "050403"


def test_an_invalid_model_file_is_logged_and_the_shipped_corpus_used_instead(
    tmp_path, settings, monkeypatch, caplog
):
    monkeypatch.setattr(classifier, "_default", None)
    monkeypatch.setattr(
        classifier,
        "SHIPPED_CORPUS",
        write_corpus(tmp_path / "corpus.jsonl", synthetic_examples(per_class=12)),
    )
    settings.YIWANG_HOTLINE_MODEL_PATH = tmp_path / "hotline-model.npz"
    settings.YIWANG_HOTLINE_MODEL_PATH.write_bytes(b"PK\x03\x04 not a model")
    model = default_model()
    assert model.meta["n_examples"] == 60
    assert "invalid" in caplog.text


def test_without_a_model_file_or_a_corpus_the_classifier_is_unavailable(
    tmp_path, settings, monkeypatch
):
    monkeypatch.setattr(classifier, "_default", None)
    monkeypatch.setattr(classifier, "SHIPPED_CORPUS", tmp_path / "none.jsonl")
    settings.YIWANG_HOTLINE_MODEL_PATH = tmp_path / "absent.npz"
    with pytest.raises(classifier.ServiceUnavailable) as caught:
        default_model()
    assert caught.value.code == "hotline_classifier_unavailable"


# ---------------------------------------------------------------- the retrain command


def test_the_retrain_command_prints_held_out_metrics_and_writes_the_model(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", synthetic_examples(per_class=30))
    output = tmp_path / "models" / "hotline-model.npz"
    out = io.StringIO()
    call_command("retrain_classifier", corpus=str(corpus), output=str(output), stdout=out)
    text = out.getvalue()
    accuracy = float(re.search(r"准确率 ([\d.]+)", text).group(1))
    assert accuracy >= 0.9
    assert re.search(r"前三准确率 [\d.]+", text) and re.search(r"宏平均 F1 [\d.]+", text)
    assert "留出 30 条" in text
    written = load(output)
    assert written.meta["n_examples"] == 150
    assert written.meta["holdout"]["accuracy"] == pytest.approx(accuracy, abs=5e-4)
    assert [p.name for p in output.parent.iterdir()] == ["hotline-model.npz"]


def test_the_retrain_command_refuses_a_missing_or_broken_corpus(tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "retrain_classifier",
            corpus=str(tmp_path / "none.jsonl"),
            output=str(tmp_path / "m.npz"),
            stdout=io.StringIO(),
        )
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "路灯坏了", "category": "010101"}\nnot json\n', encoding="utf-8")
    with pytest.raises(CommandError, match="第 2 行"):
        call_command(
            "retrain_classifier",
            corpus=str(broken),
            output=str(tmp_path / "m.npz"),
            stdout=io.StringIO(),
        )
    assert not (tmp_path / "m.npz").exists()


# ---------------------------------------------------------------- the shipped corpus


def test_the_retrain_command_on_the_shipped_corpus_reports_a_useful_model(tmp_path):
    examples = load_corpus()
    taxonomy = json.loads((SHIPPED_CORPUS.parent / "taxonomy.json").read_text(encoding="utf-8"))
    leaves = {c["code"] for c in taxonomy["categories"] if len(c["code"]) == 6}
    assert {e.category for e in examples} <= leaves

    output = tmp_path / "hotline-model.npz"
    out = io.StringIO()
    call_command("retrain_classifier", output=str(output), stdout=out)
    text = out.getvalue()
    assert float(re.search(r"准确率 ([\d.]+)", text).group(1)) >= 0.8
    assert float(re.search(r"前三准确率 ([\d.]+)", text).group(1)) >= 0.9
    assert float(re.search(r"宏平均 F1 ([\d.]+)", text).group(1)) >= 0.75
    model = load(output)
    assert model.meta["n_examples"] == len(examples)
    assert set(model.classes.tolist()) == {e.category for e in examples}
    assert model.suggest("我们这条街的路灯晚上全都不亮了，黑乎乎的")[0].code == "100301"
