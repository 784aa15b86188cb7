"""A real `ketacare serve` process: its access log and Django's request log, read back,
hold no self-report link token, only the redacted form /r/#<6 hash chars>."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ketacare.selfreport.tokens import digest
from ketacare.web.log_redaction import redact

KETACARE = str(Path(sys.executable).with_name("ketacare"))
SRC = str(Path(__file__).resolve().parents[2] / "src")

MAKE_LINK = """
import django
django.setup()
from datetime import date, timedelta
from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient
from ketacare.selfreport import actions
clinic = Clinic.objects.create(name="Log Clinic", time_zone="UTC")
patient = Patient.objects.create(clinic=clinic, mrn="L-1", given_name="Lou", family_name="Log",
                                 date_of_birth=date(1980, 1, 1), sex_at_birth="female")
today = clinic.today()
req = actions.new_request(clinic, patient, "phq9", kind="manual", key="", opens=today,
                           closes=today + timedelta(days=3), source="manual")
print(actions.issue_link(req, "email"))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (http only)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_redact_keeps_the_hash_prefix_only() -> None:
    token = "A" * 43
    assert redact(f"GET /r/{token}/submit HTTP/1.1") == (
        f"GET /r/#{digest(token)[:6]}/submit HTTP/1.1")
    assert redact("/patients/") == "/patients/"


def test_served_requests_leave_no_token_in_any_log(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": SRC, "KETACARE_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "ketacare.config.settings",
           "KETACARE_SECRET_KEY": "served-log-test-" + "x" * 40}
    subprocess.run([KETACARE, "migrate", "-v0"], env=env, check=True, timeout=120)
    token = subprocess.run([sys.executable, "-c", MAKE_LINK], env=env, check=True,
                           timeout=60, capture_output=True, text=True).stdout.strip()
    assert len(token) == 43
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([KETACARE, "serve", "--port", str(port), "--workers", "1"],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    if _get(f"{base}/health") == 200:
                        break
                except OSError:
                    time.sleep(0.5)
            assert _get(f"{base}/r/{token}/") == 200  # the questionnaire itself
            assert _get(f"{base}/r/{token}/no-such-page") == 404  # Django logs "Not Found"
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    short = digest(token)[:6]
    assert token not in text
    assert f'"GET /r/#{short}/" 200' in text  # gunicorn's access line, redacted
    assert f"Not Found: /r/#{short}/no-such-page" in text  # Django's request log, redacted


def test_gunicorns_error_log_is_redacted_too() -> None:
    import logging

    from gunicorn.config import Config

    from ketacare.web.management.commands.serve import RedactingLogger

    token = "B" * 43
    log = RedactingLogger(Config())
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    log.error_log.addHandler(handler)
    try:
        log.error("Error handling request %s", f"/r/{token}/submit")
    finally:
        log.error_log.removeHandler(handler)
    assert seen == [f"Error handling request /r/#{digest(token)[:6]}/submit"]
