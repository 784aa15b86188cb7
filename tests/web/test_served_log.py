"""A real `ketacare serve` process: its responses close their connections, a worker whose
threads are all busy leaves new connections to the other worker, and its access log and
Django's request log, read back, name the objects its worker froze at start-up and hold no
secret from a path: no self-report link token (/r/), no patient link token (/p/, intake,
consent and aftercare) and no set-password token, only the redacted form
/r/#<6 hash chars>."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

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
from django.contrib.auth.models import User
from ketacare.accounts.invites import set_password_link
from ketacare.consent import links
print(links.issue(patient, "intake", created_by=None)[1])
print(set_password_link(User.objects.create(username="newcomer")).split("/", 3)[3])
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


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "KETACARE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "ketacare.config.settings",
            "KETACARE_SECRET_KEY": "served-log-test-" + "x" * 40}


@contextmanager
def _serving(env: dict[str, str], out: IO[str], *options: str) -> Iterator[int]:
    """`ketacare serve` on a free port with `options`, answering /health; yields the port."""
    port = _free_port()
    server = subprocess.Popen([KETACARE, "serve", "--port", str(port), *options],
                              env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                if _get(f"http://127.0.0.1:{port}/health") == 200:
                    break
            except OSError:
                time.sleep(0.5)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_redact_keeps_the_hash_prefix_only() -> None:
    token = "A" * 43
    assert redact(f"GET /r/{token}/submit HTTP/1.1") == (
        f"GET /r/#{digest(token)[:6]}/submit HTTP/1.1")
    assert redact("/patients/") == "/patients/"
    assert redact(f"GET /p/{token}/intake HTTP/1.1") == (
        f"GET /p/#{digest(token)[:6]}/intake HTTP/1.1")
    reset = "ct4j5a-0123456789abcdef0123456789abcdef"
    assert redact(f"/accounts/set-password/MQ/{reset}/") == (
        f"/accounts/set-password/MQ/#{digest(reset)[:6]}/")
    # What Django redirects to once the token is in the session: nothing secret to hide.
    assert redact("/accounts/set-password/MQ/set-password/") == (
        "/accounts/set-password/MQ/set-password/")
    assert redact("/accounts/set-password/done/") == "/accounts/set-password/done/"
    assert redact("/set-password/MQ/set-passwordX/") == f"/set-password/MQ/#{digest('set-passwordX')[:6]}/"


def test_served_requests_leave_no_token_in_any_log(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([KETACARE, "migrate", "-v0"], env=env, check=True, timeout=120)
    made = subprocess.run([sys.executable, "-c", MAKE_LINK], env=env, check=True,
                          timeout=60, capture_output=True, text=True).stdout.split()
    token, patient_token, reset_path = made
    assert len(token) == len(patient_token) == 43
    reset_token = reset_path.rstrip("/").rsplit("/", 1)[1]
    log = tmp_path / "serve.log"
    with log.open("w") as out, _serving(env, out, "--workers", "1") as port:
        base = f"http://127.0.0.1:{port}"
        # Each response closes its connection (keep-alive would pin a client to the
        # worker that accepted it: serve.py), and the client's next request opens one.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(2):
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("Connection") == "close" and response.will_close
        conn.close()
        assert _get(f"{base}/r/{token}/") == 200  # the questionnaire itself
        assert _get(f"{base}/r/{token}/no-such-page") == 404  # Django logs "Not Found"
        assert _get(f"{base}/p/{patient_token}/") == 200  # the intake form
        assert _get(f"{base}/p/{patient_token}/no-such-page") == 404
        assert _get(f"{base}/{reset_path}") == 200  # followed: token kept in the session
    text = log.read_text()
    short = digest(token)[:6]
    for secret in (token, patient_token, reset_token):
        assert secret not in text
    assert f'"GET /r/#{short}/" 200' in text  # gunicorn's access line, redacted
    assert f"Not Found: /r/#{short}/no-such-page" in text  # Django's request log, redacted
    assert f'"GET /p/#{digest(patient_token)[:6]}/" 200' in text
    assert f"Not Found: /p/#{digest(patient_token)[:6]}/no-such-page" in text
    assert f"/set-password/{reset_path.split('/')[2]}/#{digest(reset_token)[:6]}/" in text
    # The worker froze what it loaded before serving (serve.freeze_loaded_objects).
    frozen = re.search(r"Worker \d+: (\d+) objects loaded at start-up frozen", text)
    assert frozen and int(frozen[1]) > 20_000, text[:2000]


def test_a_worker_with_every_thread_busy_leaves_new_connections_to_the_other(
        tmp_path: Path) -> None:
    """Two threaded workers of one thread each; a client holds one worker's thread by
    sending half a request. Every further request is answered by the other worker at
    once: the busy worker stops accepting (gunicorn's `worker_connections` = threads).
    With gunicorn's default (1,000) the busy worker went on accepting, and a request it
    took waited behind the half-sent one until the client's 3 s timeout."""
    env = _env(tmp_path)
    subprocess.run([KETACARE, "migrate", "-v0"], env=env, check=True, timeout=120)
    with (tmp_path / "serve.log").open("w") as out, _serving(
            env, out, "--workers", "2", "--threads", "1") as port:
        slow = socket.create_connection(("127.0.0.1", port), timeout=30)
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line yet
        time.sleep(1)  # accepted, its thread waiting for the rest of the headers
        answered = []
        for _ in range(12):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
            conn.request("GET", "/health")
            answered.append(conn.getresponse().status)
            conn.close()
        assert answered == [200] * 12
        slow.sendall(b"\r\n")  # the held request completes once its headers do
        assert slow.recv(100).startswith(b"HTTP/1.1 200")
        slow.close()


def test_serve_refuses_no_threads(tmp_path: Path) -> None:
    done = subprocess.run([KETACARE, "serve", "--threads", "0"], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "--threads must be at least 1, got 0" in done.stderr


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
