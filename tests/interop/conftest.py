"""Interop fixtures: tokens for the personas, and a patient of clinic A with something of
every kind the FHIR API serves (weight, self-report answers, a dosed session)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ketacare.accounts.staff import staff_for
from ketacare.interop.auth import create_token
from ketacare.selfreport import actions as selfreport
from tests.conftest import cosigned
from tests.selfreport.conftest import answers, make_request
from tests.treatment.conftest import (  # noqa: F401  (fixtures re-exported)
    LOT,
    next_monday,
    nurse,
    prescriber,
    protocol,
    ready_patient,
    stock,
)

pytestmark = pytest.mark.urls("tests.interop.urls")

PHQ9 = [1, 1, 2, 1, 0, 1, 1, 0, 1]  # total 8, item 9 = 1
GAD7 = [2, 2, 1, 1, 0, 1, 2]  # total 9


@pytest.fixture
def token_a(clinic_a, prescriber_a) -> str:  # type: ignore[no-untyped-def]
    return create_token(prescriber_a, clinic_a, "test")[1]


@pytest.fixture
def token_nurse_a(clinic_a, nurse_a) -> str:  # type: ignore[no-untyped-def]
    return create_token(nurse_a, clinic_a, "nurse")[1]


@pytest.fixture
def token_analyst_a(clinic_a, analyst_a) -> str:  # type: ignore[no-untyped-def]
    return create_token(analyst_a, clinic_a, "analyst")[1]


@pytest.fixture
def token_b(clinic_b, prescriber_b) -> str:  # type: ignore[no-untyped-def]
    return create_token(prescriber_b, clinic_b, "other clinic")[1]


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@dataclass
class Charted:
    patient: Any
    session: Any
    dose: Any
    phq9: Any
    gad7: Any


@pytest.fixture
def charted(prescriber, nurse, prescriber_a, ready_patient, clinic_a, stock):  # type: ignore[no-untyped-def]  # noqa: F811
    """PHQ-9 (item 9 = 1) and GAD-7 answers, then an IV session: check-in, vitals, dose."""
    from ketacare.treatment import actions as treatment

    req, _ = make_request(ready_patient, "phq9")
    phq9 = selfreport.submit(req, answers(PHQ9))
    req, _ = make_request(ready_patient, "gad7")
    gad7 = selfreport.submit(req, answers(GAD7))
    course = treatment.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                    indication="TRD", start_date=next_monday(),
                                    weekdays=frozenset({0, 2, 4}))
    session = course.sessions.first()
    treatment.check_in(nurse, session, escort_present=True, no_driving_ack=True,
                       npo_confirmed=None)
    treatment.record_vitals(nurse, session, sbp=128, dbp=82, hr=72, spo2=98, rr=14)
    dose = treatment.give_dose(nurse, session, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                               expiry=stock["expiry"],
                               second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    return Charted(ready_patient, session, dose, phq9, gad7)


@pytest.fixture
def staff_a(clinic_a, prescriber_a):  # type: ignore[no-untyped-def]
    return staff_for(prescriber_a, clinic_a)
