"""Self-report use cases: ask, open, save, submit, alert, acknowledge, act, send, escalate.

Staff actions take a `Staff` and check permission and clinic; patient actions take the
request a valid link resolved to. Each writes in one transaction with its audit entry.
Public link access is audited as "patient-link" (no user account is involved)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record, record_patient
from ketacare.audit.models import Action
from ketacare.clinical import baseline
from ketacare.clinical.instruments import InstrumentInputError, ScoreResult, get
from ketacare.patients.models import Patient
from ketacare.treatment.models import Course, CourseStatus, Dose

from . import delivery, rules, schedule, tokens
from .config import Config, for_clinic
from .models import Alert, Delivery, Link, ReportRequest, Response, Source

PATIENT_LINK = "patient-link"
CLI_USER = "cli:selfreport"
KIOSK_HOURS = 2
MANUAL_DAYS = 3
# How far ahead of this server's clock another system's timestamp may run (clock skew).
CLOCK_SKEW = timedelta(minutes=5)


# --- helpers ---------------------------------------------------------------------------


def end_of_day(clinic: Clinic, day: date) -> datetime:
    """The first instant after `day` in the clinic's zone."""
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    return datetime.combine(day + timedelta(days=1), time.min, zone)


def _audit_link(
    action: Action,
    req: ReportRequest,
    request: HttpRequest | None,
    detail: dict[str, Any] | None = None,
) -> None:
    record(
        action,
        request=request,
        user=None,
        username=PATIENT_LINK,
        role="patient",
        clinic_id=req.clinic_id,
        patient_id=req.patient_id,
        obj=req,
        detail=detail,
    )


def instruments_for(clinic: Clinic, patient: Patient) -> tuple[str, ...]:
    return for_clinic(clinic).rules.instruments_for(patient.primary_condition)


# --- requests and links ----------------------------------------------------------------


def _new_request(
    clinic: Clinic,
    patient: Patient,
    instrument: str,
    *,
    kind: str,
    key: str,
    opens: date,
    closes: date,
    source: str,
    course: Course | None = None,
    session_number: int | None = None,
    created_by: User | None = None,
    expires_at: datetime | None = None,
) -> ReportRequest:
    get(instrument)  # an unknown instrument fails here, naming the known ones
    cfg = for_clinic(clinic)
    return ReportRequest.objects.create(
        clinic=clinic,
        patient=patient,
        course=course,
        instrument=instrument,
        kind=kind,
        key=key,
        session_number=session_number,
        source=source,
        opens_on=opens,
        closes_on=closes,
        created_by=created_by,
        expires_at=expires_at or end_of_day(clinic, closes + timedelta(days=cfg.grace_days)),
    )


def issue_link(req: ReportRequest, channel: str) -> str:
    """A new secret link to the request; returns the token (the only time it exists)."""
    token, token_hash = tokens.new_token()
    Link.objects.create(request=req, token_hash=token_hash, channel=channel)
    return token


def contact_channels(patient: Patient) -> list[str]:
    return [c for c, ok in (("email", bool(patient.email)), ("sms", bool(patient.mobile))) if ok]


# After 1, 2, 3+ failed attempts in a row (every channel failed), try again this much later,
# for as long as the request's window is open.
RETRY_BACKOFF = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))


def retry_delay(failures: int) -> timedelta:
    return RETRY_BACKOFF[min(max(failures, 1), len(RETRY_BACKOFF)) - 1]


