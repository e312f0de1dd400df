"""Who issues a case's result: an app that makes results (e-licences) registers an issuer.

``register_issuer(fn)`` is called once in ``AppConfig.ready()``; on approval the case service calls
``issue(case)`` inside its transaction and stores the returned identifiers in
``case.result["licence_ids"]``. An issuer returns ``[]`` when the item has nothing to issue and
must not raise for a missing result: it records why and lets the approval stand (the department
then issues by hand). Keeping this a registry means cases never imports the licences app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Issuer = Callable[[Any], list[str]]

_ISSUERS: list[Issuer] = []


def register_issuer(fn: Issuer) -> None:
    if fn not in _ISSUERS:
        _ISSUERS.append(fn)


def unregister_issuer(fn: Issuer) -> None:
    if fn in _ISSUERS:
        _ISSUERS.remove(fn)


def issue(case: Any) -> list[str]:
    issued: list[str] = []
    for fn in list(_ISSUERS):
        issued.extend(fn(case))
    return issued
