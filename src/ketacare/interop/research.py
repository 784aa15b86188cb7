"""De-identified research export (HIPAA Safe Harbor style) in the registry schema of
`ketacare.analytics.schema` with dates replaced, plus a REDCap data dictionary and records
file and a manifest.

What is removed or changed (45 CFR 164.514(b)(2), the 18 identifiers):
- names, MRNs, contact details, escort details, free text, record ids: never read into the
  export; every id is a fresh opaque integer, different in each export;
- dates: no timestamp leaves. By default (`relative`) every event is a whole number of days
  from the patient's index day (the day of the first session, or of the first event for a
  patient without one), in the clinic's zone. Opt-in (`shifted`): calendar dates moved by a
  per-patient number of days (1..182 either way) that is a keyed HMAC of the patient's
  internal id under an installation secret, so repeated exports give the same dates and
  cannot be averaged towards the true ones. Vitals keep whole minutes after the dose;
- age: only a birth year, and for anyone 90 or older at export the birth year of a
  90-year-old (Safe Harbor aggregates ages over 89);
- geography: no patient address or ZIP is stored by KetaCare, so there is no 3-digit ZIP
  to apply the population rule to; the clinic's address is not exported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings
from django.utils.crypto import salted_hmac

from ketacare.accounts.models import Clinic
from ketacare.analytics.registry import registry_with_ids
from ketacare.analytics.schema import SCHEMAS, TABLES

MAX_SHIFT_DAYS = 182
DateMode = Literal["relative", "shifted"]
DATE_MODES: tuple[DateMode, ...] = ("relative", "shifted")


# --- dates for an export -------------------------------------------------------------------

# Each registry timestamp and the column that replaces it: `<stem>_day` (relative) or
# `<stem>_date` (shifted).
DATE_COLUMNS = {("courses", "started_at"): "start", ("sessions", "started_at"): "start",
                ("assessments", "completed_at"): "completed",
                ("vitals", "measured_at"): "measured"}


def shift_days(patient_id: uuid.UUID) -> int:
    """The patient's stable shift, 1..182 days either way: an HMAC of the internal id under
    KETACARE_EXPORT_SHIFT_KEY (or, unset, the installation's secret key)."""
    mac = salted_hmac("ketacare.research.date-shift", str(patient_id),
                      secret=settings.KETACARE_EXPORT_SHIFT_KEY or None, algorithm="sha256")
    n = int.from_bytes(mac.digest()[:8], "big") % (2 * MAX_SHIFT_DAYS)
    return n - MAX_SHIFT_DAYS if n < MAX_SHIFT_DAYS else n - MAX_SHIFT_DAYS + 1


def _day(table: str, moment: datetime, zone: ZoneInfo) -> date:
    # A course's start is a calendar date stored as noon UTC; events are instants.
    return moment.date() if table == "courses" else moment.astimezone(zone).date()


def export_tables(clinic: Clinic, dates: DateMode = "relative") -> dict[str, pa.Table]:
    """The registry tables with every timestamp replaced by whole days from the patient's
    index day (`relative`) or by a stably shifted date (`shifted`); vitals get whole minutes
    after the session's dose instead of a time."""
    tables, internal = registry_with_ids(clinic, clinic_id=1, first_id=1, courses=None)
    rows = {name: table.to_pylist() for name, table in tables.items()}
    zone = clinic.zone
    doses = {r["session_id"]: r["started_at"] for r in rows["sessions"]}
    for v in rows["vitals"]:
        v["minutes_after_dose"] = int((v["measured_at"] - doses[v["session_id"]])
                                      .total_seconds() // 60)
    index: dict[int, date] = {}
    for r in sorted(rows["sessions"], key=lambda r: r["started_at"]):
        index.setdefault(r["patient_id"], _day("sessions", r["started_at"], zone))
    dosed = set(index)
    for table, column in DATE_COLUMNS:  # no session: the day of the first event
        for r in rows[table]:
            if r["patient_id"] not in dosed:
                day = _day(table, r[column], zone)
                index[r["patient_id"]] = min(index.get(r["patient_id"], day), day)
    schemas = {}
    for name in TABLES:
        schema = SCHEMAS[name]
        for (table, column), stem in DATE_COLUMNS.items():
            if table != name:
                continue
            at = schema.get_field_index(column)
            if dates == "relative":
                schema = schema.set(at, pa.field(f"{stem}_day", pa.int32()))
            else:
                schema = schema.set(at, pa.field(f"{stem}_date", pa.date32()))
            for r in rows[name]:
                day = _day(name, r.pop(column), zone)
                pid = r["patient_id"]
                if dates == "relative":
                    r[f"{stem}_day"] = (day - index[pid]).days
                else:
                    r[f"{stem}_date"] = day + timedelta(days=shift_days(internal[pid]))
        if name == "vitals":
            schema = schema.append(pa.field("minutes_after_dose", pa.int32()))
        schemas[name] = schema
    return {name: pa.Table.from_pylist(rows[name], schema=schemas[name]) for name in TABLES}


# --- REDCap ------------------------------------------------------------------------------

DICTIONARY_HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min",
    "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)",
    "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
]
DICTIONARY = [
    ("record_id", "participant", "text", "Record ID", "", "", ""),
    ("birth_year", "participant", "text", "Birth year (90+ aggregated)", "", "integer", ""),
    ("sex", "participant", "dropdown", "Sex at birth", "F, Female | M, Male | X, Other or "
     "unknown", "", ""),
    ("primary_condition", "participant", "dropdown", "Primary condition",
     "depression, Depression | ptsd, PTSD | anxiety, Anxiety", "", ""),
    ("instrument", "assessment", "dropdown", "Instrument",
     "phq9, PHQ-9 | gad7, GAD-7 | pcl5, PCL-5 | qids-sr16, QIDS-SR16 | madrs, MADRS", "", ""),
    ("total", "assessment", "text", "Total score", "", "integer", ""),
]
REDCAP_DATE = {
    "relative": ("assessment_day", "assessment", "text",
                 "Days from the participant's first session (day 0)", "", "integer", ""),
    "shifted": ("assessment_date", "assessment", "text", "Date (shifted per participant)",
                "", "date_ymd", ""),
}


def _redcap(tables: dict[str, pa.Table], out: Path, dates: DateMode) -> list[Path]:
    dictionary = out / "redcap_data_dictionary.csv"
    fields = [*DICTIONARY[:-1], REDCAP_DATE[dates], DICTIONARY[-1]]
    date_field = REDCAP_DATE[dates][0]
    date_column = "completed_day" if dates == "relative" else "completed_date"
    with dictionary.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(DICTIONARY_HEADER)
        for name, form, kind, label, choices, validation, note in fields:
            writer.writerow([name, form, "", kind, label, choices, note, validation] +
                            [""] * (len(DICTIONARY_HEADER) - 8))
    records = out / "redcap_records.csv"
    # Flat import format; assessments are a repeating instrument of the participant.
    header = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance", "birth_year",
              "sex", "primary_condition", "instrument", date_field, "total"]
    instances: dict[int, int] = {}
    with records.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for p in tables["patients"].to_pylist():
            writer.writerow([p["patient_id"], "", "", p["birth_year"], p["sex"],
                             p["primary_condition"] or "", "", "", ""])
        for a in tables["assessments"].to_pylist():
            n = instances[a["patient_id"]] = instances.get(a["patient_id"], 0) + 1
            writer.writerow([a["patient_id"], "assessment", n, "", "", "", a["instrument"],
                             str(a[date_column]), a["total"]])
    return [dictionary, records]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


