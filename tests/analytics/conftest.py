"""Treatment fixtures for the dashboard tests, and the analytics PostgreSQL database."""

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ketacare.analytics.engines import pg_url
from tests.treatment.conftest import (  # noqa: F401  (fixtures re-exported)
    nurse,
    prescriber,
    ready_patient,
    stock,
)


@pytest.fixture(scope="session", autouse=True)
def analytics_database() -> Iterator[None]:
    """The postgres engine's database (KETACARE_ANALYTICS_PG_URL, by default
    ketacare_analytics on the machine's server): created if a fresh machine lacks it."""
    info = conninfo_to_dict(pg_url())
    name = str(info["dbname"])
    with psycopg.connect(make_conninfo(**{**info, "dbname": "postgres"}),
                         autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield
