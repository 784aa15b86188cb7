"""What every self-report action shares: who a patient's link acts as in the audit log,
the clinic's day boundary, and the instruments a patient is asked for."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest

from ketacare.accounts.models import Clinic
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.patients.models import Patient

from ..config import for_clinic
from ..models import ReportRequest

PATIENT_LINK = "patient-link"
CLI_USER = "cli:selfreport"


def end_of_day(clinic: Clinic, day: date) -> datetime:
    """The first instant after `day` in the clinic's zone."""
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    return datetime.combine(day + timedelta(days=1), time.min, zone)


def audit_link(
    action: Action,
    link: ReportRequest | Any,
    request: HttpRequest | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """An entry made by the patient through their link: a questionnaire's request, or any
    other patient link with a clinic and a patient (consent's intake, signing, aftercare)."""
    record(
        action,
        request=request,
        user=None,
        username=PATIENT_LINK,
        role="patient",
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        obj=link,
        detail=detail,
    )


def instruments_for(clinic: Clinic, patient: Patient) -> tuple[str, ...]:
    return for_clinic(clinic).rules.instruments_for(patient.primary_condition)
