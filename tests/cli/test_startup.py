"""Start-up of the Django commands: the URL configuration (imported by the system checks
and by any reverse()) must not load the analytics stack, the chart renderer, the PDF
library, the pharmacokinetic simulator's numpy/scipy or the JSON API's django-ninja and
pydantic (interop/api_urls.py lists the API's routes; its views load the API on first use);
they are imported by the code that uses them. `ketacare selfreport send-due` runs from cron
every few minutes: it is run here for real, on a fresh database, with the other commands an
operator runs. The times these save are in docs/performance.md (bench/startup/run.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ["altair", "duckdb", "fpdf", "ibis", "ninja", "numpy", "pandas", "PIL", "polars",
         "pyarrow", "pydantic", "scipy", "segno", "vl_convert"]

REPORT = f"import json, sys; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"

CHECKS = f"""
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
import django
django.setup()
from django.core import checks
from django.core.management import get_commands, load_command_class
from django.urls import get_resolver, reverse
get_resolver().reverse_dict  # what any reverse() does: imports every URL module
reverse("api-v1:list_patients")  # the API's own routes too
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


@pytest.mark.parametrize("command", [["selfreport", "send-due", "--dry-run"], ["check"],
                                     ["migrate", "--check"]], ids=" ".join)
def test_commands_load_no_heavy_library(tmp_path: Path, command: list[str]) -> None:
    env = _env(tmp_path)
    # `ketacare check` exits 1 here (a development configuration): the report still prints.
    run = ("import sys\ntry:\n    from ketacare.cli import main; main(sys.argv[1:])\n"
           "except SystemExit:\n    pass\n" + REPORT)
    _run(run, "migrate", "-v0", env=env)
    assert _run(run, *command, env=env) == []
