"""`ketacare backup --out FILE`: a consistent copy of the database while it serves
(SQLite online backup API, or pg_dump custom format), then `audit verify` on the copy
(SQLite) or on the database it was taken from (PostgreSQL). Exit 1 when the audit chain
does not verify, 2 on bad input (one line on stderr)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandParser

from ketacare.accounts import backup
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.common import fail


class Command(KetaCareCommand):
    help = "Back up the database to FILE, then verify its audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            backup.backup(out)
        except backup.BackupError as exc:
            fail(f"backup: {exc}")
        self.stdout.write(f"Backup written: {out} ({out.stat().st_size} bytes, "
                          f"{backup.vendor()})")
        if backup.vendor() == "sqlite":
            result = backup.verify_sqlite_copy(out)
            self.stdout.write(result.stdout.strip())
            if result.returncode != 0:
                self.stderr.write(result.stderr.strip())
                raise SystemExit(1)
        else:
            call_command("audit", "verify", stdout=self.stdout, stderr=self.stderr)
