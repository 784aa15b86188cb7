"""`ketacare consent verify`: exit 0 and "OK: N consents intact", or exit 1 with one line
per problem on stderr (see consent/check.py for what is checked)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from ketacare.cli.command import Command as KetaCareCommand
from ketacare.consent.check import all_consents, verify


class Command(KetaCareCommand):
    help = "Check every signed consent's PDF against its hash, its record and the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify}")
        sub.add_parser("verify", help="exit 1 naming each consent that does not check out")

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problems = verify(all_consents())
        for p in problems:
            self.stderr.write(f"consent {p.consent_id}: {p.reason}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {checked} consents", returncode=1)
        self.stdout.write(f"OK: {checked} consents intact")
