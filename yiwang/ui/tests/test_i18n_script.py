"""scripts/i18n.py fills 繁體 from the Simplified msgids and reports English left to translate."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "i18n.py"


@pytest.fixture(scope="module")
def i18n():
    spec = importlib.util.spec_from_file_location("yiwang_i18n_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def catalogue(*entries: polib.POEntry) -> polib.POFile:
    po = polib.POFile()
    for entry in entries:
        po.append(entry)
    return po


def test_it_converts_empty_traditional_entries_with_opencc(i18n) -> None:
    po = catalogue(polib.POEntry(msgid="一网通办，一次办好", msgstr=""))
    report = i18n.Report()
    i18n.fill_traditional(po, i18n.simplified_to_traditional(), report)
    assert po[0].msgstr == "一網通辦，一次辦好"
    assert report.filled_hant == 1


def test_it_never_overwrites_a_hand_edited_translation(i18n) -> None:
    po = catalogue(polib.POEntry(msgid="账户", msgstr="帳戶"))
    report = i18n.Report()
    i18n.fill_traditional(po, i18n.simplified_to_traditional(), report)
    assert po[0].msgstr == "帳戶"
    assert report.kept_hant == 1


def test_it_redoes_a_fuzzy_entry_and_clears_the_flag(i18n) -> None:
    entry = polib.POEntry(msgid="数据共享", msgstr="數據共享舊", flags=["fuzzy"])
    entry.previous_msgid = "数据共享旧"
    po = catalogue(entry)
    i18n.fill_traditional(po, i18n.simplified_to_traditional(), i18n.Report())
    assert po[0].msgstr == "數據共享"
    assert "fuzzy" not in po[0].flags
    assert po[0].previous_msgid is None


def test_a_plural_entry_gets_the_one_chinese_form(i18n) -> None:
    entry = polib.POEntry(msgid="%(n)s 个办件", msgid_plural="%(n)s 个办件", msgstr_plural={0: ""})
    po = catalogue(entry)
    i18n.fill_traditional(po, i18n.simplified_to_traditional(), i18n.Report())
    assert po[0].msgstr_plural == {0: "%(n)s 個辦件"}


def test_it_lists_empty_and_fuzzy_english_entries(i18n) -> None:
    po = catalogue(
        polib.POEntry(msgid="首页", msgstr="Home"),
        polib.POEntry(msgid="登录", msgstr=""),
        polib.POEntry(msgid="退出", msgstr="Log off", flags=["fuzzy"]),
    )
    assert [e.msgid for e in i18n.untranslated(po)] == ["登录", "退出"]


def test_the_header_names_the_language_and_its_plural_rule(i18n) -> None:
    po = catalogue()
    i18n.fix_header(po, "zh_Hant")
    assert po.metadata["Language"] == "zh_Hant"
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"


def test_the_committed_catalogues_are_complete(i18n) -> None:
    """Every msgid in locale/ has its 繁體 and English text (run scripts/i18n.py, then translate)."""
    report = i18n.process(write=False)
    assert [e.msgid for e in report.untranslated_en] == []
    assert report.filled_hant == 0
    assert report.entries["zh_Hans"] == report.entries["zh_Hant"] == report.entries["en"]
