"""On PostgreSQL the app's queries are bound on the server, so psycopg prepares a query once
it has run a few times on a connection and PostgreSQL stops parsing and planning it again.
Planning was most of the database's time on the chart, session-day and FHIR pages (issue
17: e.g. 2.5 ms planning against 0.75 ms executing the FHIR Observation union)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from ketacare.patients.models import Patient

KETACARE = str(Path(sys.executable).with_name("ketacare"))


@pytest.mark.django_db
def test_a_query_run_again_and_again_is_prepared_by_postgresql(clinic_a) -> None:
    if connection.vendor != "postgresql":
        # SQLite is in-process: nothing to bind on a server, so none of PostgreSQL's options.
        assert "server_side_binding" not in connection.settings_dict["OPTIONS"]
        return
    for _ in range(8):
        list(Patient.objects.filter(clinic=clinic_a, family_name="Prepared"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "patients_patient"' in s and "Prepared" not in s for s in prepared), \
        prepared  # the name is a bound parameter, not part of the prepared text


def test_a_wrong_value_of_the_switch_stops_start_up_with_a_message(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KETACARE_")},
           "KETACARE_VAR_DIR": str(tmp_path), "KETACARE_PG_PREPARE": "maybe",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    done = subprocess.run([KETACARE, "check"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "KETACARE_PG_PREPARE must be true or false, got 'maybe'" in done.stderr
