"""The benchmark script runs end to end on a tiny registry (the figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "analytics" / "report.py"


def test_bench_smoke() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--patients", "300", "--spark-patients", "0",
         "--repeat", "2"],
        capture_output=True,
        text=True,
        timeout=600,  # six fresh processes (3 engines x 2 runs), each importing its engine
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["rows"]["patients"] == 300
    assert out["pandas"]["same_counts_as_duckdb"] is True
    assert out["polars"]["same_counts_as_duckdb"] is True
    assert out["pandas"]["scaled"] is False and out["duckdb"]["seconds"] > 0
    assert len(out["duckdb"]["runs"]) == 2 and out["duckdb"]["seconds"] == min(
        out["duckdb"]["runs"])
