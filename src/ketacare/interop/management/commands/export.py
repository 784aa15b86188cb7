"""`ketacare export research --out DIR [--clinic NAME] [--dates relative|shifted]`: the
de-identified research export."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketacare.accounts.models import Clinic
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.interop import research


class Command(BaseCommand):
    help = "Write a de-identified research export (Parquet, CSV, REDCap, manifest)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["research"])
        parser.add_argument("--out", required=True, type=Path, help="a new, empty directory")
        parser.add_argument("--clinic", help="clinic name (required when there are several)")
        parser.add_argument("--dates", choices=research.DATE_MODES, default="relative",
                            help="relative (default): whole days from each patient's first "
                                 "session; shifted: dates moved by a stable per-patient shift")

    def handle(self, *args: Any, out: Path, clinic: str | None, dates: research.DateMode,
               **options: Any) -> None:
        clinics = Clinic.objects.all()
        if clinic:
            clinics = clinics.filter(name=clinic)
            if not clinics:
                names = ", ".join(Clinic.objects.values_list("name", flat=True))
                raise CommandError(f"--clinic: no clinic {clinic!r}; clinics are {names}",
                                   returncode=2)
        if len(clinics) != 1:
            names = ", ".join(c.name for c in clinics)
            raise CommandError(f"--clinic: choose one of {names}", returncode=2)
        chosen = clinics[0]
        try:
            manifest = research.export(chosen, out, dates=dates)
        except (ValueError, OSError) as exc:
            raise CommandError(f"--out: {exc}", returncode=2) from None
        record(Action.EXPORT, username=f"cli:{getpass.getuser()}", clinic_id=chosen.pk,
               object_type="research_export",
               detail={"rows": manifest["rows"], "dates": dates})
        rows = ", ".join(f"{k} {v}" for k, v in manifest["rows"].items())
        self.stdout.write(f"Research export of {chosen.name} in {out}: {rows}")
