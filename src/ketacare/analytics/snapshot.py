"""`ketacare analytics snapshot`: the registry tables from the app database, every clinic,
true dates (for the clinic's own analytics; the research export shifts them), no names,
MRNs or contact details: ids are opaque integers.

Incremental: each clinic's tables are kept as a *part* under `DIR/parts/`, with a
fingerprint of the clinic's source rows in `DIR/manifest.json`. A repeat run rebuilds only
the clinics whose fingerprint changed and then rewrites the top-level `DIR/<table>.parquet`
files (what the engines read) by concatenating the parts. An unchanged clinic keeps its
part, so its ids stay the same from one snapshot to the next.

Nothing is ever half-written: a part is written into a temporary directory and renamed
into place when complete, a table or the manifest is written to a temporary file and
renamed over the old one, and the manifest (written last) only names complete parts.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from django.db.models import Count, F, Max, Q, QuerySet, Sum

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Diagnosis, Patient, PatientRevision
from ketacare.selfreport.models import Response
from ketacare.treatment.models import Course, Dose, VitalSigns

from .registry import AGE_CAP, build_tables
from .schema import COMPRESSION, SCHEMAS, TABLES, table_path, write_table

# Clinic c's ids start at c.pk * ID_BLOCK + 1 (patients, courses and sessions each), so
# clinics never share an id and a clinic's ids do not depend on which other clinics exist
# or changed. clinic_id is int32, so the largest id stays far below 2**63.
ID_BLOCK = 1_000_000_000
MANIFEST = "manifest.json"
PARTS = "parts"
LOCK = ".snapshot.lock"
# Bump when build_tables writes different rows from the same data: every part is rebuilt.
# 2: sessions and assessments in patient order, then time (was database order), zstd.
# 3: assessments instrument by instrument, each in row groups of its own (schema.row_groups).
FORMAT = 3

Progress = Callable[[int, int], None]


class SnapshotBusy(RuntimeError):
    """Another snapshot is writing the same directory."""


# --------------------------------------------------------------------------- fingerprint

# What each registry table is built from (registry.build_tables), as aggregates per
# clinic that change whenever a row is added, removed or edited in a way the tables see:
# - Patient (UUID keys, so no "max key"): edits go through patients.actions, which save
#   `updated_at` (auto_now) and, for demographics, bump `version` and add a PatientRevision;
#   the primary condition follows the primary Diagnosis (a new one, or one marked entered in
#   error), and the patient is saved with it.
# - Course, Dose, VitalSigns, Response: never edited in the fields exported (a course's
#   protocol is frozen at its start; a dose's later saves touch stopped_at and the ledger
#   link only), so their count and highest key catch every change. Responses also carry
#   the latest submitted_at. Sessions are left out: only a dosed session is exported, and
#   its Dose is counted; undosed sessions are rescheduled often and would force rebuilds.
# - birth_year caps ages 90+ at "today" (Safe Harbor), so the number of such patients, and
#   the year while there are any, are part of it too.
def _sources() -> tuple[tuple[str, QuerySet[Any], str, dict[str, Any]], ...]:
    n = {"n": Count("pk")}
    last = {**n, "last": Max("pk")}
    return (
        ("patients", Patient.objects.all(), "clinic_id",
         {**n, "updated": Max("updated_at"), "versions": Sum("version")}),
        ("revisions", PatientRevision.objects.all(), "patient__clinic_id", last),
        ("diagnoses", Diagnosis.objects.all(), "patient__clinic_id",
         {**last, "in_error": Count("pk", filter=Q(entered_in_error=True))}),
        ("courses", Course.objects.all(), "patient__clinic_id", last),
        ("doses", Dose.objects.all(), "session__course__patient__clinic_id", last),
        ("responses", Response.objects.all(), "patient__clinic_id",
         {**last, "submitted": Max("submitted_at")}),
        ("vitals", VitalSigns.objects.all(), "session__course__patient__clinic_id", last),
    )


def _aged_cutoff(today: date) -> date:
    """The latest date of birth of someone aged AGE_CAP or more on `today`."""
    try:
        return today.replace(year=today.year - AGE_CAP)
    except ValueError:  # 29 February: a year without one
        return today.replace(year=today.year - AGE_CAP, day=28)


def fingerprints(clinics: list[Clinic]) -> dict[int, str]:
    """clinic pk -> a digest of its source rows: one grouped query per source model."""
    parts: dict[int, dict[str, Any]] = {c.pk: {} for c in clinics}
    for name, qs, clinic_field, aggregates in _sources():
        rows = qs.order_by().values(kc_clinic=F(clinic_field)).annotate(**aggregates)
        for row in rows:
            if row["kc_clinic"] in parts:
                parts[row["kc_clinic"]][name] = [row[k] for k in aggregates]
    by_day: dict[date, list[int]] = {}
    for c in clinics:
        by_day.setdefault(c.today(), []).append(c.pk)
    for today, pks in by_day.items():
        aged = (Patient.objects.filter(clinic__in=pks, date_of_birth__lte=_aged_cutoff(today))
                .order_by().values("clinic_id").annotate(n=Count("pk")))
        for row in aged:
            parts[row["clinic_id"]]["aged"] = [row["n"], today.year]
    return {
        pk: hashlib.sha256(json.dumps(p, sort_keys=True, default=str).encode()).hexdigest()
        for pk, p in parts.items()
    }


# --------------------------------------------------------------------------- files

def _format() -> str:
    schema = hashlib.sha256(str(SCHEMAS).encode()).hexdigest()[:16]
    return f"{FORMAT}:{schema}"


def _fsync_replace(tmp: Path, target: Path) -> None:
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)


def _tmp_name(target: Path) -> Path:
    # Hidden and unique: never read by an engine, never shared by two writers.
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _write_json(target: Path, data: dict[str, Any]) -> None:
    tmp = _tmp_name(target)
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    _fsync_replace(tmp, target)


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    with (out / LOCK).open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SnapshotBusy(f"another snapshot is writing {out}") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _part_files(out: Path, part: str) -> list[Path]:
    return [out / part / f"{name}.parquet" for name in TABLES]


def _build_part(out: Path, clinic: Clinic, fingerprint: str) -> dict[str, Any]:
    tables = build_tables(clinic, clinic_id=clinic.pk, first_id=clinic.pk * ID_BLOCK + 1)
    # A new directory per build: the part the manifest names is never touched, so a crash
    # (or two runs) cannot mix the ids of two builds of one clinic.
    part = f"{PARTS}/clinic-{clinic.pk}/{secrets.token_hex(6)}"
    final = out / part
    tmp = final.with_name(f".{final.name}.tmp")
    tmp.mkdir(parents=True)
    for name, table in tables.items():
        write_table(table, tmp / f"{name}.parquet")
        with (tmp / f"{name}.parquet").open("rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, final)
    return {"fingerprint": fingerprint, "part": part,
            "rows": {name: table.num_rows for name, table in tables.items()}}


def _combine(out: Path, entries: dict[str, dict[str, Any]], unchanged: bool) -> dict[str, int]:
    """Write each top-level table as the concatenation of the parts, in clinic order."""
    rows = {name: sum(e["rows"][name] for e in entries.values()) for name in TABLES}
    for name in TABLES:
        target = table_path(out, name)
        if unchanged and target.exists() and pq.read_metadata(target).num_rows == rows[name]:
            continue
        tmp = _tmp_name(target)
        if not entries:
            pq.write_table(SCHEMAS[name].empty_table(), tmp, compression=COMPRESSION)
        else:
            with pq.ParquetWriter(tmp, SCHEMAS[name], compression=COMPRESSION) as writer:
                for e in entries.values():  # row group by row group: they stay as cut
                    part = pq.ParquetFile(out / e["part"] / f"{name}.parquet")
                    for g in range(part.num_row_groups):
                        writer.write_table(part.read_row_group(g).cast(SCHEMAS[name]))
        _fsync_replace(tmp, target)
    return rows


def _remove_stale(out: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Parts no longer named by the manifest (older builds, removed clinics) and the
    temporary files of an interrupted run. Only our own names are touched."""
    for name in (*(table_path(out, t).name for t in TABLES), MANIFEST):
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink()
    keep = {out / e["part"] for e in entries.values()}
    for clinic_dir in (out / PARTS).glob("clinic-*"):
        if not clinic_dir.is_dir():
            continue
        for build in clinic_dir.iterdir():
            if build in keep:
                continue
            if build.is_dir():
                shutil.rmtree(build)
            else:
                build.unlink()
        if not any(clinic_dir.iterdir()):
            clinic_dir.rmdir()


