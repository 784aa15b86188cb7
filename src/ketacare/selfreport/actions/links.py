"""Asking: a request for a questionnaire, its secret link, and sending it (email, SMS, a
clinic tablet); the patient's link resolving to its request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.clinical.instruments import InstrumentInputError, get
from ketacare.patients.models import Patient
from ketacare.treatment.models import Course

from .. import delivery, tokens
from ..config import for_clinic
from ..models import Delivery, Link, ReportRequest, Source
from ._common import audit_link, end_of_day

KIOSK_HOURS = 2
MANUAL_DAYS = 3


def new_request(
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
        req = new_request(
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
        req = new_request(
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
    audit_link(Action.VIEW, req, request, {"instrument": req.instrument})
