"""Callbacks per business service: how the engine tells its owner (e.g. cases) what happened.

An app registers once, usually in ``AppConfig.ready()``::

    from yiwang.workflow import hooks
    hooks.register("cases.case", on_finished=..., on_clock_changed=..., on_task_opened=...,
                   on_warning=...)

The engine calls them inside the service's transaction, so a failing callback rolls the step
back and a callback's writes commit with it. Signatures: ``on_finished(instance)``,
``on_clock_changed(instance)``, ``on_task_opened(task)``, ``on_warning(instance_or_task, level)``.
Registering again for the same service replaces the earlier callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Callback = Callable[..., Any]


@dataclass(frozen=True)
class Hooks:
    on_finished: Callback | None = None
    on_clock_changed: Callback | None = None
    on_task_opened: Callback | None = None
    on_warning: Callback | None = None


_REGISTRY: dict[str, Hooks] = {}
_NONE = Hooks()


def register(
    business_service: str,
    *,
    on_finished: Callback | None = None,
    on_clock_changed: Callback | None = None,
    on_task_opened: Callback | None = None,
    on_warning: Callback | None = None,
) -> None:
    _REGISTRY[business_service] = Hooks(on_finished, on_clock_changed, on_task_opened, on_warning)


def unregister(business_service: str) -> None:
    _REGISTRY.pop(business_service, None)


def hooks_for(business_service: str) -> Hooks:
    return _REGISTRY.get(business_service, _NONE)


def finished(instance: Any) -> None:
    callback = hooks_for(instance.business_service).on_finished
    if callback is not None:
        callback(instance)


def clock_changed(instance: Any) -> None:
    callback = hooks_for(instance.business_service).on_clock_changed
    if callback is not None:
        callback(instance)


def task_opened(task: Any, business_service: str) -> None:
    callback = hooks_for(business_service).on_task_opened
    if callback is not None:
        callback(task)


def warning(obj: Any, level: str, business_service: str) -> None:
    callback = hooks_for(business_service).on_warning
    if callback is not None:
        callback(obj, level)
