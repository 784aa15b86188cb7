"""Issue 14 items 5, 6 and 12 on the pages: the dose step's interaction warnings and IV
preparation, the screening's expiry when a course starts."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Medication, Screening
from ketacare.treatment import actions
from ketacare.treatment.dose_step import notes_for
from tests.conftest import cosigned

from .conftest import next_monday, protocol

pytestmark = pytest.mark.django_db


def iv_session(prescriber, patient, clinic):
    course = actions.start_course(prescriber, patient, protocol(clinic, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    return course.sessions.first()


def test_iv_preparation_before_and_after_the_dose(prescriber, nurse, nurse_a, ready_patient,
                                                  clinic_a, stock, client) -> None:
    s = iv_session(prescriber, ready_patient, clinic_a)
    notes = notes_for(s)
    # 80 kg x 0.5 mg/kg = 40 mg of the 10 mg/mL stock = 4 mL + 100 mL bag over 40 min.
    (row,) = notes.iv_planned
    assert (row.concentration_mg_ml, row.prep.draw_ml, row.prep.total_ml,
            row.prep.rate_ml_h) == (10.0, 4.0, 104.0, 156.0)
    clinic_a.settings = {**clinic_a.settings, "iv_bag_volume_ml": 250}
    clinic_a.save(update_fields=["settings"])
    s.refresh_from_db()
    (row,) = notes_for(s).iv_planned
    assert (row.prep.total_ml, row.prep.rate_ml_h) == (254.0, 381.0)
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=124, dbp=78, hr=70, spo2=98, rr=14)
    client.force_login(nurse_a)
    page = client.get(f"/treatment/sessions/{s.pk}/").content.decode()
    assert 'data-testid="iv-prep"' in page and "381.0 mL/h" in page
    actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot="KX-2291",
                      expiry=stock["expiry"],
                      second_check_by=cosigned(nurse, prescriber.user, "second_check"))
    s.refresh_from_db()
    given = notes_for(s).iv_given
    assert given is not None and (given.draw_ml, given.rate_ml_h) == (4.0, 381.0)


def test_bad_bag_setting_is_named(prescriber, ready_patient, clinic_a, stock) -> None:
    s = iv_session(prescriber, ready_patient, clinic_a)
    clinic_a.settings = {**clinic_a.settings, "iv_bag_volume_ml": 5}
    clinic_a.save(update_fields=["settings"])
    s.refresh_from_db()
    assert notes_for(s).iv_problem.startswith("bag_volume_ml: 5 is not a whole number")


def test_interaction_warnings_on_the_dose_step_and_at_screening(
        prescriber, nurse_a, ready_patient, clinic_a, stock, client) -> None:
    patient_actions.add_entry(prescriber, ready_patient, Medication(
        name="oxycodone", dose="5 mg", category="opioid"))
    patient_actions.add_entry(prescriber, ready_patient, Medication(
        name="methylphenidate", dose="10 mg", category="psychostimulant"))
    s = iv_session(prescriber, ready_patient, clinic_a)
    effects = [w.effect for w in notes_for(s).interactions]
    assert effects == ["sedation", "blood_pressure"]
    client.force_login(nurse_a)
    page = client.get(f"/treatment/sessions/{s.pk}/").content.decode()
    assert "opioid: oxycodone 5 mg" in page and "psychostimulant: methylphenidate" in page
    screening = client.get(
        f"/patients/{ready_patient.pk}/screening/new/?route=esketamine_nasal").content.decode()
    assert 'data-testid="interactions"' in screening and "Spravato label 7.1" in screening


def test_screening_form_records_the_pregnancy_test_and_alcohol(client, prescriber_a,
                                                                patient_a) -> None:
    from ketacare.clinical import eligibility

    client.force_login(prescriber_a)
    url = f"/patients/{patient_a.pk}/screening/new/?route=esketamine_nasal"
    answers = {c.code: "no" for c in eligibility.criteria_for("esketamine_nasal")}
    missing = client.post(url, answers)
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
    client.post(url, {**answers, "pregnancy_test": "not_done", "alcohol_use": "yes"})
    screening = Screening.objects.get(patient=patient_a)
    assert screening.status == "needs_review"
    assert screening.facts["alcohol_use"] is True
    assert [r["code"] for r in screening.reasons] == ["pregnancy_test_not_done"]


def test_course_cannot_start_on_an_expired_screening(prescriber, ready_patient, clinic_a,
                                                     client, prescriber_a) -> None:
    old = clinic_a.today() - timedelta(days=91)
    Screening.objects.filter(patient=ready_patient, route="iv").update(
        screened_at=datetime.combine(old, time(12), clinic_a.zone))
    with pytest.raises(ValidationError, match="older than 90 days: screen the patient again"):
        iv_session(prescriber, ready_patient, clinic_a)
    client.force_login(prescriber_a)
    chart = client.get(f"/patients/{ready_patient.pk}/").content.decode()
    assert chart.count("expired: screen again") == 1  # the IV screening, not the esketamine
    clinic_a.settings = {**clinic_a.settings, "screening_valid_days": 120}
    clinic_a.save(update_fields=["settings"])
    ready_patient.refresh_from_db()
    assert iv_session(prescriber, ready_patient, clinic_a).number == 1
