"""The database refuses to change or remove audit rows.

PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE. SQLite (development, small
installs): a trigger refuses UPDATE; DELETE cannot be refused there because Django's
flush empties tables with DELETE, so a removed row is left to the hash chain. Each test
asserts what its database guarantees; none is skipped.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from ketacare.audit.log import record
from ketacare.audit.models import Action, AuditEvent

PG = "postgresql"


@pytest.fixture
def entries(audit, admin_a):
    return [record(Action.VIEW, user=admin_a, detail={"n": n}) for n in range(3)]


def refused(audit, sql: str, params: list | None = None) -> str:
    """The database's error message for `sql`, which must fail (in a savepoint, so the
    test's transaction stays usable)."""
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        audit.execute(sql, params)
    return str(error.value)


def verify_output() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue()


def triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == PG:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = "
                           "'audit_auditevent'::regclass AND NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = 'audit_auditevent'")
        return {row[0] for row in cursor.fetchall()}


def test_the_guard_is_installed(audit):
    expected = ({"audit_auditevent_append_only", "audit_auditevent_no_truncate"}
                if connection.vendor == PG else {"audit_auditevent_no_update"})
    assert triggers() == expected


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET detail = '{}' WHERE id = %s",
    "UPDATE audit_auditevent SET username = 'someone-else' WHERE id = %s",
])
def test_update_is_refused(audit, entries, sql):
    message = refused(audit, sql, [entries[1].pk])
    assert "audit_auditevent is append-only" in message
    assert "UPDATE" in message
    assert verify_output() == (0, "OK: 3 entries, chain intact\n")


def test_delete_is_refused_on_postgresql_and_caught_by_the_chain_on_sqlite(audit, entries):
    sql, params = "DELETE FROM audit_auditevent WHERE id = %s", [entries[1].pk]
    if connection.vendor == PG:
        assert "audit_auditevent is append-only: DELETE refused" in refused(audit, sql, params)
        assert verify_output() == (0, "OK: 3 entries, chain intact\n")
    else:
        assert audit.execute(sql, params) == 1
        code, message = verify_output()
        assert code == 1 and f"entry {entries[2].pk}:" in message


def test_truncate_is_refused_on_postgresql(audit, entries):
    if connection.vendor == PG:
        # Unless the session says it is a test flush (see the migration) ...
        audit.execute("SET LOCAL ketacare.audit_truncate = ''")
        assert "TRUNCATE refused" in refused(audit, "TRUNCATE audit_auditevent")
        assert AuditEvent.objects.count() == 3
        # ... and holds the owner's rights, as the test database's superuser does.
        audit.execute("SET LOCAL ketacare.audit_truncate = 'allow'")
        audit.execute("TRUNCATE audit_auditevent")
        assert AuditEvent.objects.count() == 0
    else:
        # SQLite has no TRUNCATE; emptying the table is a DELETE of every row, which the
        # database allows (Django's flush does it) and the chain cannot see: an empty
        # trail is intact. Production installs run PostgreSQL.
        assert audit.execute("DELETE FROM audit_auditevent") == 3
        assert verify_output() == (0, "OK: 0 entries, chain intact\n")


def test_the_migration_reverses_and_reapplies(audit, entries):
    step = audit.migration.Migration.operations[0]
    step.reverse_code(None, audit.schema_editor())
    assert triggers() == set()
    audit.execute("UPDATE audit_auditevent SET username = 'x' WHERE id = %s", [entries[0].pk])
    assert verify_output()[0] == 1
    step.code(None, audit.schema_editor())
    test_the_guard_is_installed(audit)
    assert "append-only" in refused(audit, "UPDATE audit_auditevent SET username = 'y'")
