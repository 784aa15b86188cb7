from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketacare.treatment import actions
from ketacare.treatment.models import SessionStatus

from .conftest import next_monday, protocol, screen

pytestmark = pytest.mark.django_db


def test_iv_induction_plans_six_sessions_on_the_clinic_days(prescriber, ready_patient,
                                                           clinic_a) -> None:
    start = next_monday()
    course = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=start,
                                  weekdays=frozenset({0, 2, 4}))
    dates = [s.planned_date for s in course.sessions.all()]
    assert len(dates) == 6 and dates[0] == start
    assert {d.weekday() for d in dates} == {0, 2, 4}
    assert (dates[-1] - dates[0]).days == 11  # 12 days inclusive
    ready_patient.refresh_from_db()
    assert ready_patient.status == "active"


def test_course_needs_an_eligible_screening(prescriber, patient_a, clinic_a) -> None:
    iv = protocol(clinic_a, "iv-induction")
    with pytest.raises(ValidationError, match="No screening"):
        actions.start_course(prescriber, patient_a, iv, indication="TRD",
                             start_date=next_monday(), weekdays=frozenset({0, 2, 4}))
    screen(prescriber, patient_a, "iv", psychosis=True)
    with pytest.raises(ValidationError, match="needs a prescriber's decision"):
        actions.start_course(prescriber, patient_a, iv, indication="TRD",
                             start_date=next_monday(), weekdays=frozenset({0, 2, 4}))


def test_only_prescribers_start_courses(nurse, ready_patient, clinic_a) -> None:
    with pytest.raises(PermissionDenied):
        actions.start_course(nurse, ready_patient, protocol(clinic_a, "iv-induction"),
                             indication="TRD", start_date=next_monday(),
                             weekdays=frozenset({0, 2, 4}))


def test_bad_weekdays_are_explained(prescriber, ready_patient, clinic_a) -> None:
    with pytest.raises(ValidationError) as err:
        actions.start_course(prescriber, ready_patient, protocol(clinic_a, "esketamine"),
                             indication="TRD", start_date=next_monday(),
                             weekdays=frozenset({0, 1, 2}))
    assert "weekdays" in str(err.value)


def test_move_miss_and_cancel(prescriber, nurse, ready_patient, clinic_a) -> None:
    course = actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    s1, s2, s3 = list(course.sessions.all())[:3]
    with pytest.raises(ValidationError, match="after session 1"):
        actions.move_session(nurse, s2, s1.planned_date - timedelta(days=1), "holiday")
    with pytest.raises(ValidationError, match="Another session"):
        actions.move_session(nurse, s2, s3.planned_date, "holiday")
    original = s2.planned_date
    # Thursday is the day before session 3's induction dose: a warning (test_move_warnings).
    moved = actions.move_session(nurse, s2, original + timedelta(days=1), "holiday",
                                 proceed_reason="Only day the escort can come.")
    assert moved.moved_from == original and moved.planned_date == original + timedelta(days=1)
    actions.set_session_status(nurse, s3, "missed", "no transport")
    s3.refresh_from_db()
    assert s3.status == SessionStatus.MISSED and s3.status_reason == "no transport"
    with pytest.raises(ValidationError, match="reason"):
        actions.set_session_status(nurse, list(course.sessions.all())[3], "cancelled", " ")


def test_protocol_edits_never_change_a_running_course(prescriber, admin_a, ready_patient,
                                                      clinic_a) -> None:
    from ketacare.accounts.staff import staff_for

    iv = protocol(clinic_a, "iv-induction")
    course = actions.start_course(prescriber, ready_patient, iv, indication="TRD",
                                  start_date=next_monday(), weekdays=frozenset({0, 2, 4}))
    data = dict(iv.data)
    data["observation_min"] = 45
    actions.save_protocol(staff_for(admin_a, clinic_a), data, existing=iv)
    iv.refresh_from_db()
    assert iv.version == 2 and iv.protocol().observation_min == 45
    assert course.protocol().observation_min == 30
    bad = dict(data, observation_min=-5)
    with pytest.raises(ValidationError, match="observation_min"):
        actions.save_protocol(staff_for(admin_a, clinic_a), bad, existing=iv)
    with pytest.raises(PermissionDenied):
        actions.save_protocol(prescriber, data, existing=iv)
