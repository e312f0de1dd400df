"""The 简体/繁體/English switch is a plain form: it works without JavaScript."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_messages")]


def test_every_page_carries_the_language_form(client) -> None:
    html = client.get("/").content.decode()
    assert '<form class="lang-switch" action="/i18n/setlang/" method="post">' in html
    for code in ("zh-hans", "zh-hant", "en"):
        assert f'name="language" value="{code}"' in html
    assert '<input type="hidden" name="next" value="/">' in html


def test_the_current_language_is_marked(client) -> None:
    client.cookies["django_language"] = "zh-hant"
    html = client.get("/").content.decode()
    current = html.split('value="zh-hant"', 1)[1].split(">", 1)[0]
    assert 'aria-current="true"' in current


def test_posting_the_form_switches_the_language_and_returns_to_the_page(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/design/"})
    assert response.status_code == 302
    assert response["Location"] == "/design/"
    assert response.cookies["django_language"].value == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Every government service online, done in one go" in html


def test_switching_back_to_simplified_chinese(client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "一网通办，一次办好" in html


def test_the_switch_refuses_to_redirect_to_another_site(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
