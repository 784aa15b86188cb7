"""Issue 14 in real Chromium: the first esketamine dose of a patient not enrolled in the
REMS is refused with a link to the enrollment page; after enrolling, the dose goes in.
The dose step shows the interaction warnings, and an IV dose step the bag and pump rate.
Screenshots go to $KETACARE_SCREENSHOTS (default /tmp)."""

from __future__ import annotations

import os
import tempfile

import pytest
from playwright.sync_api import expect

from ketacare.accounts.staff import staff_for
from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Medication
from ketacare.rems import enrollment
from ketacare.treatment import actions
from tests.treatment.conftest import protocol
from tests.treatment.dose_page import calculate_dose, confirm_dose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 1024, "height": 1366}
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())


def test_first_esketamine_dose_needs_rems_enrollment(chromium, live_server, sign_in,
                                                     clinician, clinic_a, ready_patient,
                                                     stock) -> None:
    staff = staff_for(clinician, clinic_a)
    enrollment.mark_in_error(staff, enrollment.enrollment_of(ready_patient), "test setup")
    patient_actions.add_entry(staff, ready_patient, Medication(
        name="tramadol", dose="50 mg as needed", category="opioid"))
    today = clinic_a.today()
    course = actions.start_course(staff, ready_patient, protocol(clinic_a, "esketamine"),
                                  indication="TRD", start_date=today,
                                  weekdays=frozenset({today.weekday(),
                                                      (today.weekday() + 3) % 7}))
    session = course.sessions.first()
    actions.check_in(staff, session, escort_present=True, no_driving_ack=True,
                     npo_confirmed=True)
    actions.record_vitals(staff, session, sbp=126, dbp=80, hr=72, spo2=98, rr=14)

    page = chromium.new_page(viewport=TABLET)
    sign_in(page)
    page.goto(f"{live_server.url}/treatment/sessions/{session.pk}/#dose")
    expect(page.get_by_test_id("interactions")).to_contain_text("opioid: tramadol")
    expect(page.get_by_test_id("rems-enrollment-needed")).to_contain_text("not enrolled")
    calculate_dose(page, stock["spray"].pk, "ES-77", fixed_mg="56")
    # Refused at preview: the dose step's REMS message, once, and nothing to confirm.
    expect(page.get_by_test_id("dose-preview")).to_have_count(0)
    expect(page.get_by_test_id("rems-enrollment-needed")).to_contain_text(
        "not enrolled in the REMS")
    expect(page.get_by_text("the patient is not enrolled in the REMS")).to_have_count(1)
    page.locator("#dose").screenshot(path=f"{SHOTS}/dose_step_rems_refused.png")

    page.click("[data-testid=rems-enrollment-needed] >> text=REMS enrollment")
    expect(page.get_by_test_id("rems-enrollment-status")).to_contain_text("Not enrolled")
    page.fill("#id_rems_patient_id", "R-20417")
    page.click("button:has-text('Record enrollment')")
    expect(page.get_by_test_id("rems-enrollment-status")).to_contain_text("Enrolled")
    page.screenshot(path=f"{SHOTS}/rems_enrollment.png", full_page=True)

    page.goto(f"{live_server.url}/treatment/sessions/{session.pk}/#dose")
    expect(page.get_by_test_id("rems-enrollment-needed")).to_have_count(0)
    calculate_dose(page, stock["spray"].pk, "ES-77", fixed_mg="56")
    expect(page.get_by_test_id("dose-preview")).to_contain_text("2 × 28 mg")
    confirm_dose(page)
    expect(page.get_by_test_id("dose-mg")).to_have_text("56.00 mg")
    page.close()


def test_iv_dose_step_shows_the_bag_and_pump_rate(chromium, live_server, sign_in, clinician,
                                                  clinic_a, ready_patient, stock) -> None:
    staff = staff_for(clinician, clinic_a)
    today = clinic_a.today()
    course = actions.start_course(staff, ready_patient, protocol(clinic_a, "iv-induction"),
                                  indication="TRD", start_date=today, weekdays=frozenset(
                                      {today.weekday(), (today.weekday() + 2) % 7,
                                       (today.weekday() + 4) % 7}))
    session = course.sessions.first()
    actions.check_in(staff, session, escort_present=True, no_driving_ack=True,
                     npo_confirmed=None)
    actions.record_vitals(staff, session, sbp=126, dbp=80, hr=72, spo2=98, rr=14)
    page = chromium.new_page(viewport=TABLET)
    sign_in(page)
    page.goto(f"{live_server.url}/treatment/sessions/{session.pk}/#dose")
    prep = page.get_by_test_id("iv-prep")
    expect(prep).to_contain_text("4.0 mL")
    expect(prep).to_contain_text("156.0 mL/h")
    page.locator("#dose").screenshot(path=f"{SHOTS}/dose_step_iv_preparation.png")
    page.close()
