"""The issue's flow in real Chromium: the patient on a phone, the clinic on a tablet.
Intake link -> answers -> the clinician accepts them into the chart -> education page ->
consent signed with a drawn signature -> first dose allowed; the dose refused with the
message while there is no consent. Screenshots go to $KETACARE_SCREENSHOTS (default /tmp);
the ones in docs/screenshots/ come from here."""

from __future__ import annotations

import os
import tempfile

import pytest
from playwright.sync_api import Page, expect

from ketacare.accounts.staff import staff_for
from ketacare.consent import actions as consent
from ketacare.consent import links
from ketacare.consent.models import Consent
from ketacare.patients.models import Medication
from ketacare.pdf import person
from ketacare.treatment import actions
from tests.conftest import click_and_load
from tests.treatment.conftest import LOT, protocol
from tests.treatment.dose_page import calculate_dose, confirm_dose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 1366}
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())


def _draw_signature(page: Page) -> None:
    page.locator("#signature-pad").scroll_into_view_if_needed()
    box = page.locator("#signature-pad").bounding_box()
    assert box is not None
    x, y = box["x"], box["y"] + box["height"] * 0.6
    page.mouse.move(x + 30, y)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(x + 30 + step * 18, y - (25 if step % 2 else -10), steps=3)
    page.mouse.up()


def _vitals(page: Page) -> None:
    page.fill("#id_sbp", "126")
    page.fill("#id_dbp", "80")
    page.fill("#id_hr", "72")
    page.fill("#id_spo2", "98")
    click_and_load(page, "button:has-text('Record pre-dose vitals')")


def test_intake_education_consent_then_first_dose(chromium, live_server, sign_in, clinician,
                                                  nurse_a, clinic_a, eligible_patient,
                                                  stock) -> None:
    today = clinic_a.today()
    consent.ensure_documents(clinic_a)
    course = actions.start_course(staff_for(clinician, clinic_a), eligible_patient,
                                  protocol(clinic_a, "iv-induction"), indication="TRD",
                                  start_date=today, weekdays=frozenset(
                                      {today.weekday(), (today.weekday() + 2) % 7,
                                       (today.weekday() + 4) % 7}))
    session = course.sessions.get(number=1)
    tablet = chromium.new_page(viewport=TABLET)
    sign_in(tablet)

    # Clinic: an intake link for the patient.
    tablet.goto(f"{live_server.url}/consent/patient/{eligible_patient.pk}/")
    click_and_load(tablet, "button:has-text('Create an intake link')")
    url = tablet.get_by_test_id("intake-url").input_value()
    path = url.split("localhost:8000", 1)[-1]

    # Patient, on a phone: the intake.
    phone = chromium.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{live_server.url}{path}")
    expect(phone.locator("h1")).to_contain_text("Before your first visit, Jordan")
    phone.fill("[id='contact:email']", "jordan@example.org")
    phone.fill("[id='contact:escort_name']", "Sam Rivera")
    phone.screenshot(path=f"{SHOTS}/consent_intake_phone.png", full_page=False)
    phone.fill("[id='med:benzodiazepine']", "lorazepam 1 mg at night")
    phone.fill("[id='treatment:antidepressant']", "sertraline, bupropion")
    phone.check("input[name='history:pregnancy'][value='no']")
    phone.click("button:has-text('Send my answers')")
    expect(phone.locator("h1")).to_contain_text("Thank you, Jordan")

    # Clinic: the answers are proposals until accepted, item by item.
    tablet.goto(f"{live_server.url}/consent/patient/{eligible_patient.pk}/")
    tablet.click("text=Review answers")
    row = tablet.locator("tr[data-item='med:benzodiazepine']")
    expect(row).to_contain_text("lorazepam 1 mg at night")
    row.locator("button:has-text('Accept')").click()
    expect(tablet.locator("tr[data-item='med:benzodiazepine']")).to_contain_text("Accepted")
    tablet.locator("tr[data-item='contact:email'] button:has-text('Accept')").click()
    expect(tablet.locator("tr[data-item='contact:email']")).to_contain_text("Accepted")
    assert Medication.objects.filter(patient=eligible_patient, category="benzodiazepine").exists()

    # Patient: the education page (linked from the intake and every thank-you page).
    phone.goto(f"{live_server.url}/learn/{clinic_a.pk}/iv/")
    expect(phone.get_by_test_id("timeline")).to_contain_text("Minute 70")
    phone.screenshot(path=f"{SHOTS}/consent_education_phone.png", full_page=False)

    # Clinic: no dose without consent, with the message and where to take it.
    tablet.goto(f"{live_server.url}/treatment/sessions/{session.pk}/")
    tablet.check("#id_escort_present")
    tablet.check("#id_no_driving_ack")
    click_and_load(tablet, "button:has-text('Check in')")
    _vitals(tablet)
    calculate_dose(tablet, stock["vial"].pk, LOT)  # refused at preview, once, on the dose step
    refused = tablet.locator("#dose").get_by_test_id("dose-error")
    expect(refused).to_contain_text("No signed consent for IV racemic ketamine infusion")
    expect(refused).to_contain_text(f"/consent/patient/{eligible_patient.pk}/sign/iv/")
    expect(tablet.get_by_text("No signed consent for IV")).to_have_count(1)
    expect(tablet.get_by_test_id("dose-preview")).to_have_count(0)
    tablet.screenshot(path=f"{SHOTS}/consent_dose_refused_tablet.png", full_page=False)

    # Consent page at phone size, as the patient sees it (screenshot only).
    phone_staff = chromium.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone_staff)
    phone_staff.goto(f"{live_server.url}/consent/patient/{eligible_patient.pk}/sign/iv/")
    _draw_signature(phone_staff)
    phone_staff.fill("#id_typed_name", "Jordan Rivera")
    phone_staff.locator("#signature-pad").scroll_into_view_if_needed()
    phone_staff.screenshot(path=f"{SHOTS}/consent_sign_phone.png", full_page=False)
    phone_staff.close()

    # Clinic tablet: the patient signs with a finger, the nurse witnesses.
    tablet.goto(f"{live_server.url}/consent/patient/{eligible_patient.pk}/sign/iv/")
    expect(tablet.get_by_test_id("consent-text")).to_contain_text("off-label")
    tablet.locator("#signature-pad").scroll_into_view_if_needed()
    tablet.click("button:has-text('Sign consent')")
    expect(tablet.get_by_test_id("signature-error")).to_contain_text("sign in the box")
    _draw_signature(tablet)
    expect(tablet.locator("#signature-status")).to_have_text("Signature captured.")
    tablet.fill("#id_typed_name", "Jordan Rivera")
    tablet.fill("#id_signed_on", today.isoformat())
    tablet.check("#id_witnessed")
    tablet.click("button:has-text('Sign consent')")
    expect(tablet.locator(".alert")).to_contain_text("Consent signed and stored")
    signed = Consent.objects.get(patient=eligible_patient)
    assert signed.witness == clinician and len(bytes(signed.signature_png)) > 500
    tablet.goto(f"{live_server.url}/patients/{eligible_patient.pk}/")
    expect(tablet.get_by_test_id("chart-consents")).to_contain_text("Consent current")
    tablet.get_by_test_id("chart-consents").screenshot(path=f"{SHOTS}/consent_chart_tablet.png")

    # The first dose now goes ahead.
    tablet.goto(f"{live_server.url}/treatment/sessions/{session.pk}/")
    calculate_dose(tablet, stock["vial"].pk, LOT)
    expect(tablet.get_by_test_id("preview-mg")).to_have_text("40 mg")
    confirm_dose(tablet, second_check=nurse_a.username)
    expect(tablet.get_by_test_id("dose-mg")).to_have_text("40.00 mg")
    expect(tablet.locator("#dose")).to_contain_text(f"second check {person(nurse_a)}")

    # The aftercare sheet the patient gets, on the phone.
    _, token = links.issue(eligible_patient, "aftercare", created_by=clinician, session=session)
    phone.goto(f"{live_server.url}/p/{token}/")
    expect(phone.locator("h1")).to_contain_text("After your visit, Jordan")
    phone.screenshot(path=f"{SHOTS}/consent_aftercare_phone.png", full_page=True)
    tablet.close()
    phone.close()


