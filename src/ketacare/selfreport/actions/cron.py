"""send-due, the cron job: create and send what the measurement schedule says is due
today, retry failed deliveries, remind, escalate. Each request is its own transaction."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical.measurement_schedule import Due, SessionFact, open_on, plan
from ketacare.treatment.models import Course, CourseStatus

from ..config import Config, for_clinic
from ..models import ReportRequest, Source
from ._common import CLI_USER
from .alerts import escalate, escalation_due
from .links import contact_channels, new_request, send_request


@dataclass
class Counts:
    created: int = 0
    emails: int = 0
    sms: int = 0
    reminders: int = 0
    retried: int = 0
    failed: int = 0
    no_contact: int = 0
    escalated: int = 0
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"requests created: {self.created}, emails: {self.emails}, SMS: {self.sms}, "
            f"reminders: {self.reminders}, retried: {self.retried}, failed: {self.failed}, "
            f"no contact details: {self.no_contact}, alerts escalated: {self.escalated}"
        )

    def sent(self, req: ReportRequest, sent: dict[str, int]) -> None:
        self.emails += sent["email"]
        self.sms += sent["sms"]
        self.failed += len(contact_channels(req.patient)) - sent["email"] - sent["sms"]


def session_facts(course: Course) -> list[SessionFact]:
    return [
        SessionFact(s.number, s.planned_date, s.phase, s.status)
        for s in course.sessions.all()
    ]


def dues_for(course: Course, day: date, cfg: Config) -> list[tuple[Due, str]]:
    """(due, instrument) pairs open on `day` that have no request yet."""
    dues = open_on(plan(session_facts(course), cfg.rules), day)
    if not dues:
        return []
    have = set(ReportRequest.objects.filter(course=course).values_list("key", "instrument"))
    out = []
    for due in dues:
        for instrument in cfg.rules.instruments_for(course.patient.primary_condition):
            if (due.key, instrument) not in have:
                out.append((due, instrument))
    return out


def active_courses(clinic: Clinic) -> list[Course]:
    return list(
        Course.objects.filter(patient__clinic=clinic, status=CourseStatus.ACTIVE)
        .select_related("patient")
        .prefetch_related("sessions")
    )


def reminders_due(clinic: Clinic, now: datetime, cfg: Config) -> list[ReportRequest]:
    cutoff = now - timedelta(hours=cfg.reminder_hours)
    return list(
        ReportRequest.objects.filter(
            clinic=clinic,
            completed_at__isnull=True,
            expires_at__gt=now,
            sent_at__isnull=False,
            last_contact_at__lte=cutoff,
            reminders_sent__lt=cfg.reminders,
        )
        .exclude(source=Source.KIOSK)
        .exclude(retry_at__gt=now)  # a failed reminder waits for its retry time
        .select_related("patient", "clinic")
    )


def retries_due(clinic: Clinic, now: datetime) -> list[ReportRequest]:
    """Requests never delivered (every channel failed) whose retry time has come and whose
    window is still open."""
    today = timezone.localtime(now, zoneinfo.ZoneInfo(clinic.time_zone)).date()
    return list(
        ReportRequest.objects.filter(
            clinic=clinic, sent_at__isnull=True, completed_at__isnull=True,
            retry_at__lte=now, closes_on__gte=today, expires_at__gt=now,
        )
        .exclude(source=Source.KIOSK)
        .select_related("patient", "clinic")
    )


def failed_deliveries(clinic: Clinic) -> list[ReportRequest]:
    """Open requests whose last attempt failed on every channel: for the staff page."""
    return list(
        ReportRequest.objects.filter(clinic=clinic, completed_at__isnull=True,
                                     delivery_failures__gt=0, expires_at__gt=timezone.now())
        .select_related("patient").prefetch_related("deliveries").order_by("retry_at")
    )


def send_due(
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    clinics: list[Clinic] | None = None,
    advance: Callable[[], None] | None = None,
) -> Counts:
    """Create and send what is due today, remind, escalate. `advance` ticks a progress bar
    once per course. Each request is its own transaction: one failure loses one message."""
    now = now or timezone.now()
    counts = Counts()
    for clinic in clinics if clinics is not None else list(Clinic.objects.all()):
        # One clinic's failure (SMTP down for its escalation, a bad row) is counted and
        # reported; the run goes on with the next clinic.
        try:
            _send_due_clinic(clinic, now, dry_run, advance, counts)
        except Exception as exc:  # noqa: BLE001 - reported, and the exit status says so
            counts.failed += 1
            counts.errors.append(f"clinic {clinic.pk}: {type(exc).__name__}: {exc}"[:300])
    return counts


def _send_due_clinic(clinic: Clinic, now: datetime, dry_run: bool,
                     advance: Callable[[], None] | None, counts: Counts) -> None:
    cfg = for_clinic(clinic)
    day = timezone.localtime(now, zoneinfo.ZoneInfo(clinic.time_zone)).date()
    for course in active_courses(clinic):
        for due, instrument in dues_for(course, day, cfg):
            counts.created += 1
            if dry_run:
                continue
            _create_and_send(clinic, course, due, instrument, now, counts)
        if advance is not None:
            advance()
    for req in retries_due(clinic, now):
        counts.retried += 1
        if not dry_run:
            _resend(req, now, counts, reminder=False)
    for req in reminders_due(clinic, now, cfg):
        counts.reminders += 1
        if not dry_run:
            _resend(req, now, counts, reminder=True)
    late = escalation_due(clinic, now, cfg)
    counts.escalated += len(late)
    if not dry_run and late:
        try:
            escalate(clinic, late, now)
        except Exception as exc:  # noqa: BLE001 - not marked escalated: tried again next run
            counts.escalated -= len(late)
            counts.failed += 1
            counts.errors.append(f"clinic {clinic.pk}: escalation email failed: "
                                 f"{type(exc).__name__}: {exc}"[:300])


def _resend(req: ReportRequest, now: datetime, counts: Counts, *, reminder: bool) -> None:
    with transaction.atomic():
        sent = send_request(req, reminder=reminder, now=now)
        counts.sent(req, sent)
        record(
            Action.UPDATE,
            username=CLI_USER,
            clinic_id=req.clinic_id,
            patient_id=req.patient_id,
            obj=req,
            detail={"reminder" if reminder else "retry": sent},
        )


def _create_and_send(
    clinic: Clinic,
    course: Course,
    due: Due,
    instrument: str,
    now: datetime,
    counts: Counts,
) -> None:
    try:
        with transaction.atomic():
            req = new_request(
                clinic,
                course.patient,
                instrument,
                kind=due.kind,
                key=due.key,
                opens=due.opens,
                closes=due.closes,
                source=Source.SCHEDULE,
                course=course,
                session_number=due.session_number,
            )
            sent = send_request(req, now=now)
            record(
                Action.CREATE,
                username=CLI_USER,
                clinic_id=clinic.pk,
                patient_id=course.patient_id,
                obj=req,
                detail={"instrument": instrument, "kind": due.kind, **sent},
            )
    except IntegrityError:  # another run created it a moment ago
        counts.created -= 1
        return
    counts.sent(req, sent)
    if not contact_channels(course.patient):
        counts.no_contact += 1
