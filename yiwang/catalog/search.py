"""Search text for the catalogue: Chinese words, pinyin and 简/繁 variants.

``index_text(*texts)`` builds what is stored in ``search_text`` when an item or bundle is saved:
the text converted to simplified Chinese (OpenCC ``t2s``), cut into words (jieba's search mode,
which also yields the shorter words inside long ones), and for each word its full pinyin without
spaces (``yingyezhizhao``), its syllables' initials (``yyzz``), plus the full pinyin and initials
of the whole phrase. Tokens are separated by spaces and lower-cased.

``query_terms(query)`` normalises a query the same way: converted to simplified, cut into words,
Latin text lower-cased with spaces and apostrophes removed. A row matches when *every* term
occurs in its ``search_text`` (``icontains``): the same on SQLite and PostgreSQL, and correct for
a catalogue of a few thousand items. So "营业执照", "營業執照" and "yingyezhizhao" find the same
items.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

import jieba
from django.db.models import Q
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9]+")
_LATIN_QUERY = re.compile(r"^[A-Za-z0-9' ]+$")


@functools.cache
def _converter():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text or "")


def _pinyin(word: str) -> tuple[str, str]:
    syllables = lazy_pinyin(word, errors="ignore")
    initials = lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(syllables).lower(), "".join(initials).lower()


def _words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in _WORD.findall(to_simplified(text)):
        if _HAN.search(chunk):
            words.extend(w for w in jieba.cut_for_search(chunk) if w.strip())
            if chunk not in words:
                words.append(chunk)
        else:
            words.append(chunk.lower())
    return words


def index_text(*texts: str) -> str:
    """The search tokens of ``texts`` (name, keywords, summary …), space-separated."""
    tokens: list[str] = []
    seen: set[str] = set()

    def add(token: str) -> None:
        if token and token not in seen:
            seen.add(token)
            tokens.append(token)

    for text in texts:
        simplified = to_simplified(text or "")
        for chunk in _WORD.findall(simplified):
            if _HAN.search(chunk):
                full, initials = _pinyin(chunk)
                add(full)
                add(initials)
        for word in _words(simplified):
            add(word)
            if _HAN.search(word):
                full, initials = _pinyin(word)
                add(full)
                add(initials)
    return " ".join(tokens)


def query_terms(query: str) -> list[str]:
    """The normalised terms of a search query (all must match)."""
    query = (query or "").strip()[:100]
    if not query:
        return []
    if _LATIN_QUERY.fullmatch(query) and not query.isdigit():
        # Pinyin typed with or without spaces/apostrophes: one term, "ying ye" = "yingye".
        joined = re.sub(r"[ ']", "", query).lower()
        return [joined] if joined else []
    terms: list[str] = []
    for chunk in _WORD.findall(to_simplified(query)):
        if _HAN.search(chunk):
            # The longest words jieba finds; each is in the index (search-mode cut).
            terms.extend(w for w in jieba.cut(chunk) if w.strip())
        else:
            terms.append(chunk.lower())
    return list(dict.fromkeys(terms))


def search_q(query: str, field: str = "search_text") -> Q:
    """A ``Q`` requiring every term of ``query`` in ``field`` (empty query: everything)."""
    condition = Q()
    for term in query_terms(query):
        condition &= Q(**{f"{field}__icontains": term})
    return condition


def item_index_text(name: str, keywords: str, summary: str, extra: Iterable[str] = ()) -> str:
    return index_text(name, keywords, summary, *extra)
