"""12345 demand classification (诉求分类): suggestions with confidence, the agent confirms.

A demand's text is normalised (HTML and entities stripped, NFKC full-width → half-width,
OpenCC 繁→简, lower-case, anything that is not a letter, digit or CJK character → one space),
turned into TF-IDF features over character 1–2-grams (sublinear tf, l2 norm; jieba word unigrams
can be unioned in, but measured no better and slower — see ``Config``) and scored by one linear
model whose softmax gives the confidences. The linear model is a LinearSVC (or a multinomial
logistic regression); its scores are temperature-scaled on out-of-fold predictions so that a
confidence of 0.8 means right about 80 % of the time, and the temperature is folded into the
weights: a model is only ``softmax(X · W + b)``.

A model file is a compressed ``.npz`` holding plain arrays (vocabularies as fixed-width unicode,
idf, weights, class codes) and a JSON header — no pickle, so a file an admin uploads cannot run
code: ``load`` refuses pickled members, checks sizes before decompressing, and validates every
array's type, shape and finiteness before a model is rebuilt from them.

    model = train(load_corpus(SHIPPED_CORPUS), seed=0)
    model.suggest("小区门口的路灯坏了一个星期了")  # [Suggestion("100301", 0.9), ...]
    save(model, path); load(path)
    default_model()  # settings.YIWANG_HOTLINE_MODEL_PATH if the file exists, else trained once

``manage.py retrain_classifier`` trains on the shipped corpus and writes the model file;
``bench/bench_hotline_classify.py`` reports held-out accuracy and throughput.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import io
import json
import logging
import os
import re
import tempfile
import threading
import time
import unicodedata
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from django.utils.translation import gettext as _

from yiwang.core.errors import ServiceUnavailable, ValidationFailed

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_CORPUS = DATA_DIR / "corpus.jsonl"
TAXONOMY_PATH = DATA_DIR / "taxonomy.json"

FORMAT = "yiwang-hotline-classifier"
FORMAT_VERSION = 1
# Raw characters looked at: a 50 KB paste is cut here, before any regular expression runs.
MAX_INPUT_CHARS = 8_000
# Normalised characters vectorised: a demand is a few sentences; the rest adds noise and time.
MAX_TEXT_CHARS = 1_000
# Limits on a model file (an admin may upload one): checked before anything is decompressed.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_CLASSES = 10_000
MAX_FEATURES = 5_000_000


class ModelFileInvalid(ValidationFailed):
    default_code = "hotline_model_invalid"


# --------------------------------------------------------------------------- normalisation

_TAG = re.compile(r"<[^<>]{0,400}>")
_URL = re.compile(r"(?:https?|ftp)://\S{0,400}", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")
_opencc_lock = threading.Lock()
_opencc: Any = None


def _t2s(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC ``t2s``; ~10 µs a demand)."""
    global _opencc
    if _opencc is None:
        with _opencc_lock:
            if _opencc is None:
                import opencc

                _opencc = opencc.OpenCC("t2s")
    return str(_opencc.convert(text))


def normalise(text: object) -> str:
    """The text the features are computed on; ``""`` when nothing classifiable is left.

    >>> normalise("<p>ＡＢＣ　路燈壞了!!😀</p>")
    'abc 路灯坏了'
    """
    if not isinstance(text, str) or not text:
        return ""
    text = text[:MAX_INPUT_CHARS]
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "://" in text:
        text = _URL.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _t2s(text)
    text = _NOT_WORD.sub(" ", text.lower()).strip()
    return text[:MAX_TEXT_CHARS].rstrip()


# --------------------------------------------------------------------------- data


class Example(NamedTuple):
    """One labelled demand: its text and the code of its leaf category."""

    text: str
    category: str


@dataclass(frozen=True)
class Suggestion:
    code: str
    confidence: float


