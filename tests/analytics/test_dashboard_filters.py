"""Dashboard filters (condition, protocol, prescriber, course start period), small-group
suppression, and the retention funnel, on a small treated cohort in the real database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent
from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Patient, Weight
from ketacare.treatment import actions
from ketacare.treatment.models import Course, Dose
from tests.treatment.conftest import next_monday, protocol, screen

from .test_dashboard import _response

pytestmark = pytest.mark.django_db

PHQ9_BASELINE = [3, 3, 2, 2, 2, 2, 2, 2, 0]  # 18
PHQ9_RESPONDED = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7
PHQ9_NOT = [2, 2, 2, 2, 2, 2, 2, 1, 0]  # 15
PCL5_BASELINE = [2] * 20  # 40
PCL5_RESPONDED = [1] * 15 + [0] * 5  # 15


def _treated(staff, n: int, condition: str, key: str, started: date,  # type: ignore[no-untyped-def]
             instrument: str, baseline: list[int], later: list[int]) -> list[Course]:
    """n patients with a course of protocol `key` started on `started`, six doses 2 days
    apart from 40 days ago, and answers on `instrument` the day before and on day 20."""
    courses = []
    for i in range(n):
        patient = patient_actions.create_patient(staff, {
            "mrn": f"F-{Patient.objects.count() + 1}",
            "given_name": f"P{Patient.objects.count() + 1}",  # not a probable duplicate
            "family_name": condition, "date_of_birth": date(1980, 1, 1 + i),
            "sex_at_birth": "female"})
        patient.primary_condition = condition
        patient.save()
        patient_actions.add_entry(staff, patient, Weight(weight_kg=80,
                                                         measured_on=patient.clinic.today()))
        screen(staff, patient, "iv")
        course = actions.start_course(staff, patient, protocol(patient.clinic, key),
                                      indication="TRD", start_date=next_monday(),
                                      weekdays=frozenset({0} if "maintenance" in key
                                                         else {0, 2, 4}), sessions=6)
        Course.objects.filter(pk=course.pk).update(start_date=started)
        t0 = timezone.now() - timedelta(days=40)
        for number, session in enumerate(course.sessions.order_by("number")[:6], start=1):
            Dose.objects.create(session=session, drug="racemic_ketamine", route="iv",
                                dose_mg=40, prescribed_mg=40, weight_kg=80, lot="L",
                                expiry=timezone.now(),
                                started_at=t0 + timedelta(days=2 * (number - 1)),
                                given_by=staff.user)
        _response(patient, baseline, t0 - timedelta(days=1), instrument)
        _response(patient, later, t0 + timedelta(days=20), instrument)
        courses.append(course)
    return courses


@pytest.fixture
def cohort(clinic_a, prescriber_a, clinician):  # type: ignore[no-untyped-def]
    """6 depression patients of prescriber_a on IV induction (4 respond), courses started
    40 days ago; 3 PTSD patients of the clinician on IV maintenance, started 30 days ago."""
    today = clinic_a.today()
    mine = staff_for(prescriber_a, clinic_a)
    theirs = staff_for(clinician, clinic_a)
    _treated(mine, 4, "depression", "iv-induction", today - timedelta(days=40), "phq9",
             PHQ9_BASELINE, PHQ9_RESPONDED)
    _treated(mine, 2, "depression", "iv-induction", today - timedelta(days=40), "phq9",
             PHQ9_BASELINE, PHQ9_NOT)
    _treated(theirs, 3, "ptsd", "iv-maintenance", today - timedelta(days=30), "pcl5",
             PCL5_BASELINE, PCL5_RESPONDED)
    return {"today": today, "clinician": clinician, "prescriber": prescriber_a}


def _cell(body: str, instrument: str, condition: str = "all") -> str:
    return body.split(f'data-testid="response-{instrument}-{condition}">')[1].split("</td>")[0]


def test_unfiltered_dashboard_counts_everyone_and_draws_the_funnel(client, cohort,
                                                                   analyst_a) -> None:
    client.force_login(analyst_a)
    body = client.get("/outcomes/").content.decode()
    # 4 of 6 responded: both 4 and 2 are below the threshold of 5, so no rate is shown.
    assert "fewer than 5 of 6" in _cell(body, "phq9") and "%" not in _cell(body, "phq9")
    assert "fewer than 5 assessed" in _cell(body, "pcl5")
    assert "Retention" in body and 'aria-label="Retention funnel' in body
    assert "9 (100%)" in body  # nine patients reached session 1 (the funnel's label)
    assert "Clear filters" not in body


def test_filter_by_prescriber_and_protocol(client, cohort, analyst_a, clinic_a) -> None:
    client.force_login(analyst_a)
    mine = protocol(clinic_a, "iv-induction").pk
    for query in (f"prescriber={cohort['prescriber'].pk}", f"protocol={mine}",
                  "condition=depression"):
        body = client.get(f"/outcomes/?{query}").content.decode()
        assert "fewer than 5 of 6" in _cell(body, "phq9"), query
        assert 'data-testid="response-pcl5' not in body, query
        assert "Clear filters" in body and 'data-testid="filter-note"' in body


def test_small_groups_are_suppressed(client, cohort, analyst_a) -> None:
    client.force_login(analyst_a)
    body = client.get(f"/outcomes/?prescriber={cohort['clinician'].pk}").content.decode()
    assert "3 treated patients match these filters" in body
    assert 'data-testid="response-' not in body and "Retention" not in body


def test_period_filter_on_course_start(client, cohort, analyst_a) -> None:
    """The period is whole months (filters.py), so the starts are fixed dates on either side
    of a month's end: dates relative to today put both groups in one month on most days
    (today-35 and today-30 share a month unless today-30 is the 1st to the 5th)."""
    Course.objects.filter(patient__primary_condition="depression").update(
        start_date=date(2026, 10, 31))
    Course.objects.filter(patient__primary_condition="ptsd").update(
        start_date=date(2026, 11, 1))
    client.force_login(analyst_a)
    body = client.get("/outcomes/?started_from=2026-10-20&started_to=2026-10-25"
                      ).content.decode()  # snapped to 1 to 31 October: 31 October counts
    assert 'value="2026-10-01"' in body and 'value="2026-10-31"' in body
    assert "fewer than 5 of 6" in _cell(body, "phq9")
    assert 'data-testid="response-pcl5' not in body
    body = client.get("/outcomes/?started_from=2026-11-30").content.decode()  # November on
    assert "3 treated patients match these filters" in body
    body = client.get("/outcomes/?started_from=2026-12-01").content.decode()
    assert "No treated patients match these filters" in body


def _zone_off_the_utc_date() -> str:
    """A clinic zone whose date differs from the UTC date now, whatever the time of day:
    Kiritimati (UTC+14) is a day ahead from 10:00 UTC, Pago Pago (UTC-11) a day behind
    until 11:00 UTC."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        if now.astimezone(ZoneInfo(zone)).date() != now.date():
            return zone
    raise AssertionError("unreachable: one of the two zones is always off the UTC date")


