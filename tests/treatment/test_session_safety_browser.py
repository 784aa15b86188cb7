"""Issue 13 in real Chromium, on a tablet (820x1180) and a phone (390x844): a whole IV
session with a hold, a prescriber's override co-signed on the nurse's device, an alert the
prescriber acknowledges from their own session, a refused then accepted discharge and the
signature; then a waste co-signed by a witness. Nothing may overflow the viewport.
Screenshots go to $KETACARE_SCREENSHOTS (default /tmp)."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from ketacare.accounts.staff import staff_for
from ketacare.ledger.models import Kind, LedgerEntry
from ketacare.treatment import actions
from ketacare.treatment.models import Dose, VitalSigns
from tests.conftest import PASSWORD, click_and_load, make_staff

from .conftest import LOT, protocol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())
PIN = "482916"
VIEWPORTS = {"tablet": {"width": 820, "height": 1180}, "phone": {"width": 390, "height": 844}}


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


HIDDEN = """() => [...document.querySelectorAll('table td, table th')]
    .filter(c => getComputedStyle(c).display === 'none' || getComputedStyle(c).visibility === 'hidden')
    .filter(c => !(c.closest('table.stack') && c.closest('thead')))
    .map(c => c.textContent.trim())"""


def _fits(page: Page) -> None:
    """No element wider than the viewport (tables scroll inside their own box), and no table
    cell hidden (stacked tables hide only their header row: each cell carries its label)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right
                > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)""")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport: {wide}"
    assert page.evaluate(HIDDEN) == []


def _vitals(page: Page, sbp: str, dbp: str, hr: str, spo2: str, button: str) -> None:
    page.fill("#id_sbp", sbp)
    page.fill("#id_dbp", dbp)
    page.fill("#id_hr", hr)
    page.fill("#id_spo2", spo2)
    click_and_load(page, f"button:has-text('{button}')")


@pytest.mark.parametrize("device", ["tablet", "phone"])
def test_iv_session_with_hold_cosigned_override_alert_and_discharge(
        device, chromium, live_server, clinician, clinic_a, ready_patient, stock) -> None:
    make_staff("noah", clinic_a, "nurse")
    today = clinic_a.today()
    actions.start_course(staff_for(clinician, clinic_a), ready_patient,
                         protocol(clinic_a, "iv-induction"), indication="TRD",
                         start_date=today, weekdays=frozenset(
                             {today.weekday(), (today.weekday() + 2) % 7,
                              (today.weekday() + 4) % 7}))
    base = live_server.url
    tablet = chromium.new_context(viewport=VIEWPORTS[device])
    page = tablet.new_page()
    _sign_in(page, base, "noah")
    click_and_load(page, "text=Open session day")
    session_url = page.url.split("#")[0]
    expect(page.locator("#checkin")).to_have_attribute("aria-current", "step")
    page.check("#id_escort_present")
    page.check("#id_no_driving_ack")
    page.click("button:has-text('Check in')")
    expect(page).to_have_url(f"{session_url}#vitals")
    expect(page.locator("#vitals")).to_have_attribute("aria-current", "step")

    _vitals(page, "150", "86", "74", "98", "Record pre-dose vitals")
    expect(page.get_by_test_id("hold")).to_contain_text("SBP 150 > 140")
    expect(page.get_by_test_id("status-strip")).to_contain_text("On hold")
    # The nurse alone cannot override; the prescriber signs on this tablet.
    page.fill("#id_override_reason", "Repeat manual BP 138/84; anxious on arrival")
    page.click("button:has-text('Override hold')")
    expect(page.locator("#vitals .field-error").first).to_contain_text("Only a prescriber")
    expect(page).to_have_url(f"{session_url}step/override/#vitals")
    page.fill("#id_override_reason", "Repeat manual BP 138/84; anxious on arrival")
    page.fill("#id_cosign_username", "rhea")
    page.fill("#id_cosign_password", "not her password")
    page.click("button:has-text('Override hold')")
    expect(page.locator("#vitals")).to_contain_text("Password or PIN not right for that username.")
    page.fill("#id_override_reason", "Repeat manual BP 138/84; anxious on arrival")
    page.fill("#id_cosign_username", "rhea")
    page.fill("#id_cosign_password", PASSWORD)
    page.click("button:has-text('Override hold')")
    expect(page.get_by_test_id("hold")).to_contain_text("Overridden by Rhea Tester")
    expect(page).to_have_url(f"{session_url}#dose")

    # The dose: previewed first (nothing recorded), above the usual range, co-signed.
    page.fill("#id_mg_per_kg", "0.6")
    page.select_option("#id_source", f"{stock['vial'].pk}|{LOT}")
    page.fill("#id_override_reason", "Partial response at 0.5 mg/kg")
    page.click("button:has-text('Calculate dose')")
    expect(page.get_by_test_id("preview-mg")).to_have_text("48 mg")
    expect(page.get_by_test_id("preview-ml")).to_have_text("4.80 mL")
    expect(page.get_by_test_id("dose-preview")).to_contain_text("80 kg, measured")
    expect(page.get_by_test_id("preview-lot")).to_contain_text(f"{LOT}, expires ")
    page.screenshot(path=f"{SHOTS}/session-dose-preview-{device}.png", full_page=True)
    _fits(page)
    page.fill("#id_second_check_username", "rhea")
    page.fill("#id_second_check_password", PASSWORD)
    page.fill("#id_override_username", "rhea")
    page.fill("#id_override_password", PASSWORD)
    page.click("button:has-text('Confirm: record dose given')")
    expect(page.get_by_test_id("dose-mg")).to_have_text("48.00 mg")
    expect(page.locator("#dose")).to_contain_text("approved by Rhea Tester")

    _vitals(page, "184", "102", "90", "97", "Record vitals")
    expect(page).to_have_url(f"{session_url}#monitoring")
    expect(page.locator("[data-alert=sbp_high]")).to_contain_text("SBP 184 >= 180")
    expect(page.get_by_test_id("clinical-alerts")).to_contain_text("notified at")
    expect(page.get_by_test_id("status-strip")).to_contain_text("prescriber notified")
    page.screenshot(path=f"{SHOTS}/session-alert-{device}.png", full_page=True)
    _fits(page)

    # The prescriber, in their own session, sees it on the home page and acknowledges.
    desk = chromium.new_context(viewport=VIEWPORTS[device])
    doctor = desk.new_page()
    _sign_in(doctor, base, "rhea")
    expect(doctor.get_by_test_id("session-alert-badge")).to_have_text("2")
    expect(doctor.get_by_test_id("home-alerts")).to_contain_text("SBP 184 >= 180")
    doctor.screenshot(path=f"{SHOTS}/home-alerts-{device}.png", full_page=True)
    _fits(doctor)
    doctor.locator("button:has-text('Acknowledge')").first.click()
    doctor.locator("button:has-text('Acknowledge')").first.click()
    expect(doctor.get_by_test_id("home-alerts")).to_have_count(0)
    # She sets a co-signature PIN on her account page (used for the waste below).
    doctor.goto(f"{base}/accounts/me/")
    doctor.fill("#id_current_password", PASSWORD)
    doctor.fill("#id_pin", "123456")
    doctor.fill("#id_repeat", "123456")
    doctor.click("button:has-text('Set PIN')")
    expect(doctor.locator("#pin .field-error")).to_contain_text("too easy to guess")
    doctor.fill("#id_current_password", PASSWORD)
    doctor.fill("#id_pin", PIN)
    doctor.fill("#id_repeat", PIN)
    doctor.click("button:has-text('Set PIN')")
    expect(doctor.get_by_test_id("pin-status")).to_contain_text("PIN set")
    _fits(doctor)
    desk.close()
    page.reload()
    expect(page.get_by_test_id("alert-status").last).to_contain_text(
        "acknowledged by Rhea Tester at")

    for number, value in enumerate([2, 1, 1, 0, 1, 0], start=1):
        page.fill(f"#id_item_{number}", str(value))
    click_and_load(page, "button:has-text('Record CADSS-6')")
    page.select_option("#id_moaas", "4")
    click_and_load(page, "button:has-text('Record sedation')")
    page.check("#id_stop_confirm")
    page.click("button:has-text('Stop infusion now')")
    expect(page.get_by_test_id("discharge-checklist")).to_contain_text(
        "CADSS-6 at most 0 if recorded")
    page.check("#id_dissociation_resolved")
    page.check("#id_confirm")
    page.click("button:has-text('Discharge')")
    expect(page.get_by_test_id("step-error")).to_contain_text("Not ready for discharge")
    expect(page).to_have_url(f"{session_url}step/discharge/#discharge")
    page.screenshot(path=f"{SHOTS}/session-discharge-refused-{device}.png", full_page=True)
    _fits(page)
    if device == "tablet":  # the status strip stays in view (on a phone it scrolls away)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        box = page.get_by_test_id("status-strip").bounding_box()
        assert box is not None and 0 <= box["y"] < 60, box

    # Time passes (the server sets times; the test moves them): the ~40-min BP was taken.
    dose = Dose.objects.get(session__course__patient=ready_patient)
    Dose.objects.filter(pk=dose.pk).update(started_at=dose.started_at - timedelta(minutes=90),
                                           stopped_at=dose.stopped_at - timedelta(minutes=45))
    VitalSigns.objects.filter(session=dose.session, phase="monitoring").update(minute=41)
    page.goto(session_url)
    _vitals(page, "132", "84", "76", "98", "Record vitals")
    for number in range(1, 7):
        page.fill(f"#id_item_{number}", "0")
    click_and_load(page, "button:has-text('Record CADSS-6')")
    page.select_option("#id_moaas", "5")
    page.click("button:has-text('Record sedation')")
    expect(page.get_by_test_id("discharge-unmet")).to_contain_text("Dissociation not confirmed")
    page.check("#id_dissociation_resolved")
    page.check("#id_confirm")
    page.click("button:has-text('Discharge')")
    expect(page.locator("#discharge")).to_contain_text("Discharged")
    expect(page).to_have_url(f"{session_url}#sign")
    page.check("#id_sign_confirm")
    page.click("button:has-text('Sign and lock')")
    expect(page.get_by_test_id("session-status")).to_have_text("Signed")
    # After discharge the strip no longer counts time since the dose.
    expect(page.get_by_test_id("status-strip").locator(".timer")).to_have_count(0)
    # The signed note keeps the hold, the override and the alerts with their times.
    expect(page.get_by_test_id("clinical-alerts")).to_contain_text("Dosing hold")
    expect(page.get_by_test_id("hold")).to_contain_text("Overridden by Rhea Tester at")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky strip in its place on the shot
    page.screenshot(path=f"{SHOTS}/session-signed-{device}.png", full_page=True)
    _fits(page)

    # A waste from the same vial, witnessed by the prescriber on the nurse's device.
    page.goto(f"{base}/ledger/{stock['vial'].pk}/")
    page.click("summary:has-text('Waste (witnessed)')")
    page.fill("#id_waste-quantity", "0.2")
    page.select_option("#id_waste-method", "denaturant")
    page.fill("#id_waste-lot", LOT)
    page.fill("#id_waste-witness_username", "rhea")
    page.fill("#id_waste-witness_password", PIN)  # her co-signature PIN
    page.click("button:has-text('Record waste (witnessed)')")
    expect(page.locator(".ledger-messages")).to_contain_text("Wasted 0.2 mL (2 mg) recorded.")
    waste = LedgerEntry.objects.get(kind=Kind.WASTE)
    assert (waste.recorded_by.username, waste.witness.username) == ("noah", "rhea")
    page.screenshot(path=f"{SHOTS}/ledger-waste-cosigned-{device}.png", full_page=False)
    tablet.close()
