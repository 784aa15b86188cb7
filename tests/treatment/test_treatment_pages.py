"""Course and session pages: who may see and do what, and what a nurse sees."""

from __future__ import annotations

import pytest

from ketacare.treatment import actions
from ketacare.treatment.models import Dose
from tests.conftest import PASSWORD

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
    assert "Check in" in body and "Calculate dose" not in body
    assert 'id="checkin" aria-current="step"' in body
    response = client.post(url + "step/checkin/", {"no_driving_ack": "on"})
    assert response.status_code == 400
    assert "An escort must be present" in response.content.decode()
    client.post(url + "step/checkin/", {"escort_present": "on", "no_driving_ack": "on"})
    response = client.post(url + "step/vitals/", {"sbp": "80", "dbp": "120"})
    assert "were they swapped" in response.content.decode()
    client.post(url + "step/vitals/", {"sbp": "152", "dbp": "88", "hr": "70", "spo2": "98"})
    body = client.get(url).content.decode()
    assert 'data-testid="hold"' in body and "SBP 152 &gt; 140" in body
    assert "Calculate dose" not in body  # on hold: no dose form
    assert "Dosing hold</strong>: SBP 152 &gt; 140" in body  # the alert to the prescriber
    response = client.post(url + "step/override/", {"reason": "rechecked"})
    assert response.status_code == 400  # nurses cannot override alone
    assert "Only a prescriber overrides a hold" in response.content.decode()
    client.force_login(prescriber_a)
    response = client.post(url + "step/override/", {"reason": "Anxious; repeat 138/86 by hand"})
    assert response.status_code == 302 and response["Location"].endswith("#dose")
    body = client.get(url).content.decode()
    assert "Overridden by" in body and "Calculate dose" in body
    source = f"{stock['vial'].pk}|{LOT}"
    # First the preview: nothing recorded, the calculated dose shown with its basis.
    response = client.post(url + "step/dose/", {"mg_per_kg": "0.5", "source": source})
    body = response.content.decode()
    assert response.status_code == 200 and not Dose.objects.filter(session=session).exists()
    assert 'data-testid="preview-mg">40 mg<' in body and 'data-testid="preview-ml">4 mL<' in body
    assert "8–40 mg usual, at most 60 mg" in body and "80 kg, measured" in body
    confirm = {"mg_per_kg": "0.5", "source": source, "confirm": "on",
               "second_check_username": "noah", "second_check_password": PASSWORD}
    response = client.post(url + "step/dose/", confirm)
    assert response.status_code == 302 and response["Location"].endswith("#monitoring")
    # A double click: one dose, the page with a clear message, never a 500.
    again = client.post(url + "step/dose/", confirm)
    assert again.status_code == 409 and "already recorded" in again.content.decode()
    assert Dose.objects.filter(session=session).count() == 1
    body = client.get(url).content.decode()
    assert 'data-testid="dose-mg">40.00 mg<' in body
    assert "Stop infusion now" in body and "<svg" in body
    assert "no-store" in client.get(url)["Cache-Control"]
    # Stopping takes a tick to confirm; an error opens the page at the step (anchor).
    response = client.post(url + "step/stop/", {})
    assert response.status_code == 400 and "Tick to confirm" in response.content.decode()
    assert f'action="/treatment/sessions/{session.pk}/step/stop/#dose"' in body


def test_a_nurse_cannot_approve_an_out_of_range_dose_on_the_page(client, nurse_a, course,
                                                                  stock, prescriber_a) -> None:
    from tests.conftest import make_staff

    make_staff("nina", course.patient.clinic, "nurse")
    client.force_login(nurse_a)
    session = course.sessions.first()
    url = f"/treatment/sessions/{session.pk}/"
    client.post(url + "step/checkin/", {"escort_present": "on", "no_driving_ack": "on"})
    client.post(url + "step/vitals/", {"sbp": "120", "dbp": "80", "hr": "70", "spo2": "98"})
    data = {"mg_per_kg": "0.6", "source": f"{stock['vial'].pk}|{LOT}", "confirm": "on",
            "override_reason": "patient asked", "second_check_username": "nina",
            "second_check_password": PASSWORD}
    response = client.post(url + "step/dose/", data)
    assert response.status_code == 400
    assert "needs a prescriber" in response.content.decode()
    # Another nurse "approving" is refused at the co-signature.
    response = client.post(url + "step/dose/", dict(
        data, override_username="nina", override_password=PASSWORD))
    assert response.status_code == 400 and "cannot sign as prescriber override" in (
        response.content.decode())
    assert not Dose.objects.filter(session=session).exists()
    # The API has no write route for doses at all.
    assert client.post(f"/api/v1/sessions/{session.pk}/dose", data).status_code in (401, 404,
                                                                                      405)
    # With the prescriber co-signing on this device, it is recorded with both names.
    response = client.post(url + "step/dose/", dict(
        data, override_username="priya", override_password=PASSWORD))
    assert response.status_code == 302
    assert Dose.objects.get(session=session).override_by == prescriber_a


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


def test_course_page_plans_the_dose_through_the_calculator(client, prescriber_a, course) -> None:
    """Not rule x raw weight: a stale weight gives no planned dose and says why."""
    from datetime import timedelta

    from django.utils import timezone

    from ketacare.patients.models import Weight

    Weight.objects.filter(patient=course.patient).update(
        measured_on=timezone.localdate() - timedelta(days=45))
    client.force_login(prescriber_a)
    body = client.get(f"/treatment/courses/{course.pk}/").content.decode()
    assert "Predicted plasma concentration of the planned dose" not in body
    assert 'data-testid="planned-note">No planned dose yet: weight from' in body
    assert "it must be measured within 30 days" in body


def test_planned_dose_keeps_to_the_protocol_maximum(client, prescriber, prescriber_a,
                                                    course) -> None:
    """0.5 mg/kg x 250 kg is 125 mg, over the IV protocol's 100 mg maximum: neither the
    course page nor the session page plans (or draws a curve for) 125 mg; both say why."""
    from ketacare.patients import actions as patient_actions
    from ketacare.patients.models import Weight

    patient = course.patient
    patient_actions.add_entry(prescriber, patient,
                              Weight(weight_kg=250, measured_on=patient.clinic.today()))
    client.force_login(prescriber_a)
    body = client.get(f"/treatment/courses/{course.pk}/").content.decode()
    assert "Predicted plasma concentration of the planned dose" not in body
    assert 'data-testid="planned-note">No planned dose yet: 0.5 mg/kg x 250 kg' in body
    assert "above the maximum of 100 mg" in body
    session = course.sessions.first()
    body = client.get(f"/treatment/sessions/{session.pk}/").content.decode()
    assert "125 mg" not in body.replace("250 kg = 125 mg is above the maximum", "")
    assert "above the maximum of 100 mg" in body
