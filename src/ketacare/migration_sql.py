"""Raw SQL steps for migrations, per database vendor."""

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