METHOD = {
    "relative": "HIPAA Safe Harbor: identifiers removed, no dates (whole days from each "
                "patient's first session), ages 90+ aggregated (see docs/research-export.md)",
    "shifted": "identifiers removed, dates shifted by a stable per-patient number of days "
               "(not Safe Harbor: dates remain), ages 90+ aggregated "
               "(see docs/research-export.md)",
}


def export(clinic: Clinic, out: Path, *, dates: DateMode = "relative") -> dict[str, Any]:
    """Write Parquet + CSV per table, the REDCap files and manifest.json; return the
    manifest. Refuses a non-empty directory so an old export is never mixed in."""
    if dates not in DATE_MODES:
        raise ValueError(f"dates must be one of {', '.join(DATE_MODES)}, got {dates!r}")
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise ValueError(f"{out} is not empty; choose a new directory for each export")
    tables = export_tables(clinic, dates)
    files: list[Path] = []
    for name, table in tables.items():
        pq.write_table(table, out / f"{name}.parquet")
        flat = table.drop_columns(["items"]) if name == "assessments" else table
        if name == "assessments":
            flat = flat.append_column("items", pa.array(
                [" ".join(map(str, v)) for v in table.column("items").to_pylist()]))
        pacsv.write_csv(flat, out / f"{name}.csv")
        files += [out / f"{name}.parquet", out / f"{name}.csv"]
    files += _redcap(tables, out, dates)
    manifest = {
        # The day of the export only: a time of day would be one more linkable value.
        "generated_on": datetime.now(UTC).date().isoformat(),
        "dates": dates,
        "method": METHOD[dates],
        "rows": {name: table.num_rows for name, table in tables.items()},
        "files": [{"name": f.name, "sha256": _sha256(f), "bytes": f.stat().st_size}
                  for f in files],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
