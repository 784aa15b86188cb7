"""Issue #14 item 9: a course plan with induction doses on consecutive days, or for a
patient who already has an active course, is a warning the prescriber may override with
a reason (kept on the course and in the audit trail)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketacare.audit.models import AuditEvent
from ketacare.treatment import actions
from ketacare.treatment.models import Course

from .conftest import next_monday, protocol

pytestmark = pytest.mark.django_db

MON_TUE_FRI = frozenset({0, 1, 4})


def start(prescriber, patient, weekdays=frozenset({0, 2, 4}), reason: str = ""):  # type: ignore[no-untyped-def]
    return actions.start_course(prescriber, patient, protocol(patient.clinic, "iv-induction"),
                                indication="TRD", start_date=next_monday(), weekdays=weekdays,
                                proceed_reason=reason)


def test_consecutive_induction_days_need_a_reason(prescriber, ready_patient) -> None:
    with pytest.raises(ValidationError) as err:
        start(prescriber, ready_patient, MON_TUE_FRI)
    messages = err.value.message_dict["proceed_reason"]
    assert "Induction doses on consecutive days: sessions 1 and 2" in messages[0]
    assert "give a reason to proceed" in messages[-1]
    assert not Course.objects.exists()
    course = start(prescriber, ready_patient, MON_TUE_FRI, "Patient travels in; only Mon/Tue/Fri.")
    assert course.start_warnings == ["consecutive_induction_days"]
    assert course.start_override_reason == "Patient travels in; only Mon/Tue/Fri."
    event = AuditEvent.objects.filter(object_type="course").latest("id")
    assert event.detail["warnings"] == ["consecutive_induction_days"]


def test_second_active_course_needs_a_reason(prescriber, ready_patient) -> None:
    first = start(prescriber, ready_patient)
    assert first.start_warnings == [] and first.start_override_reason == ""
    with pytest.raises(ValidationError) as err:
        start(prescriber, ready_patient)
    assert "already has an active course" in err.value.message_dict["proceed_reason"][0]
    second = start(prescriber, ready_patient, reason="Switching protocol; first to be stopped.")
    assert second.start_warnings == ["active_course"]


def test_a_reason_without_a_warning_is_not_stored(prescriber, ready_patient) -> None:
    course = start(prescriber, ready_patient, reason="just in case")
    assert course.start_override_reason == ""


def test_form_shows_the_warning_then_accepts_a_reason(client, prescriber_a, ready_patient,
                                                      clinic_a) -> None:
    client.force_login(prescriber_a)
    url = f"/treatment/patients/{ready_patient.pk}/courses/new/"
    data = {"protocol": protocol(clinic_a, "iv-induction").pk, "indication": "TRD",
            "start_date": next_monday().isoformat(), "weekdays": ["0", "1", "4"]}
    body = client.post(url, data).content.decode()
    assert "Induction doses on consecutive days" in body and "Reason to proceed" in body
    response = client.post(url, {**data, "proceed_reason": "Only days the escort can come."})
    assert response.status_code == 302
    course = Course.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert "Only days the escort can come." in detail
    assert course.start_warnings == ["consecutive_induction_days"]
