"""The research export: nothing identifying survives, intervals within a patient do."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from ketacare.accounts.models import Clinic
from ketacare.interop import research
from ketacare.patients.models import Patient
from ketacare.selfreport.models import Response
from tests.conftest import insert_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_export(demo_build, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        insert_demo(demo_build)
        clinic = Clinic.objects.get(name="Demo Clinic")
        out = tmp_path_factory.mktemp("export") / "demo"
        manifest = research.export(clinic, out)
        patients = list(Patient.objects.filter(clinic=clinic))
        responses = {p.pk: sorted(r.submitted_at for r in Response.objects.filter(patient=p))
                     for p in patients}
        yield out, manifest, patients, responses
        # The module-scoped data lives outside a test transaction: remove what the demo made.
        from django.core.management import call_command as cc

        cc("flush", interactive=False, verbosity=0)


def _all_text(out: Path) -> str:
    texts = []
    for path in out.iterdir():
        if path.suffix == ".parquet":
            texts.append(str(pq.read_table(path).to_pylist()))
        else:
            texts.append(path.read_text())
    return "\n".join(texts)


def test_no_identifier_survives(demo_export) -> None:
    out, _, patients, _ = demo_export
    text = _all_text(out).lower()
    for p in patients:
        for value in (p.given_name, p.family_name, p.mrn, p.email, p.mobile, p.escort_name,
                      p.escort_phone, p.date_of_birth.isoformat(), str(p.pk)):
            if value and len(value) > 2:
                # Whole words only: "King" must not match the REDCap header "Ranking".
                assert not re.search(rf"\b{re.escape(value.lower())}\b", text), (p.mrn, value)


def _per_patient(out: Path, table: str, column: str) -> list[tuple]:
    """Each patient's sorted values of one column, as a sorted list (ids differ per export)."""
    by_patient: dict[int, list] = {}
    for row in pq.read_table(out / f"{table}.parquet").to_pylist():
        by_patient.setdefault(row["patient_id"], []).append(row[column])
    return sorted(tuple(sorted(v)) for v in by_patient.values())


def _no_time_of_day(out: Path) -> None:
    """No column holds a timestamp or time, and no text value has a time of day."""
    for path in out.iterdir():
        if path.suffix == ".parquet":
            for field in pq.read_schema(path):
                assert not pa.types.is_timestamp(field.type), (path.name, field.name)
                assert not pa.types.is_time(field.type), (path.name, field.name)
        elif path.suffix == ".csv":
            assert not re.search(r"\d{1,2}:\d{2}", path.read_text()), path.name
    manifest = json.loads((out / "manifest.json").read_text())
    assert "T" not in manifest["generated_on"]


def test_default_export_has_whole_days_from_the_first_session(demo_export) -> None:
    out, manifest, patients, responses = demo_export
    assert manifest["dates"] == "relative"
    _no_time_of_day(out)
    sessions = pq.read_table(out / "sessions.parquet").to_pylist()
    first = {}
    for row in sessions:
        first[row["patient_id"]] = min(first.get(row["patient_id"], 10**6), row["start_day"])
    assert first and set(first.values()) == {0}  # the index day is day 0
    # The day gaps between a patient's questionnaires are the true calendar-day gaps.
    clinic = patients[0].clinic
    true_days = sorted(
        tuple(sorted((d - min(ds)).days for d in ds))
        for ds in ([t.astimezone(clinic.zone).date() for t in ts]
                   for ts in responses.values() if ts))
    exported = [tuple(d - min(days) for d in days)
                for days in _per_patient(out, "assessments", "completed_day")]
    assert sorted(exported) == true_days
    vitals = pq.read_table(out / "vitals.parquet").to_pylist()
    # Within the session day; the readings before the dose count back from it.
    minutes = [v["minutes_after_dose"] for v in vitals]
    assert all(-24 * 60 < m < 24 * 60 for m in minutes)
    assert min(minutes) < 0 < max(minutes)


