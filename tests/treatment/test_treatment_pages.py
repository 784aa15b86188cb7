"""Course and session pages: who may see and do what, and what a nurse sees."""

from __future__ import annotations

import pytest

from ketacare.treatment import actions

from .conftest import LOT, next_monday, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(prescriber, ready_patient, clinic_a, stock):
    return actions.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                indication="TRD", start_date=next_monday(),
                                weekdays=frozenset({0, 2, 4}))


PERSONAS = ("admin_a", "prescriber_a", "nurse_a", "analyst_a", "prescriber_b")


@pytest.mark.parametrize(("persona", "course_page", "session_page", "checkin", "new_course"), [
    ("admin_a", 200, 200, 403, 403),
    ("prescriber_a", 200, 200, 302, 200),
    ("nurse_a", 200, 200, 302, 403),
    ("analyst_a", 403, 403, 403, 403),
    ("prescriber_b", 404, 404, 404, 404),
])
def test_access_matrix(client, request, course, persona, course_page, session_page, checkin,
                       new_course) -> None:
    client.force_login(request.getfixturevalue(persona))
    session = course.sessions.first()
    assert client.get(f"/treatment/courses/{course.pk}/").status_code == course_page
    assert client.get(f"/treatment/sessions/{session.pk}/").status_code == session_page
    response = client.post(f"/treatment/sessions/{session.pk}/step/checkin/",
                           {"escort_present": "on", "no_driving_ack": "on"})
    assert response.status_code == checkin
    patient = course.patient
    assert client.get(f"/treatment/patients/{patient.pk}/courses/new/").status_code == new_course


def test_anonymous_is_sent_to_sign_in(client, course) -> None:
    response = client.get(f"/treatment/sessions/{course.sessions.first().pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_session_page_walks_through_the_steps(client, nurse_a, prescriber_a, course,
                                              stock) -> None:
    client.force_login(nurse_a)
    session = course.sessions.first()
    url = f"/treatment/sessions/{session.pk}/"
    body = client.get(url).content.decode()
    assert "Check in" in body and "Record dose given" not in body
    response = client.post(url + "step/checkin/", {"no_driving_ack": "on"})
    assert response.status_code == 400
    assert "An escort must be present" in response.content.decode()
    client.post(url + "step/checkin/", {"escort_present": "on", "no_driving_ack": "on"})
    response = client.post(url + "step/vitals/", {"sbp": "80", "dbp": "120"})
    assert "were they swapped" in response.content.decode()
    client.post(url + "step/vitals/", {"sbp": "152", "dbp": "88", "hr": "70", "spo2": "98"})
    body = client.get(url).content.decode()
    assert 'data-testid="hold"' in body and "SBP 152 &gt; 140" in body
    assert "Record dose given" not in body  # on hold: no dose form
    response = client.post(url + "step/override/", {"reason": "rechecked"})
    assert response.status_code == 403  # nurses cannot override
    client.force_login(prescriber_a)
    client.post(url + "step/override/", {"reason": "Anxious; repeat 138/86 by hand"})
    body = client.get(url).content.decode()
    assert "Overridden by" in body and "Record dose given" in body
    response = client.post(url + "step/dose/", {
        "mg_per_kg": "0.5", "stock_item": stock["vial"].pk, "lot": LOT,
        "expiry": stock["expiry"].isoformat(), "second_check_by": nurse_a.pk})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert 'data-testid="dose-mg">40.00 mg<' in body
    assert "Stop infusion now" in body and "<svg" in body
    assert "no-store" in client.get(url)["Cache-Control"]


def test_course_page_shows_plan_adherence_and_curve(client, prescriber_a, course) -> None:
    client.force_login(prescriber_a)
    body = client.get(f"/treatment/courses/{course.pk}/").content.decode()
    assert body.count("Open session") == 6
    assert "Predicted plasma concentration of the planned dose" in body
    assert "40 mg" in body  # 0.5 mg/kg x 80 kg


def test_new_course_form_explains_eligibility(client, prescriber_a, patient_a, clinic_a) -> None:
    client.force_login(prescriber_a)
    body = client.get(f"/treatment/patients/{patient_a.pk}/courses/new/").content.decode()
    assert "No screening for iv yet." in body
    iv = protocol(clinic_a, "iv-induction")
    response = client.post(f"/treatment/patients/{patient_a.pk}/courses/new/", {
        "protocol": iv.pk, "indication": "TRD", "start_date": next_monday().isoformat(),
        "weekdays": ["0", "2", "4"]})
    assert response.status_code == 200 and "No screening for iv yet." in response.content.decode()


def test_admin_copies_and_edits_a_protocol(client, admin_a, nurse_a, clinic_a) -> None:
    from ketacare.treatment.models import ClinicProtocol

    client.force_login(nurse_a)
    body = client.get("/treatment/protocols/").content.decode()
    assert "IV ketamine induction" in body and "Edit / copy" not in body
    iv = protocol(clinic_a, "iv-induction")
    assert client.get(f"/treatment/protocols/{iv.pk}/edit/").status_code == 403
    client.force_login(admin_a)
    response = client.post(f"/treatment/protocols/{iv.pk}/copy/",
                           {"key": "iv-ours", "name": "IV induction (ours)"})
    copy = ClinicProtocol.objects.get(clinic=clinic_a, key="iv-ours")
    assert response.status_code == 302 and copy.based_on == "iv-induction"
    from .test_protocol_editor import form_post

    response = client.post(f"/treatment/protocols/{copy.pk}/edit/",
                           form_post(copy.data, observation_min=45))
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.version == 2 and copy.data["observation_min"] == 45
    response = client.post(f"/treatment/protocols/{copy.pk}/edit/",
                           form_post(copy.data, infusion_min=0))
    assert "infusion_min" in response.content.decode()
