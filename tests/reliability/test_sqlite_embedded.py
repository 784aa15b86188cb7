"""The embedded SQLite default under concurrent writers (issue 15, item 1): on a real
database file, 8 threads that each read and then write audit entries (what every audited
page does) all succeed. Before WAL + IMMEDIATE transactions + a busy timeout most of them
failed at once with "database is locked"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.load.harness import ROOT
from django.conf import settings

SCRIPT = """
import threading, django
django.setup()
from django.db import connection, connections
from ketacare.audit.log import record
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Patient
errors = []
def work(n):
    try:
        for i in range(15):
            list(Patient.objects.all()[:5])  # a read first, as a chart page does
            record("view", username=f"t{n}", detail={"i": i})
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()
threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
print(mode, AuditEvent.objects.count(), len(errors), errors[:1])
"""


def test_eight_concurrent_writers_on_the_embedded_default(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}",
           "KETACARE_VAR_DIR": str(tmp_path / "var"),
           "DJANGO_SETTINGS_MODULE": "ketacare.config.settings",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    ketacare = str(Path(sys.executable).with_name("ketacare"))
    subprocess.run([ketacare, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    assert done.stdout.split()[:3] == ["wal", "120", "0"], done.stdout + done.stderr


def test_database_settings() -> None:
    db = settings.DATABASES["default"]
    assert db["CONN_HEALTH_CHECKS"] is True
    if db["ENGINE"] == "ketacare.sqlite":
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert db["OPTIONS"]["timeout"] >= 20
