"""Typed readers for settings that come from the environment.

Every setting that differs between deployments is read here, once, with its type and default,
so a wrong value fails at start-up with a message naming the variable, not later in a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dj_database_url

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """A variable is set to a value its reader cannot understand."""


def _raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    return (environ if environ is not None else os.environ).get(name)


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    value = _raw(name, environ)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise EnvError(f"{name}={value!r} is not an integer") from exc


def env_list(
    name: str, default: list[str] | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_database(
    name: str, default: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Read a database URL (``sqlite:///path`` or ``postgres://user@host:port/db``)."""
    url = env_str(name, default, environ)
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise EnvError(f"{name}={url!r} is not a database URL: {exc}") from exc
    return config
