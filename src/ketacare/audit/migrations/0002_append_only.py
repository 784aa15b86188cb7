"""The database refuses to change or remove audit rows.

PostgreSQL: a row trigger refuses UPDATE and DELETE, a statement trigger refuses TRUNCATE.
Whoever owns the table can still drop the triggers, so they guard against accidents,
application bugs and injected statements; tampering by an owner is what the hash chain
(`ketacare audit verify`) exists to catch.

TRUNCATE is allowed in one case: a session that has run
`SET ketacare.audit_truncate = 'allow'` and holds the table owner's privileges (so could
drop the trigger anyway). Test suites need it: Django's flush after a transactional test
truncates every table.

SQLite: a trigger refuses UPDATE only. DELETE stays possible because Django's flush on
SQLite is `DELETE FROM` every table; a removed row is caught by the hash chain instead.
Caution: Django rebuilds a SQLite table (dropping its triggers) on some later ALTERs of
AuditEvent; tests/audit checks the triggers are present, so such a migration must
re-create them.
"""

from __future__ import annotations

from django.db import migrations

from ketacare.migration_sql import vendor_sql

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        IF TG_OP = 'TRUNCATE'
           AND current_setting('ketacare.audit_truncate', true) = 'allow'
           AND pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
        THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
            USING HINT = 'Audit entries are never changed or removed.';
    END
    $fn$
    """,
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()
    """,
    """
    CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only()
    """,
]
PG_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_append_only()",
]

SQLITE_INSTALL = [
    """
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused');
    END
    """,
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_auditevent_no_update"]

STATEMENTS = {
    "postgresql": (PG_INSTALL, PG_REMOVE),
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
}


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [vendor_sql(STATEMENTS)]
