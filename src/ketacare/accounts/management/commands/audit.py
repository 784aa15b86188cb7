"""`ketacare audit verify|anchor|export`.

verify: exit 0 and "OK: N entries, chain intact", or exit 1 and one line on stderr naming
the first broken entry; with `--anchor FILE` also exit 1 when the trail no longer holds
what an anchor line in FILE recorded (truncated, rewritten). anchor: append the trail's
head as one JSON line to FILE (kept on another machine). export: one JSON object per entry,
oldest first. Bad option values exit 2 with one line on stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import Any

from django.core.management.base import CommandParser
from django.db.models import QuerySet

from ketacare.accounts.clinic_option import add_clinic_argument, clinic_from_option
from ketacare.accounts.models import Clinic
from ketacare.audit import anchors
from ketacare.audit.chain import Entry, verify
from ketacare.audit.log import audit_key, record
from ketacare.audit.models import Action, AuditEvent
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.command import usage
from ketacare.cli.common import os_user

CHUNK = 2000
# Below this a check takes well under a second: no progress bar.
PROGRESS_FROM = 20_000


class Command(KetaCareCommand):
    help = "Check the audit trail's hash chain (verify) or write it out as JSON lines (export)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True,
                                    metavar="{verify,anchor,export}")
        check = sub.add_parser("verify",
                               help="walk the hash chain; exit 1 naming the first broken entry")
        check.add_argument("--anchor", metavar="FILE",
                           help="also check every head recorded in FILE by `audit anchor`")
        anchor = sub.add_parser("anchor", help="append the trail's head as one line to FILE")
        anchor.add_argument("--file", metavar="FILE", required=True,
                            help="the anchor file (keep it off this machine, e.g. a mount)")
        export = sub.add_parser("export", help="write entries as JSON lines, oldest first")
        export.add_argument("--out", metavar="FILE", help="write here instead of stdout")
        export.add_argument(
            "--since", metavar="YYYY-MM-DD",
            help="entries from this date on (UTC, or the clinic's zone with --clinic)",
        )
        add_clinic_argument(export, "only this clinic's entries")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(options.get("anchor"))
        elif options["subcommand"] == "anchor":
            self.anchor(options["file"])
        else:
            self.export(options.get("out"), options.get("since"), options.get("clinic"))

    # verify ---------------------------------------------------------------------------

    def verify(self, anchor_file: str | None) -> None:
        heads = self._read_anchors(anchor_file) if anchor_file else []
        total = AuditEvent.objects.count()
        with self._progress(total) as advance:
            checked, broken = verify(self._chain(advance), audit_key())
        if broken is not None:
            self.stderr.write(f"BROKEN: entry {broken.entry_id}: {broken.reason}")
            raise SystemExit(1)
        for number, head in heads:
            problem = anchors.check(head)
            if problem:
                self.stderr.write(f"BROKEN: anchor line {number} ({head.at}): {problem}")
                raise SystemExit(1)
        behind = f", {len(heads)} anchors hold" if anchor_file else ""
        self.stdout.write(f"OK: {checked} entries, chain intact{behind}")

    def _read_anchors(self, path: str) -> list[tuple[int, anchors.Head]]:
        try:
            with open(path, encoding="utf-8") as stream:
                lines = stream.read().splitlines()
        except OSError as exc:
            raise usage(f"--anchor: cannot read {path}: {exc.strerror}") from None
        heads = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                heads.append((number, anchors.Head.parse(line)))
            except ValueError as exc:
                self.stderr.write(f"BROKEN: anchor line {number} is not an anchor: {exc}")
                raise SystemExit(1) from None
        return heads

    def anchor(self, path: str) -> None:
        head = anchors.current_head()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise usage(f"--file: cannot write {path}: {exc.strerror}") from None
        with open(fd, "a", encoding="utf-8") as stream:
            stream.write(head.line() + "\n")
        self.stdout.write(f"Anchored {head.count} entries (last id {head.last_id}) "
                          f"to {path}")

    def _chain(self, advance: Any) -> Iterator[Entry]:
        for event in AuditEvent.objects.order_by("id").iterator(chunk_size=CHUNK):
            advance()
            yield event.pk, event.lane, event.prev_hash, event.hash, event.chained_fields()

    @contextlib.contextmanager
    def _progress(self, total: int) -> Iterator[Any]:
        """A Rich progress bar on stderr for long checks at a terminal; otherwise nothing."""
        if total < PROGRESS_FROM or not sys.stderr.isatty():
            yield lambda: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress("Checking audit chain", BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), transient=True) as progress:
            task = progress.add_task("verify", total=total)
            yield lambda: progress.advance(task)

    # export ---------------------------------------------------------------------------

    def export(self, out: str | None, since: str | None, clinic: str | None) -> None:
        events = AuditEvent.objects.order_by("id")
        clinic_obj = None
        if clinic is not None:
            clinic_obj = clinic_from_option(clinic)
            events = events.filter(clinic_id=clinic_obj.pk)
        if since is not None:
            zone = zoneinfo.ZoneInfo(clinic_obj.time_zone if clinic_obj else "UTC")
            events = events.filter(at__gte=datetime.combine(self._date(since), time.min, zone))
        written = [0]
        try:
            with self._open(out) as emit:
                self._write(events, emit, written)
        except BrokenPipeError:  # `ketacare audit export | head`: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            self._record_export(written[0], since, clinic_obj, out)
            raise SystemExit(1) from None
        self._record_export(written[0], since, clinic_obj, out)
        if out:
            self.stderr.write(f"Wrote {written[0]} entries to {out}")

    def _write(self, events: QuerySet[AuditEvent], emit: Callable[[str], Any],
               written: list[int]) -> None:
        for event in events.iterator(chunk_size=CHUNK):
            row = {"id": event.pk, **event.chained_fields(), "lane": event.lane,
                   "prev_hash": event.prev_hash, "hash": event.hash}
            emit(json.dumps(row, default=str))  # ASCII-safe whatever the locale
            written[0] += 1

    @staticmethod
    def _record_export(written: int, since: str | None, clinic: Clinic | None,
                       out: str | None) -> None:
        """Reading the trail is itself a read of patient-linked data: leave a trace."""
        record(Action.EXPORT, username=f"cli:{os_user()}", object_type="auditevent",
               clinic_id=clinic.pk if clinic else None,
               detail={"entries": written, "since": since, "to": "file" if out else "stdout"})

    @contextlib.contextmanager
    def _open(self, out: str | None) -> Iterator[Callable[[str], Any]]:
        """A function writing one line, to stdout or to FILE."""
        if not out:
            yield self.stdout.write  # adds the line ending
            return
        try:
            # Owner-only: the file names patients (by id) and staff.
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise usage(f"--out: cannot write {out}: {exc.strerror}") from None
        with open(fd, "w", encoding="utf-8") as stream:
            yield lambda line: stream.write(line + "\n")

    @staticmethod
    def _date(value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise usage(f"--since must be a date YYYY-MM-DD, got {value!r}") from None

