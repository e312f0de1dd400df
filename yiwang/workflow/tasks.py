"""Background work of the workflow engine: the deadline sweep (cron or the task worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def check_deadlines_task() -> int:
    """Raise yellow/red warnings and escalate overdue tasks (``services.check_deadlines``)."""
    from yiwang.workflow.services import check_deadlines  # lazy: imported before models are ready

    return check_deadlines()
