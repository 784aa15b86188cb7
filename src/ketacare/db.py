"""Database helpers shared by migrations."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# vendor -> (statements to install, statements to remove)
VendorSql = dict[str, tuple[list[str], list[str]]]


def vendor_sql(statements: VendorSql) -> migrations.RunPython:
    """A reversible migration step running raw SQL for the connection's vendor only
    (e.g. append-only triggers, which PostgreSQL and SQLite spell differently)."""

    def run(schema_editor: Any, index: int) -> None:
        pair = statements.get(schema_editor.connection.vendor, ([], []))
        for sql in pair[index]:
            schema_editor.execute(sql, params=None)  # None: a '%' in RAISE is not a parameter

    return migrations.RunPython(lambda apps, se: run(se, 0), lambda apps, se: run(se, 1))


# Largest value a BigAutoField holds; a larger id in a URL must be a 404, not a database
# overflow (PostgreSQL raises on it).
MAX_ID = 2**63 - 1


def int_id(value: object) -> int:
    """A row id from a URL or form, or Http404 when it cannot be one."""
    from django.http import Http404

    try:
        number = int(str(value))
    except ValueError:
        raise Http404("Not found") from None
    if not 0 < number <= MAX_ID:
        raise Http404("Not found")
    return number
