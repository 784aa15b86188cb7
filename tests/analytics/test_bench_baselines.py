"""The benchmark's baselines compute what the engine computes: DuckDB (the report's
engine), expert pandas and Polars return identical count tables on a synthetic registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ketacare.analytics.run import counts_on
from ketacare.analytics.synth import synthesise

BENCH = Path(__file__).resolve().parents[2] / "bench" / "analytics"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("registry")
    synthesise(data, 3000, 7, 11)
    return data


@pytest.fixture(scope="module", autouse=True)
def _bench_on_path() -> None:
    sys.path.insert(0, str(BENCH))


def test_expert_pandas_equals_duckdb(registry: Path) -> None:
    from pandas_baseline import counts_pandas

    duck = counts_on("duckdb", registry)
    assert counts_pandas(registry) == duck
    assert duck["summary"] and duck["sessions"] and duck["km"] and duck["retention"]


def test_polars_equals_duckdb(registry: Path) -> None:
    from polars_baseline import counts_polars

    assert counts_polars(registry) == counts_on("duckdb", registry)
