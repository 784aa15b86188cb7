"""The documented database set-up (docs/audit.md): the application's role can write audit
and ledger rows but cannot change or remove them, disable the triggers, or switch to
replica mode. PostgreSQL only has roles; on SQLite the trigger is the guard, checked here
too. The role is created inside the test's transaction and disappears with it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ketacare.audit.log import record
from ketacare.audit.models import Action

APP_ROLE = "ketacare_test_app_role"
# docs/audit.md, "after every migrate".
GRANTS = [
    f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}",
    f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent, ledger_ledgerentry FROM {APP_ROLE}",
]


def refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql)
    return str(error.value)


def test_the_application_role_cannot_rewrite_the_trail(audit, admin_a) -> None:
    entry = record(Action.VIEW, user=admin_a)
    if connection.vendor != "postgresql":
        assert "append-only" in refused(f"UPDATE audit_auditevent SET username = 'x' "  # noqa: S608
                                        f"WHERE id = {entry.pk}")
        return
    audit.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER")
    for sql in GRANTS:
        audit.execute(sql)
    audit.execute(f"SET LOCAL ROLE {APP_ROLE}")
    try:
        written = record(Action.VIEW, user=admin_a)  # the app still writes entries
        assert written.pk > entry.pk
        for sql in (f"UPDATE audit_auditevent SET username = 'x' WHERE id = {entry.pk}",  # noqa: S608
                    f"DELETE FROM audit_auditevent WHERE id = {entry.pk}",  # noqa: S608
                    "TRUNCATE audit_auditevent",
                    "UPDATE ledger_ledgerentry SET note = 'x'",
                    "DELETE FROM ledger_ledgerentry"):
            assert "permission denied" in refused(sql)
        assert "must be owner" in refused(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        assert "permission denied" in refused("SET session_replication_role = replica")
    finally:
        audit.execute("RESET ROLE")
