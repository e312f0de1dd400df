"""Authorisation matrix entries for the ui app: the home page and the design system."""

from __future__ import annotations

from tests.security.authz import Public

ENTRIES = [
    Public(("ui:home", "ui:design_system")),
]
