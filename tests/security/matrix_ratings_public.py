"""Authorisation matrix entries for the public 好差评 page: anyone, anonymous visitors included,
reads the indicators per department and item (no rater, no staff member is ever named on it) —
see tests/security/authz/."""

from __future__ import annotations

from tests.security.authz import Public

ENTRIES = [
    Public(
        "ratings:public",
        note="The published 好差评 indicators per department and item: aggregates only.",
    ),
]