@dataclass(frozen=True)
class Report:
    """Quality of a model on labelled examples (a text with no suggestion counts as wrong)."""

    n: int
    accuracy: float
    top3_accuracy: float
    macro_f1: float
    # accuracy of the level-1 / level-2 ancestor (the first 2 / 4 digits of the code)
    level1_accuracy: float
    level2_accuracy: float
    # expected calibration error of the top-1 confidence (10 equal-width bins)
    calibration_error: float
    per_category_recall: dict[str, float] = field(default_factory=dict)
    per_category_support: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _as_example(item: Any) -> Example:
    if isinstance(item, Mapping):
        return Example(str(item["text"]), str(item["category"]))
    text, category = item
    return Example(str(text), str(category))


def load_corpus(path: str | os.PathLike[str] = SHIPPED_CORPUS) -> list[Example]:
    """The labelled examples of a JSON-lines corpus (``{"text", "category", ...}`` a line)."""
    examples: list[Example] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, category = row["text"], row["category"]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValidationFailed(
                    code="hotline_corpus_invalid",
                    message=_("语料第 %(line)s 行格式错误：%(error)s")
                    % {"line": number, "error": exc},
                ) from exc
            if not isinstance(text, str) or not isinstance(category, str) or not category:
                raise ValidationFailed(
                    code="hotline_corpus_invalid",
                    message=_("语料第 %(line)s 行缺少文本或分类代码。") % {"line": number},
                )
            examples.append(Example(text, category))
    return examples


