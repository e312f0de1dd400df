"""Helpers for the UI tests: personas with exact role codes, and an HTML inspector."""

from __future__ import annotations

from html.parser import HTMLParser

from yiwang.accounts import services
from yiwang.accounts.models import Role, User
from yiwang.accounts.tests.factories import make_department, make_user


def grant(
    user: User, code: str, *, admin_duty: str = "", capabilities: tuple[str, ...] = ()
) -> Role:
    """Give ``user`` the role ``code`` (created on first use) in a new department."""
    role = Role.objects.filter(code=code).first() or services.create_role(
        code, code, admin_duty=admin_duty, capabilities=list(capabilities)
    )
    services.grant_role(None, user, make_department(), role)
    return role


def make_staff_with(code: str, **role: object) -> User:
    user = make_user(kind=User.Kind.STAFF)
    grant(user, code, **role)  # type: ignore[arg-type]
    return user


class PageInspector(HTMLParser):
    """Collects what the CSP forbids and what accessibility needs from a rendered page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.style_attributes: list[str] = []
        self.inline_scripts = 0
        self.style_elements = 0
        self.event_handlers: list[str] = []
        self.script_sources: list[str] = []
        self.html_lang: str | None = None
        self.ids: list[str] = []
        self.label_targets: list[str] = []
        self.current_links: list[str] = []
        self._in_script_without_src = False
        self._script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes.append(f"<{tag} style={attributes['style']!r}>")
        self.event_handlers += [f"<{tag} {name}>" for name in attributes if name.startswith("on")]
        if "id" in attributes and attributes["id"]:
            self.ids.append(attributes["id"])
        if tag == "html":
            self.html_lang = attributes.get("lang")
        elif tag == "style":
            self.style_elements += 1
        elif tag == "script":
            if attributes.get("src"):
                self.script_sources.append(attributes["src"] or "")
            else:
                self.inline_scripts += 1
        elif tag == "label" and attributes.get("for"):
            self.label_targets.append(attributes["for"] or "")
        if attributes.get("aria-current") == "page" and tag == "a":
            self.current_links.append(attributes.get("href") or "")


def inspect_page(html: str) -> PageInspector:
    inspector = PageInspector()
    inspector.feed(html)
    inspector.close()
    return inspector
