"""The aftercare sheet a patient gets at discharge: printed in the room, and (when the
patient has an email address or mobile number) a link to it by the self-report delivery
backends. The message itself says nothing clinical (email and SMS are not private): the
first name, the clinic and the link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.selfreport import delivery
from ketacare.selfreport.actions import contact_channels
from ketacare.selfreport.config import for_clinic
from ketacare.selfreport.models import ReportRequest
from ketacare.treatment.models import Session, SessionStatus

from . import links
from .education import CRISIS_LINE

# Clinical reference s.4: no driving until the next day (esketamine label; clinic default
# for every route); common effects resolve within hours.
NORMAL_24H = (
    "Feeling tired or sleepy for the rest of the day.",
    "A mild headache or an upset stomach.",
    "Feeling a little unreal or far away for a few hours.",
    "Strong feelings or vivid dreams tonight.",
)
WARNING_SIGNS = (
    "Chest pain, a very bad headache, or a racing or pounding heart.",
    "Trouble breathing, or being very hard to wake up.",
    "Feeling confused or unreal for more than a few hours.",
    "Pain or blood when you pee.",
    "Thoughts of hurting yourself: call or text 988 now.",
)
RULES = (
    "Do not drive, ride a bike or use machines until tomorrow, after a night of sleep.",
    "Do not drink alcohol or take sleeping pills today unless your prescriber said so.",
    "Have an adult with you for the rest of the day if you can.",
)


@dataclass(frozen=True)
class Sheet:
    clinic_name: str
    first_name: str
    phone: str
    crisis_line: str
    session_day: date
    next_session: date | None
    next_questionnaire: date | None
    rules: tuple[str, ...] = RULES
    normal: tuple[str, ...] = NORMAL_24H
    warnings: tuple[str, ...] = WARNING_SIGNS


def sheet_for(session: Session) -> Sheet:
    course = session.course
    patient = course.patient
    clinic = patient.clinic
    day = (timezone.localtime(session.discharged_at, clinic.zone).date()
           if session.discharged_at else session.planned_date)
    upcoming = (course.sessions.filter(status=SessionStatus.PLANNED, planned_date__gte=day)
                .exclude(pk=session.pk).order_by("planned_date").first())
    questionnaire = (ReportRequest.objects.filter(patient=patient, completed_at__isnull=True,
                                                  expires_at__gt=timezone.now())
                     .order_by("opens_on").first())
    return Sheet(clinic_name=clinic.name, first_name=patient.given_name,
                 phone=for_clinic(clinic).phone, crisis_line=CRISIS_LINE, session_day=day,
                 next_session=upcoming.planned_date if upcoming else None,
                 next_questionnaire=questionnaire.opens_on if questionnaire else None)


def send_after_discharge(staff: Staff, session: Session, *,
                         request: HttpRequest | None = None) -> dict[str, int]:
    """Called from treatment.actions.discharge: a link to the sheet by email and/or SMS.
    A failing channel is counted, never fails the discharge."""
    patient = session.course.patient
    channels = contact_channels(patient)
    sent = {"email": 0, "sms": 0, "failed": 0}
    if not channels or not patient.clinic.setting("aftercare_send", True):
        return sent
    _, token = links.issue(patient, "aftercare", created_by=staff.user, session=session)
    url = links.url(token)
    clinic = patient.clinic
    body = (f"Hello {patient.given_name},\n\nThank you for coming to {clinic.name} today. "
            f"Your after-visit sheet is here:\n\n{url}\n\nIf you are in crisis, call or text "
            f"{CRISIS_LINE}.\n")
    for channel in channels:
        try:
            if channel == "email":
                delivery.send_email(patient.email, f"Your after-visit sheet from {clinic.name}",
                                    body)
            else:
                delivery.sms_backend().send(patient.mobile,
                                            f"{clinic.name}: your after-visit sheet: {url}")
        except Exception:  # mail or SMS gateway down: the printed sheet still goes home
            sent["failed"] += 1
            continue
        sent[channel] += 1
    record_patient(staff, Action.CREATE, patient.pk, session, request=request,
                   detail={"step": "aftercare_sent", **sent})
    return sent
