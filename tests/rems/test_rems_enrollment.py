"""Issue 14 item 7: REMS patient enrollment, and the first esketamine dose refused
without it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent
from ketacare.rems import enrollment
from ketacare.rems.models import RemsEnrollment
from ketacare.treatment import actions
from tests.treatment.conftest import next_monday, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def unenrolled(ready_patient, prescriber):
    enrollment.mark_in_error(prescriber, enrollment.enrollment_of(ready_patient), "test setup")
    return ready_patient


def dose_day(nurse, prescriber, patient, clinic, stock):
    course = actions.start_course(prescriber, patient, protocol(clinic, "esketamine"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 3}))
    s = course.sessions.first()
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=True)
    actions.record_vitals(nurse, s, sbp=124, dbp=78, hr=70, spo2=98, rr=14)
    return s


def give(nurse, s, stock):
    return actions.give_dose(nurse, s, fixed_mg=56, stock_item=stock["spray"], lot="ES-77",
                             expiry=stock["expiry"])


def test_first_esketamine_dose_refused_until_enrolled(nurse, prescriber, unenrolled,
                                                      clinic_a, stock) -> None:
    s = dose_day(nurse, prescriber, unenrolled, clinic_a, stock)
    with pytest.raises(ValidationError, match="not enrolled in the REMS"):
        give(nurse, s, stock)
    assert not hasattr(s, "dose")
    # Enrollment dated tomorrow does not count today; the action refuses it anyway.
    with pytest.raises(ValidationError) as err:
        enrollment.enroll(nurse, unenrolled, enrolled_on=clinic_a.today() + timedelta(days=1))
    assert "enrolled_on" in err.value.message_dict
    enrollment.enroll(nurse, unenrolled, enrolled_on=clinic_a.today(), rems_patient_id="R-1")
    assert give(nurse, s, stock).dose_mg == 56


def test_iv_doses_need_no_rems_enrollment(nurse, prescriber, unenrolled, clinic_a,
                                          stock) -> None:
    course = actions.start_course(prescriber, unenrolled, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    s = course.sessions.first()
    assert enrollment.dose_refusal(s, clinic_a.today()) is None


def test_enroll_once_correct_with_a_reason_audited(nurse, prescriber, unenrolled,
                                                   clinic_a, prescriber_b, clinic_b,
                                                   analyst_a) -> None:
    row = enrollment.enroll(prescriber, unenrolled, enrolled_on=clinic_a.today())
    assert row.recorded_by == prescriber.user and enrollment.enrollment_of(unenrolled) == row
    with pytest.raises(ValidationError, match="already enrolled"):
        enrollment.enroll(nurse, unenrolled, enrolled_on=clinic_a.today())
    with pytest.raises(ValidationError) as err:
        enrollment.mark_in_error(nurse, row, "  ")
    assert "reason" in err.value.message_dict
    enrollment.mark_in_error(nurse, row, "wrong date")
    assert enrollment.enrollment_of(unenrolled) is None
    assert RemsEnrollment.objects.filter(patient=unenrolled).count() == 2  # nothing deleted
    with pytest.raises(ValidationError, match="not in your active clinic"):
        enrollment.enroll(staff_for(prescriber_b, clinic_b), unenrolled,
                          enrolled_on=clinic_b.today())
    with pytest.raises(PermissionDenied):
        enrollment.enroll(staff_for(analyst_a, clinic_a), unenrolled,
                          enrolled_on=clinic_a.today())
    assert AuditEvent.objects.filter(patient_id=unenrolled.pk,
                                     detail__rems_enrollment=True).count() == 2


@pytest.mark.parametrize(("persona", "get", "post"), [
    ("prescriber_a", 200, 302), ("nurse_a", 200, 302), ("admin_a", 200, 403),
    ("analyst_a", 403, 403), ("prescriber_b", 404, 404)])
def test_enrollment_page_access(client, request, unenrolled, persona, get, post) -> None:
    client.force_login(request.getfixturevalue(persona))
    url = f"/rems/patients/{unenrolled.pk}/enrollment/"
    assert client.get(url).status_code == get
    response = client.post(url, {"enrolled_on": unenrolled.clinic.today().isoformat()})
    assert response.status_code == post


def test_enrollment_page_and_chart_flag(client, nurse_a, unenrolled) -> None:
    client.force_login(nurse_a)
    chart = client.get(f"/patients/{unenrolled.pk}/").content.decode()
    assert "REMS: not enrolled" in chart
    url = f"/rems/patients/{unenrolled.pk}/enrollment/"
    page = client.get(url).content.decode()
    assert "Not enrolled" in page and "Record enrollment" in page
    bad = client.post(url, {"enrolled_on": ""})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    client.post(url, {"enrolled_on": unenrolled.clinic.today().isoformat(),
                      "rems_patient_id": "R-778"})
    page = client.get(url).content.decode()
    assert "R-778" in page and "Mark entered in error" in page
    chart = client.get(f"/patients/{unenrolled.pk}/").content.decode()
    assert "REMS enrolled" in chart
