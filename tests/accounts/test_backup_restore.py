"""`ketacare backup` / `ketacare restore` round trip on SQLite and PostgreSQL, run as an
operator would (separate processes, real databases): the restored database verifies its
audit chain and serves (the admin's set-password link from before the backup works on
it, they sign in and see their clinic). Restore refuses a non-empty database and a file
of the wrong kind. And `ketacare check` lists what production still needs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

RUN = "from ketacare.cli import main; raise SystemExit(main())"
SERVE_CHECK = """
import django, sys
django.setup()
from django.test import Client
c = Client()
page = c.get(sys.argv[1], follow=True)
assert "Choose your password" in page.content.decode(), page.status_code
form = page.redirect_chain[-1][0]
pw = "restored-river-stone-42"
assert c.post(form, {"new_password1": pw, "new_password2": pw}).status_code == 302
assert c.post("/accounts/login/", {"username": "alex", "password": pw}).status_code == 302
home = c.get("/")
assert home.status_code == 200 and "Lakeside Clinic" in home.content.decode()
print("served")
"""


def ketacare(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN, *args], env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "KETACARE_VAR_DIR": str(tmp_path),
            "KETACARE_ALLOWED_HOSTS": "testserver", "DJANGO_SETTINGS_MODULE":
            "ketacare.config.settings"}


def _pg(command: str, name: str) -> None:
    subprocess.run([shutil.which(command) or command, "-h", "127.0.0.1", "-U", "postgres", name], check=True,
                   capture_output=True, timeout=60)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'live.sqlite3'}",
               f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "backup.sqlite3")
        return
    if shutil.which("createdb") is None:
        pytest.fail("PostgreSQL client tools are needed for the round trip")
    names = [f"ketacare_rt_{uuid.uuid4().hex[:8]}_{part}" for part in ("live", "restored")]
    for name in names:
        _pg("createdb", name)
    try:
        yield (*(f"postgres://postgres@127.0.0.1:5432/{n}" for n in names),
               tmp_path / "backup.dump")
    finally:
        for name in names:
            subprocess.run([shutil.which("dropdb") or "dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", name],
                           capture_output=True, timeout=60)


def test_backup_restore_round_trip(tmp_path, databases) -> None:
    live_url, restored_url, out = databases
    live, restored = _env(tmp_path, live_url), _env(tmp_path, restored_url)
    assert ketacare(live, "migrate", "-v0").returncode == 0
    setup = ketacare(live, "setup", "--clinic-name", "Lakeside Clinic", "--time-zone",
                     "America/Chicago", "--admin", "alex", "--admin-email", "a@example.org")
    assert setup.returncode == 0, setup.stderr
    link = re.search(r"http\S+(/accounts/set-password/\S+/)", setup.stdout)
    assert link

    made = ketacare(live, "backup", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert "OK: 1 entries, chain intact" in made.stdout
    again = ketacare(live, "backup", "--out", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr

    back = ketacare(restored, "restore", str(out))
    assert back.returncode == 0, back.stderr
    assert "OK: 1 entries, chain intact" in back.stdout
    served = subprocess.run([sys.executable, "-c", SERVE_CHECK, link.group(1)], env=restored,
                            capture_output=True, text=True, timeout=300)
    assert served.returncode == 0 and "served" in served.stdout, served.stderr

    # Never over existing data.
    twice = ketacare(restored, "restore", str(out))
    assert twice.returncode == 2
    assert twice.stderr.count("\n") == 1 and "is not empty" in twice.stderr


WRITER = """
import pathlib, sys, time, django
django.setup()
from ketacare.audit.log import record
from ketacare.audit.models import Action
stop, until = pathlib.Path(sys.argv[1]), time.monotonic() + 120
written = 0
while not stop.exists() and time.monotonic() < until:
    record(Action.CREATE, username="writer", object_type="load", object_id=str(written))
    written += 1
    if written == 1:
        print("writing", flush=True)
print(written, flush=True)
"""


def test_sqlite_backup_while_another_process_writes(tmp_path) -> None:
    """"Safe while serving": the backup (SQLite's online backup API) taken while another
    process appends audit entries is a consistent database: the restored copy's chain
    verifies, and it holds some of the entries written during the backup, not all."""
    live = _env(tmp_path, f"sqlite:///{tmp_path / 'live.sqlite3'}")
    restored = _env(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    out = tmp_path / "backup.sqlite3"
    assert ketacare(live, "migrate", "-v0").returncode == 0
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop)], env=live,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        made = ketacare(live, "backup", "--out", str(out))
        still_writing = writer.poll() is None
        stop.touch()
        written = int(writer.communicate(timeout=120)[0].strip())
    finally:
        writer.kill()
    assert made.returncode == 0, made.stderr
    assert still_writing, "the writer stopped before the backup ended"
    back = ketacare(restored, "restore", str(out))
    assert back.returncode == 0, back.stderr
    saved = int(re.search(r"OK: (\d+) entries, chain intact", back.stdout).group(1))
    assert 1 <= saved < written


def test_restore_refuses_a_file_of_the_wrong_kind(tmp_path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = ketacare(env, "restore", str(bogus))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: restore: {bogus} is not an SQLite backup (this "
                                     "installation uses SQLite)")


def test_check_lists_what_production_needs(tmp_path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'c.sqlite3'}")
    for name in ("KETACARE_SECRET_KEY", "KETACARE_BASE_URL", "KETACARE_SECURE_COOKIES",
                 "KETACARE_EMAIL_BACKEND", "KETACARE_CSRF_TRUSTED_ORIGINS"):
        env.pop(name, None)
    bad = ketacare(env, "check")
    assert bad.returncode == 1
    for code in ("ketacare.W001", "ketacare.W002", "ketacare.W004", "ketacare.W005",
                 "security.W012"):
        assert code in bad.stdout
    env.update({"KETACARE_SECRET_KEY": "x" * 60 + "-Yz9!", "KETACARE_BASE_URL":
                "https://care.example.org", "KETACARE_SECURE_COOKIES": "true",
                "KETACARE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "KETACARE_CSRF_TRUSTED_ORIGINS": "https://care.example.org"})
    better = ketacare(env, "check")
    for code in ("ketacare.W001", "ketacare.W002", "ketacare.W004", "ketacare.W005",
                 "ketacare.W006", "security.W012"):
        assert code not in better.stdout
