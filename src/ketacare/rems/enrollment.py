"""Spravato REMS patient enrollment (issue 14 item 7): record it, correct it, and refuse
the first esketamine dose of a patient who is not enrolled.

Clinical reference s.8 (FDA REMS page, 2024-12-31): outpatient healthcare settings enroll
the patient in the REMS before the first treatment. A patient who already had an
esketamine dose recorded here (before enrollment tracking existed) is not refused: the
rule is about the first treatment, as the REMS words it.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.compiled_reads import CompiledRead
from ketacare.patients.models import Patient
from ketacare.treatment.models import Dose, Session

from .actions import _require_clinician
from .models import RemsEnrollment


def _in_force(patient_id: UUID) -> QuerySet[RemsEnrollment]:
    return RemsEnrollment.objects.filter(patient_id=patient_id, entered_in_error=False)


_newest_in_force = CompiledRead(lambda patient_id: _in_force(patient_id)[:1])


def enrollment_of(patient: Patient, on: date | None = None) -> RemsEnrollment | None:
    """The patient's enrollment in force (on a day, if given), or None."""
    if on is None:  # the chart's flag, on every chart page
        return next(iter(_newest_in_force(patient.pk)), None)
    return _in_force(patient.pk).filter(enrolled_on__lte=on).first()


def had_esketamine_before(patient: Patient, session: Session) -> bool:
    return Dose.objects.filter(
        session__course__patient=patient, route=ESKETAMINE_ROUTE
    ).exclude(session=session).exists()


def dose_refusal(session: Session, today: date) -> str | None:
    """Why this session's dose must not be given for want of REMS enrollment, or None."""
    if session.course.protocol().route != ESKETAMINE_ROUTE:
        return None
    patient = session.course.patient
    if enrollment_of(patient, today) is not None or had_esketamine_before(patient, session):
        return None
    return (
        "Spravato REMS: the patient is not enrolled in the REMS. Enroll the patient before "
        "the first treatment and record the enrollment on the chart (REMS enrollment)."
    )



@transaction.atomic
def enroll(
    staff: Staff,
    patient: Patient,
    *,
    enrolled_on: date,
    rems_patient_id: str = "",
    request: HttpRequest | None = None,
) -> RemsEnrollment:
    _require_clinician(staff)
    staff.require_own(patient.clinic_id)
    if enrolled_on > staff.clinic.today():
        raise ValidationError({"enrolled_on": "The enrollment date cannot be in the future."})
    if enrollment_of(patient) is not None:
        raise ValidationError("The patient is already enrolled; mark that record entered in "
                              "error first to record another.")
    row = RemsEnrollment.objects.create(
        patient=patient, enrolled_on=enrolled_on, rems_patient_id=rems_patient_id.strip()[:40],
        recorded_by=staff.user)
    record_patient(staff, Action.CREATE, patient.pk, row, request=request,
                   detail={"rems_enrollment": True})
    return row


@transaction.atomic
def mark_in_error(
    staff: Staff, row: RemsEnrollment, reason: str, *, request: HttpRequest | None = None
) -> RemsEnrollment:
    _require_clinician(staff)
    staff.require_own(row.patient.clinic_id)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this enrollment record is wrong."})
    if row.entered_in_error:
        raise ValidationError("This enrollment record is already marked entered in error.")
    row.entered_in_error, row.error_reason = True, reason.strip()[:300]
    row.save(update_fields=["entered_in_error", "error_reason"])
    record_patient(staff, Action.UPDATE, row.patient_id, row, request=request,
                   detail={"entered_in_error": True})
    return row
