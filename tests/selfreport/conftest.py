"""Self-report fixtures: staff of clinic A, a patient with contact details, a request and
its link. Course fixtures come from the treatment tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketacare.accounts.staff import staff_for
from ketacare.selfreport import actions
from ketacare.selfreport.models import ReportRequest, Source
from tests.treatment.conftest import (  # noqa: F401  (fixtures re-exported)
    next_monday,
    nurse,
    prescriber,
    protocol,
    ready_patient,
)


@pytest.fixture
def reachable(patient_a):  # type: ignore[no-untyped-def]
    patient_a.email = "jordan@example.org"
    patient_a.mobile = "+1 555 0100"
    patient_a.primary_condition = "depression"
    patient_a.save()
    return patient_a


def make_request(patient, instrument: str = "phq9", *, kind: str = "manual",  # type: ignore[no-untyped-def]
                 days: int = 3) -> tuple[ReportRequest, str]:
    today = patient.clinic.today()
    req = actions.new_request(patient.clinic, patient, instrument, kind=kind, key="",
                               opens=today, closes=today + timedelta(days=days),
                               source=Source.MANUAL)
    return req, actions.issue_link(req, "email")


@pytest.fixture
def link(reachable):  # type: ignore[no-untyped-def]
    return make_request(reachable)


@pytest.fixture
def staff_a(clinic_a, prescriber_a):  # type: ignore[no-untyped-def]
    return staff_for(prescriber_a, clinic_a)


def answers(values: list[int]) -> dict[str, str]:
    return {f"item_{n}": str(v) for n, v in enumerate(values, start=1)}


def start_course(staff, patient, start=None):  # type: ignore[no-untyped-def]
    from ketacare.treatment import actions as treatment

    return treatment.start_course(
        staff, patient, protocol(patient.clinic, "iv-induction"), indication="TRD",
        start_date=start or next_monday(), weekdays=frozenset({0, 2, 4}))


def give_first_dose(staff, patient, user, when=None):  # type: ignore[no-untyped-def]
    """A screened patient with a course whose first session was dosed at `when` (now):
    the moment the baseline rule measures from (clinical.baseline)."""
    from django.utils import timezone

    from ketacare.treatment.models import Dose
    from tests.treatment.conftest import screen

    screen(staff, patient, "iv")
    course = start_course(staff, patient)
    Dose.objects.create(session=course.sessions.get(number=1), drug="racemic_ketamine",
                        route="iv", dose_mg=40, prescribed_mg=40, weight_kg=80, lot="L",
                        expiry=timezone.now(), started_at=when or timezone.now(),
                        given_by=user)
    return course
