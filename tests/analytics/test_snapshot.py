"""`ketacare analytics snapshot` writes the registry tables from the app database, and the
report runs on them. A repeat run rebuilds only the clinics whose data changed, and always
gives the tables a fresh full snapshot would."""

from __future__ import annotations

import fcntl
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.accounts.staff import staff_for
from ketacare.analytics.schema import TABLES, table_path
from ketacare.analytics.snapshot import ID_BLOCK, LOCK, MANIFEST
from ketacare.audit.models import AuditEvent
from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Diagnosis, Patient
from ketacare.selfreport import actions as selfreport
from ketacare.selfreport.models import Response, Source
from ketacare.treatment.models import Dose
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def snap(out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    call_command("analytics", "snapshot", "--out", str(out), *args)
    text = capsys.readouterr().out
    assert text.count("\n") == 1  # one line of JSON
    return json.loads(text)  # type: ignore[no-any-return]


def report(data: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    call_command("analytics", "report", "--data", str(data))
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def tables(out: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: pq.read_table(table_path(out, name)).to_pylist() for name in TABLES}


def canonical(out: Path) -> dict[str, list[str]]:
    """The tables with every opaque id replaced by what it stands for (ids are drawn anew
    whenever a clinic is rebuilt), as sorted row texts: equal for equal data."""
    t = tables(out)
    scores = defaultdict(list)
    for a in t["assessments"]:
        scores[a["patient_id"]].append((a["instrument"], a["completed_at"], a["total"]))
    patient = {p["patient_id"]: repr((p["clinic_id"], p["birth_year"], p["sex"],
                                      p["primary_condition"], sorted(scores[p["patient_id"]])))
               for p in t["patients"]}
    course = {c["course_id"]: repr((patient[c["patient_id"]], c["protocol"], c["started_at"]))
              for c in t["courses"]}
    session = {s["session_id"]: repr((course[s["course_id"]], s["number"], s["started_at"]))
               for s in t["sessions"]}
    keys = {"patient_id": patient, "course_id": course, "session_id": session}
    out_rows = {}
    for name, rows in t.items():
        out_rows[name] = sorted(
            repr({k: keys[k][v] if k in keys else v for k, v in row.items()}) for row in rows)
    return out_rows


def test_snapshot_of_the_demo_feeds_the_report(tmp_path, capsys, demo) -> None:
    summary = snap(tmp_path, capsys)
    counts = summary["rows"]
    assert counts["patients"] == Patient.objects.count()
    assert counts["assessments"] == Response.objects.exclude(total=None).count()
    assert summary["rebuilt"] == sorted(c.pk for c in demo.values()) and summary["reused"] == []
    patients = pq.read_table(tmp_path / "patients.parquet").to_pylist()
    assert len({p["patient_id"] for p in patients}) == len(patients)  # no id shared
    assert len({p["clinic_id"] for p in patients}) == 2
    for p in patients:  # each clinic's ids in its own block, from its pk
        assert p["patient_id"] // ID_BLOCK == p["clinic_id"]
    text = str(patients) + str(pq.read_table(tmp_path / "assessments.parquet").to_pylist())
    for p in Patient.objects.all():
        assert p.mrn not in text and p.family_name not in text
    phq9 = next(r for r in report(tmp_path, capsys)["rows"]
                if r["instrument"] == "phq9" and r["condition"] == "all")
    assert phq9["post_induction_response"]["n"] > 0


def test_rows_come_in_the_benchmark_registrys_layout(tmp_path, capsys, demo) -> None:
    """The layout the report reads fastest, the synthetic benchmark registry's: sessions
    by patient, course and time; assessments by instrument, then patient and time, each
    instrument in row groups of its own (the report reads each outcome instrument's
    assessments apart, and skips the other instruments' row groups), clinic after clinic. Database order
    (submission order, interleaving patients) made the DuckDB report ~50% slower on 1M
    patients, and one row group of every instrument ~20% (docs/performance.md)."""
    snap(tmp_path, capsys)
    t = tables(tmp_path)
    keys = [(a["patient_id"] // ID_BLOCK, a["instrument"], a["patient_id"], a["completed_at"])
            for a in t["assessments"]]
    assert len({k[1] for k in keys}) > 1 and len({k[2] for k in keys}) > 1
    assert keys == sorted(keys)
    keys = [(s["patient_id"], s["course_id"], s["started_at"]) for s in t["sessions"]]
    assert len({k[0] for k in keys}) > 1 and keys == sorted(keys)
    for path in (table_path(tmp_path, "assessments"),
                 *(tmp_path / "parts").glob("*/*/assessments.parquet")):
        groups = pq.ParquetFile(path)
        per_group = [set(groups.read_row_group(g, columns=["instrument"])
                         .column("instrument").to_pylist())
                     for g in range(groups.num_row_groups)]
        assert all(len(names) == 1 for names in per_group), (path, per_group)


def _codecs(path: Path) -> set[str]:
    meta = pq.read_metadata(path)
    return {meta.row_group(g).column(c).compression for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)}


def test_the_snapshot_is_compressed_as_the_benchmark_registry_is(tmp_path, capsys,
                                                                 demo) -> None:
    """The benchmark's synthetic registry was zstd and a clinic's snapshot snappy (pyarrow's
    default), which pandas reads ~30% faster: the benchmark did not measure the files a
    clinic has."""
    from ketacare.analytics.synth import synthesise

    snap(tmp_path / "snapshot", capsys)
    synthesise(tmp_path / "synthetic", patients=50, clinics=2, seed=1)
    for name in TABLES:
        assert _codecs(table_path(tmp_path / "snapshot", name)) \
            == _codecs(table_path(tmp_path / "synthetic", name)) == {"ZSTD"}


def test_a_repeat_run_with_no_change_reuses_every_clinic(tmp_path, capsys, demo) -> None:
    first = snap(tmp_path, capsys)
    before = {name: table_path(tmp_path, name).read_bytes() for name in TABLES}
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    second = snap(tmp_path, capsys)
    assert second["rebuilt"] == [] and second["reused"] == first["rebuilt"]
    exported = AuditEvent.objects.filter(object_type="analytics_snapshot")
    assert sorted(exported.values_list("clinic_id", flat=True)) == first["rebuilt"]
    assert {e.action for e in exported} == {"export"}  # reused parts export nothing new
    assert second["rows"] == first["rows"]
    assert {name: table_path(tmp_path, name).read_bytes() for name in TABLES} == before
    assert json.loads((tmp_path / MANIFEST).read_text())["clinics"] == manifest["clinics"]


def _add_phq9(patient: Patient, total_items: list[int]) -> None:
    day = timezone.localdate()
    req = selfreport.new_request(patient.clinic, patient, "phq9", kind="manual", key="",
                                  opens=day, closes=day, source=Source.MANUAL)
    selfreport.submit(req, {f"item_{n}": v for n, v in enumerate(total_items, start=1)})


def _treated_patient(clinic: Clinic, condition: str) -> Patient:
    """The patient of `clinic` with `condition` whose treatment began earliest (so their
    course counts in the retention funnel)."""
    dose = (Dose.objects.filter(session__course__patient__clinic=clinic,
                                session__course__patient__primary_condition=condition)
            .select_related("session__course__patient").order_by("started_at").first())
    assert dose is not None
    return dose.session.course.patient


def test_a_change_rebuilds_only_that_clinic(tmp_path, capsys, demo) -> None:
    main, other = demo["Demo Clinic"], demo["Other Clinic"]
    snap(tmp_path, capsys)
    start = tables(tmp_path)
    start_report = report(tmp_path, capsys)

    # A new self-report in the other clinic: only that clinic is rebuilt; the main
    # clinic's rows (and so its ids) stay exactly as they were.
    _add_phq9(Patient.objects.filter(clinic=other).first(), [2] * 9)
    summary = snap(tmp_path, capsys)
    assert summary["rebuilt"] == [other.pk] and summary["reused"] == [main.pk]
    assert summary["rows"]["assessments"] == len(start["assessments"]) + 1
    now = tables(tmp_path)
    for name in TABLES:
        mine = [r for r in start[name] if r["patient_id"] // ID_BLOCK == main.pk]
        assert [r for r in now[name] if r["patient_id"] // ID_BLOCK == main.pk] == mine

    # A corrected primary diagnosis in the main clinic (depression -> PTSD) changes the
    # patient's primary condition: only the main clinic is rebuilt, and the report sees it.
    patient = _treated_patient(main, "depression")
    staff = staff_for(make_staff("snapshot-prescriber", main, "prescriber"), main)
    patient_actions.add_entry(staff, patient, Diagnosis(
        icd10_code="F43.10", description="Post-traumatic stress disorder", primary=True))
    patient.refresh_from_db()
    assert patient.primary_condition == "ptsd"
    summary = snap(tmp_path, capsys)
    assert summary["rebuilt"] == [main.pk] and summary["reused"] == [other.pk]
    conditions = [p["primary_condition"] for p in tables(tmp_path)["patients"]]
    assert conditions.count("ptsd") == [
        p["primary_condition"] for p in start["patients"]].count("ptsd") + 1
    changed = report(tmp_path, capsys)
    retention = {f["condition"]: f["started"] for f in changed["retention"]}
    before = {f["condition"]: f["started"] for f in start_report["retention"]}
    assert retention["ptsd"] == before.get("ptsd", 0) + 1
    assert retention["depression"] == before["depression"] - 1

    # The incremental result is what a fresh full snapshot gives.
    fresh = tmp_path.parent / f"{tmp_path.name}-fresh"
    assert snap(fresh, capsys)["rows"] == summary["rows"]
    assert canonical(fresh) == canonical(tmp_path)
    same = report(fresh, capsys)
    for r in (same, changed):
        r.pop("source", None)  # the directory's own name
    assert same == changed


def test_an_edit_of_demographics_is_seen(tmp_path, capsys, demo) -> None:
    main = demo["Demo Clinic"]
    snap(tmp_path, capsys)
    patient = Patient.objects.filter(clinic=main).order_by("mrn").first()
    staff = staff_for(make_staff("snapshot-admin", main, "prescriber"), main)
    sex = "male" if patient.sex_at_birth == "female" else "female"
    assert patient_actions.update_patient(staff, patient, {"sex_at_birth": sex},
                                          reason="corrected") == ["sex_at_birth"]
    assert snap(tmp_path, capsys)["rebuilt"] == [main.pk]
    fresh = tmp_path.parent / f"{tmp_path.name}-fresh"
    snap(fresh, capsys)
    assert canonical(fresh) == canonical(tmp_path)


def test_full_rebuilds_every_clinic(tmp_path, capsys, demo) -> None:
    first = snap(tmp_path, capsys)
    before = canonical(tmp_path)
    again = snap(tmp_path, capsys, "--full")
    assert again["rebuilt"] == first["rebuilt"] and again["reused"] == []
    assert canonical(tmp_path) == before
    # Only the builds the manifest names are kept.
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    builds = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "parts").glob("*/*"))
    assert builds == sorted(e["part"] for e in manifest["clinics"].values())


def test_a_damaged_part_is_rebuilt_and_leftovers_go(tmp_path, capsys, demo) -> None:
    snap(tmp_path, capsys)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    pk, entry = next(iter(manifest["clinics"].items()))
    (tmp_path / entry["part"] / "sessions.parquet").unlink()
    leftover = tmp_path / ".patients.parquet.123.abcd.tmp"  # as a crash would leave it
    leftover.write_bytes(b"half")
    summary = snap(tmp_path, capsys)
    assert summary["rebuilt"] == [int(pk)]
    assert not leftover.exists()
    assert not list(tmp_path.glob("parts/*/.*"))


def test_two_snapshots_never_write_one_directory_at_once(tmp_path) -> None:
    with (tmp_path / LOCK).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a run in progress holds it
        with pytest.raises(CommandError) as err:
            call_command("analytics", "snapshot", "--out", str(tmp_path))
    assert "another snapshot is writing" in str(err.value)
    assert not (tmp_path / MANIFEST).exists()


def test_an_empty_installation_gives_empty_tables(tmp_path, capsys) -> None:
    summary = snap(tmp_path, capsys)
    assert summary["rows"] == {name: 0 for name in TABLES}
    assert all(table_path(tmp_path, name).exists() for name in TABLES)


@pytest.mark.parametrize(
    ("args", "needle"),
    [([], "--out"), (["--out", "FILE"], "must be a directory"),
     (["--out", "/nonexistent/dir/snap"], "does not exist")],
)
def test_snapshot_bad_out(tmp_path, args: list[str], needle: str) -> None:
    (tmp_path / "file").write_text("x")
    args = [str(tmp_path / "file") if a == "FILE" else a for a in args]
    with pytest.raises(CommandError) as err:
        call_command("analytics", "snapshot", *args)
    assert err.value.returncode == 2 and needle in str(err.value)