def test_shifted_exports_give_identical_dates_and_no_time_of_day(demo_export,
                                                                 tmp_path) -> None:
    from datetime import date

    _, _, patients, responses = demo_export
    clinic = patients[0].clinic
    one, two = tmp_path / "one", tmp_path / "two"
    research.export(clinic, one, dates="shifted")
    research.export(clinic, two, dates="shifted")
    _no_time_of_day(one)
    for table, column in (("assessments", "completed_date"), ("sessions", "start_date"),
                          ("courses", "start_date"), ("vitals", "measured_date")):
        assert _per_patient(one, table, column) == _per_patient(two, table, column), table
    # Every patient's dates moved, by the same number of days for all their events.
    shifted = pq.read_table(one / "assessments.parquet").to_pylist()
    assert all(isinstance(r["completed_date"], date) for r in shifted)
    true_dates = {t.astimezone(clinic.zone).date() for ts in responses.values() for t in ts}
    assert sum(r["completed_date"] in true_dates for r in shifted) < 0.2 * len(shifted)
    shifts = {p.pk: research.shift_days(p.pk) for p in patients}
    assert all(1 <= abs(d) <= research.MAX_SHIFT_DAYS for d in shifts.values())
    assert len(set(shifts.values())) > 1


def test_the_shift_is_keyed_by_the_installation_secret(patient_a, settings) -> None:
    settings.KETACARE_EXPORT_SHIFT_KEY = "key one"
    first = research.shift_days(patient_a.pk)
    assert research.shift_days(patient_a.pk) == first  # stable
    shifts = set()
    for key in ("key two", "key three"):
        settings.KETACARE_EXPORT_SHIFT_KEY = key
        shifts.add(research.shift_days(patient_a.pk))
    assert shifts != {first}  # another installation, other shifts


def test_manifest_counts_and_hashes(demo_export) -> None:
    import hashlib

    out, manifest, patients, _ = demo_export
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["rows"]["patients"] == len(patients)
    assert saved["rows"]["assessments"] == pq.read_table(out / "assessments.parquet").num_rows
    for entry in saved["files"]:
        digest = hashlib.sha256((out / entry["name"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"]
    names = {e["name"] for e in saved["files"]}
    assert {"redcap_data_dictionary.csv", "redcap_records.csv", "patients.parquet",
            "sessions.csv"} <= names


def test_redcap_files_have_the_import_shape(demo_export) -> None:
    import csv

    out, _, patients, _ = demo_export
    with (out / "redcap_data_dictionary.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "Variable / Field Name" and rows[1][0] == "record_id"
    assert all(len(r) == len(rows[0]) for r in rows)
    with (out / "redcap_records.csv").open() as f:
        records = list(csv.DictReader(f))
    participants = [r for r in records if not r["redcap_repeat_instrument"]]
    assert len(participants) == len(patients)
    assessments = [r for r in records if r["redcap_repeat_instrument"] == "assessment"]
    assert assessments and all(r["redcap_repeat_instance"].isdigit() for r in assessments)


def test_ages_over_89_are_aggregated(clinic_a, patient_a, tmp_path) -> None:
    from datetime import date

    patient_a.date_of_birth = date(1920, 5, 1)
    patient_a.save()
    research.export(clinic_a, tmp_path / "x")
    row = pq.read_table(tmp_path / "x" / "patients.parquet").to_pylist()[0]
    assert row["birth_year"] == clinic_a.today().year - 90


def test_export_refuses_a_used_directory(clinic_a, tmp_path) -> None:
    (tmp_path / "old.csv").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        research.export(clinic_a, tmp_path)


def test_cli_and_page(client, clinic_a, analyst_a, nurse_a, prescriber_b, tmp_path) -> None:
    """Both write the export to the audit trail: who, clinic, row counts, date mode."""
    from ketacare.audit.models import AuditEvent

    call_command("export", "research", "--out", str(tmp_path / "cli"), "--clinic", "Clinic A",
                 "--dates", "shifted", stdout=io.StringIO())
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert manifest["dates"] == "shifted"
    client.force_login(nurse_a)
    assert client.post("/interop/research-export/").status_code == 403
    client.force_login(analyst_a)
    response = client.post("/interop/research-export/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "manifest.json" in names and "assessments.parquet" in names
    exports = list(AuditEvent.objects.filter(action="export", object_type="research_export")
                   .order_by("id"))
    assert [(e.username.split(":")[0], e.clinic_id, e.detail["dates"]) for e in exports] == [
        ("cli", clinic_a.pk, "shifted"), (analyst_a.username, clinic_a.pk, "relative")]
    assert all(e.detail["rows"] == manifest["rows"] for e in exports)


def test_cli_bad_clinic_exits_2(clinic_a, tmp_path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as err:
        call_command("export", "research", "--out", str(tmp_path / "y"), "--clinic", "Nope")
    assert err.value.returncode == 2 and "--clinic" in str(err.value)
