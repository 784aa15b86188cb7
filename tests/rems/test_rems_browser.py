"""On a tablet, a prescriber opens a completed esketamine session's REMS form, answers the
one question only a clinician can, signs, and downloads the PDF."""

from __future__ import annotations

import os
import tempfile

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots are checked by eye, never kept in the repo.
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())


def test_complete_sign_and_download(chromium, live_server, sign_in, done_session) -> None:
    s = done_session
    page = chromium.new_page(viewport={"width": 1024, "height": 1366})
    sign_in(page)
    page.goto(f"{live_server.url}/treatment/sessions/{s.pk}/")
    page.get_by_test_id("rems-link").click()
    expect(page.locator("h1")).to_contain_text("Spravato REMS monitoring form")
    expect(page.get_by_test_id("rems-status")).to_have_text("Not started")
    expect(page.locator("#id_lot")).to_have_value("ES-77")
    expect(page.locator("#id_bp_40min")).to_have_value("148/92")
    expect(page.locator("#id_ready_minutes")).to_have_value("")
    expect(page.locator("[data-source=dose]")).to_contain_text("Dose record: 56 mg")
    page.screenshot(path=f"{SHOTS}/rems-form.png", full_page=True)

    page.click("button:has-text('Save and sign')")  # the clinician's answer is missing
    expect(page.get_by_test_id("rems-error")).to_contain_text(
        "Minutes until the patient would have been ready to leave")
    expect(page.locator("#f-ready_minutes .field-error")).to_have_text(
        "Answer this before signing.")
    page.screenshot(path=f"{SHOTS}/rems-form-error.png", full_page=True)

    page.fill("#id_ready_minutes", "105")
    page.click("button:has-text('Save and sign')")
    expect(page.get_by_test_id("rems-signed")).to_contain_text("Signed by Rhea Tester")
    expect(page.get_by_test_id("rems-status")).to_have_text("Signed")
    expect(page.locator("dd[data-field=ready_minutes]")).to_have_text("105 min")
    page.screenshot(path=f"{SHOTS}/rems-signed.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_test_id("rems-pdf").click()
    assert download.value.suggested_filename == f"rems-session-{s.pk}.pdf"
    download.value.save_as(f"{SHOTS}/rems-form.pdf")
    with open(download.value.path(), "rb") as pdf:
        body = pdf.read()
    assert body.startswith(b"%PDF-") and b"ES-77" in body and b"105 min" in body

    page.click("nav >> text=REMS")
    expect(page.get_by_test_id("rems-due")).to_contain_text("No unsigned REMS forms")
    page.close()
