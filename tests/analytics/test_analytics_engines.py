"""One synthetic registry through DuckDB, PostgreSQL and Spark: identical counts and report.

PostgreSQL is the machine's server (KETACARE_ANALYTICS_PG_URL, default
postgresql://postgres@127.0.0.1:5432/ketacare_analytics); the tables go into a schema of
their own that is dropped afterwards. Spark runs in local mode (Java 17 on the machine).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ketacare.analytics.engines import pg_url
from ketacare.analytics.report import build_report
from ketacare.analytics.run import counts_on
from ketacare.analytics.synth import synthesise


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("registry")
    synthesise(out, patients=400, clinics=4, seed=11)
    return out


@pytest.fixture(scope="module")
def duckdb_counts(registry: Path) -> dict[str, Any]:
    return counts_on("duckdb", registry)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = f"kc_engines_test_{os.getpid()}"
    yield schema
    with psycopg.connect(pg_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_synthetic_registry_has_every_outcome(duckdb_counts: dict[str, Any]) -> None:
    rows = {(r["instrument"], r["condition"]): r for r in build_report(duckdb_counts)}
    assert {"phq9", "gad7", "pcl5"} <= {i for i, _ in rows}
    phq9 = rows[("phq9", "all")]
    assert phq9["n_clinical_range"] > 300
    assert phq9["post_induction_response"]["k"] > 0
    assert phq9["rapid_response"]["k"] > 0
    assert phq9["km"] and phq9["median_sessions_to_response"] is not None


def test_postgres_agrees_with_duckdb(
    registry: Path, duckdb_counts: dict[str, Any], pg_schema: str
) -> None:
    assert counts_on("postgres", registry, pg_url(), pg_schema) == duckdb_counts


def test_spark_agrees_with_duckdb(registry: Path, duckdb_counts: dict[str, Any]) -> None:
    spark = counts_on("spark", registry)
    assert spark == duckdb_counts
    assert build_report(spark) == build_report(duckdb_counts)
