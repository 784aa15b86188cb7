"""`ketacare restore FILE`: a backup from `ketacare backup` into an empty database (the
one DATABASE_URL names), then `audit verify` on the result. A database with tables is
refused; bad input exits 2 with one line on stderr, a broken audit chain exits 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandParser

from ketacare.accounts import backup
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.common import fail


class Command(KetaCareCommand):
    help = "Restore a backup into an empty database, then verify its audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["file"])
        try:
            backup.restore(source)
        except backup.BackupError as exc:
            fail(f"restore: {exc}")
        self.stdout.write(f"Restored {source} ({backup.vendor()}).")
        call_command("audit", "verify", stdout=self.stdout, stderr=self.stderr)
