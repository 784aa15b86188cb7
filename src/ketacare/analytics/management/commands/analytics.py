"""`ketacare analytics report`: outcome rates per instrument and condition on an engine;
`ketacare analytics snapshot --out DIR`: the registry tables from the app database."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import psycopg
from django.core.management.base import CommandError, CommandParser
from ibis.common.exceptions import TableNotFound

from ketacare.analytics.engines import ENGINES
from ketacare.analytics.run import run_report
from ketacare.analytics.schema import missing_tables
from ketacare.analytics.snapshot import snapshot

from ._cli import OneLineErrors, choice_option, usage

ACTIONS = ("report", "snapshot")
FORMATS = ("json", "csv")


class Command(OneLineErrors):
    help = (
        "report --data DIR [--engine duckdb|postgres|spark] [--format json|csv]: outcome "
        "rates with 95% Wilson intervals, sessions to response, KM points, dropout."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", metavar="report|snapshot")
        parser.add_argument("--out", metavar="DIR", help="snapshot: directory to write")
        parser.add_argument("--data", metavar="DIR", help="Parquet registry directory")
        parser.add_argument("--engine", default="duckdb", metavar="|".join(ENGINES))
        parser.add_argument("--format", default="json", metavar="|".join(FORMATS))
        parser.add_argument("--pg-url", metavar="URL", help="PostgreSQL URL (postgres engine)")
        parser.add_argument(
            "--pg-schema",
            default="ketacare_registry",
            metavar="NAME",
            help="schema holding the tables; with --data it is (re)loaded first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if choice_option(options["action"], "action", ACTIONS) == "snapshot":
            if not options["out"]:
                raise usage("snapshot needs --out DIR")
            counts = snapshot(Path(options["out"]))
            sys.stdout.write(json.dumps(counts) + "\n")
            return
        engine = choice_option(options["engine"], "--engine", ENGINES)
        fmt = choice_option(options["format"], "--format", FORMATS)
        data = Path(options["data"]) if options["data"] else None
        if data is None and engine != "postgres":
            raise usage("--data DIR is required for the duckdb and spark engines")
        if data is not None:
            if not data.is_dir():
                raise usage(f"--data must be a directory of registry Parquet tables: {data}")
            missing = missing_tables(data)
            if missing:
                raise usage(f"--data {data} lacks {', '.join(f'{m}.parquet' for m in missing)}")
        try:
            report = run_report(engine, data, options["pg_url"], options["pg_schema"])
        except TableNotFound as exc:
            raise usage(
                f"--pg-schema {options['pg_schema']} has no registry table {exc}; "
                "load one with --data DIR"
            ) from None
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "failed"
            raise CommandError(f"--pg-url: cannot connect: {first}") from None
        if fmt == "json":
            json.dump(report, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            from ketacare.analytics.report import CSV_COLUMNS, flat_rows

            writer = csv.DictWriter(sys.stdout, fieldnames=list(CSV_COLUMNS))
            writer.writeheader()
            writer.writerows(flat_rows(report["rows"]))
