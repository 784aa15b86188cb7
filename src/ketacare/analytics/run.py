"""Run the report on a named engine and wrap it with its provenance."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import definitions as d
from .engines import (
    duckdb_registry,
    load_into_postgres,
    pg_url,
    postgres_registry,
    spark_registry,
)
from .report import build_report, build_retention, engine_counts


def counts_on(
    engine: str, data: Path | None, url: str | None = None, schema: str = "ketacare_registry",
    as_of_s: int | None = None, *, live: bool = False,
) -> dict[str, Any]:
    """`live`: the app's own PostgreSQL database instead of a registry (engine postgres)."""
    if live:
        from .live import live_registry  # Django models: only where Django is set up

        assert engine == "postgres" and data is None
        with live_registry() as reg:
            return engine_counts(reg, as_of_s)
    if engine == "duckdb":
        assert data is not None
        with duckdb_registry(data) as reg:
            return engine_counts(reg, as_of_s)
    if engine == "postgres":
        url = url or pg_url()
        if data is not None:
            load_into_postgres(data, url, schema)
        with postgres_registry(url, schema) as reg:
            return engine_counts(reg, as_of_s)
    if engine == "spark":
        assert data is not None
        with spark_registry(data) as reg:
            return engine_counts(reg, as_of_s)
    raise ValueError(engine)


def run_report(
    engine: str, data: Path | None, url: str | None = None, schema: str = "ketacare_registry",
    as_of_s: int | None = None, *, live: bool = False,
) -> dict[str, Any]:
    """The report; `as_of_s` is the data's end (default: its latest session; live: now)."""
    if live and as_of_s is None:
        as_of_s = int(time.time())
    counts = counts_on(engine, data, url, schema, as_of_s, live=live)
    return {
        "engine": engine,
        "source": "the app's database (live)" if live else str(data or schema),
        "data_until": datetime.fromtimestamp(counts["as_of_s"], UTC).isoformat(),
        "definitions": {
            "unit": "patient x instrument, index course (the one holding the first session)",
            "baseline": "latest assessment at or before the first session, <= 30 days old",
            "rapid_response": ">= 50% reduction on the first assessment 12-36 h after t0",
            "post_induction": "latest assessment on elapsed day 14-31 after t0",
            "clinical_range_min": d.clinical_range_min(),
            "rates": "k / n with 95% Wilson interval; n = patients in clinical range with an "
            "assessment in the window",
            "dropout": f"< {d.DROPOUT_SESSIONS} sessions in the index course, among courses "
            f"started >= {d.DROPOUT_FOLLOW_UP_S // d.DAY} days before the data's end",
            "sustained": "post-induction responders still responding on the latest assessment "
            "within 7 days of 4 (8) weeks after the post-induction assessment",
            "km": "time to first response in whole days; censored at the last assessment",
            "retention": "index courses reaching session k, among courses started >= "
            f"{d.DROPOUT_FOLLOW_UP_S // d.DAY} days before the data's end",
        },
        "rows": build_report(counts),
        "retention": build_retention(counts["retention"]),
    }
