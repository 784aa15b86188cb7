"""Open the registry tables on an engine: DuckDB over Parquet, PostgreSQL, or Spark.

The definitions never see which engine holds the data; each opener returns Ibis tables.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .definitions import Registry
from .schema import table_path

ENGINES = ("duckdb", "postgres", "spark")
USED = ("patients", "courses", "sessions", "assessments")
# Columns the report reads; `items` stays in Parquet (PostgreSQL gets it too via load).
COLUMNS = {
    "patients": ["patient_id", "primary_condition"],
    "courses": ["course_id", "patient_id"],
    "sessions": ["session_id", "course_id", "patient_id", "started_at"],
    "assessments": ["patient_id", "instrument", "completed_at", "total"],
}
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/ketacare_analytics"


EPOCH_COLUMNS = {
    "sessions": ("started_at", "started_s"),
    "assessments": ("completed_at", "completed_s"),
}


def with_epoch_seconds(tables: dict[str, Any]) -> dict[str, Any]:
    """Add the integer epoch-second columns with Ibis's portable `epoch_seconds`."""
    out = dict(tables)
    for name, (ts, col) in EPOCH_COLUMNS.items():
        out[name] = out[name].mutate(**{col: out[name][ts].epoch_seconds().cast("int64")})
    return out


def _duckdb_table(con: Any, data: Path, name: str) -> Any:
    path = str(table_path(data, name)).replace("'", "''")
    extra = ""
    if name in EPOCH_COLUMNS:
        ts, col = EPOCH_COLUMNS[name]
        # epoch_us on TIMESTAMPTZ is a plain integer read; Ibis's epoch_seconds casts to
        # TIMESTAMP first, a per-row time-zone conversion that tripled the report's time.
        extra = f", epoch_us({ts}) // 1000000 AS {col}"
    view = f"kc_{name}"
    # Our own table names and a quoted path: no user SQL reaches this string.
    con.raw_sql(f"CREATE VIEW {view} AS SELECT *{extra} FROM read_parquet('{path}')")  # noqa: S608
    return con.table(view)


def registry_on(tables: dict[str, Any], con: Any = None) -> Registry:
    """A Registry of `tables` (Ibis expressions) whose intermediate results are stored as
    temporary tables on `con` (none: computed inline)."""
    if con is None:
        return Registry(**{name: tables[name] for name in USED})

    def materialize(expr: Any) -> Any:
        # ibis's own .cache() drops its table with SQL that this sqlglot renders wrongly.
        return con.create_table(f"kc_tmp_{uuid.uuid4().hex}", expr, temp=True)

    return Registry(**{name: tables[name] for name in USED}, materialize=materialize)


@contextmanager
def duckdb_registry(data: Path, threads: int | None = None) -> Iterator[Registry]:
    con = ibis.duckdb.connect(**({"threads": threads} if threads else {}))
    con.raw_sql("SET TimeZone = 'UTC'")
    con.raw_sql("SET enable_progress_bar = false")  # it would print into the JSON/CSV
    con.raw_sql("SET preserve_insertion_order = false")  # no query here needs row order
    try:
        yield registry_on({n: _duckdb_table(con, data, n) for n in USED}, con)
    finally:
        con.disconnect()


def pg_url() -> str:
    return os.environ.get("KETACARE_ANALYTICS_PG_URL", DEFAULT_PG_URL)


def _pg_connect(url: str) -> Any:
    return ibis.connect(url.replace("postgresql://", "postgres://", 1))


PG_TYPES = {
    "int64": "bigint",
    "int32": "integer",
    "int16": "smallint",
    "string": "text",
    "timestamp[us, tz=UTC]": "timestamptz",
}


def load_into_postgres(data: Path, url: str, schema: str) -> None:
    """Copy the Parquet columns the report reads into `schema` (tables replaced), via COPY."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for name in USED:
            table = pq.read_table(table_path(data, name), columns=COLUMNS[name])
            ident = sql.Identifier(schema, name)
            cols = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(PG_TYPES[str(f.type)]))
                for f in table.schema
            )
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, cols))
            buf = io.BytesIO()
            pacsv.write_csv(table, buf)
            with conn.cursor().copy(
                sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, HEADER true)").format(ident)
            ) as copy:
                copy.write(buf.getvalue())
            conn.execute(sql.SQL("ANALYZE {}").format(ident))


def postgres_settings(con: Any) -> None:
    """Session settings for the report's whole-table aggregates on PostgreSQL."""
    con.raw_sql("SET TIME ZONE 'UTC'")
    # The planner underestimates rows after the GROUP BYs and picks nested loops that take
    # minutes; hash joins are right for these whole-table aggregates.
    con.raw_sql("SET enable_nestloop = off")
    con.raw_sql("SET work_mem = '256MB'")


@contextmanager
def postgres_registry(url: str, schema: str = "public") -> Iterator[Registry]:
    con = _pg_connect(url)
    try:
        postgres_settings(con)
        yield registry_on(with_epoch_seconds({n: con.table(n, database=schema) for n in USED}),
                          con)
    finally:
        con.disconnect()


def spark_session(master: str | None = None) -> Any:
    from pyspark.sql import SparkSession

    # py4j logs "Closing down clientserver connection" at exit, after stdout may be closed.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return (
        SparkSession.builder.master(master or os.environ.get("KETACARE_SPARK_MASTER", "local[2]"))
        .appName("ketacare-analytics")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("KETACARE_SPARK_PARTITIONS", "4"))
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


@contextmanager
def spark_registry(data: Path, master: str | None = None) -> Iterator[Registry]:
    session = spark_session(master)
    session.sparkContext.setLogLevel("ERROR")
    for name in USED:
        df = session.read.parquet(str(table_path(data, name))).select(*COLUMNS[name])
        df.createOrReplaceTempView(f"kc_{name}")
    con = ibis.pyspark.connect(session)

    def materialize(expr: Any) -> Any:
        name = f"kc_tmp_{uuid.uuid4().hex}"
        df = session.sql(str(con.compile(expr))).cache()
        df.createOrReplaceTempView(name)
        return con.table(name)

    try:
        tables = with_epoch_seconds({n: con.table(f"kc_{n}") for n in USED})
        yield Registry(**tables, materialize=materialize)
    finally:
        session.stop()
