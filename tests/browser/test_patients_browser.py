"""A prescriber registers a patient (fixing a validation error on the way), screens them
for IV ketamine with a caution, and sees the result on the chart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.conftest import click_and_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_patient_fix_error_screen_needs_review(chromium, live_server, sign_in) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page)
    page.click("nav >> text=Patients")
    page.click("text=New patient")
    page.fill("#id_mrn", "A-7781")
    page.fill("#id_given_name", "Casey")
    page.fill("#id_family_name", "Moreau")
    page.fill("#id_date_of_birth", "2091-01-01")  # in the future: refused
    page.select_option("#id_sex_at_birth", "female")
    page.click("button:has-text('Create patient')")
    expect(page.locator(".field-error")).to_contain_text("cannot be in the future")
    page.fill("#id_date_of_birth", "1979-06-30")
    page.click("button:has-text('Create patient')")
    expect(page.locator("h1")).to_contain_text("Moreau, Casey")
    assert "A-7781" not in page.url and "Moreau" not in page.url

    page.click("nav.tabs >> text=Screening")
    page.select_option("#route", "iv")
    click_and_load(page, "button:has-text('Start screening')")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.locator("input[name=psychosis][value=yes]").check()
    page.locator("input[name=pregnancy_test][value=negative]").check()
    click_and_load(page, "button:has-text('Record screening')")
    status = page.get_by_test_id("screening-status").first
    expect(status).to_have_text("Needs prescriber review")
    expect(page.locator(".reasons")).to_contain_text("sychosis")
    # The summary header carries the result too, on every tab.
    expect(page.locator(".flags")).to_contain_text("Needs prescriber review")

    page.click("text=Record prescriber decision")
    page.locator("input[name=decision][value=approved]").check()
    page.fill("textarea[name=rationale]", "Remote single episode, stable 10 years.")
    page.click("button:has-text('Record decision')")
    expect(page.locator(".decision")).to_contain_text("Approved for treatment")
    page.close()


def test_patient_search_by_name_stays_out_of_the_url(chromium, live_server, sign_in,
                                                     patient_a) -> None:
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    sign_in(page)
    page.goto(f"{live_server.url}/patients/")
    page.fill("#id_q", "riv")
    page.click("button:has-text('Search')")
    expect(page.locator("table.patients")).to_contain_text("Rivera")
    assert "riv" not in page.url.lower()
    page.click("text=Rivera")
    expect(page.locator("h1")).to_contain_text("Rivera, Jordan")
    page.close()
