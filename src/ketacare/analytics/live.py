"""The registry, live: the report's four tables as Ibis expressions over the app's own
PostgreSQL tables, so `ketacare analytics report --live` runs the same definitions on the
database the clinic works in, with no snapshot in between.

The mapping is the snapshot's, both in `registry.py`. Ids stay the database's own
(patient UUIDs, integer course and session keys); only counts leave the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import ibis
from django.db import connection

from .definitions import Registry
from .engines import postgres_settings, registry_on, with_epoch_seconds
from .registry import live_tables


class LiveUnavailable(Exception):
    """The app's database is not PostgreSQL (the embedded SQLite has no Ibis engine here)."""


@contextmanager
def live_registry() -> Iterator[Registry]:
    """The app database's registry (every clinic), on its own connection: it sees what is
    committed, never an open transaction's rows."""
    if connection.vendor != "postgresql":
        raise LiveUnavailable(
            "--live reads the app's own database, which must be PostgreSQL (DATABASE_URL); "
            "on SQLite, run `ketacare analytics snapshot --out DIR` and report on DIR")
    settings = connection.settings_dict
    con = ibis.postgres.connect(
        host=settings["HOST"] or None, port=int(settings["PORT"] or 5432),
        user=settings["USER"] or None, password=settings["PASSWORD"] or None,
        database=settings["NAME"])
    try:
        postgres_settings(con)
        yield registry_on(with_epoch_seconds(live_tables(con)), con)
    finally:
        con.disconnect()