def test_data_until_is_the_clinic_date_not_the_utc_date(client, cohort, analyst_a,
                                                        clinic_a) -> None:
    from datetime import UTC, datetime

    clinic_a.time_zone = _zone_off_the_utc_date()
    clinic_a.save()
    client.force_login(analyst_a)
    body = client.get("/outcomes/").content.decode()
    assert f"data until {clinic_a.today():%Y-%m-%d}" in body, clinic_a.time_zone
    assert f"data until {datetime.now(UTC).date():%Y-%m-%d}" not in body


def test_pdf_is_named_by_the_clinic_date_not_the_utc_date(client, cohort, analyst_a,
                                                           clinic_a) -> None:
    from datetime import UTC, datetime

    clinic_a.time_zone = _zone_off_the_utc_date()
    clinic_a.save()
    client.force_login(analyst_a)
    response = client.get("/outcomes/report.pdf")
    assert response.status_code == 200
    name = response["Content-Disposition"]
    assert f"outcomes-{clinic_a.today():%Y-%m-%d}.pdf" in name, (clinic_a.time_zone, name)
    assert f"outcomes-{datetime.now(UTC).date():%Y-%m-%d}.pdf" not in name


def test_bad_filters_are_400_with_the_reason(client, cohort, analyst_a, prescriber_b) -> None:
    client.force_login(analyst_a)
    today = cohort["today"]
    response = client.get(f"/outcomes/?started_from={today}&started_to={today - timedelta(1)}")
    assert response.status_code == 400
    assert "The end of the period is before its start." in response.content.decode()
    foreign = client.get(f"/outcomes/?prescriber={prescriber_b.pk}")  # another clinic's
    assert foreign.status_code == 400
    assert "Select a valid choice" in foreign.content.decode()
    assert client.get("/outcomes/?started_from=yesterday").status_code == 400


def test_filters_are_audited_without_patient_data(client, cohort, analyst_a) -> None:
    client.force_login(analyst_a)
    client.get(f"/outcomes/?condition=depression&prescriber={cohort['prescriber'].pk}")
    entry = AuditEvent.objects.filter(object_type="outcome_dashboard").latest("pk")
    assert entry.detail["filters"] == {"condition": "depression",
                                       "prescriber": cohort["prescriber"].pk}
    assert entry.patient_id is None


def test_pdf_of_the_filtered_report(client, cohort, analyst_a, nurse_a) -> None:
    from tests.pdf import pdf_text

    client.force_login(analyst_a)
    page = client.get("/outcomes/?condition=depression").content.decode()
    assert 'href="/outcomes/report.pdf?condition=depression"' in page
    response = client.get("/outcomes/report.pdf?condition=depression")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="outcomes-')
    text = pdf_text(response.content)
    assert "Clinic A: outcomes (filtered: Depression)" in text
    assert "fewer than 5 of 6" in text and "\nPHQ-9\n" in text and "\nPCL-5\n" not in text
    entry = AuditEvent.objects.filter(object_type="outcome_report_pdf").latest("pk")
    assert entry.action == "export" and entry.detail["filters"] == {"condition": "depression"}
    small = client.get("/outcomes/report.pdf?condition=ptsd")  # 3 patients: suppressed
    assert small.status_code == 400 and "3 treated patients match" in small.content.decode()
    client.force_login(nurse_a)
    assert client.get("/outcomes/report.pdf").status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filtering_in_chromium(chromium, live_server, sign_in, cohort) -> None:
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page)
    page.click("nav >> text=Outcomes")
    expect(page.get_by_test_id("response-pcl5-all")).to_contain_text("fewer than 5")
    page.select_option("#id_condition", "depression")
    page.click("button:has-text('Apply')")
    expect(page.get_by_test_id("response-phq9-all")).to_contain_text("fewer than 5 of 6")
    expect(page.get_by_test_id("response-pcl5-all")).to_have_count(0)
    expect(page.locator("[aria-label^='Retention funnel'] svg")).to_be_visible()
    page.select_option("#id_condition", "ptsd")
    page.click("button:has-text('Apply')")
    expect(page.get_by_test_id("suppressed")).to_contain_text("3 treated patients")
    page.click("text=Clear filters")
    expect(page.get_by_test_id("response-pcl5-all")).to_contain_text("fewer than 5")
    page.close()
