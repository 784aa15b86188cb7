"""A completed esketamine session (the session-day actions, times moved as the treatment
tests do) for the REMS form tests, reusing the treatment fixtures."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Medication
from ketacare.treatment import actions
from tests.conftest import cosigned
from tests.treatment import conftest as treatment
from tests.treatment.conftest import next_monday, protocol

# The treatment fixtures, shared by name with these tests.
nurse, prescriber = treatment.nurse, treatment.prescriber
ready_patient, stock = treatment.ready_patient, treatment.stock

ADDRESS = "12 Harbor Street\nSuite 4, Portland, ME 04101"


def shift_dose(session, minutes: int) -> None:
    """Pretend the dose started `minutes` earlier (the server sets every time)."""
    dose = session.dose
    dose.started_at -= timedelta(minutes=minutes)
    dose.save(update_fields=["started_at"])
    session.refresh_from_db()


def move_back(session, days: int) -> None:
    """Pretend the whole session happened `days` days before today, its dose at 10:00 in
    the clinic's zone: whatever the time of day the test runs, the treatment date is
    exactly `days` before the clinic's today (a session begun two hours ago at 01:00 would
    otherwise fall on the day before)."""
    dose = session.dose
    clinic = session.course.patient.clinic
    start = datetime.combine(clinic.today() - timedelta(days=days), time(10), clinic.zone)
    delta = dose.started_at - start
    dose.started_at -= delta
    dose.save(update_fields=["started_at"])
    if session.discharged_at:
        session.discharged_at -= delta
        session.save(update_fields=["discharged_at"])
    for v in session.vitals.all():
        v.taken_at -= delta
        v.save(update_fields=["taken_at"])
    session.refresh_from_db()


def esketamine_session(nurse, prescriber, patient, clinic, stock, *, discharge=True,
                       predose=(124, 78), fixed_mg=56):
    """Check-in, pre-dose vitals, 56 mg, vitals at minute 41 and 121, CADSS-6 and MOAA/S,
    one non-serious and one serious adverse event, discharge at 121 min."""
    course = actions.start_course(prescriber, patient, protocol(clinic, "esketamine"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 3}),
                                  proceed_reason="test: another course for the same patient")
    s = course.sessions.first()
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=True)
    actions.record_vitals(nurse, s, sbp=predose[0], dbp=predose[1], hr=70, spo2=98, rr=14)
    s.refresh_from_db()
    if s.hold:
        actions.override_hold(prescriber, s, "Rechecked by hand 138/86; anxious")
        s.refresh_from_db()
    # 84 mg on day 1 is above the label's first dose: the prescriber co-signs on the tablet.
    approval = (None if fixed_mg == 56
                else cosigned(nurse, prescriber.user, "dose_override"))
    actions.give_dose(nurse, s, fixed_mg=fixed_mg, stock_item=stock["spray"], lot="ES-77",
                      expiry=stock["expiry"], override_by=approval,
                      override_reason="" if fixed_mg == 56 else "Prescribed 84 mg from day 1")
    s.refresh_from_db()
    shift_dose(s, 41)
    actions.record_vitals(nurse, s, sbp=148, dbp=92, hr=84, spo2=95, rr=14)
    actions.record_rating(nurse, s, "cadss6", [2, 1, 0, 1, 0, 0])
    actions.record_rating(nurse, s, "moaas", [4])
    actions.record_adverse_event(nurse, s, term="nausea", severity="mild", serious=False)
    actions.record_adverse_event(nurse, s, term="vasovagal syncope", severity="severe",
                                 serious=True, action="supine, legs raised",
                                 outcome="resolved")
    shift_dose(s, 80)
    actions.record_vitals(nurse, s, sbp=128, dbp=80, hr=72, spo2=98, rr=14)
    actions.record_rating(nurse, s, "cadss6", [0, 0, 0, 0, 0, 0])
    actions.record_rating(nurse, s, "moaas", [5])
    s.refresh_from_db()
    if discharge:
        actions.discharge(nurse, s, dissociation_resolved=True, escort_present=True)
        s.refresh_from_db()
    return s


@pytest.fixture
def rems_patient(prescriber, ready_patient, clinic_a, nurse_a):
    nurse_a.email = "noah@clinic-a.example"
    nurse_a.save(update_fields=["email"])
    clinic_a.address = ADDRESS
    clinic_a.settings = {**clinic_a.settings, "phone": "207-555-0142"}
    clinic_a.save(update_fields=["address", "settings"])
    patient_actions.add_entry(prescriber, ready_patient, Medication(
        name="lorazepam", dose="0.5 mg at night", category="benzodiazepine"))
    patient_actions.add_entry(prescriber, ready_patient, Medication(
        name="sertraline", dose="100 mg daily", category="antidepressant"))
    ready_patient.refresh_from_db()
    return ready_patient


@pytest.fixture
def done_session(nurse, prescriber, rems_patient, clinic_a, stock):
    return esketamine_session(nurse, prescriber, rems_patient, clinic_a, stock)
