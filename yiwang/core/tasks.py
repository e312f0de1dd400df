"""Background work through the Django Tasks API (the ``django_tasks`` backport).

Backends come from ``settings.TASKS``: the database backend (``django_tasks_db.DatabaseBackend``,
run ``manage.py db_worker``) by default, RQ on Redis in production, ``ImmediateBackend`` in tests.

Services never enqueue directly inside their transaction: a worker could run the task before the
data it needs is committed, or run it for data that is then rolled back. They call
``enqueue_on_commit(some_task, …)`` instead. Task functions live at module level in an app's
``tasks.py``, decorated with ``@task()``, and take JSON-serialisable arguments only (ids, not
model instances).
"""

from __future__ import annotations

from typing import ParamSpec, TypeVar

from django.db import transaction
from django_tasks import task
from django_tasks.base import Task

P = ParamSpec("P")
T = TypeVar("T")


def enqueue_on_commit(task_: Task[P, T], *args: P.args, **kwargs: P.kwargs) -> None:
    """Enqueue ``task_(*args, **kwargs)`` once the current transaction commits; never on rollback.

    Outside a transaction the task is enqueued at once. A failure to enqueue is logged and does
    not undo the committed work, nor stop other on-commit callbacks (``robust=True``).
    """

    def enqueue() -> None:
        task_.enqueue(*args, **kwargs)

    transaction.on_commit(enqueue, robust=True)


@task()
def checkpoint_ledger_task() -> int | None:
    """Sign the audit ledger's head: ``yiwang.core.ledger.checkpoint()`` in a worker.

    Returns the sequence number the new checkpoint covers, or None when the head had not moved.
    A tampered ledger raises ``LedgerTampered``: the task fails and the worker logs it.
    """
    from yiwang.core.ledger import checkpoint  # lazy: tasks are imported before models are ready

    sealed = checkpoint()
    return None if sealed is None else sealed.seq
