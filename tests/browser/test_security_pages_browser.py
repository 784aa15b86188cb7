"""In Chromium: a patient reloads the thank-you page within the window and sees it again,
while a second browser with the same link sees only the neutral page; a staff member
revokes their own API token; the 404 page is in the site's layout. Screenshots go to
KETACARE_SCREENSHOTS (docs/screenshots/ when refreshing the docs)."""

from __future__ import annotations

import os
import tempfile

import pytest
from playwright.sync_api import expect
from tests.selfreport.conftest import make_request

from ketacare.interop.auth import create_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())
PHONE = {"width": 390, "height": 844}


def test_used_link_in_another_browser_and_own_tokens(chromium, live_server, sign_in, clinician,
                                                     clinic_a, patient_a) -> None:
    _, token = make_request(patient_a)
    link = f"{live_server.url}/r/{token}/"
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(link)
    for n in range(1, 10):
        page.locator(f"#q{n} .sr-option").nth(0).click()
    page.click("button:has-text('Send')")
    expect(page.locator("h1")).to_have_text("Thank you, Jordan")
    page.goto(link)  # back to the link: still this browser's window
    expect(page.locator("h1")).to_have_text("Thank you, Jordan")
    phone.close()

    other = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    forwarded = other.new_page()
    forwarded.goto(link)
    expect(forwarded.locator("h1")).to_have_text("This link has been used")
    expect(forwarded.locator("body")).not_to_contain_text("Jordan")
    expect(forwarded.locator(".sr-crisis")).to_contain_text("988")
    forwarded.screenshot(path=f"{SHOTS}/selfreport-link-used.png")
    other.close()

    create_token(clinician, clinic_a, "EHR bridge")
    staff = chromium.new_page(viewport={"width": 1280, "height": 720})
    sign_in(staff)
    staff.click("text=API tokens")
    row = staff.locator("[data-testid=api-tokens] tbody tr")
    expect(row).to_contain_text("EHR bridge")
    expect(row).to_contain_text("active")
    staff.screenshot(path=f"{SHOTS}/api-tokens.png")
    row.locator("button:has-text('Revoke')").click()
    expect(staff.locator("[role=status]")).to_contain_text("revoked")
    expect(row).to_contain_text("revoked")
    staff.goto(f"{live_server.url}/patients/00000000-0000-0000-0000-000000000000/")
    expect(staff.locator("h1")).to_have_text("Not found")
    expect(staff.locator("nav[aria-label=Main]")).to_contain_text("Patients")
    staff.screenshot(path=f"{SHOTS}/not-found.png")
    staff.close()
