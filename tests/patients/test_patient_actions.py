from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent
from ketacare.clinical import eligibility
from ketacare.patients import actions
from ketacare.patients.chart import Chart
from ketacare.patients.models import Diagnosis, Patient, PriorTreatment, Weight

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(clinic_a, prescriber_a):
    return staff_for(prescriber_a, clinic_a)


def test_update_keeps_every_version_and_audits_field_names_only(staff, patient_a) -> None:
    changed = actions.update_patient(staff, patient_a, {"family_name": "Rivera-Lopez",
                                                        "mobile": "555-0100"},
                                     reason="married name")
    assert changed == ["family_name", "mobile"]
    patient = Patient.objects.get(pk=patient_a.pk)
    assert patient.version == 2
    versions = list(patient.revisions.values_list("version", "data__family_name", "reason"))
    assert versions == [(2, "Rivera-Lopez", "married name"), (1, "Rivera", "created")]
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.detail == {"fields": ["family_name", "mobile"]}
    assert "Rivera" not in str(event.detail)


def test_mrn_is_unique_within_a_clinic_only(staff, patient_a, clinic_b, prescriber_b) -> None:
    data = {"mrn": "A-0001", "given_name": "X", "family_name": "Y",
            "date_of_birth": date(1990, 1, 1), "sex_at_birth": "male"}
    with pytest.raises(ValidationError, match="MRN already exists"):
        actions.create_patient(staff, data)
    other = actions.create_patient(staff_for(prescriber_b, clinic_b), data)
    assert other.clinic == clinic_b


def test_entered_in_error_keeps_the_row(staff, patient_a) -> None:
    weight = actions.add_entry(staff, patient_a,
                               Weight(weight_kg=80, measured_on=patient_a.clinic.today()))
    with pytest.raises(ValidationError):
        actions.mark_entered_in_error(staff, weight, "  ")
    actions.mark_entered_in_error(staff, weight, "wrong patient")
    weight.refresh_from_db()
    assert weight.entered_in_error and weight.error_reason == "wrong patient"
    assert Weight.objects.filter(pk=weight.pk).exists()
    assert Chart(patient_a, date.today()).latest_weight is None


def test_primary_diagnosis_sets_condition_and_is_normalised(staff, patient_a) -> None:
    dx = actions.add_entry(staff, patient_a, Diagnosis(icd10_code="f4310",
                                                       description="PTSD", primary=True))
    assert dx.icd10_code == "F43.10" and dx.condition == "ptsd"
    assert Patient.objects.get(pk=patient_a.pk).primary_condition == "ptsd"
    actions.mark_entered_in_error(staff, dx, "wrong code")
    assert Patient.objects.get(pk=patient_a.pk).primary_condition == ""
    with pytest.raises(ValidationError, match="ICD-10-CM"):
        actions.add_entry(staff, patient_a, Diagnosis(icd10_code="depression",
                                                      description="x"))


def test_treatment_resistance_needs_two_adequate_antidepressant_trials(staff, patient_a) -> None:
    def trial(adequate: bool) -> PriorTreatment:
        return actions.add_entry(staff, patient_a, PriorTreatment(
            kind="antidepressant", name="sertraline", adequate=adequate))

    trial(True)
    trial(False)
    assert not Chart(patient_a, date.today()).treatment_resistant
    second = trial(True)
    assert Chart(patient_a, date.today()).treatment_resistant
    actions.mark_entered_in_error(staff, second, "duplicate")
    assert not Chart(patient_a, date.today()).treatment_resistant


def test_screening_and_decisions(staff, patient_a, clinic_a, nurse_a) -> None:
    answers = {c.code: False for c in eligibility.criteria_for("esketamine_nasal")}
    answers["aneurysmal_vascular_disease"] = True
    screening = actions.record_screening(staff, patient_a, "esketamine_nasal", answers)
    assert screening.status == "ineligible"
    with pytest.raises(ValidationError, match="cannot be approved"):
        actions.decide_eligibility(staff, screening, "approved", "looks fine")
    actions.decide_eligibility(staff, screening, "declined", "label contraindication")
    with pytest.raises(PermissionDenied):
        actions.decide_eligibility(staff_for(nurse_a, clinic_a), screening, "declined", "x")
    with pytest.raises(ValidationError, match="rationale"):
        actions.decide_eligibility(staff, screening, "declined", " ")
    assert Patient.objects.get(pk=patient_a.pk).status == "screening"


def test_incomplete_screening_is_refused(staff, patient_a) -> None:
    with pytest.raises(ValidationError, match="psychosis"):
        actions.record_screening(staff, patient_a, "iv", {"ketamine_hypersensitivity": False})


def test_every_chart_view_writes_one_audit_entry(client, prescriber_a, patient_a) -> None:
    client.force_login(prescriber_a)
    before = AuditEvent.objects.filter(action="view").count()
    for tab in ("summary", "screening", "history", "medications"):
        assert client.get(f"/patients/{patient_a.pk}/?tab={tab}").status_code == 200
    views = AuditEvent.objects.filter(action="view").order_by("id")
    assert views.count() == before + 4
    last = views.last()
    assert last.patient_id == patient_a.pk and last.username == "priya"
    assert last.role == "prescriber" and last.clinic_id == patient_a.clinic_id
    assert last.ip == "127.0.0.1"
