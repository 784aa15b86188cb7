"""A clinic ready to treat: protocols, stock received, an eligible patient with a weight."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ketacare.accounts.staff import staff_for
from ketacare.clinical import eligibility
from ketacare.ledger import actions as ledger
from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Weight
from ketacare.rems import enrollment
from ketacare.treatment import actions
from ketacare.treatment.models import ClinicProtocol

LOT = "KX-2291"


@pytest.fixture
def prescriber(clinic_a, prescriber_a):
    return staff_for(prescriber_a, clinic_a)


@pytest.fixture
def nurse(clinic_a, nurse_a):
    return staff_for(nurse_a, clinic_a)


@pytest.fixture
def stock(prescriber):
    expiry = timezone.localdate() + timedelta(days=365)
    vial = ledger.create_stock_item(prescriber, drug="racemic_ketamine", form="vial",
                                    concentration_mg_ml="10", vial_ml="10")
    ledger.receive(prescriber, vial, vials=5, lot=LOT, expiry=expiry, supplier="Acme",
                   invoice="INV-1")
    spray = ledger.create_stock_item(prescriber, drug="esketamine", form="nasal_device")
    ledger.receive(prescriber, spray, devices=12, lot="ES-77", expiry=expiry,
                   supplier="Janssen", invoice="INV-2")
    return {"vial": vial, "spray": spray, "expiry": expiry}


def screen(staff, patient, route: str, **findings: bool):
    answers = {c.code: findings.get(c.code, False) for c in eligibility.criteria_for(route)}
    return patient_actions.record_screening(staff, patient, route, answers)


def make_eligible(prescriber, patient):
    """Weighed, screened and REMS-enrolled, but no consent signed yet."""
    patient_actions.add_entry(prescriber, patient,
                              Weight(weight_kg=80, measured_on=patient.clinic.today()))
    screen(prescriber, patient, "iv")
    screen(prescriber, patient, "esketamine_nasal")
    # Spravato REMS: enrolled before the first esketamine treatment (issue 14 item 7); a
    # week before, as in the demo, so a test that moves a dose into the past (shortly after
    # the clinic's midnight, into yesterday) still finds the patient enrolled on that day.
    enrollment.enroll(prescriber, patient, enrolled_on=patient.clinic.today() - timedelta(days=7))
    return patient


@pytest.fixture
def eligible_patient(prescriber, patient_a):
    return make_eligible(prescriber, patient_a)


@pytest.fixture
def ready_patient(prescriber, patient_a):
    """Eligible, with signed consents for racemic ketamine and esketamine: a clinic with no
    consent documents cannot dose at all (issue 19), so the clinic installs them."""
    sign_consents(prescriber, make_eligible(prescriber, patient_a))
    return patient_a


def sign_consents(staff, patient, routes=("iv", "esketamine_nasal")) -> None:
    from ketacare.consent import actions as consent
    from tests.consent.conftest import signature_png

    consent.ensure_documents(staff.clinic)
    for route in routes:
        consent.sign(staff, patient, consent.document_for_route(staff.clinic, route),
                     typed_name=f"{patient.given_name} {patient.family_name}",
                     signed_on=staff.clinic.today(), signature_png=signature_png(),
                     witnessed=True)


def protocol(clinic, key: str) -> ClinicProtocol:
    actions.ensure_default_protocols(clinic)
    return ClinicProtocol.objects.get(clinic=clinic, key=key)


def iv_ready_to_dose(prescriber, nurse, patient, clinic):
    """Session 1 of a new IV induction, checked in, with normal pre-dose vitals."""
    course = actions.start_course(prescriber, patient, protocol(clinic, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    s = course.sessions.first()
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=124, dbp=80, hr=70, spo2=98, rr=14)
    s.refresh_from_db()
    return s


def next_monday() -> date:
    today = timezone.localdate() + timedelta(days=1)  # the clinic's today may lag UTC
    return today + timedelta(days=(7 - today.weekday()) % 7)
