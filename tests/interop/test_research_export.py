"""The research export: nothing identifying survives, intervals within a patient do."""

from __future__ import annotations

import io
import json
import re
import zipfile
from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from ketacare.accounts.models import Clinic
from ketacare.interop import research
from ketacare.patients.models import Patient
from ketacare.selfreport.models import Response

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_export(django_db_setup, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        call_command("demo", stdout=io.StringIO())
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


def test_intervals_between_a_patients_events_are_kept(demo_export) -> None:
    out, _, patients, responses = demo_export
    exported = pq.read_table(out / "assessments.parquet").to_pylist()
    by_patient: dict[int, list] = {}
    for row in exported:
        by_patient.setdefault(row["patient_id"], []).append(row["completed_at"])
    exported_gaps = sorted(tuple((b - a).total_seconds() for a, b in pairwise(ts))
                           for ts in map(sorted, by_patient.values()))
    original_gaps = sorted(tuple((b - a).total_seconds() for a, b in pairwise(ts))
                           for ts in responses.values() if ts)
    assert exported_gaps == original_gaps
    # ...while the calendar dates themselves moved for (almost) everyone.
    originals = {t for ts in responses.values() for t in ts}
    moved = [row for row in exported if row["completed_at"] not in originals]
    assert len(moved) >= 0.9 * len(exported)


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
    call_command("export", "research", "--out", str(tmp_path / "cli"), "--clinic", "Clinic A",
                 stdout=io.StringIO())
    assert (tmp_path / "cli" / "manifest.json").exists()
    client.force_login(nurse_a)
    assert client.post("/interop/research-export/").status_code == 403
    client.force_login(analyst_a)
    response = client.post("/interop/research-export/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "manifest.json" in names and "assessments.parquet" in names


def test_cli_bad_clinic_exits_2(clinic_a, tmp_path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as err:
        call_command("export", "research", "--out", str(tmp_path / "y"), "--clinic", "Nope")
    assert err.value.returncode == 2 and "--clinic" in str(err.value)