def split_examples(
    examples: Iterable[Any], *, test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """A seeded stratified (train, test) split: each category gives ``test_fraction`` of its
    examples (rounded) to the test set and keeps at least one for training."""
    by_class: dict[str, list[Example]] = defaultdict(list)
    for item in examples:
        example = _as_example(item)
        by_class[example.category].append(example)
    rng = np.random.default_rng(seed)
    train_part: list[Example] = []
    test_part: list[Example] = []
    for category in sorted(by_class):
        items = by_class[category]
        order = rng.permutation(len(items))
        n_test = min(round(len(items) * test_fraction), len(items) - 1)
        test_part.extend(items[i] for i in order[:n_test])
        train_part.extend(items[i] for i in order[n_test:])
    return train_part, test_part


# --------------------------------------------------------------------------- features

_jieba_lock = threading.Lock()
_jieba_ready = False


def _words(text: str) -> list[str]:
    """jieba word unigrams of a normalised text (dictionary only: HMM off is faster)."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return [w for w in jieba.lcut(text, HMM=False) if w.strip()]


@dataclass(frozen=True)
class Config:
    """Features and model. The defaults are the measured choice on the shipped corpus (3,006
    texts, 105 leaves; held-out 20 %, seeds 0–2, plus the benchmark's 105 freshly worded texts):

    - char 1–2-grams: same held-out accuracy as 1–3 (0.967–0.977), better on fresh wording
      (0.876–0.886 against 0.838–0.867), a third of the features, 1.5× the throughput; 2–4-grams
      were worse on fresh wording (0.72);
    - jieba words unioned in: no gain (±0.003 held-out, −0.03 fresh) and 1,300–1,800 texts/s,
      under the 2,000/s goal — left out;
    - LinearSVC C=1 + temperature against multinomial LogisticRegression: same accuracy, LR's raw
      probabilities were far from calibrated (ECE 0.20 against 0.02) and it trained 2–4× slower.
    """

    ngram_min: int = 1
    ngram_max: int = 2
    words: bool = False  # union jieba word unigrams with the char n-grams
    min_df: int = 1
    max_features: int | None = None
    model: str = "svm"  # "svm" (LinearSVC) or "logreg" (multinomial LogisticRegression)
    C: float = 1.0
    calibrate: bool = True  # temperature-scale on out-of-fold (3-fold) scores

    def __post_init__(self) -> None:
        ok = (
            isinstance(self.ngram_min, int)
            and isinstance(self.ngram_max, int)
            and 1 <= self.ngram_min <= self.ngram_max <= 6
            and isinstance(self.words, bool)
            and isinstance(self.min_df, int)
            and self.min_df >= 1
            and (
                self.max_features is None
                or (isinstance(self.max_features, int) and self.max_features > 0)
            )
            and self.model in ("logreg", "svm")
            and isinstance(self.C, int | float)
            and self.C > 0
            and isinstance(self.calibrate, bool)
        )
        if not ok:
            raise ValidationFailed(
                code="hotline_classifier_config_invalid",
                message=_("分类器参数无效：%(config)s") % {"config": dataclasses.asdict(self)},
            )

    @classmethod
    def from_dict(cls, data: Any) -> Config:
        if not isinstance(data, dict) or set(data) - {f.name for f in dataclasses.fields(cls)}:
            raise ModelFileInvalid(message=_("模型文件的参数无法识别。"))
        try:
            return cls(**data)
        except ValidationFailed as exc:
            raise ModelFileInvalid(message=exc.message) from exc


def _vectoriser(config: Config, *, words: bool, vocabulary: Sequence[str] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common: dict[str, Any] = {
        "lowercase": False,
        "sublinear_tf": True,
        "dtype": np.float32,
        "vocabulary": vocabulary,
    }
    if vocabulary is None:
        common.update(min_df=config.min_df, max_features=config.max_features)
    if words:
        return TfidfVectorizer(analyzer=_words, **common)
    return TfidfVectorizer(
        analyzer="char", ngram_range=(config.ngram_min, config.ngram_max), **common
    )


def _rebuilt(config: Config, terms: np.ndarray, idf: np.ndarray, *, words: bool) -> Any:
    """A fitted vectoriser from its vocabulary and idf (no sklearn object is ever stored)."""
    vectoriser = _vectoriser(config, words=words, vocabulary=[str(t) for t in terms])
    vectoriser.fit([""])  # sets the fixed vocabulary; the idf is replaced below
    vectoriser.idf_ = idf.astype(np.float64)
    return vectoriser


# --------------------------------------------------------------------------- model


class Model:
    """A trained classifier: vectorisers rebuilt from plain arrays and ``softmax(X · W + b)``."""

    def __init__(
        self,
        *,
        config: Config,
        classes: np.ndarray,
        char_terms: np.ndarray,
        char_idf: np.ndarray,
        word_terms: np.ndarray,
        word_idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        meta: dict[str, Any],
    ) -> None:
        self.config = config
        self.classes = classes
        self.char_terms, self.char_idf = char_terms, char_idf
        self.word_terms, self.word_idf = word_terms, word_idf
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)  # (features, classes)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.meta = meta
        self._char = _rebuilt(config, char_terms, char_idf, words=False)
        self._word = _rebuilt(config, word_terms, word_idf, words=True) if config.words else None
        self._codes = [str(c) for c in classes]

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[0])

    def _features(self, normalised: Sequence[str]) -> sp.csr_matrix:
        matrix = self._char.transform(normalised)
        if self._word is not None:
            matrix = sp.hstack([matrix, self._word.transform(normalised)], format="csr")
        return matrix.tocsr()

    def probabilities(self, texts: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities of shape (n, classes), whether each text had any known feature)."""
        normalised = [normalise(t) for t in texts]
        if not normalised:
            return np.zeros((0, len(self._codes)), np.float32), np.zeros(0, bool)
        matrix = self._features(normalised)
        scores = np.asarray(matrix @ self.coef) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores, np.diff(matrix.indptr) > 0

    def suggest_many(self, texts: Sequence[object], k: int = 3) -> list[list[Suggestion]]:
        """The ``k`` likeliest categories of each text, best first; ``[]`` for a text with
        nothing classifiable (empty, emoji only, or no character n-gram the model knows)."""
        k = max(0, min(int(k), len(self._codes)))
        probs, known = self.probabilities(texts)
        if k == 0 or not len(probs):
            return [[] for _ in range(len(probs))]
        top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
        rows = np.arange(len(probs))[:, None]
        top = np.take_along_axis(top, np.argsort(-probs[rows, top], axis=1, kind="stable"), 1)
        return [
            [Suggestion(self._codes[j], min(1.0, max(0.0, float(probs[i, j])))) for j in top[i]]
            if known[i]
            else []
            for i in range(len(probs))
        ]

    def suggest(self, text: object, k: int = 3) -> list[Suggestion]:
        return self.suggest_many([text], k)[0]

    def evaluate(self, examples: Iterable[Any]) -> Report:
        from sklearn.metrics import f1_score

        items = [_as_example(e) for e in examples]
        if not items:
            raise ValidationFailed(code="hotline_classifier_no_examples", message=_("没有样本。"))
        truth = [e.category for e in items]
        suggestions = self.suggest_many([e.text for e in items], k=3)
        predicted = [s[0].code if s else "" for s in suggestions]
        confidence = np.array([s[0].confidence if s else 0.0 for s in suggestions])
        pairs = list(zip(predicted, truth, strict=True))
        right = np.array([p == t for p, t in pairs])
        in_top3 = [t in {s.code for s in sug} for t, sug in zip(truth, suggestions, strict=True)]

        support = Counter(truth)
        hits = Counter(t for t, ok in zip(truth, right, strict=True) if ok)
        bins = np.minimum((confidence * 10).astype(int), 9)
        ece = sum(
            abs(confidence[bins == b].mean() - right[bins == b].mean()) * (bins == b).sum()
            for b in range(10)
            if (bins == b).any()
        ) / len(items)
        labels = sorted(support)
        return Report(
            n=len(items),
            accuracy=float(right.mean()),
            top3_accuracy=float(np.mean(in_top3)),
            macro_f1=float(
                f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
            ),
            level1_accuracy=float(np.mean([p[:2] == t[:2] for p, t in pairs])),
            level2_accuracy=float(np.mean([p[:4] == t[:4] for p, t in pairs])),
            calibration_error=float(ece),
            per_category_recall={c: hits[c] / support[c] for c in labels},
            per_category_support={c: support[c] for c in labels},
        )


# --------------------------------------------------------------------------- training


def _linear(config: Config, seed: int) -> Any:
    if config.model == "svm":
        from sklearn.svm import LinearSVC

        return LinearSVC(C=config.C, random_state=seed, max_iter=5000)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=config.C, max_iter=1000, random_state=seed)


def _scores_matrix(
    estimator: Any, n_classes: int, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(W of shape (features, n_classes), b) from a fitted estimator whose classes are the
    ``columns`` of the full class list; a class the estimator never saw scores -inf-ish."""
    coef = np.atleast_2d(estimator.coef_)
    intercept = np.atleast_1d(estimator.intercept_)
    if coef.shape[0] == 1:  # binary: softmax([0, s]) == sigmoid(s)
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    weights = np.zeros((coef.shape[1], n_classes), np.float64)
    bias = np.full(n_classes, -1e4)
    weights[:, columns] = coef.T
    bias[columns] = intercept
    return weights, bias


def _temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The temperature T minimising the log-loss of softmax(scores / T)."""
    from scipy.optimize import minimize_scalar

    def loss(log_t: float) -> float:
        z = scores / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(y)), y]))

    found = minimize_scalar(loss, bounds=(-4.0, 4.0), method="bounded")
    return float(np.exp(found.x))


