"""The ledger is append-only: the ORM, raw SQL, flush and the admin cannot change it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, models, transaction
from django.test import RequestFactory

from yiwang.core.ledger import checkpoint, guards_missing, record_event, verify
from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry, LedgerIsAppendOnly
from yiwang.core.tests.test_ledger_tampering import CHECKPOINT_TABLE, ENTRY_TABLE, q, record

pytestmark = pytest.mark.django_db

refused_by_the_database = pytest.raises(IntegrityError, match="append-only")


def run_sql(sql: str, params: list | None = None) -> None:
    # A savepoint, so that PostgreSQL can go on after the refused statement.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_the_guards_are_installed_by_the_migrations() -> None:
    assert guards_missing(connection) == []


# --- ORM ----------------------------------------------------------------------------------------


def test_the_orm_refuses_to_save_a_changed_entry() -> None:
    entry = record_event(actor="user:1", action="case.submit")
    entry.actor = "user:2"
    with pytest.raises(LedgerIsAppendOnly):
        entry.save()
    assert LedgerEntry.objects.get(seq=entry.seq).actor == "user:1"


def test_the_orm_refuses_to_delete_an_entry_or_a_checkpoint() -> None:
    entry = record_event(actor="user:1", action="case.submit")
    signed = checkpoint()
    assert signed is not None
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    with pytest.raises(LedgerIsAppendOnly):
        signed.delete()
    with pytest.raises(LedgerIsAppendOnly):
        LedgerEntry.objects.all().delete()
    with pytest.raises(LedgerIsAppendOnly):
        LedgerCheckpoint.objects.filter(seq=1).update(head_hash="0" * 64)
    assert verify().ok


def test_the_database_refuses_orm_updates_and_deletes_that_skip_the_model_guard() -> None:
    record(2)
    checkpoint()
    for model in (LedgerEntry, LedgerCheckpoint):
        plain = models.QuerySet(model=model)  # the default queryset, without our override
        with refused_by_the_database, transaction.atomic():
            plain.filter(seq=1 if model is LedgerEntry else 2).update(created_at=None)
        with refused_by_the_database, transaction.atomic():
            plain.all().delete()
    assert LedgerEntry.objects.count() == 2
    assert verify().ok


# --- Raw SQL ------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", [ENTRY_TABLE, CHECKPOINT_TABLE])
def test_the_database_refuses_a_raw_update(table: str) -> None:
    record(2)
    checkpoint()
    with refused_by_the_database:
        run_sql(f"UPDATE {q(table)} SET {q('seq')} = {q('seq')} + 100")
    assert verify().ok


@pytest.mark.parametrize("table", [ENTRY_TABLE, CHECKPOINT_TABLE])
def test_the_database_refuses_a_raw_delete(table: str) -> None:
    record(2)
    checkpoint()
    with refused_by_the_database:
        run_sql(f"DELETE FROM {q(table)}")
    assert LedgerEntry.objects.count() == 2 and LedgerCheckpoint.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only (not SQLite)"
)
@pytest.mark.parametrize("table", [ENTRY_TABLE, CHECKPOINT_TABLE])
def test_postgresql_refuses_truncate(table: str) -> None:
    record(2)
    checkpoint()
    with refused_by_the_database:
        run_sql(f"TRUNCATE {q(table)}")
    with refused_by_the_database:
        run_sql(f"TRUNCATE {q(ENTRY_TABLE)}, {q(CHECKPOINT_TABLE)} CASCADE")
    assert LedgerEntry.objects.count() == 2


def test_inserting_stays_allowed() -> None:
    record(3)
    assert LedgerEntry.objects.count() == 3


# --- flush --------------------------------------------------------------------------------------


def test_flush_refuses_to_empty_the_ledger(settings) -> None:
    settings.YIWANG_LEDGER_ALLOW_FLUSH = False
    record(1)
    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False, verbosity=0)
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_flush_in_the_test_settings_empties_the_ledger_and_restores_the_guards() -> None:
    record(2)
    checkpoint()
    call_command("flush", interactive=False, verbosity=0)
    assert LedgerEntry.objects.count() == 0 and LedgerCheckpoint.objects.count() == 0
    assert guards_missing(connection) == []
    record(1)  # and the teardown flush of this transactional test must succeed as well


# --- Admin --------------------------------------------------------------------------------------


@pytest.fixture
def superuser_request():
    user = get_user_model()(username="root", is_staff=True, is_superuser=True, is_active=True)
    request = RequestFactory().get("/admin/core/ledgerentry/")
    request.user = user
    return request


@pytest.mark.parametrize("model", [LedgerEntry, LedgerCheckpoint])
def test_not_even_a_superuser_may_add_change_or_delete_in_the_admin(model, superuser_request):
    model_admin = admin.site._registry[model]
    entry = record_event(actor="user:1", action="case.submit")
    assert model_admin.has_view_permission(superuser_request)
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request, entry)
    assert not model_admin.has_delete_permission(superuser_request, entry)
    assert model_admin.get_actions(superuser_request) == {}


def test_only_a_view_permission_exists_for_the_ledger() -> None:
    codenames = set(
        Permission.objects.filter(
            content_type__app_label="core", codename__contains="ledger"
        ).values_list("codename", flat=True)
    )
    assert codenames == {"view_ledgerentry", "view_ledgercheckpoint"}


def test_the_admin_lists_entries_and_filters_them_by_actor_and_action(superuser_request) -> None:
    record_event(actor="user:1", action="case.submit", object_id="C-1")
    record_event(actor="user:2", action="case.accept", object_id="C-1")
    record_event(actor="user:2", action="case.submit", object_id="C-2")
    model_admin = admin.site._registry[LedgerEntry]

    def listed(query: str) -> list[int]:
        request = RequestFactory().get(f"/admin/core/ledgerentry/?{query}")
        request.user = superuser_request.user
        response = model_admin.changelist_view(request)
        return [e.seq for e in response.context_data["cl"].result_list]

    assert listed("") == [3, 2, 1]
    assert listed("q=user:2") == [3, 2]
    assert listed("action=case.submit") == [3, 1]