def send_request(
    req: ReportRequest, *, reminder: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """Email and/or text a fresh link; returns counts per channel sent. A failure on one
    channel is recorded (Delivery.ok False, with the error) and does not stop the other;
    when every channel failed, the request is scheduled for a retry (RETRY_BACKOFF)."""
    now = now or timezone.now()
    patient = req.patient
    channels = contact_channels(patient)
    sent = {"email": 0, "sms": 0}
    if not channels:
        return sent
    token = issue_link(req, "+".join(channels))
    url = delivery.link_url(token)
    subject, body, sms = delivery.message(
        req.clinic, patient.given_name, url, req.expires_at, reminder
    )
    for channel in channels:
        try:
            if channel == "email":
                delivery.send_email(patient.email, subject, body)
            else:
                delivery.sms_backend().send(patient.mobile, sms)
        except Exception as exc:  # SMTP or SMS gateway down: record, keep going
            Delivery.objects.create(
                request=req,
                channel=channel,
                reminder=reminder,
                ok=False,
                error=f"{type(exc).__name__}: {exc}"[:200],
            )
            continue
        Delivery.objects.create(request=req, channel=channel, reminder=reminder)
        sent[channel] += 1
    if sent["email"] or sent["sms"]:
        req.sent_at = req.sent_at or now
        req.last_contact_at = now
        if reminder:
            req.reminders_sent += 1
        req.delivery_failures, req.retry_at = 0, None
    else:
        req.delivery_failures += 1
        req.retry_at = now + retry_delay(req.delivery_failures)
    req.save(update_fields=["sent_at", "last_contact_at", "reminders_sent",
                            "delivery_failures", "retry_at"])
    return sent


@transaction.atomic
def request_now(
    staff: Staff, patient: Patient, instrument: str, *, request: HttpRequest | None = None
) -> tuple[ReportRequest, dict[str, int]]:
    """Staff send a questionnaire link now (outside the schedule)."""
    staff.require(Perm.SELFREPORT_MANAGE)
    staff.require_own(patient.clinic_id)
    if not contact_channels(patient):
        raise ValidationError("This patient has no email address or mobile number on file.")
    try:
        today = staff.clinic.today()
        req = _new_request(
            staff.clinic,
            patient,
            instrument,
            kind="manual",
            key="",
            opens=today,
            closes=today + timedelta(days=MANUAL_DAYS),
            source=Source.MANUAL,
            created_by=staff.user,
        )
    except InstrumentInputError as exc:
        raise ValidationError({"instrument": str(exc)}) from None
    sent = send_request(req)
    record_patient(
        staff,
        Action.CREATE,
        patient.pk,
        req,
        request=request,
        detail={"instrument": instrument, "kind": "manual", **sent},
    )
    return req, sent


@transaction.atomic
def start_kiosk(
    staff: Staff, patient: Patient, instrument: str, *, request: HttpRequest | None = None
) -> str:
    """A questionnaire to hand over on a clinic tablet; returns the link token. The view
    signs the staff member out, so the device is locked back when the patient is done."""
    staff.require(Perm.SELFREPORT_MANAGE)
    staff.require_own(patient.clinic_id)
    today = staff.clinic.today()
    try:
        req = _new_request(
            staff.clinic,
            patient,
            instrument,
            kind="kiosk",
            key="",
            opens=today,
            closes=today,
            source=Source.KIOSK,
            created_by=staff.user,
            expires_at=timezone.now() + timedelta(hours=KIOSK_HOURS),
        )
    except InstrumentInputError as exc:
        raise ValidationError({"instrument": str(exc)}) from None
    token = issue_link(req, "kiosk")
    req.sent_at = req.last_contact_at = timezone.now()
    req.save(update_fields=["sent_at", "last_contact_at"])
    record_patient(
        staff,
        Action.CREATE,
        patient.pk,
        req,
        request=request,
        detail={"instrument": instrument, "kind": "kiosk"},
    )
    return token


# --- the patient's side ----------------------------------------------------------------


@dataclass(frozen=True)
class LinkState:
    req: ReportRequest | None
    problem: str = ""  # "" (usable), "unknown", "expired", "used"


def resolve_link(token: str) -> LinkState:
    """The request a token opens, or why it does not. Constant work for any string."""
    if not tokens.well_formed(token):
        return LinkState(None, "unknown")
    link = (
        Link.objects.select_related("request__clinic", "request__patient")
        .filter(token_hash=tokens.digest(token))
        .first()
    )
    if link is None:
        return LinkState(None, "unknown")
    req = link.request
    if req.completed_at is not None:
        return LinkState(req, "used")
    if timezone.now() >= req.expires_at:
        return LinkState(req, "expired")
    return LinkState(req)


def opened(req: ReportRequest, request: HttpRequest | None) -> None:
    if req.opened_at is None:
        ReportRequest.objects.filter(pk=req.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
    _audit_link(Action.VIEW, req, request, {"instrument": req.instrument})


def _clean_answers(req: ReportRequest, raw: Mapping[str, Any]) -> dict[str, int]:
    """Only known items with allowed values; anything else is dropped, not stored."""
    instrument = get(req.instrument)
    out: dict[str, int] = {}
    for item in instrument.items:
        value = raw.get(f"item_{item.number}")
        if value in (None, ""):
            continue
        try:
            number = int(str(value))
        except ValueError:
            continue
        if number in item.allowed:
            out[str(item.number)] = number
    return out


@transaction.atomic
def save_progress(
    req: ReportRequest, raw: Mapping[str, Any], *, request: HttpRequest | None = None
) -> ReportRequest:
    """Merge answers into the saved progress (a dropped connection loses nothing saved)."""
    locked = ReportRequest.objects.select_for_update().get(pk=req.pk)
    if locked.completed_at is not None:
        return locked
    answers = _clean_answers(locked, raw)
    if answers:
        locked.progress = {**locked.progress, **answers}
        locked.save(update_fields=["progress"])
        _audit_link(Action.UPDATE, locked, request, {"saved_items": sorted(answers, key=int)})
    return locked


def ordered_values(req: ReportRequest) -> list[int]:
    """Saved answers in item order, stopping at the first unanswered optional item."""
    out: list[int] = []
    for item in get(req.instrument).items:
        value = req.progress.get(str(item.number))
        if value is None:
            if item.optional:
                break
            raise InstrumentInputError(req.instrument, "please answer this question", item.number)
        out.append(int(value))
    return out


def first_dose_start(course: Course | None) -> datetime | None:
    """When dosing started in the course's first session (None before any dose)."""
    if course is None:
        return None
    return (Dose.objects.filter(session__course=course).order_by("started_at")
            .values_list("started_at", flat=True).first())


def baseline_response(
    patient: Patient, instrument: str, course: Course | None, before: datetime | None = None
) -> Response | None:
    """The course's baseline score by the clinical core's rule (clinical.baseline: the
    latest at or before the first dose, no older than 30 days), or None: then there is no
    valid baseline. Without a course, the patient's latest course is used."""
    course = course or latest_course(patient)
    start = first_dose_start(course)
    if start is None:
        return None
    low, high = baseline.window(start)
    done = Response.objects.filter(patient=patient, instrument=instrument, total__isnull=False,
                                   submitted_at__gte=low, submitted_at__lte=high)
    if before is not None:
        done = done.filter(submitted_at__lt=before)
    return baseline.choose(done, start, at=lambda r: r.submitted_at,
                           total=lambda r: int(r.total or 0))


def baseline_total(
    patient: Patient, instrument: str, course: Course | None, before: datetime | None = None
) -> int | None:
    found = baseline_response(patient, instrument, course, before)
    return found.total if found is not None else None


def latest_course(patient: Patient) -> Course | None:
    return Course.objects.filter(patient=patient).order_by("-start_date", "-id").first()


def check_submitted_at(patient: Patient, when: datetime, now: datetime) -> datetime:
    """When answers given elsewhere (an import) were authored: not in the future beyond
    clock skew, not before the patient was born. Returns the time to store, never after
    `now`. Raises ValidationError on `submitted_at`."""
    if when > now + CLOCK_SKEW:
        raise ValidationError({"submitted_at": "The answers cannot be dated in the future."})
    born = datetime.combine(patient.date_of_birth, time.min,
                            zoneinfo.ZoneInfo(patient.clinic.time_zone))
    if when < born:
        raise ValidationError(
            {"submitted_at": "The answers cannot be dated before the patient's date of birth."}
        )
    return min(when, now)


def store_response(
    req: ReportRequest,
    result: ScoreResult,
    values: list[int],
    *,
    submitted_at: datetime,
    baseline: int | None,
) -> tuple[Response, list[rules.AlertSpec]]:
    """The scored response and the alerts its answers raise: shared by the patient's
    submit and by responses imported from other systems (FHIR)."""
    response = Response.objects.create(
        request=req,
        patient=req.patient,
        instrument=req.instrument,
        values=values,
        total=result.total,
        severity=result.severity or "",
        flags=[f.code for f in result.flags],
        extras=dict(result.extras),
        submitted_at=submitted_at,
        source=req.source,
    )
    cfg = for_clinic(req.clinic)
    specs = list(rules.alerts_for(result, baseline, cfg.rise_points,
                                  psychosis_rise_points=cfg.psychosis_rise_points,
                                  dissociation_above=cfg.dissociation_above))
    for spec in specs:
        Alert.objects.create(
            clinic=req.clinic,
            patient=req.patient,
            response=response,
            kind=spec.kind,
            message=spec.message[:400],
            created_at=timezone.now(),
        )
    return response, specs


@transaction.atomic
def submit(
    req: ReportRequest, raw: Mapping[str, Any] | None = None, *, request: HttpRequest | None = None
) -> Response:
    """Score and store once. A repeat (double click, retry after a dropped response)
    returns the response already stored; raises InstrumentInputError when answers are
    missing."""
    locked = (
        ReportRequest.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "course")
        .get(pk=req.pk)
    )
    if locked.completed_at is not None:
        return locked.response
    if raw:
        answers = _clean_answers(locked, raw)
        locked.progress = {**locked.progress, **answers}
        locked.save(update_fields=["progress"])
    values = ordered_values(locked)
    result = get(locked.instrument).score(values)
    now = timezone.now()
    baseline = baseline_total(locked.patient, locked.instrument, locked.course, before=now)
    try:
        with transaction.atomic():  # a savepoint: the unique request is the last guard
            response, specs = store_response(
                locked, result, values, submitted_at=now, baseline=baseline
            )
    except IntegrityError:  # a database without row locks (SQLite) let a twin through
        return Response.objects.get(request=locked)
    locked.completed_at = now
    locked.save(update_fields=["completed_at"])
    _audit_link(
        Action.CREATE,
        locked,
        request,
        {"instrument": locked.instrument, "alerts": [s.kind for s in specs]},
    )
    return response


# --- alerts ----------------------------------------------------------------------------


@transaction.atomic
def acknowledge(staff: Staff, alert: Alert, *, request: HttpRequest | None = None) -> Alert:
    staff.require(Perm.ALERTS_ACT)
    staff.require_own(alert.patient.clinic_id)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = staff.user, timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
        record_patient(
            staff,
            Action.UPDATE,
            alert.patient.pk,
            alert,
            request=request,
            detail={"alert": "acknowledged"},
        )
    return alert


@transaction.atomic
def record_action(
    staff: Staff, alert: Alert, text: str, *, request: HttpRequest | None = None
) -> Alert:
    """What was done (called the patient, safety plan, ...). Acknowledges it if nobody has."""
    staff.require(Perm.ALERTS_ACT)
    staff.require_own(alert.patient.clinic_id)
    text = text.strip()
    if not text:
        raise ValidationError({"action_taken": "Say what was done."})
    if len(text) > 2000:
        raise ValidationError({"action_taken": "At most 2000 characters."})
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.action_at is not None:
        raise ValidationError("An action is already recorded for this alert.")
    now = timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = staff.user, now
    alert.action_taken, alert.action_by, alert.action_at = text, staff.user, now
    alert.save()
    record_patient(
        staff, Action.UPDATE, alert.patient.pk, alert, request=request, detail={"alert": "action"}
    )
    return alert


def escalation_due(clinic: Clinic, now: datetime, cfg: Config | None = None) -> list[Alert]:
    cfg = cfg or for_clinic(clinic)
    cutoff = now - timedelta(minutes=cfg.escalate_minutes)
    return list(
        Alert.objects.filter(
            clinic=clinic,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            created_at__lte=cutoff,
        )
    )


def escalate(clinic: Clinic, alerts: list[Alert], now: datetime) -> int:
    """Email the clinic's admins about unacknowledged alerts and mark them escalated. The
    email carries counts and a link to the inbox, never who the patient is."""
    if not alerts:
        return 0
    admins = Membership.objects.filter(clinic=clinic, role=Role.ADMIN, active=True).select_related(
        "user"
    )
    to = sorted({m.user.email for m in admins if m.user.email})
    inbox = f"{delivery_base()}{reverse('selfreport-alerts')}"
    minutes = for_clinic(clinic).escalate_minutes
    if to:
        delivery.send_mail_many(
            to,
            f"[{clinic.name}] {len(alerts)} patient alert(s) not acknowledged",
            f"{len(alerts)} self-report alert(s) at {clinic.name} have not been acknowledged "
            f"within {minutes} minutes.\n\nOpen the alert inbox: {inbox}\n",
        )
    with transaction.atomic():
        for alert in alerts:
            Alert.objects.filter(pk=alert.pk).update(escalated_at=now)
            record(
                Action.UPDATE,
                username=CLI_USER,
                clinic_id=clinic.pk,
                patient_id=alert.patient_id,
                obj=alert,
                detail={"alert": "escalated", "emailed": len(to)},
            )
    return len(alerts)


def delivery_base() -> str:
    from django.conf import settings

    return str(settings.KETACARE_BASE_URL).rstrip("/")


# --- send-due: the cron job ------------------------------------------------------------


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


def session_facts(course: Course) -> list[schedule.SessionFact]:
    return [
        schedule.SessionFact(s.number, s.planned_date, s.phase, s.status)
        for s in course.sessions.all()
    ]


def dues_for(course: Course, day: date, cfg: Config) -> list[tuple[schedule.Due, str]]:
    """(due, instrument) pairs open on `day` that have no request yet."""
    dues = schedule.open_on(schedule.plan(session_facts(course), cfg.rules), day)
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
    due: schedule.Due,
    instrument: str,
    now: datetime,
    counts: Counts,
) -> None:
    try:
        with transaction.atomic():
            req = _new_request(
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
