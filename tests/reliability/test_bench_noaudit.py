"""The bench-only server without audit writes (bench/load/noaudit.py) cannot be started by
accident: it needs the harness's confirmation and one of the harness's own databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.load.harness import NO_AUDIT_CONFIRM
from bench.load.noaudit import refusal

ROOT = Path(__file__).resolve().parents[2]


def test_refuses_without_the_harness_confirmation() -> None:
    assert "KETACARE_BENCH_NO_AUDIT" in refusal(
        {"DATABASE_URL": "postgres://u@h/ketacare_load_1_2"}, "ketacare_load")


def test_refuses_a_database_the_harness_did_not_create() -> None:
    for url in ("postgres://ketacare@db:5432/ketacare", "sqlite:///var/ketacare.sqlite3",
                "postgres://u@h/ketacare_loadx"):
        assert "not a database" in refusal(
            {"KETACARE_BENCH_NO_AUDIT": NO_AUDIT_CONFIRM, "DATABASE_URL": url},
            "ketacare_load")


def test_accepts_the_harness_throwaway_databases() -> None:
    for url in ("postgres://u@127.0.0.1:5432/ketacare_load_41_5000",
                "sqlite:////tmp/ketacare-load-abc/load.sqlite3"):
        assert refusal({"KETACARE_BENCH_NO_AUDIT": NO_AUDIT_CONFIRM, "DATABASE_URL": url},
                       "ketacare_load") == ""


def test_the_command_exits_2_when_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.load.noaudit", "--port", "1"],
                          cwd=ROOT, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "refuses to start" in done.stderr
