"""A prescriber sets up a stock item, receives a lot of vials, records a waste (first
forgetting the witness), and sees the balance in mL and mg; then downloads the PDF."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots are checked by eye, never kept in the repo.
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())


def test_receive_and_witnessed_waste(chromium, live_server, sign_in, nurse_a) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page)
    page.click("nav >> text=Ledger")
    expect(page.locator("h1")).to_contain_text("Controlled-substance ledger")

    page.click("text=Add a stock item")
    page.select_option("#id_drug", "racemic_ketamine")
    page.select_option("#id_form", "vial")
    page.fill("#id_concentration_mg_ml", "50")
    page.fill("#id_vial_ml", "10")
    page.click("button:has-text('Add stock item')")
    expect(page.locator("h1")).to_have_text("Ketamine (racemic) 50 mg/mL (10 mL vial)")
    expect(page.get_by_test_id("ledger-balance")).to_contain_text("0 mL")

    page.click("summary:has-text('Receive stock')")
    page.fill("#id_receive-vials", "3")  # volume left blank: 3 x 10 mL
    page.fill("#id_receive-lot", "KX-2291")
    page.fill("#id_receive-expiry", str(date.today() + timedelta(days=365)))
    page.fill("#id_receive-supplier", "Hikma Pharmaceuticals")
    page.fill("#id_receive-invoice", "INV-55012")
    page.click("button:has-text('Record receive stock')")
    expect(page.locator(".ledger-messages")).to_contain_text(
        "Received 30 mL (1500 mg) recorded. Balance now 30 mL (1500 mg).")
    expect(page.get_by_test_id("ledger-balance")).to_contain_text("30 mL")
    expect(page.get_by_test_id("ledger-balance")).to_contain_text("1500 mg")

    page.click("summary:has-text('Waste (witnessed)')")
    page.fill("#id_waste-quantity", "0.4")
    page.select_option("#id_waste-method", "denaturant")
    page.fill("#id_waste-lot", "KX-2291")
    page.click("button:has-text('Record waste (witnessed)')")
    expect(page.locator(".ledger-form-waste .field-error")).to_have_text(
        "Waste needs a witness: a second staff member who is not you.")
    expect(page.get_by_test_id("ledger-balance")).to_contain_text("30 mL")
    page.screenshot(path=f"{SHOTS}/ledger-waste-error.png")
    page.fill("#id_waste-witness_username", "noah")
    page.fill("#id_waste-witness_password", "wrong password")
    page.click("button:has-text('Record waste (witnessed)')")
    expect(page.locator(".ledger-form-waste .field-error")).to_have_text(
        "Password or PIN not right for that username.")
    page.fill("#id_waste-witness_username", "noah")
    page.fill("#id_waste-witness_password", PASSWORD)
    page.click("button:has-text('Record waste (witnessed)')")
    expect(page.locator(".ledger-messages")).to_contain_text(
        "Wasted 0.4 mL (20 mg) recorded. Balance now 29.6 mL (1480 mg).")
    balance = page.get_by_test_id("ledger-balance")
    expect(balance).to_contain_text("29.6 mL")
    expect(balance).to_contain_text("1480 mg")
    rows = page.locator("table.ledger-entries tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Wasted")
    expect(rows.first).to_contain_text("-0.4 mL (-20 mg)")
    expect(rows.first).to_contain_text("Noah Tester")
    page.screenshot(path=f"{SHOTS}/ledger-item.png", full_page=True)

    page.click("text=Ledger")
    expect(page.locator("table.ledger-stock")).to_contain_text("29.6")
    expect(page.locator("table.ledger-stock")).to_contain_text("1480 mg")
    page.screenshot(path=f"{SHOTS}/ledger-home.png", full_page=True)

    page.click("text=Reports (CSV, PDF)")
    expect(page.locator(".ledger-period")).to_contain_text("Closing balance")
    with page.expect_download() as download:
        page.click("text=Download PDF")
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.screenshot(path=f"{SHOTS}/ledger-report.png", full_page=True)
    page.close()


def test_ledger_on_a_phone(chromium, live_server, sign_in, nurse_a) -> None:
    from ketacare.accounts.models import Clinic
    from ketacare.accounts.staff import staff_for
    from ketacare.ledger import actions

    clinic = Clinic.objects.get(name="Clinic A")
    staff = staff_for(nurse_a, clinic)
    admin = staff_for(nurse_a.__class__.objects.get(username="rhea"), clinic)
    item = actions.create_stock_item(admin, drug="esketamine", form="nasal_device")
    actions.receive(staff, item, devices=8, lot="SP-1", expiry=date.today() + timedelta(days=90),
                    supplier="Janssen", invoice="J-1")
    actions.count(staff, item, counted_devices=7)
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    sign_in(page)
    page.goto(f"{live_server.url}/ledger/")
    expect(page.get_by_test_id("ledger-discrepancies")).to_contain_text("difference -1 device")
    page.click("table.ledger-stock >> text=Esketamine nasal 28 mg device")
    expect(page.get_by_test_id("ledger-discrepancy")).to_be_visible()
    expect(page.get_by_test_id("ledger-balance")).to_contain_text("8 devices")
    expect(page.get_by_test_id("ledger-balance")).to_contain_text("224 mg")
    page.screenshot(path=f"{SHOTS}/ledger-phone.png", full_page=True)
    page.close()