def test_patient_signs_consent_through_their_link_on_a_phone(chromium, live_server, sign_in,
                                                              clinician, admin_a, clinic_a,
                                                              eligible_patient) -> None:
    """The clinic sends a signing link; the patient reads and signs with a finger on their
    phone; the link then shows the neutral "used" page, and the chart shows the consent."""
    from .test_consent_link import no_witness_version

    no_witness_version(staff_for(admin_a, clinic_a))
    tablet = chromium.new_page(viewport=TABLET)
    sign_in(tablet)
    tablet.goto(f"{live_server.url}/consent/patient/{eligible_patient.pk}/")
    click_and_load(tablet, "[data-testid=link-ketamine_offlabel]")
    url = tablet.get_by_test_id("consent-url").input_value()
    assert url.endswith("/") and str(eligible_patient.pk) not in url

    phone = chromium.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{live_server.url}{url.split('localhost:8000', 1)[-1]}")
    expect(phone.get_by_test_id("consent-text")).to_contain_text("off-label")
    expect(phone.locator("h1")).to_contain_text("Consent to ketamine treatment")
    phone.click("button:has-text('I have read this and I sign')")
    expect(phone.get_by_test_id("signature-error")).to_contain_text("sign")
    _draw_signature(phone)
    expect(phone.locator("#signature-status")).to_have_text("Signature captured.")
    expect(phone.get_by_test_id("signature-error")).to_be_hidden()  # no stale error
    phone.fill("#id_typed_name", "Jordan Rivera")
    phone.fill("#id_signed_on", clinic_a.today().isoformat())
    phone.locator("#signature-pad").scroll_into_view_if_needed()
    phone.screenshot(path=f"{SHOTS}/consent_link_sign_phone.png", full_page=False)
    phone.click("button:has-text('I have read this and I sign')")
    expect(phone.get_by_test_id("consent-signed")).to_contain_text("your consent is signed")
    signed = Consent.objects.get(patient=eligible_patient)
    assert signed.channel == "link" and signed.recorded_by == clinician
    assert len(bytes(signed.signature_png)) > 500

    phone.reload()
    expect(phone.locator("h1")).to_have_text("This link has been used")
    expect(phone.locator(".sr-crisis")).to_contain_text("988")
    assert consent.status_for(eligible_patient, "iv").ok
    tablet.goto(f"{live_server.url}/patients/{eligible_patient.pk}/")
    expect(tablet.get_by_test_id("chart-consents")).to_contain_text(
        "Consent to ketamine treatment (off-label use) v2")
