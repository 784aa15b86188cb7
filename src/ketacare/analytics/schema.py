"""The registry schema: five Parquet tables, documented in docs/analytics.md.

Every timestamp is UTC (`timestamp[us, tz=UTC]`); ids are opaque integers that carry no
name, MRN or date of birth. The same schema is written by `ketacare synth` and by
`ketacare analytics snapshot`, and read by every engine.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "patients": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("clinic_id", pa.int32()),
            ("birth_year", pa.int16()),
            ("sex", pa.string()),  # "F" | "M" | "X"
            ("primary_condition", pa.string()),  # depression | ptsd | anxiety
        ]
    ),
    "courses": pa.schema(
        [
            ("course_id", pa.int64()),
            ("patient_id", pa.int64()),
            ("protocol", pa.string()),
            ("route", pa.string()),
            ("started_at", TS),
        ]
    ),
    "sessions": pa.schema(
        [
            ("session_id", pa.int64()),
            ("course_id", pa.int64()),
            ("patient_id", pa.int64()),
            ("number", pa.int16()),
            ("started_at", TS),
            ("route", pa.string()),
            ("drug", pa.string()),  # ketamine | esketamine
            ("dose_mg", pa.float64()),
            ("dose_mg_per_kg", pa.float64()),
        ]
    ),
    "assessments": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("instrument", pa.string()),  # phq9 | gad7 | pcl5 | qids-sr16 | madrs
            ("completed_at", TS),
            ("total", pa.int16()),
            ("items", pa.list_(pa.int8())),
        ]
    ),
    "vitals": pa.schema(
        [
            ("session_id", pa.int64()),
            ("patient_id", pa.int64()),
            ("measured_at", TS),
            ("systolic_mmhg", pa.int16()),
            ("diastolic_mmhg", pa.int16()),
            ("heart_rate_bpm", pa.int16()),
            ("spo2_pct", pa.int16()),
        ]
    ),
}

TABLES = tuple(SCHEMAS)
# How the registry's Parquet files are compressed: the snapshot a clinic's report reads and
# the synthetic registry the benchmark reads are written alike, so the benchmark measures
# the files a clinic has (pandas reads snappy files ~30% faster than zstd ones; DuckDB and
# Polars change much less).
COMPRESSION = "zstd"


def row_groups(table: pa.Table) -> list[pa.Table]:
    """How a registry table is cut into Parquet row groups: assessments one instrument at a
    time (the synthetic registry writes them so), because the report reads each outcome
    instrument's assessments apart and an engine then skips the other instruments' row
    groups by their statistics; every other table as pyarrow cuts it."""
    if "instrument" not in table.column_names or table.column("instrument").null_count:
        return [table]
    names = pc.unique(table.column("instrument")).to_pylist()
    return [table.filter(pc.equal(table.column("instrument"), name)) for name in names]


def write_table(table: pa.Table, path: Path) -> None:
    with pq.ParquetWriter(path, table.schema, compression=COMPRESSION) as writer:
        for group in row_groups(table):
            writer.write_table(group)


def table_path(directory: Path, name: str) -> Path:
    return directory / f"{name}.parquet"


def missing_tables(directory: Path) -> list[str]:
    return [name for name in TABLES if not table_path(directory, name).exists()]
