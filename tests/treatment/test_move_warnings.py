"""Moving an induction session onto the day before or after another induction dose gets
the same warning as a plan that starts that way (`schedules.plan_warnings`): it stops the
move unless a reason to proceed is given, which is kept in the audit detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ketacare.audit.models import AuditEvent
from ketacare.treatment import actions
from ketacare.treatment.models import Session, SessionStatus

from .conftest import next_monday, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(prescriber, ready_patient, clinic_a):  # type: ignore[no-untyped-def]
    # Mon, Wed, Fri: induction doses two days apart.
    return actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                indication="TRD", start_date=next_monday(),
                                weekdays=frozenset({0, 2, 4}))


def test_moving_next_to_another_induction_dose_needs_a_reason(nurse, course) -> None:
    s1, s2, s3 = list(course.sessions.order_by("number"))[:3]
    wednesday, thursday = s2.planned_date, s2.planned_date + timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        actions.move_session(nurse, s2, thursday, "holiday")
    messages = err.value.message_dict["proceed_reason"]
    assert f"sessions 2 and 3 ({thursday}, {s3.planned_date})" in messages[0]
    assert "give a reason to proceed" in messages[-1]
    s2.refresh_from_db()
    assert s2.planned_date == wednesday and s2.moved_from is None
    moved = actions.move_session(nurse, s2, thursday, "holiday",
                                 proceed_reason="Only day the escort can come.")
    assert moved.planned_date == thursday
    event = AuditEvent.objects.filter(object_type="session").latest("id")
    assert event.detail == {"moved_to": thursday.isoformat(),
                            "warnings": ["consecutive_induction_days"],
                            "proceed_reason": "Only day the escort can come."}


def test_the_day_after_the_previous_dose_warns_too(nurse, course) -> None:
    s1, s2 = list(course.sessions.order_by("number"))[:2]
    with pytest.raises(ValidationError, match="sessions 1 and 2"):
        actions.move_session(nurse, s2, s1.planned_date + timedelta(days=1), "")


def test_a_missed_neighbour_gave_no_dose(nurse, course) -> None:
    s1, s2 = list(course.sessions.order_by("number"))[:2]
    actions.set_session_status(nurse, s1, SessionStatus.MISSED, "no transport")
    moved = actions.move_session(nurse, s2, s1.planned_date + timedelta(days=1), "")
    assert moved.planned_date == s1.planned_date + timedelta(days=1)
    event = AuditEvent.objects.filter(object_type="session").latest("id")
    assert event.detail == {"moved_to": moved.planned_date.isoformat()}


def test_a_reason_without_a_warning_is_not_kept(nurse, course) -> None:
    sessions = list(course.sessions.order_by("number"))
    last = sessions[-1]
    actions.move_session(nurse, last, last.planned_date + timedelta(days=7), "",
                         proceed_reason="just in case")
    event = AuditEvent.objects.filter(object_type="session").latest("id")
    assert "proceed_reason" not in event.detail and "warnings" not in event.detail


def test_move_page_asks_for_the_reason_then_moves(client, nurse_a, course) -> None:
    client.force_login(nurse_a)
    detail = client.get(f"/treatment/courses/{course.pk}/").content.decode()
    assert 'name="proceed_reason"' in detail
    s2 = Session.objects.get(course=course, number=2)
    thursday = s2.planned_date + timedelta(days=1)
    url = f"/treatment/sessions/{s2.pk}/plan/move/"
    response = client.post(url, {"new_date": thursday.isoformat(), "reason": "holiday"})
    body = response.content.decode()
    assert response.status_code == 400 and "Induction doses on consecutive days" in body
    # The error page offers the same move again with a field for the reason.
    assert 'name="proceed_reason"' in body and f'value="{thursday.isoformat()}"' in body
    assert 'value="holiday"' in body
    response = client.post(url, {"new_date": thursday.isoformat(), "reason": "holiday",
                                 "proceed_reason": "Only day the escort can come."})
    assert response.status_code == 302
    s2.refresh_from_db()
    assert s2.planned_date == thursday
