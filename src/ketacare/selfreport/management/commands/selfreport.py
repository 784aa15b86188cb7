"""`ketacare selfreport send-due [--dry-run]`: for cron, every 15 minutes or so.

Creates the questionnaire requests the schedule says are due today, emails / texts their
links, sends reminders at the clinic's interval, and escalates alerts nobody has
acknowledged in time to the clinic's admins; retries failed deliveries (backoff 15 min, 1 h,
4 h while the request's window is open). Prints one line of counts; exits 1 when any
message failed (each failure is recorded and shown on the self-report page), else 0.
A Rich progress bar shows on a terminal when there are many courses."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from django.core.management.base import CommandParser

from ketacare.accounts.models import Clinic
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.selfreport import actions
from ketacare.treatment.models import Course, CourseStatus

PROGRESS_FROM = 50


class Command(KetaCareCommand):
    help = "Patient self-report: send-due creates, sends and reminds; escalates late alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{send-due}")
        send = sub.add_parser("send-due", help="send due questionnaires, reminders, escalations")
        send.add_argument("--dry-run", action="store_true",
                          help="count what would be sent; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        dry = bool(options.get("dry_run"))
        clinics = list(Clinic.objects.all())
        total = Course.objects.filter(status=CourseStatus.ACTIVE).count()
        with self._progress(total) as advance:
            counts = actions.send_due(dry_run=dry, clinics=clinics, advance=advance)
        prefix = "DRY RUN (nothing sent): " if dry else ""
        self.stdout.write(f"{prefix}{counts.line()}")
        for error in counts.errors:
            self.stderr.write(f"error: {error}")
        if counts.failed:
            # Non-zero so cron mails the operator; failed deliveries are retried next runs.
            raise SystemExit(1)

    @contextlib.contextmanager
    def _progress(self, total: int) -> Iterator[Callable[[], None]]:
        if total < PROGRESS_FROM:
            yield lambda: None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        console = Console(file=sys.stderr)
        with Progress("Courses", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=True,
                      disable=not console.is_terminal) as progress:
            task = progress.add_task("send-due", total=total)
            yield lambda: progress.advance(task)