# --------------------------------------------------------------------------- snapshot

def snapshot(out: Path, *, full: bool = False,
             progress: Progress | None = None) -> dict[str, Any]:
    """Bring the snapshot in `out` (created if need be) up to date with the database: only
    clinics whose fingerprint changed are rebuilt (every clinic with `full`). Returns the
    row counts per table and the clinic ids rebuilt, reused and removed."""
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        old = _read_manifest(out)
        previous: dict[str, dict[str, Any]] = (
            old.get("clinics", {}) if old.get("format") == _format() and not full else {})
        clinics = list(Clinic.objects.order_by("pk"))
        # Taken before the tables are built: a write in between makes the next run rebuild
        # the clinic once more, never keep a part older than its fingerprint.
        prints = fingerprints(clinics)
        entries: dict[str, dict[str, Any]] = {}
        rebuilt: list[int] = []
        reused: list[int] = []
        if progress:
            progress(0, len(clinics))
        for done, clinic in enumerate(clinics, start=1):
            key = str(clinic.pk)
            before = previous.get(key)
            if (before is not None and before.get("fingerprint") == prints[clinic.pk]
                    and all(p.is_file() for p in _part_files(out, before["part"]))):
                entries[key] = before
                reused.append(clinic.pk)
            else:
                entries[key] = _build_part(out, clinic, prints[clinic.pk])
                rebuilt.append(clinic.pk)
            if progress:
                progress(done, len(clinics))
        removed = sorted(int(k) for k in old.get("clinics", {}) if k not in entries)
        rows = _combine(out, entries, unchanged=entries == old.get("clinics"))
        _write_json(out / MANIFEST, {
            "format": _format(),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": rows,
            "clinics": entries,
        })
        _remove_stale(out, entries)
    return {"out": str(out), "rows": rows, "rebuilt": rebuilt, "reused": reused,
            "removed": removed}
