"""Start-up of the Django commands: the URL configuration (imported by the system checks
and by any reverse()) must not load the analytics stack, the chart renderer or the PDF
library; they are imported by the code that uses them. `ketacare selfreport send-due` runs
from cron every few minutes: it is run here for real, on a fresh database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ["altair", "duckdb", "fpdf", "ibis", "pandas", "polars", "pyarrow", "vl_convert"]

REPORT = f"import json, sys; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"

CHECKS = f"""
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
import django
django.setup()
from django.core import checks
from django.core.management import get_commands, load_command_class
from django.urls import get_resolver
get_resolver().reverse_dict  # what any reverse() does: imports every URL module
checks.run_checks()  # what every command runs first (includes the URL checks)
for name, app in get_commands().items():
    if name not in {{"analytics", "synth", "export"}}:  # these need the analytics stack
        load_command_class(app, name)
{REPORT}
"""


def _run(code: str, *args: str, env: dict[str, str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "KETACARE_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # a fresh SQLite database under tmp_path
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_url_configuration_and_commands_load_no_heavy_library(tmp_path: Path) -> None:
    assert _run(CHECKS, env=_env(tmp_path)) == []


def test_send_due_loads_no_heavy_library(tmp_path: Path) -> None:
    env = _env(tmp_path)
    command = ("import sys; from ketacare.cli import main; main(sys.argv[1:]); " + REPORT)
    _run(command, "migrate", "-v0", env=env)
    assert _run(command, "selfreport", "send-due", "--dry-run", env=env) == []
