"""Clinic-scoped access: the only way views, API and FHIR fetch patient records.

A patient of another clinic, or an id that does not exist, is the same 404: the answer
never reveals that a record exists elsewhere. Reads are audited here, so no view can
forget to."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit import reads
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.compiled_reads import CompiledRead
from ketacare.ids import int_id

from .models import Patient, Screening, Weight

M = TypeVar("M", bound=Model)


def patients_of(staff: Staff) -> QuerySet[Patient]:
    staff.require(Perm.VIEW_CHART)
    return Patient.objects.filter(clinic=staff.clinic)


def weights_of(staff: Staff) -> QuerySet[Weight]:
    staff.require(Perm.VIEW_CHART)
    return Weight.objects.filter(patient__clinic=staff.clinic)


def screenings_of(staff: Staff) -> QuerySet[Screening]:
    staff.require(Perm.VIEW_CHART)
    return Screening.objects.filter(patient__clinic=staff.clinic)


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such patient") from None


# Every patient page reads its patient this way (ketacare.compiled_reads).
_in_clinic = CompiledRead(lambda clinic_id, patient_id: Patient.objects.filter(
    clinic_id=clinic_id, pk=patient_id).order_by())


def patient_for(
    staff: Staff, patient_id: object, *, write: bool = False, request: HttpRequest | None = None,
    audit_as: str = "patient",
) -> Patient:
    """The patient, if in the staff member's active clinic; a read is audited unless the
    caller is about to write (the write action audits itself)."""
    staff.require(Perm.EDIT_PATIENT if write else Perm.VIEW_CHART)
    found = _in_clinic(staff.clinic.pk, _uuid(patient_id))
    if not found:
        raise Http404("No such patient")
    patient = found[0]
    patient.clinic = staff.clinic  # the row was read in that clinic: no second read of it
    reads.touch(patient.pk, audit_as, str(patient.pk))
    if not write:
        record(Action.VIEW, request=request, user=staff.user, clinic_id=staff.clinic.pk,
               role=staff.role_label, patient_id=patient.pk, object_type=audit_as,
               object_id=str(patient.pk))
    return patient


def entry_for(staff: Staff, model: type[M], entry_id: object, *, write: bool = True) -> M:
    """A chart entry (weight, diagnosis, ...) of a patient in the staff member's clinic."""
    staff.require(Perm.EDIT_PATIENT if write else Perm.VIEW_CHART)
    try:
        return model._default_manager.get(patient__clinic=staff.clinic, pk=int_id(entry_id))
    except (model.DoesNotExist, ValueError):  # type: ignore[attr-defined]
        raise Http404("No such record") from None


def screening_for(staff: Staff, screening_id: object) -> Screening:
    staff.require(Perm.VIEW_CHART)
    return entry_for(staff, Screening, screening_id, write=False)
