"""The labelled corpus of 12345 demands (data/corpus.jsonl) that trains the classifier.

One JSON object per line: ``{"text", "category" (a level-3 code), "type", "channel"}``. The file is
written by scripts/make_hotline_corpus.py (seeded, deterministic) and committed; every text is
invented and set in the demo city 示范市.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from yiwang.core.errors import DomainError
from yiwang.hotline.taxonomy import Taxonomy

CORPUS_PATH = Path(__file__).resolve().parent / "data" / "corpus.jsonl"
TYPES = ("咨询", "求助", "投诉", "举报", "建议")
CHANNELS = ("phone", "web", "app", "sms", "email", "api")
FIELDS = ("text", "category", "type", "channel")


class CorpusInvalid(DomainError):
    """A corpus line is not a well-formed example."""

    status = 500
    default_code = "hotline.corpus_invalid"
    title = "Invalid 12345 corpus"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    category: str
    type: str
    channel: str


def parse_line(line: str, number: int = 0) -> Example:
    """One example from one JSONL line; ``CorpusInvalid`` names the line when it is malformed."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusInvalid(message=f"line {number}: not JSON ({exc.msg})") from exc
    if not isinstance(row, dict) or set(row) != set(FIELDS):
        raise CorpusInvalid(message=f"line {number}: expected exactly the keys {', '.join(FIELDS)}")
    if not all(isinstance(row[key], str) and row[key].strip() for key in FIELDS):
        raise CorpusInvalid(message=f"line {number}: every field must be a non-empty string")
    if row["type"] not in TYPES:
        raise CorpusInvalid(message=f"line {number}: unknown type {row['type']!r}")
    if row["channel"] not in CHANNELS:
        raise CorpusInvalid(message=f"line {number}: unknown channel {row['channel']!r}")
    return Example(**{key: row[key] for key in FIELDS})


def load(path: Path | str | None = None) -> list[Example]:
    """All examples, in file order (blank lines are skipped)."""
    examples = []
    with open(path or CORPUS_PATH, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                examples.append(parse_line(line, number))
    return examples


def check(examples: list[Example], taxonomy: Taxonomy) -> list[str]:
    """Examples whose category is unknown or not a leaf (an empty list means all are usable)."""
    problems = []
    for index, example in enumerate(examples):
        if example.category not in taxonomy.by_code:
            problems.append(f"example {index}: unknown category {example.category!r}")
        elif not taxonomy.is_leaf(example.category):
            problems.append(f"example {index}: category {example.category} is not a level-3 leaf")
    return problems
