"""Backup and restore of the whole installation (`ketacare backup`, `ketacare restore`).

- SQLite: SQLite's online backup API (`sqlite3.Connection.backup`), a consistent copy
  while the server keeps serving; restore copies the file back the same way.
- PostgreSQL: `pg_dump --format=custom`; restore with `pg_restore` into an empty
  database (`--no-owner`, so the restoring role owns the objects).

Restore refuses a database that already has tables: a restore never mixes two
installations or overwrites records. Both end with `audit verify` on the result."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """Something the operator must fix; one line."""


def _db() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def vendor() -> str:
    # The backend's own vendor: the SQLite engine is KetaCare's queued-writer subclass.
    return "sqlite" if connections["default"].vendor == "sqlite" else "postgresql"


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = _db()
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432),
            "--username", str(db.get("USER") or "postgres")]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client tool; arguments come from settings and the operator's
    command line, never from a web request."""
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)")
    result = subprocess.run([tool, *command[1:]], env=env, capture_output=True,  # noqa: S603
                            text=True, check=False)
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["failed"])[0]
        raise BackupError(f"{command[0]}: {first}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while others write."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup(out: Path) -> None:
    if out.exists():
        raise BackupError(f"{out} already exists: choose a new file name")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a directory")
    if vendor() == "sqlite":
        _sqlite_copy(Path(_db()["NAME"]), out)
        return
    args, env = _pg_env()
    _run(["pg_dump", "--format=custom", "--file", str(out), *args, str(_db()["NAME"])], env)


def _table_count() -> int:
    return len(connection.introspection.table_names())


def restore(source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    head = source.read_bytes()[:16]
    if vendor() == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not an SQLite backup (this installation uses "
                              "SQLite)")
    elif not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format backup (this "
                          "installation uses PostgreSQL)")
    if _table_count():
        raise BackupError(f"the database {_db()['NAME']} is not empty: restore only into an "
                          "empty database (create a new one, point DATABASE_URL at it)")
    connections.close_all()
    if vendor() == "sqlite":
        _sqlite_copy(source, Path(_db()["NAME"]))
        return
    args, env = _pg_env()
    _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", str(_db()["NAME"]),
          *args, str(source)], env)


def verify_sqlite_copy(path: Path) -> subprocess.CompletedProcess[str]:
    """`ketacare audit verify` run against a backup file, in its own process."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path.resolve()}"}
    return subprocess.run(
        [sys.executable, "-c", "from ketacare.cli import main; raise SystemExit(main())",
         "audit", "verify"], env=env, capture_output=True, text=True, check=False)
