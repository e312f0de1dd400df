"""The 12345 category taxonomy (诉求分类): three levels held as data in data/taxonomy.json.

Codes carry their level: two digits per level (``01`` 城乡建设 → ``0101`` 物业管理 →
``010101`` 物业服务质量). Only level-3 leaves classify a ticket; each leaf names the demo
department that handles it by default (dispatch rules may override per region), a default time
limit (RULES.md 12345: emergency 2 h, urgent utilities 24 h, general 5 working days, complex 15),
keywords for suggestions, and whether the hotline does not accept the matter at all (110/119/120/
122, litigation, 信访, party/人大/court business), in which case ``referral`` is what the agent
tells the caller.

``check(data)`` validates the raw JSON and returns every problem found (empty list = valid);
``load()`` reads, checks and builds a ``Taxonomy``, raising ``TaxonomyInvalid`` on any problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from yiwang.core.errors import DomainError

TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json"
SUPPORTED_VERSIONS = (1,)
LEVELS = (1, 2, 3)
LIMIT_UNITS = ("hours", "working_days")
CODE_RE = re.compile(r"^(?:\d{2}){1,3}$")
DEPARTMENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
LEAF_FIELDS = ("department", "limit", "keywords", "not_accepted", "referral")


class TaxonomyInvalid(DomainError):
    """The taxonomy file breaks a structural rule; ``details["problems"]`` lists them all."""

    status = 500
    default_code = "hotline.taxonomy_invalid"
    title = "Invalid 12345 taxonomy"


@dataclass(frozen=True, slots=True)
class Limit:
    amount: int
    unit: str  # "hours" (wall clock) or "working_days" (the working-day calendar)


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    parent: str | None
    department: str = ""
    limit: Limit | None = None
    keywords: tuple[str, ...] = ()
    not_accepted: bool = False
    referral: str = ""

    @property
    def level(self) -> int:
        return len(self.code) // 2

    @property
    def is_leaf(self) -> bool:
        return self.level == 3


@dataclass(frozen=True)
class Taxonomy:
    version: int
    by_code: Mapping[str, Category]
    _children: Mapping[str | None, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        children: dict[str | None, list[str]] = {}
        for code, category in sorted(self.by_code.items()):
            children.setdefault(category.parent, []).append(code)
        # Read-only views: one Taxonomy may be shared (cached) by every request.
        object.__setattr__(self, "by_code", MappingProxyType(dict(self.by_code)))
        object.__setattr__(
            self, "_children", MappingProxyType({k: tuple(v) for k, v in children.items()})
        )

    def leaves(self) -> list[Category]:
        """Level-3 categories in code order."""
        return [c for code, c in sorted(self.by_code.items()) if c.is_leaf]

    def accepted_leaves(self) -> list[Category]:
        return [c for c in self.leaves() if not c.not_accepted]

    def roots(self) -> list[Category]:
        return [self.by_code[code] for code in self._children.get(None, ())]

    def children(self, code: str) -> list[Category]:
        self._get(code)
        return [self.by_code[child] for child in self._children.get(code, ())]

    def path(self, code: str) -> list[str]:
        """Names from level 1 down to ``code`` (three names for a leaf)."""
        self._get(code)
        return [self.by_code[code[:end]].name for end in range(2, len(code) + 1, 2)]

    def is_leaf(self, code: str) -> bool:
        category = self.by_code.get(code)
        return category is not None and category.is_leaf

    def is_not_accepted(self, code: str) -> bool:
        return self._get(code).not_accepted

    def _get(self, code: str) -> Category:
        try:
            return self.by_code[code]
        except KeyError:
            raise KeyError(f"unknown 12345 category {code!r}") from None


def _check_leaf(code: str, entry: Mapping[str, Any]) -> list[str]:
    problems = []
    department = entry.get("department")
    if not isinstance(department, str) or not DEPARTMENT_RE.match(department):
        problems.append(f"{code}: leaf needs a department key (lower-case letters, digits, _)")
    limit = entry.get("limit")
    if not isinstance(limit, Mapping):
        problems.append(f"{code}: leaf needs a limit {{amount, unit}}")
    else:
        amount, unit = limit.get("amount"), limit.get("unit")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            problems.append(f"{code}: limit amount must be a positive integer, not {amount!r}")
        if unit not in LIMIT_UNITS:
            problems.append(
                f"{code}: limit unit must be one of {', '.join(LIMIT_UNITS)}, not {unit!r}"
            )
    keywords = entry.get("keywords", [])
    if not isinstance(keywords, list) or not all(
        isinstance(k, str) and k.strip() for k in keywords
    ):
        problems.append(f"{code}: keywords must be a list of non-empty strings")
    not_accepted = entry.get("not_accepted", False)
    if not isinstance(not_accepted, bool):
        problems.append(f"{code}: not_accepted must be true or false")
    referral = entry.get("referral", "")
    if not isinstance(referral, str):
        problems.append(f"{code}: referral must be a string")
    elif not_accepted is True and not referral.strip():
        problems.append(f"{code}: a not-accepted leaf needs a referral text")
    return problems


def check(data: Any) -> list[str]:
    """Every structural problem in raw taxonomy data; an empty list means it is valid."""
    if not isinstance(data, Mapping):
        return ["taxonomy must be a JSON object"]
    problems: list[str] = []
    if data.get("version") not in SUPPORTED_VERSIONS:
        problems.append(f"unsupported version {data.get('version')!r}")
    categories = data.get("categories")
    if not isinstance(categories, list) or not categories:
        return [*problems, "categories must be a non-empty list"]

    seen: dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(categories):
        if not isinstance(entry, Mapping):
            problems.append(f"categories[{index}] is not an object")
            continue
        code = entry.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            problems.append(f"categories[{index}]: code {code!r} is not 2, 4 or 6 digits")
            continue
        if code in seen:
            problems.append(f"{code}: duplicate code")
            continue
        seen[code] = entry
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{code}: name is missing")

    names_under: dict[tuple[str | None, str], str] = {}
    for code, entry in seen.items():
        level = len(code) // 2
        parent = entry.get("parent")
        expected_parent = code[:-2] or None
        if parent != expected_parent:
            problems.append(
                f"{code}: parent is {parent!r} but a level-{level} code must have parent "
                f"{expected_parent!r}"
            )
        elif parent is not None and parent not in seen:
            problems.append(f"{code}: parent {parent} does not exist")
        name = entry.get("name")
        if isinstance(name, str):
            sibling = names_under.setdefault((parent, name), code)
            if sibling != code:
                problems.append(f"{code}: name {name!r} repeats sibling {sibling}")
        if level == 3:
            problems.extend(_check_leaf(code, entry))
        else:
            stray = [key for key in LEAF_FIELDS if key in entry]
            if stray:
                problems.append(f"{code}: only level-3 leaves carry {', '.join(stray)}")
            if not any(other[:-2] == code for other in seen):
                problems.append(f"{code}: level-{level} category has no children")
    return problems


def build(data: Mapping[str, Any]) -> Taxonomy:
    """A ``Taxonomy`` from checked data (raises ``TaxonomyInvalid`` if it is not valid)."""
    problems = check(data)
    if problems:
        raise TaxonomyInvalid(
            message=f"12345 taxonomy has {len(problems)} problem(s): {problems[0]}",
            details={"problems": problems},
        )
    by_code: dict[str, Category] = {}
    for entry in data["categories"]:
        limit = entry.get("limit")
        category = Category(
            code=entry["code"],
            name=entry["name"],
            parent=entry.get("parent"),
            department=entry.get("department", ""),
            limit=Limit(limit["amount"], limit["unit"]) if limit else None,
            keywords=tuple(entry.get("keywords", ())),
            not_accepted=entry.get("not_accepted", False),
            referral=entry.get("referral", ""),
        )
        by_code[category.code] = category
    return Taxonomy(version=data["version"], by_code=by_code)


def load(path: Path | str | None = None) -> Taxonomy:
    """Read, check and build the taxonomy (the shipped data/taxonomy.json by default)."""
    with open(path or TAXONOMY_PATH, encoding="utf-8") as handle:
        return build(json.load(handle))
