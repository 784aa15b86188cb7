"""`ketacare analytics report`: outcome rates per instrument and condition on an engine, as
JSON, CSV or a PDF; `ketacare analytics snapshot --out DIR`: the registry tables from the
app database, refreshed incrementally."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import psycopg
from django.core.management.base import CommandError, CommandParser
from ibis.common.exceptions import TableNotFound
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ketacare.analytics.engines import ENGINES
from ketacare.analytics.live import LiveUnavailable
from ketacare.analytics.run import run_report
from ketacare.analytics.schema import missing_tables
from ketacare.analytics.snapshot import SnapshotBusy, snapshot
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.command import choice_option, usage
from ketacare.cli.common import os_user

ACTIONS = ("report", "snapshot")
FORMATS = ("json", "csv", "pdf")
PDF_TITLE = "KetaCare outcome report"


def _out_file(value: str | None, fmt: str) -> Path | None:
    """report --out: optional for json/csv (stdout otherwise), required for pdf; checked
    before the report runs, so a typo costs no engine time."""
    if not value:
        if fmt == "pdf":
            raise usage("--format pdf needs --out FILE")
        return None
    out = Path(value)
    if out.is_dir():
        raise usage(f"--out must be a file, {out} is a directory")
    if not out.parent.is_dir():
        raise usage(f"--out {out}: directory {out.parent} does not exist")
    return out


def _write_atomically(out: Path, data: bytes) -> None:
    """A reader (or a crash) never sees half a report: written beside it, then renamed."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


class Command(KetaCareCommand):
    help = (
        "report --data DIR [--engine duckdb|postgres|spark] | --live, [--format json|csv|pdf] "
        "[--out FILE]: outcome rates with 95% Wilson intervals, sessions to response, KM "
        "points, dropout. snapshot --out DIR [--full]: the registry tables from this "
        "installation, rebuilding only the clinics whose data changed."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", metavar="report|snapshot")
        parser.add_argument(
            "--out",
            metavar="DIR|FILE",
            help="snapshot: directory to write; report: file to write (required for pdf)",
        )
        parser.add_argument(
            "--full", action="store_true", help="snapshot: rebuild every clinic's tables"
        )
        parser.add_argument("--data", metavar="DIR", help="Parquet registry directory")
        parser.add_argument("--engine", default="duckdb", metavar="|".join(ENGINES))
        parser.add_argument("--format", default="json", metavar="|".join(FORMATS))
        parser.add_argument(
            "--live",
            action="store_true",
            help="report on this installation's own PostgreSQL database, every clinic",
        )
        parser.add_argument("--pg-url", metavar="URL", help="PostgreSQL URL (postgres engine)")
        parser.add_argument(
            "--pg-schema",
            default="ketacare_registry",
            metavar="NAME",
            help="schema holding the tables; with --data it is (re)loaded first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if choice_option(options["action"], "action", ACTIONS) == "snapshot":
            self._snapshot(options)
            return
        if options["full"]:
            raise usage("--full is for snapshot only")
        engine = choice_option(options["engine"], "--engine", ENGINES)
        fmt = choice_option(options["format"], "--format", FORMATS)
        out = _out_file(options["out"], fmt)
        data = Path(options["data"]) if options["data"] else None
        if options["live"]:
            if data is not None or options["pg_url"]:
                raise usage("--live reads the app's database: leave out --data and --pg-url")
            engine = "postgres"
        if data is None and engine != "postgres":
            raise usage("--data DIR is required for the duckdb and spark engines")
        if data is not None:
            if not data.is_dir():
                raise usage(f"--data must be a directory of registry Parquet tables: {data}")
            missing = missing_tables(data)
            if missing:
                raise usage(f"--data {data} lacks {', '.join(f'{m}.parquet' for m in missing)}")
        try:
            report = run_report(engine, data, options["pg_url"], options["pg_schema"],
                                live=options["live"])
            if options["live"]:  # every clinic's patient data, read for aggregates
                record(Action.VIEW, username=f"cli:{os_user()}",
                       object_type="analytics_report_live", detail={"rows": len(report["rows"])})
        except LiveUnavailable as exc:
            raise usage(str(exc)) from None
        except TableNotFound as exc:
            raise usage(
                f"--pg-schema {options['pg_schema']} has no registry table {exc}; "
                "load one with --data DIR"
            ) from None
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "failed"
            raise CommandError(f"--pg-url: cannot connect: {first}") from None
        if fmt == "pdf":
            from ketacare.analytics.report_pdf import report_pdf

            assert out is not None
            _write_atomically(out, report_pdf(report, title=PDF_TITLE))
            return
        text = io.StringIO()
        if fmt == "json":
            json.dump(report, text, indent=2)
            text.write("\n")
        else:
            from ketacare.analytics.report import CSV_COLUMNS, flat_rows

            writer = csv.DictWriter(text, fieldnames=list(CSV_COLUMNS))
            writer.writeheader()
            writer.writerows(flat_rows(report["rows"]))
        if out is None:
            sys.stdout.write(text.getvalue())
        else:
            _write_atomically(out, text.getvalue().encode())

    def _snapshot(self, options: dict[str, Any]) -> None:
        if not options["out"]:
            raise usage("snapshot needs --out DIR")
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise usage(f"--out must be a directory, {out} is a file")
        if not out.parent.is_dir():
            raise usage(f"--out {out}: directory {out.parent} does not exist")
        console = Console(stderr=True)
        # A bar for a person watching; nothing in a log or a pipe.
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("clinics", total=None)
            try:
                summary = snapshot(
                    out,
                    full=options["full"],
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            except SnapshotBusy as exc:
                raise CommandError(str(exc)) from None
        for clinic_id in summary["rebuilt"]:  # a copy of patient data left the database
            record(Action.EXPORT, username=f"cli:{os_user()}", clinic_id=clinic_id,
                   object_type="analytics_snapshot", detail={"out": str(out)})
        sys.stdout.write(json.dumps(summary) + "\n")
