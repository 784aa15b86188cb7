"""The registry, live: the report's four tables as Ibis expressions over the app's own
PostgreSQL tables, so `ketacare analytics report --live` runs the same definitions on the
database the clinic works in, with no snapshot in between.

The mapping is the snapshot's (interop.research.build_tables): a session is a dose given
(its start is the session's start), an assessment is a scored self-report response, a
blank primary condition is NULL. Ids stay the database's own (patient UUIDs, integer
course and session keys); only counts leave the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis
from django.db import connection

from ketacare.patients.models import Patient
from ketacare.selfreport.models import Response
from ketacare.treatment.models import Course, Dose, Session

from .definitions import Registry
from .engines import postgres_settings, registry_on, with_epoch_seconds


class LiveUnavailable(Exception):
    """The app's database is not PostgreSQL (the embedded SQLite has no Ibis engine here)."""


def live_tables(con: Any) -> dict[str, Any]:
    """patients, courses, sessions and assessments in the registry schema's columns."""
    p = con.table(Patient._meta.db_table)
    c = con.table(Course._meta.db_table)
    s = con.table(Session._meta.db_table)
    d = con.table(Dose._meta.db_table)
    r = con.table(Response._meta.db_table)
    patients = p.select(patient_id=p.id, primary_condition=p.primary_condition.nullif(""))
    courses = c.select(course_id=c.id, patient_id=c.patient_id)
    given = d.join(s, d.session_id == s.id).join(c, s.course_id == c.id)
    sessions = given.select(session_id=s.id, course_id=s.course_id, patient_id=c.patient_id,
                            started_at=d.started_at)
    assessments = r.filter(r.total.notnull()).select(
        patient_id=r.patient_id, instrument=r.instrument, completed_at=r.submitted_at,
        total=r.total)
    return with_epoch_seconds({"patients": patients, "courses": courses, "sessions": sessions,
                               "assessments": assessments})


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
        yield registry_on(live_tables(con), con)
    finally:
        con.disconnect()
