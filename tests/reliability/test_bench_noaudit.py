"""The bench-only server without audit writes (bench/load/noaudit.py) cannot be started by
accident: it needs the harness's confirmation and one of the harness's own databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bench.load.harness import NO_AUDIT_CONFIRM
from bench.load.noaudit import refusal, switch_off

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


@pytest.mark.django_db
def test_switched_off_audit_writes_nothing(monkeypatch: pytest.MonkeyPatch, clinic_a,
                                           patient_a) -> None:
    """The baseline must really skip the write: after the bulk-write merge it patched a
    function nothing called any more and its 'no audit' run wrote 3,621 entries."""
    from ketacare.audit import log
    from ketacare.audit.models import AuditEvent

    monkeypatch.setattr(log, "write", log.write)  # restored after the test
    before = AuditEvent.objects.count()
    switch_off(log)
    log.record("view", clinic_id=clinic_a.pk, patient_id=patient_a.pk, object_type="patient",
               object_id=str(patient_a.pk))
    assert AuditEvent.objects.count() == before
