"""Append-only guards for the audit ledger tables.

PostgreSQL: row-level BEFORE UPDATE OR DELETE and statement-level BEFORE TRUNCATE triggers calling
a function that raises (SQLSTATE 23001 restrict_violation). SQLite: BEFORE UPDATE / BEFORE DELETE
triggers with RAISE(ABORT) (SQLite has no TRUNCATE). Other vendors: nothing (verify_ledger reports
the guards as missing). See docs/decisions/0004-audit-ledger.md.

Table names are frozen here. ``install_guards`` is idempotent: any later migration that alters a
ledger table must end with it, because SQLite drops a table's triggers when Django remakes the
table (``verify_ledger`` reports ``unguarded`` otherwise).
"""

from django.db import migrations

TABLES = ("core_ledgerentry", "core_ledgercheckpoint")


def install(apps, schema_editor):
    from yiwang.core.ledger import install_guards

    install_guards(schema_editor.connection, TABLES)


def remove(apps, schema_editor):
    from yiwang.core.ledger import remove_guards

    remove_guards(schema_editor.connection, TABLES, drop_function=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
