"""The clinic outcome dashboard computes the report on the clinic's own data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.selfreport import actions as selfreport
from ketacare.selfreport.models import ReportRequest, Response, Source
from ketacare.treatment.models import Dose
from tests.treatment.conftest import next_monday, protocol

pytestmark = pytest.mark.django_db


def _response(patient, values: list[int], when,  # type: ignore[no-untyped-def]
              instrument: str = "phq9") -> None:
    day = when.date()
    req = selfreport.new_request(
        patient.clinic,
        patient,
        instrument,
        kind="manual",
        key="",
        opens=day,
        closes=day,
        source=Source.MANUAL,
    )
    selfreport.submit(req, {f"item_{n}": v for n, v in enumerate(values, start=1)})
    Response.objects.filter(request=req).update(submitted_at=when)
    ReportRequest.objects.filter(pk=req.pk).update(completed_at=when)


def test_dashboard_shows_the_clinics_rates(
    client, prescriber, prescriber_a, analyst_a, nurse_a, ready_patient, clinic_a
) -> None:
    from ketacare.treatment import actions

    ready_patient.primary_condition = "depression"
    ready_patient.save()
    course = actions.start_course(
        prescriber,
        ready_patient,
        protocol(clinic_a, "iv-induction"),
        indication="TRD",
        start_date=next_monday(),
        weekdays=frozenset({0, 2, 4}),
    )
    t0 = timezone.now() - timedelta(days=40)
    for number, session in enumerate(course.sessions.order_by("number"), start=1):
        Dose.objects.create(
            session=session,
            drug="racemic_ketamine",
            route="iv",
            dose_mg=40,
            prescribed_mg=40,
            weight_kg=80,
            lot="L",
            expiry=timezone.now(),
            started_at=t0 + timedelta(days=2 * (number - 1)),
            given_by=prescriber_a,
        )
    _response(ready_patient, [3, 3, 2, 2, 2, 2, 2, 2, 0], t0 - timedelta(days=1))  # 18
    _response(ready_patient, [1, 1, 1, 1, 1, 1, 1, 0, 0], t0 + timedelta(hours=24))  # 7
    _response(ready_patient, [1, 1, 1, 0, 0, 0, 0, 0, 0], t0 + timedelta(days=20))  # 3
    client.force_login(analyst_a)
    body = client.get("/outcomes/").content.decode()
    cell = body.split('data-testid="response-phq9-all">')[1].split("</td>")[0]
    assert "fewer than 5 assessed" in cell and "%" not in cell  # one patient: no rate
    assert "McInnes 2022" in body and "53.6%" in body
    client.force_login(nurse_a)
    assert client.get("/outcomes/").status_code == 403  # aggregates are for analysts etc.


def test_dashboard_with_no_data_says_so(client, analyst_a) -> None:
    client.force_login(analyst_a)
    body = client.get("/outcomes/").content.decode()
    assert "Not enough treated patients" in body or "n = 0" in body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_and_trajectory_in_chromium(chromium, live_server, sign_in, clinician,
                                              clinic_a, patient_a) -> None:
    from playwright.sync_api import expect

    from ketacare.accounts.staff import staff_for
    from ketacare.patients import actions as patient_actions
    from ketacare.patients.models import Weight
    from ketacare.treatment import actions
    from tests.treatment.conftest import screen

    staff = staff_for(clinician, clinic_a)
    patient_a.primary_condition = "depression"
    patient_a.save()
    patient_actions.add_entry(staff, patient_a, Weight(weight_kg=80,
                                                       measured_on=clinic_a.today()))
    screen(staff, patient_a, "iv")
    course = actions.start_course(staff, patient_a, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=next_monday(),
                                  weekdays=frozenset({0, 2, 4}))
    t0 = timezone.now() - timedelta(days=40)
    for number, session in enumerate(course.sessions.order_by("number"), start=1):
        Dose.objects.create(session=session, drug="racemic_ketamine", route="iv", dose_mg=40,
                            prescribed_mg=40, weight_kg=80, lot="L", expiry=timezone.now(),
                            started_at=t0 + timedelta(days=2 * (number - 1)),
                            given_by=clinician)
    _response(patient_a, [3, 3, 2, 2, 2, 2, 2, 2, 0], t0 - timedelta(days=1))
    _response(patient_a, [1, 1, 1, 0, 0, 0, 0, 0, 0], t0 + timedelta(days=20))
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page)
    page.click("nav >> text=Outcomes")
    expect(page.get_by_test_id("response-phq9-all")).to_contain_text("fewer than 5 assessed")
    page.goto(f"{live_server.url}/selfreport/patient/{patient_a.pk}/")
    expect(page.locator("h2:has-text('PHQ-9 over time')")).to_be_visible()
    expect(page.locator(".chart svg").first).to_be_visible()
    page.close()
