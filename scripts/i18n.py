#!/usr/bin/env python
"""Update the translation catalogues in locale/ (简体 zh_Hans, 繁體 zh_Hant, English en).

Usage (from the repository root, in the virtualenv)::

    python scripts/i18n.py             # extract, fill 繁體, report English still to translate
    python scripts/i18n.py --check     # no extraction; exit 1 if anything is left to do
    python scripts/i18n.py --compile   # …and compile the .mo files afterwards

1. ``manage.py makemessages`` extracts every ``gettext``/``{% translate %}`` string (msgids are
   Simplified Chinese) into ``locale/<lang>/LC_MESSAGES/django.po``.
2. zh_Hant entries that are empty or fuzzy get the msgid converted with OpenCC (``s2tw``:
   Traditional characters, no regional vocabulary changes). A non-fuzzy msgstr is never
   overwritten, so hand corrections stay.
3. zh_Hans msgstrs stay empty: the msgid already is Simplified Chinese.
4. English entries that are empty or fuzzy are listed: they are translated by hand.

``.mo`` files are not committed; ``make messages`` compiles them at install time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
LANGUAGES = ("zh_Hans", "zh_Hant", "en")
IGNORE = (".venv", "node_modules", "staticfiles", "var", "htmlcov", "build")
PLURAL_FORMS = {
    "zh_Hans": "nplurals=1; plural=0;",
    "zh_Hant": "nplurals=1; plural=0;",
    "en": "nplurals=2; plural=(n != 1);",
}
OPENCC_CONFIG = "s2tw"
FUZZY = "fuzzy"


@dataclass
class Report:
    filled_hant: int = 0
    kept_hant: int = 0
    untranslated_en: list[polib.POEntry] = field(default_factory=list)
    entries: dict[str, int] = field(default_factory=dict)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def run_makemessages() -> None:
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-wrap"]
    command += ["--add-location", "file"]
    for language in LANGUAGES:
        command += ["-l", language]
    for pattern in IGNORE:
        command += ["--ignore", pattern]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603


def run_compilemessages() -> None:
    command = [sys.executable, "manage.py", "compilemessages"]
    for pattern in IGNORE:
        command += ["--ignore", pattern]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603


def simplified_to_traditional() -> Callable[[str], str]:
    try:
        import opencc
    except ImportError as exc:  # pragma: no cover - a missing dev dependency
        raise SystemExit("OpenCC is missing: pip install -e '.[dev]' (package 'opencc')") from exc
    converter = opencc.OpenCC(OPENCC_CONFIG)
    return converter.convert


def _needs_text(entry: polib.POEntry) -> bool:
    if FUZZY in entry.flags:
        return True
    if entry.msgid_plural:
        return not any(entry.msgstr_plural.values())
    return not entry.msgstr


HEADER_COMMENT = """Yiwang (一网) translations: {language}.
Copyright (C) the Yiwang contributors. Distributed under the Apache-2.0 licence.
Msgids are Simplified Chinese. Update with: python scripts/i18n.py"""


def fix_header(catalogue: polib.POFile, language: str) -> None:
    catalogue.header = HEADER_COMMENT.format(language=language)
    catalogue.metadata["Project-Id-Version"] = "yiwang"
    catalogue.metadata["Last-Translator"] = "Yiwang contributors"
    catalogue.metadata["Language-Team"] = "Yiwang contributors"
    if catalogue.metadata.get("PO-Revision-Date", "").startswith("YEAR"):
        catalogue.metadata["PO-Revision-Date"] = catalogue.metadata.get("POT-Creation-Date", "")
    catalogue.metadata["Language"] = language
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.metadata["Content-Transfer-Encoding"] = "8bit"
    catalogue.metadata["Plural-Forms"] = PLURAL_FORMS[language]
    catalogue.metadata_is_fuzzy = False


def fill_traditional(
    catalogue: polib.POFile, convert: Callable[[str], str], report: Report
) -> None:
    """Convert empty or fuzzy entries; keep every non-fuzzy translation as it is."""
    for entry in catalogue:
        if entry.obsolete:
            continue
        if not _needs_text(entry):
            report.kept_hant += 1
            continue
        if entry.msgid_plural:
            # Chinese has one plural form: the general (plural) text.
            entry.msgstr_plural = {0: convert(entry.msgid_plural)}
        else:
            entry.msgstr = convert(entry.msgid)
        if FUZZY in entry.flags:
            entry.flags.remove(FUZZY)
        entry.previous_msgid = None
        entry.previous_msgid_plural = None
        entry.previous_msgctxt = None
        report.filled_hant += 1


def untranslated(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete and _needs_text(entry)]


def process(*, write: bool) -> Report:
    report = Report()
    convert = simplified_to_traditional()
    for language in LANGUAGES:
        path = po_path(language)
        if not path.exists():
            raise SystemExit(f"{path.relative_to(ROOT)} is missing: run without --check first")
        catalogue = polib.pofile(str(path), wrapwidth=0)
        report.entries[language] = len([e for e in catalogue if not e.obsolete])
        if language == "zh_Hant":
            fill_traditional(catalogue, convert, report)
        elif language == "en":
            report.untranslated_en = untranslated(catalogue)
        if write:
            fix_header(catalogue, language)
            catalogue.save(str(path))
    return report


def print_report(report: Report) -> None:
    counts = ", ".join(f"{lang} {n}" for lang, n in report.entries.items())
    print(f"entries: {counts}")
    print(f"zh_Hant: {report.filled_hant} filled by OpenCC, {report.kept_hant} kept")
    print(f"en: {len(report.untranslated_en)} still to translate by hand")
    for entry in report.untranslated_en:
        where = ", ".join(sorted({path for path, _line in entry.occurrences}))
        state = " (fuzzy)" if FUZZY in entry.flags else ""
        print(f"  - {entry.msgid!r}{state}  [{where}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not extract or write; exit 1 if zh_Hant or en entries are missing",
    )
    parser.add_argument("--compile", action="store_true", help="compile .mo files at the end")
    args = parser.parse_args(argv)

    if args.check:
        report = process(write=False)
        print_report(report)
        return 1 if report.untranslated_en or report.filled_hant else 0

    run_makemessages()
    report = process(write=True)
    print_report(report)
    if args.compile:
        run_compilemessages()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