def _out_of_fold_scores(
    matrix: sp.csr_matrix, y: np.ndarray, n_classes: int, config: Config, seed: int, folds: int = 3
) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros((matrix.shape[0], n_classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the least populated class has only 1 member"
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(matrix, y)
        for fit_rows, score_rows in splits:
            estimator = _linear(config, seed).fit(matrix[fit_rows], y[fit_rows])
            weights, bias = _scores_matrix(estimator, n_classes, estimator.classes_)
            scores[score_rows] = matrix[score_rows] @ weights + bias
    return scores


def _fingerprint(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps(example, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def train(examples: Iterable[Any], *, seed: int = 0, config: Config | None = None) -> Model:
    """A model trained on labelled examples (``Example``, ``(text, code)`` or mappings with
    ``text`` and ``category``); texts with nothing classifiable are skipped. Deterministic for a
    given seed."""
    config = config or Config()
    began = time.perf_counter()
    items = [_as_example(e) for e in examples]
    kept = [(normalise(e.text), e.category) for e in items]
    kept = [(t, c) for t, c in kept if t]
    classes = np.array(sorted({c for _t, c in kept}))
    if len(classes) < 2:
        raise ValidationFailed(
            code="hotline_classifier_too_few_classes",
            message=_("训练语料至少需要两个分类。"),
        )
    texts = [t for t, _c in kept]
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for _t, c in kept])

    char = _vectoriser(config, words=False)
    parts = [char.fit_transform(texts)]
    word_terms, word_idf = np.array([], dtype="<U1"), np.array([], dtype=np.float32)
    if config.words:
        word = _vectoriser(config, words=True)
        parts.append(word.fit_transform(texts))
        word_terms, word_idf = word.get_feature_names_out().astype(str), word.idf_
    matrix = sp.hstack(parts, format="csr") if len(parts) > 1 else parts[0].tocsr()

    estimator = _linear(config, seed).fit(matrix, y)
    weights, bias = _scores_matrix(estimator, len(classes), np.arange(len(classes)))
    temperature = 1.0
    if config.calibrate:
        scores = _out_of_fold_scores(matrix, y, len(classes), config, seed)
        # a row whose class its fold never saw says nothing about the temperature
        seen = scores[np.arange(len(y)), y] > -1e3
        if seen.any():
            temperature = _temperature(scores[seen], y[seen])
    meta = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "n_examples": len(texts),
        "n_classes": len(classes),
        "seed": seed,
        "temperature": temperature,
        "corpus_sha256": _fingerprint(items),
        "train_seconds": 0.0,
    }
    model = Model(
        config=config,
        classes=classes,
        char_terms=char.get_feature_names_out().astype(str),
        char_idf=char.idf_.astype(np.float32),
        word_terms=word_terms,
        word_idf=np.asarray(word_idf, np.float32),
        coef=weights / temperature,
        intercept=bias / temperature,
        meta=meta,
    )
    meta["train_seconds"] = round(time.perf_counter() - began, 3)
    return model


# --------------------------------------------------------------------------- files

_ARRAYS = ("classes", "char_terms", "char_idf", "word_terms", "word_idf", "coef", "intercept")


def save(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` atomically (a temporary file in the same folder, renamed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": dataclasses.asdict(model.config),
        "meta": model.meta,
    }
    arrays = {
        "header": np.array(json.dumps(header, ensure_ascii=False)),
        "classes": model.classes.astype(str),
        "char_terms": model.char_terms.astype(str),
        "char_idf": model.char_idf.astype(np.float32),
        "word_terms": model.word_terms.astype(str),
        "word_idf": model.word_idf.astype(np.float32),
        "coef": model.coef.astype(np.float32),
        "intercept": model.intercept.astype(np.float32),
    }
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed before the rename
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            np.savez_compressed(handle, allow_pickle=False, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)  # mkstemp made it 0600; the app server reads it
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return target


def _invalid(reason: str) -> ModelFileInvalid:
    return ModelFileInvalid(message=_("模型文件无效：%(reason)s") % {"reason": reason})


def load(path: str | os.PathLike[str]) -> Model:
    """A model read from a file written by ``save``; ``ModelFileInvalid`` for anything else.

    Never unpickles: object arrays are refused, sizes are checked before decompression, and
    every array's type, shape and values are validated."""
    source = Path(path)
    try:
        if source.stat().st_size > MAX_FILE_BYTES:
            raise _invalid("file too large")
        data = source.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
                raise _invalid("uncompressed size too large")
            names = {m.filename.removesuffix(".npy") for m in members}
        if names != {"header", *_ARRAYS}:
            raise _invalid("unexpected members")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ("header", *_ARRAYS)}
    except ModelFileInvalid:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise _invalid(type(exc).__name__) from exc

    try:
        header = json.loads(str(arrays["header"][()]))
    except (ValueError, TypeError, IndexError) as exc:
        raise _invalid("header") from exc
    if not isinstance(header, dict) or (header.get("format"), header.get("version")) != (
        FORMAT,
        FORMAT_VERSION,
    ):
        raise _invalid("format or version")
    config = Config.from_dict(header.get("config"))
    meta = header.get("meta")
    if not isinstance(meta, dict):
        raise _invalid("meta")

    classes, coef, intercept = arrays["classes"], arrays["coef"], arrays["intercept"]
    char_terms, char_idf = arrays["char_terms"], arrays["char_idf"]
    word_terms, word_idf = arrays["word_terms"], arrays["word_idf"]
    for name in ("classes", "char_terms", "word_terms"):
        if arrays[name].dtype.kind != "U" or arrays[name].ndim != 1:
            raise _invalid(name)
    for name in ("char_idf", "word_idf", "coef", "intercept"):
        if arrays[name].dtype.kind != "f" or not np.isfinite(arrays[name]).all():
            raise _invalid(name)
    n_classes, n_features = len(classes), len(char_terms) + len(word_terms)
    checks = [
        2 <= n_classes <= MAX_CLASSES and len(set(classes.tolist())) == n_classes,
        0 < n_features <= MAX_FEATURES,
        char_idf.shape == char_terms.shape and word_idf.shape == word_terms.shape,
        len(set(char_terms.tolist())) == len(char_terms),
        len(set(word_terms.tolist())) == len(word_terms),
        config.words or len(word_terms) == 0,
        bool((char_idf > 0).all()) and bool((word_idf > 0).all()),
        coef.shape == (n_features, n_classes) and intercept.shape == (n_classes,),
    ]
    if not all(checks):
        raise _invalid("shapes")
    return Model(
        config=config,
        classes=classes,
        char_terms=char_terms,
        char_idf=char_idf,
        word_terms=word_terms,
        word_idf=word_idf,
        coef=coef,
        intercept=intercept,
        meta=meta,
    )


# --------------------------------------------------------------------------- the app's model

_default_lock = threading.Lock()
_default: tuple[tuple[Any, ...], Model] | None = None


def model_path() -> Path:
    from django.conf import settings

    default = Path(settings.VAR_DIR) / "hotline-model.npz"
    return Path(getattr(settings, "YIWANG_HOTLINE_MODEL_PATH", default))


def default_model() -> Model:
    """The model the app uses: the file at ``model_path()`` when it exists (reloaded when it
    changes, e.g. after ``retrain_classifier``), else one trained from the shipped corpus on
    first use and kept for the life of the process."""
    global _default
    path = model_path()
    try:
        stat = path.stat()
        key: tuple[Any, ...] = ("file", str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = ("corpus", str(SHIPPED_CORPUS))
    current = _default
    if current is not None and current[0] == key:
        return current[1]
    with _default_lock:
        if _default is not None and _default[0] == key:
            return _default[1]
        model = None
        if key[0] == "file":
            try:
                model = load(path)
            except ModelFileInvalid:
                logger.exception("hotline model file %s is invalid; training from the corpus", path)
        if model is None:
            if not SHIPPED_CORPUS.exists():
                raise ServiceUnavailable(
                    code="hotline_classifier_unavailable",
                    message=_("诉求分类模型不可用：没有模型文件，也没有训练语料。"),
                )
            model = train(load_corpus(SHIPPED_CORPUS), seed=0)
        _default = (key, model)
        return model
