"""`ketacare analytics snapshot`: the registry tables from the app database, every clinic,
true dates (for the clinic's own analytics; the research export shifts them), no names,
MRNs or contact details: ids are fresh integers in each snapshot."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ketacare.accounts.models import Clinic
from ketacare.interop.research import build_tables

from .schema import SCHEMAS, TABLES, table_path

# Each clinic's ids start at a multiple of this, so clinics never share an id.
ID_BLOCK = 1_000_000_000


def snapshot(out: Path) -> dict[str, int]:
    """Write the five tables to `out` (created; existing tables replaced); row counts."""
    out.mkdir(parents=True, exist_ok=True)
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    for n, clinic in enumerate(Clinic.objects.order_by("pk")):
        tables = build_tables(clinic, shift_dates=False, clinic_id=clinic.pk,
                              first_id=n * ID_BLOCK + 1)
        for name, table in tables.items():
            parts[name].append(table)
    counts = {}
    for name in TABLES:
        table = (pa.concat_tables(parts[name]) if parts[name]
                 else SCHEMAS[name].empty_table())
        pq.write_table(table, table_path(out, name))
        counts[name] = table.num_rows
    return counts
