"""With the database unreachable, a real server answers /health with 503 and a patient's
self-report link with the calm error page that keeps the crisis text (issue 15, item 6).
No mocks: `ketacare serve` is started against a database that cannot be opened."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from bench.load.harness import ROOT, free_port, ketacare_bin

DEFAULT_CRISIS = "988"


def get(port: int, path: str) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read().decode(), dict(response.getheaders())


@pytest.mark.parametrize("url", [
    "postgres://postgres@127.0.0.1:1/nothing_listens_here",
    "sqlite:///{tmp}",  # a directory: SQLite cannot open it as a database
])
def test_health_and_patient_page_with_the_database_down(tmp_path: Path, url: str) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url.format(tmp=tmp_path),
           "KETACARE_VAR_DIR": str(tmp_path / "var"), "KETACARE_LOG_LEVEL": "CRITICAL",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([ketacare_bin(), "serve", "--port", str(port), "--workers", "1"],
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body, _ = get(port, "/health")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        assert status == 503
        assert '"database": "unreachable"' in body
        status, body, headers = get(port, "/r/" + "x" * 43 + "/")
        assert status == 503
        assert "Something went wrong on our side" in body
        assert DEFAULT_CRISIS in body and "Server Error" not in body
        assert headers["Cache-Control"] == "no-store"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
