"""`ketacare synth`: write a synthetic registry (Parquet tables of docs/analytics.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from django.core.management.base import CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ketacare.analytics.schema import TABLES, table_path
from ketacare.analytics.synth import synthesise
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.command import int_option, usage


class Command(KetaCareCommand):
    help = "Write N synthetic patients' registry tables (Parquet) to --out, reproducibly."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", required=True, metavar="N")
        parser.add_argument("--clinics", default="10", metavar="K")
        parser.add_argument("--seed", default="0", metavar="S")
        parser.add_argument("--out", required=True, metavar="DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        patients = int_option(options["patients"], "--patients", 1, 100_000_000)
        clinics = int_option(options["clinics"], "--clinics", 1, 100_000)
        seed = int_option(options["seed"], "--seed", 0, 2**32 - 1)
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise usage(f"--out must be a directory, {out} is a file")
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        ) as bar:
            task = bar.add_task("patients", total=patients)
            synthesise(out, patients, clinics, seed, progress=lambda n: bar.advance(task, n))
        rows = {n: pq.read_metadata(table_path(out, n)).num_rows for n in TABLES}
        self.stdout.write(json.dumps({"out": str(out), "seed": seed, "rows": rows}))
