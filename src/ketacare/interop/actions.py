"""Writes that arrive through the FHIR API: an answered questionnaire from another system,
and a body weight. Each is one transaction with its audit entry, under the token's staff.

`import_response` stores through `selfreport.actions.store_response` (score, store, raise
alerts against the baseline) like the patient's submit, but keeps the time the answers were
authored and audits the staff member who sent them, where `submit` audits the patient's
link."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical.instruments import get
from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Patient, Weight
from ketacare.selfreport.actions import (
    baseline_total,
    check_submitted_at,
    end_of_day,
    latest_course,
    store_response,
)
from ketacare.selfreport.models import ReportRequest, Response, Source

KIND = "fhir-import"
# The sender's business identifier (system, value): ("", "") when it gave none.
Identifier = tuple[str, str]
NO_IDENTIFIER: Identifier = ("", "")


@transaction.atomic
def import_response(staff: Staff, patient: Patient, instrument_id: str,
                    values: Sequence[int], *, authored: datetime | None = None,
                    identifier: Identifier = NO_IDENTIFIER,
                    request: HttpRequest | None = None) -> Response:
    """Score `values` with the instrument library and store them as a completed response
    of `patient`; raises InstrumentInputError for answers the instrument refuses and
    ValidationError (`submitted_at`) for an authored time in the future or before birth."""
    staff.require(Perm.SELFREPORT_MANAGE)
    if patient.clinic_id != staff.clinic.pk:
        raise ValidationError("This patient is not in your active clinic.")
    instrument = get(instrument_id)
    result = instrument.score(values)
    now = timezone.now()
    when = check_submitted_at(patient, authored, now) if authored is not None else now
    clinic = staff.clinic
    day = timezone.localtime(when, timezone=zoneinfo.ZoneInfo(clinic.time_zone)).date()
    course = latest_course(patient)
    req = ReportRequest.objects.create(
        clinic=clinic, patient=patient, course=None, instrument=instrument.id, kind=KIND,
        key="", source=Source.MANUAL, opens_on=day, closes_on=day,
        expires_at=end_of_day(clinic, day), created_by=staff.user, sent_at=None,
        completed_at=now, progress={str(i): v for i, v in enumerate(values, start=1)},
    )
    baseline = baseline_total(patient, instrument.id, course, before=when)
    response, specs = store_response(req, result, list(values), submitted_at=when,
                                     baseline=baseline)
    if identifier != NO_IDENTIFIER:
        response.identifier_system, response.identifier_value = identifier
        response.save(update_fields=["identifier_system", "identifier_value"])
    record(Action.CREATE, request=request, user=staff.user, role=staff.role_label,
           clinic_id=clinic.pk, patient_id=patient.pk, obj=response,
           detail={"instrument": instrument.id, "via": "fhir",
                   "alerts": [s.kind for s in specs]})
    return response


def add_weight(staff: Staff, patient: Patient, weight_kg: Decimal, measured_on: date, *,
               identifier: Identifier = NO_IDENTIFIER,
               request: HttpRequest | None = None) -> Weight:
    weight = Weight(weight_kg=weight_kg, measured_on=measured_on,
                    identifier_system=identifier[0], identifier_value=identifier[1])
    entry = patient_actions.add_entry(staff, patient, weight, request=request)
    assert isinstance(entry, Weight)
    return entry
