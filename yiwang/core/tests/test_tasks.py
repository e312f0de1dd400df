"""Background tasks: enqueue only after commit, never after rollback; the ledger checkpoint task."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from yiwang.core.ledger import record_event
from yiwang.core.models.ledger import LedgerCheckpoint
from yiwang.core.tasks import checkpoint_ledger_task, enqueue_on_commit

CALLS: list[str] = []

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports"]}
}


@task()
def remember(label: str, suffix: str = "") -> str:
    """A module-level task (the backport refuses nested functions) that leaves a trace."""
    CALLS.append(label + suffix)
    return label + suffix


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()
    yield
    CALLS.clear()


# --- with the test transaction: on-commit callbacks captured -----------------------------------


@pytest.mark.django_db
def test_it_enqueues_nothing_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_on_commit(remember, "rolled back")
        raise RuntimeError("the service failed")

    assert callbacks == []
    assert CALLS == []


@pytest.mark.django_db
def test_it_runs_the_task_once_after_the_commit_and_not_before(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(remember, "case 7", suffix=" accepted")
        assert CALLS == []

    assert len(callbacks) == 1
    assert CALLS == ["case 7 accepted"]


# --- with real commits ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_enqueues_the_task_exactly_once():
    with transaction.atomic():
        enqueue_on_commit(remember, "committed")
        assert CALLS == []

    assert CALLS == ["committed"]


@pytest.mark.django_db(transaction=True)
def test_a_real_rollback_enqueues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(remember, "rolled back")
        raise RuntimeError

    assert CALLS == []


@pytest.mark.django_db(transaction=True)
def test_only_the_work_of_a_rolled_back_savepoint_is_dropped():
    with transaction.atomic():
        enqueue_on_commit(remember, "outer")
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_on_commit(remember, "inner")
            raise RuntimeError
        assert CALLS == []

    assert CALLS == ["outer"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_task_is_enqueued_at_once():
    enqueue_on_commit(remember, "autocommit")

    assert CALLS == ["autocommit"]


@pytest.mark.django_db(transaction=True)
def test_the_database_backend_stores_the_task_only_after_commit_and_a_worker_runs_it(settings):
    settings.TASKS = DATABASE_TASKS

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(remember, "lost")
        raise RuntimeError
    assert DBTaskResult.objects.count() == 0

    with transaction.atomic():
        enqueue_on_commit(remember, "kept", suffix="!")
        assert DBTaskResult.objects.count() == 0  # the row is written after the commit

    stored = DBTaskResult.objects.get()
    assert stored.task_path == "yiwang.core.tests.test_tasks.remember"
    assert stored.args_kwargs == {"args": ["kept"], "kwargs": {"suffix": "!"}}
    assert stored.status == TaskResultStatus.READY
    assert CALLS == []

    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)

    stored.refresh_from_db()
    assert stored.status == TaskResultStatus.SUCCESSFUL
    assert CALLS == ["kept!"]


@pytest.mark.django_db(transaction=True)
def test_a_failure_to_enqueue_is_logged_and_does_not_stop_other_callbacks(settings, caplog):
    settings.TASKS = DATABASE_TASKS
    to_reports = remember.using(queue_name="reports")
    settings.TASKS = {"default": {**DATABASE_TASKS["default"], "QUEUES": ["default"]}}

    with caplog.at_level(logging.ERROR), transaction.atomic():
        enqueue_on_commit(to_reports, "refused: unknown queue")
        enqueue_on_commit(remember, "still enqueued")

    assert list(DBTaskResult.objects.values_list("args_kwargs__args", flat=True)) == [
        ["still enqueued"]
    ]
    assert any("on_commit" in record.getMessage() for record in caplog.records)


# --- the ledger checkpoint task ---------------------------------------------------------------


def test_the_checkpoint_task_can_be_found_by_a_worker_by_its_path():
    assert checkpoint_ledger_task.module_path == "yiwang.core.tasks.checkpoint_ledger_task"


@pytest.mark.django_db
def test_the_checkpoint_task_signs_the_ledger_head_and_then_has_nothing_to_do(settings):
    settings.YIWANG_LEDGER_CHECKPOINT_EVERY = 0
    for number in range(3):
        record_event(actor="system", action="test.tick", object_id=str(number))

    first = checkpoint_ledger_task.enqueue()
    second = checkpoint_ledger_task.enqueue()

    assert first.status == TaskResultStatus.SUCCESSFUL
    assert first.return_value == 3
    assert list(LedgerCheckpoint.objects.values_list("seq", flat=True)) == [3]
    assert second.status == TaskResultStatus.SUCCESSFUL
    assert second.return_value is None


@pytest.mark.django_db
def test_the_checkpoint_task_on_an_empty_ledger_seals_nothing():
    result = checkpoint_ledger_task.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value is None
    assert not LedgerCheckpoint.objects.exists()
