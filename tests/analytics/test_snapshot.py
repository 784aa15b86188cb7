"""`ketacare analytics snapshot` writes the registry tables from the app database, and the
report runs on them."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketacare.patients.models import Patient
from ketacare.selfreport.models import Response

pytestmark = pytest.mark.django_db


def test_snapshot_of_the_demo_feeds_the_report(tmp_path, capsys) -> None:
    call_command("demo", stdout=io.StringIO())
    capsys.readouterr()
    call_command("analytics", "snapshot", "--out", str(tmp_path))
    counts = json.loads(capsys.readouterr().out)
    assert counts["patients"] == Patient.objects.count()
    assert counts["assessments"] == Response.objects.exclude(total=None).count()
    patients = pq.read_table(tmp_path / "patients.parquet").to_pylist()
    assert len({p["patient_id"] for p in patients}) == len(patients)  # no id shared
    assert len({p["clinic_id"] for p in patients}) == 2
    text = str(patients) + str(pq.read_table(tmp_path / "assessments.parquet").to_pylist())
    for p in Patient.objects.all():
        assert p.mrn not in text and p.family_name not in text
    call_command("analytics", "report", "--data", str(tmp_path))
    rows = json.loads(capsys.readouterr().out)["rows"]
    phq9 = next(r for r in rows if r["instrument"] == "phq9" and r["condition"] == "all")
    assert phq9["post_induction_response"]["n"] > 0


def test_snapshot_needs_out() -> None:
    with pytest.raises(CommandError) as err:
        call_command("analytics", "snapshot")
    assert err.value.returncode == 2 and "--out" in str(err.value)
