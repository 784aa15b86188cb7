"""The database refuses to change ledger entries (and, on PostgreSQL, to delete them).

The model refuses too (`LedgerEntry.save`/`delete`, and the queryset's `update`/`delete`);
these triggers catch raw SQL and code that goes around the ORM.

PostgreSQL: a row trigger refuses UPDATE and DELETE. TRUNCATE (a statement no application
path issues, and what Django's test flush uses) is not refused.
SQLite: a trigger refuses UPDATE only, because Django's flush on SQLite is `DELETE FROM`.
Caution: Django rebuilds a SQLite table (dropping its triggers) on some later ALTERs of
LedgerEntry; tests/ledger checks the trigger is present, so such a migration must
re-create it.
"""

from __future__ import annotations

from django.db import migrations

from ketacare.migration_sql import vendor_sql

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION ledger_ledgerentry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        RAISE EXCEPTION 'ledger_ledgerentry is append-only: % refused', TG_OP
            USING HINT = 'Ledger entries are corrected by a reversing entry.';
    END
    $fn$
    """,
    """
    CREATE TRIGGER ledger_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON ledger_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_ledgerentry_append_only()
    """,
]
PG_REMOVE = [
    "DROP TRIGGER IF EXISTS ledger_ledgerentry_append_only ON ledger_ledgerentry",
    "DROP FUNCTION IF EXISTS ledger_ledgerentry_append_only()",
]
SQLITE_INSTALL = [
    """
    CREATE TRIGGER ledger_ledgerentry_no_update BEFORE UPDATE ON ledger_ledgerentry
    BEGIN
        SELECT RAISE(ABORT, 'ledger_ledgerentry is append-only: UPDATE refused');
    END
    """,
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS ledger_ledgerentry_no_update"]

STATEMENTS = {
    "postgresql": (PG_INSTALL, PG_REMOVE),
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
}


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [vendor_sql(STATEMENTS)]
