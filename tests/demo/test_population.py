"""`ketacare demo --patients N` (issue 17 item 1): N bulk synthetic patients in Demo Clinic,
a tenth in treatment, and one honest audit entry for the generation; the trail verifies.
Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Diagnosis, Patient, PatientRevision, Weight
from ketacare.selfreport.models import Response
from ketacare.treatment.models import Course, Dose, Session, VitalSigns

pytestmark = pytest.mark.django_db


def synthetic() -> dict[str, int]:
    scope = {"patient__clinic__name": "Demo Clinic", "patient__mrn__startswith": "SY-"}
    session_scope = {f"session__course__{k}": v for k, v in scope.items()}
    return {
        "patients": Patient.objects.filter(clinic__name="Demo Clinic",
                                           mrn__startswith="SY-").count(),
        "revisions": PatientRevision.objects.filter(**scope).count(),
        "diagnoses": Diagnosis.objects.filter(**scope, primary=True).count(),
        "weights": Weight.objects.filter(**scope).count(),
        "courses": Course.objects.filter(**scope).count(),
        "sessions": Session.objects.filter(**{f"course__{k}": v for k, v in scope.items()}
                                           ).count(),
        "doses": Dose.objects.filter(**session_scope).count(),
        "vitals": VitalSigns.objects.filter(**session_scope).count(),
        "responses": Response.objects.filter(**scope).count(),
    }


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=out)  # exits non-zero on a break
    return out.getvalue()


def test_demo_patients_adds_synthetic_patients_a_tenth_treated_and_one_audit_entry(
        demo) -> None:
    out = io.StringIO()
    call_command("demo", "--patients", "30", stdout=out)

    assert "Synthetic patients added now: 30" in out.getvalue()
    assert synthetic() == {"patients": 30, "revisions": 30, "diagnoses": 30, "weights": 30,
                           "courses": 3, "sessions": 18, "doses": 18, "vitals": 72,
                           "responses": 12}
    treated = Patient.objects.filter(mrn__startswith="SY-", courses__isnull=False)
    assert sorted(treated.values_list("mrn", flat=True)) == [
        "SY-0000010", "SY-0000020", "SY-0000030"]
    assert set(treated.values_list("status", flat=True)) == {"active"}
    # Doses from the dose calculator: never above the protocol's usual 0.5 mg/kg.
    for dose in Dose.objects.filter(session__course__patient__in=treated):
        assert dose.weight_kg is not None
        assert dose.dose_mg <= dose.weight_kg * dose.mg_per_kg

    entries = AuditEvent.objects.filter(object_type="synthetic_patients")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_id == "SY-0000001..SY-0000030" and entry.username == "demo-admin"
    assert entry.detail["patients"] == 30 and entry.detail["courses"] == 3
    assert verify().startswith("OK")

    # A second run adds N more under new MRNs, with its own entry.
    call_command("demo", "--patients", "10", stdout=io.StringIO())
    assert synthetic()["patients"] == 40 and synthetic()["courses"] == 4
    assert AuditEvent.objects.filter(object_type="synthetic_patients").count() == 2
    assert verify().startswith("OK")


def test_demo_patients_refuses_a_negative_number() -> None:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("demo", "--patients", "-1", stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 2 and "--patients" in err.getvalue()


def _planner_rows(table: str) -> float | None:
    """The row count the database's query planner holds for `table` (None: never
    analyzed)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            value = cursor.fetchone()[0]
            return None if value < 0 else float(value)
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        rows = [int(r[0].split()[0]) for r in cursor.fetchall()]
        return float(max(rows)) if rows else None


def test_demo_patients_refreshes_the_planner_statistics(demo) -> None:
    """A bulk load leaves the planner's statistics stale until autovacuum comes by (a
    minute or more on PostgreSQL, never on SQLite): the 100,000-patient web benchmark ran
    its first endpoints on plans made for an empty table (bitmap scans and sorts of the
    whole clinic). The generation ends with ANALYZE."""
    call_command("demo", "--patients", "40", stdout=io.StringIO())
    for table in ("patients_patient", "treatment_vitalsigns", "selfreport_response"):
        rows = _planner_rows(table)
        assert rows is not None, table
    assert _planner_rows("patients_patient") >= Patient.objects.count()  # type: ignore[operator]


@pytest.mark.django_db(transaction=True)
def test_demo_patients_leaves_the_tables_ready_for_index_only_reads() -> None:
    """PostgreSQL answers a count of the clinic's patients from the clinic index alone
    only for pages its visibility map marks all-visible, which VACUUM sets and ANALYZE
    does not: after a plain ANALYZE the 100,000-patient list counted through the table
    (27-35 ms a request). SQLite has no visibility map: there the statistics are what
    matter, and the test above checks them."""
    call_command("demo", "--patients", "40", stdout=io.StringIO())
    assert _planner_rows("patients_patient") >= Patient.objects.count()  # type: ignore[operator]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT relpages, relallvisible FROM pg_class "
                           "WHERE relname = 'patients_patient'")
            pages, visible = cursor.fetchone()
        assert pages > 0 and visible == pages, (pages, visible)
