"""Every change to a patient record: validate, check permission, write in one transaction,
audit. Views, API, FHIR and CLI call these; none writes the models itself."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.clinical import diagnoses, eligibility

from . import counts
from .models import (
    Decision,
    Diagnosis,
    EligibilityDecision,
    EligibilityStatus,
    HistoryEntry,
    Medication,
    Patient,
    PatientRevision,
    Screening,
    Status,
    Weight,
)

DEMOGRAPHIC_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "email",
    "mobile",
    "escort_name",
    "escort_phone",
    "escort_relationship",
    "height_cm",
    "status",
)


def _snapshot(patient: Patient) -> dict[str, Any]:
    data = model_to_dict(patient, fields=DEMOGRAPHIC_FIELDS)
    return {k: (str(v) if v is not None and not isinstance(v, str) else v) for k, v in data.items()}


def _revise(staff: Staff, patient: Patient, reason: str) -> None:
    PatientRevision.objects.create(
        patient=patient,
        version=patient.version,
        data=_snapshot(patient),
        reason=reason,
        changed_by=staff.user,
    )


def probable_duplicates(patient: Patient) -> list[Patient]:
    """Patients of the same clinic with the same name and date of birth but another MRN
    (names compared without case or surrounding spaces)."""
    return list(Patient.objects.filter(
        clinic_id=patient.clinic_id, date_of_birth=patient.date_of_birth,
        given_name__iexact=patient.given_name.strip(),
        family_name__iexact=patient.family_name.strip(),
    ).exclude(mrn=patient.mrn).order_by("mrn"))


@transaction.atomic
def create_patient(
    staff: Staff, data: dict[str, Any], *, confirm_duplicate: bool = False,
    request: HttpRequest | None = None
) -> Patient:
    """Create a patient; a probable duplicate (issue #14 item 10) is refused on the
    `confirm_duplicate` field unless the caller confirms it is another person."""
    staff.require(Perm.EDIT_PATIENT)
    patient = Patient(clinic=staff.clinic, **data)
    patient.given_name, patient.family_name = (patient.given_name.strip(),
                                               patient.family_name.strip())
    patient.full_clean()  # includes the clinic-unique MRN check
    twins = probable_duplicates(patient)
    if twins and not confirm_duplicate:
        mrns = ", ".join(f"MRN {p.mrn}" for p in twins)
        raise ValidationError({"confirm_duplicate": (
            f"Probable duplicate: {mrns} has the same name and date of birth. Open that "
            "record instead, or confirm this is a different person.")})
    patient.save()
    _revise(staff, patient, "created")
    record_patient(staff, Action.CREATE, patient.pk, patient, request=request)
    clinic_id = staff.clinic.pk
    transaction.on_commit(lambda: counts.forget(clinic_id))
    return patient


@transaction.atomic
def update_patient(
    staff: Staff,
    patient: Patient,
    data: dict[str, Any],
    *,
    reason: str = "",
    request: HttpRequest | None = None,
) -> list[str]:
    """Apply changed demographics as a new version; returns the names of changed fields."""
    staff.require(Perm.EDIT_PATIENT)
    patient = Patient.objects.select_for_update().get(pk=patient.pk, clinic=staff.clinic)
    changed = [f for f in DEMOGRAPHIC_FIELDS if f in data and getattr(patient, f) != data[f]]
    if not changed:
        return []
    for name in changed:
        setattr(patient, name, data[name])
    patient.version += 1
    patient.full_clean()
    patient.save()
    _revise(staff, patient, reason)
    # Field names only: the audit trail records that a value changed, not the value.
    record_patient(
        staff, Action.UPDATE, patient.pk, patient, request=request, detail={"fields": changed}
    )
    return changed


def _sync_primary_condition(patient: Patient) -> None:
    primary = (
        Diagnosis.objects.filter(patient=patient, primary=True, entered_in_error=False)
        .order_by("-recorded_at", "-id")
        .first()
    )
    patient.primary_condition = primary.condition if primary else ""
    patient.save(update_fields=["primary_condition", "updated_at"])


@transaction.atomic
def add_entry(
    staff: Staff, patient: Patient, entry: HistoryEntry, *, request: HttpRequest | None = None
) -> HistoryEntry:
    """Add a weight, diagnosis, prior treatment or medication to the chart."""
    staff.require(Perm.EDIT_PATIENT)
    staff.require_own(patient.clinic_id)
    entry.patient = patient
    entry.recorded_by = staff.user
    if isinstance(entry, Diagnosis):
        if not diagnoses.valid_icd10(entry.icd10_code):
            raise ValidationError(
                {"icd10_code": "Enter an ICD-10-CM code such as F33.1 or F43.10."}
            )
        entry.icd10_code = diagnoses.normalise_icd10(entry.icd10_code)
        entry.condition = diagnoses.condition_for(entry.icd10_code)
    entry.full_clean()
    if isinstance(entry, Weight):
        _check_measured_on(patient, entry.measured_on)
    entry.save()
    if isinstance(entry, Diagnosis):
        _sync_primary_condition(patient)
    record_patient(staff, Action.CREATE, patient.pk, entry, request=request)
    return entry


def _check_measured_on(patient: Patient, day: date) -> None:
    """Doses are computed from the latest weight: one dated ahead would stay "latest" (and
    a 2099 weight blocked dosing), one before birth is a typo. The same rule for the chart
    form, the API and FHIR."""
    if day > patient.clinic.today():
        raise ValidationError({"measured_on": "Measurement date cannot be in the future."})
    if day < patient.date_of_birth:
        raise ValidationError(
            {"measured_on": "Measurement date cannot be before the patient's date of birth."}
        )


@transaction.atomic
def mark_entered_in_error(
    staff: Staff, entry: HistoryEntry, reason: str, *, request: HttpRequest | None = None
) -> HistoryEntry:
    """The correction of a chart entry: it stays, struck through, with who and why."""
    staff.require(Perm.EDIT_PATIENT)
    staff.require_own(entry.patient.clinic_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this entry is wrong."})
    if entry.entered_in_error:
        raise ValidationError("This entry is already marked entered in error.")
    entry.entered_in_error = True
    entry.error_reason = reason[:300]
    entry.error_by = staff.user
    entry.error_at = timezone.now()
    entry.save()
    if isinstance(entry, Diagnosis):
        _sync_primary_condition(entry.patient)
    record_patient(
        staff,
        Action.UPDATE,
        entry.patient.pk,
        entry,
        request=request,
        detail={"entered_in_error": True},
    )
    return entry


@transaction.atomic
def stop_medication(
    staff: Staff, medication: Medication, stopped_on: date, *, request: HttpRequest | None = None
) -> Medication:
    staff.require(Perm.EDIT_PATIENT)
    staff.require_own(medication.patient.clinic_id)
    if medication.stopped_on is not None:
        raise ValidationError("This medication is already stopped.")
    if medication.started_on and stopped_on < medication.started_on:
        raise ValidationError({"stopped_on": "Stop date is before the start date."})
    medication.stopped_on = stopped_on
    medication.save(update_fields=["stopped_on"])
    record_patient(
        staff,
        Action.UPDATE,
        medication.patient.pk,
        medication,
        request=request,
        detail={"stopped": True},
    )
    return medication


@transaction.atomic
def record_screening(
    staff: Staff,
    patient: Patient,
    route: str,
    answers: dict[str, bool],
    facts: eligibility.ScreeningFacts | None = None,
    *,
    request: HttpRequest | None = None,
) -> Screening:
    staff.require(Perm.SCREEN)
    staff.require_own(patient.clinic_id)
    try:
        assessment = eligibility.assess(route, answers, facts)
    except eligibility.EligibilityInputError as exc:
        raise ValidationError(str(exc)) from None
    facts_data = {k: v for k, v in vars(facts).items() if v is not None} if facts else {}
    screening = Screening.objects.create(
        patient=patient,
        route=route,
        answers=dict(answers),
        facts=facts_data,
        status=assessment.status,
        reasons=[vars(r) for r in assessment.reasons],
        screened_by=staff.user,
    )
    if patient.status == Status.REFERRED:
        patient.status = Status.SCREENING
        patient.save(update_fields=["status", "updated_at"])
    record_patient(
        staff,
        Action.CREATE,
        patient.pk,
        screening,
        request=request,
        detail={"route": route, "status": assessment.status},
    )
    return screening


@transaction.atomic
def decide_eligibility(
    staff: Staff,
    screening: Screening,
    decision: str,
    rationale: str,
    *,
    request: HttpRequest | None = None,
) -> EligibilityDecision:
    staff.require(Perm.DECIDE_ELIGIBILITY)
    staff.require_own(screening.patient.clinic_id)
    rationale = rationale.strip()
    if not rationale:
        raise ValidationError({"rationale": "A decision needs a rationale."})
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Choose one of: {', '.join(Decision.values)}."})
    if decision == Decision.APPROVED and screening.status == EligibilityStatus.INELIGIBLE:
        raise ValidationError(
            {
                "decision": "This screening found an absolute "
                "contraindication; it cannot be approved."
            }
        )
    made = EligibilityDecision.objects.create(
        screening=screening, decision=decision, rationale=rationale, decided_by=staff.user
    )
    record_patient(
        staff,
        Action.CREATE,
        screening.patient.pk,
        made,
        request=request,
        detail={"decision": decision},
    )
    return made
