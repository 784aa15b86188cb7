"""`ketacare export research --out DIR [--clinic ID|NAME] [--dates relative|shifted]`: the
de-identified research export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from ketacare.accounts.clinic_option import add_clinic_argument, clinic_from_option
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.command import usage
from ketacare.cli.common import os_user
from ketacare.interop import research


class Command(KetaCareCommand):
    help = "Write a de-identified research export (Parquet, CSV, REDCap, manifest)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["research"])
        parser.add_argument("--out", required=True, type=Path, help="a new, empty directory")
        add_clinic_argument(parser, "required when there are several")
        parser.add_argument("--dates", choices=research.DATE_MODES, default="relative",
                            help="relative (default): whole days from each patient's first "
                                 "session; shifted: dates moved by a stable per-patient shift")

    def handle(self, *args: Any, out: Path, clinic: str | None, dates: research.DateMode,
               **options: Any) -> None:
        chosen = clinic_from_option(clinic)
        try:
            manifest = research.export(chosen, out, dates=dates)
        except (ValueError, OSError) as exc:
            raise usage(f"--out: {exc}") from None
        record(Action.EXPORT, username=f"cli:{os_user()}", clinic_id=chosen.pk,
               object_type="research_export",
               detail={"rows": manifest["rows"], "dates": dates})
        rows = ", ".join(f"{k} {v}" for k, v in manifest["rows"].items())
        self.stdout.write(f"Research export of {chosen.name} in {out}: {rows}")
