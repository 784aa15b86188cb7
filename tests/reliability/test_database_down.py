"""With the database unreachable, a real server answers /health with 503 and a patient's
self-report link with the calm error page that keeps the crisis text (issue 15, item 6).
No mocks: `ketacare serve` is started against a database that cannot be opened."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.load.harness import ROOT, free_port, ketacare_bin

DEFAULT_CRISIS = "988"
POSTGRES_DOWN = "postgres://postgres@127.0.0.1:1/nothing_listens_here"
SQLITE_DOWN = "sqlite:///{tmp}"  # a directory: SQLite cannot open it as a database
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())


def get(port: int, path: str) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read().decode(), dict(response.getheaders())


@contextlib.contextmanager
def server_without_database(tmp_path: Path, url: str) -> Iterator[int]:
    """`ketacare serve` on a database it cannot open; yields its port once it answers."""
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
                get(port, "/health")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.parametrize("url", [POSTGRES_DOWN, SQLITE_DOWN])
def test_health_and_patient_page_with_the_database_down(tmp_path: Path, url: str) -> None:
    with server_without_database(tmp_path, url) as port:
        status, body, _ = get(port, "/health")
        assert status == 503
        assert '"database": "unreachable"' in body
        status, body, headers = get(port, "/r/" + "x" * 43 + "/")
        assert status == 503
        assert "Something went wrong on our side" in body
        assert DEFAULT_CRISIS in body and "Server Error" not in body
        assert headers["Cache-Control"] == "no-store"


@pytest.mark.browser
def test_the_error_page_on_a_phone(tmp_path: Path, chromium) -> None:  # type: ignore[no-untyped-def]
    with server_without_database(tmp_path, SQLITE_DOWN) as port:
        context = chromium.new_context(viewport={"width": 390, "height": 844},
                                       device_scale_factor=2, is_mobile=True)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/r/{'x' * 43}/")
        assert "988" in page.locator(".sr-crisis").inner_text()
        page.screenshot(path=f"{SHOTS}/selfreport-error-page.png")
        context.close()
