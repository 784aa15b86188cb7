"""Going live, from an empty database: `ketacare setup` -> the admin's set-password link ->
sign in -> invite a nurse -> the nurse sets a password from the emailed link (locmem
email) -> the nurse signs in and sees Today's sessions; then the admin deactivates the
nurse and the nurse's open session and API token stop working at once.

Screenshots of the staff, settings and protocol editor pages at desktop and tablet size go to
$KETACARE_SCREENSHOTS (docs/screenshots/ when refreshing the docs; default the temp dir)."""

from __future__ import annotations

import io
import os
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from ketacare.accounts.models import Clinic
from ketacare.interop.auth import create_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir()))
ADMIN_PASSWORD = "harbour-lantern-copper-61"
NURSE_PASSWORD = "meadow-violet-anchor-38"
SIZES = {"desktop": {"width": 1280, "height": 900}, "tablet": {"width": 820, "height": 1180}}


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _set_password(page, base: str, link: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + _path(link))
    expect(page.locator("h1")).to_have_text("Choose your password")
    page.fill("#id_new_password1", password)
    page.fill("#id_new_password2", password)
    page.click("button:has-text('Set password')")
    expect(page.locator("h1")).to_have_text("Password set")


def _sign_in(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _fhir_status(base: str, secret: str) -> int:
    request = urllib.request.Request(f"{base}/fhir/Patient",  # noqa: S310 (live_server)
                                     headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_from_empty_database_to_a_nurse_and_back(chromium, live_server) -> None:
    base = live_server.url
    out = io.StringIO()
    call_command("setup", "--clinic-name", "Lakeside Clinic", "--time-zone",
                 "America/Chicago", "--admin", "alex", "--admin-email", "alex@example.org",
                 "--admin-first-name", "Alex", "--admin-last-name", "Rivera", stdout=out)
    link = re.search(r"http\S+/accounts/set-password/\S+/", out.getvalue())
    assert link

    admin_ctx = chromium.new_context(viewport=SIZES["desktop"])
    admin = admin_ctx.new_page()
    _set_password(admin, base, link.group(0), ADMIN_PASSWORD)
    _sign_in(admin, base, "alex", ADMIN_PASSWORD)
    admin.click("nav >> text=Clinic")
    expect(admin.locator("h1")).to_have_text("Lakeside Clinic: staff")

    # A mistake first: the message names the field, nothing is sent.
    admin.fill("#id_first_name", "Nora")
    admin.fill("#id_last_name", "Lindqvist")
    admin.fill("#id_email", "nora-at-example")
    admin.select_option("#id_role", "nurse")
    admin.fill("#id_username", "nora")
    admin.click("button:has-text('Send invitation')")
    expect(admin.locator("#id_email-error")).to_contain_text("valid email")
    assert mail.outbox == []
    admin.fill("#id_email", "nora@example.org")
    admin.click("button:has-text('Send invitation')")
    expect(admin.locator(".alert.ok")).to_contain_text("Nora Lindqvist invited")
    assert [m.to for m in mail.outbox] == [["nora@example.org"]]
    nurse_link = re.search(r"http\S+/accounts/set-password/\S+/", mail.outbox[0].body)
    assert nurse_link

    nurse_ctx = chromium.new_context(viewport=SIZES["tablet"])
    nurse = nurse_ctx.new_page()
    _set_password(nurse, base, nurse_link.group(0), NURSE_PASSWORD)
    _sign_in(nurse, base, "nora", NURSE_PASSWORD)
    expect(nurse.locator("h2").first).to_contain_text("Today's sessions")
    nora = User.objects.get(username="nora")
    _token, secret = create_token(nora, Clinic.objects.get(name="Lakeside Clinic"))
    assert _fhir_status(base, secret) == 200

    for size, viewport in SIZES.items():
        admin.set_viewport_size(viewport)
        admin.goto(f"{base}/clinic/staff/")
        admin.screenshot(path=str(SHOTS / f"clinic-staff-{size}.png"), full_page=True)
        admin.goto(f"{base}/clinic/settings/")
        admin.screenshot(path=str(SHOTS / f"clinic-settings-{size}.png"), full_page=True)
    admin.set_viewport_size(SIZES["desktop"])

    # Protocols: a fresh clinic adopts a shipped one, then edits it as a form.
    admin.goto(f"{base}/treatment/protocols/")
    admin.locator("tr.shipped", has_text="esketamine_nasal").first.locator(
        "button:has-text('Use in this clinic')").click()
    expect(admin.locator("h1")).to_contain_text("Esketamine")
    admin.fill("#id_observation_min", "90")
    admin.click("button:has-text('Save new version')")
    expect(admin.locator("#id_observation_min-error")).to_contain_text("label minimum of 120")
    for size, viewport in SIZES.items():
        admin.set_viewport_size(viewport)
        admin.screenshot(path=str(SHOTS / f"protocol-editor-{size}.png"), full_page=True)
    admin.set_viewport_size(SIZES["desktop"])
    admin.fill("#id_observation_min", "150")
    admin.click("button:has-text('Save new version')")
    expect(admin.locator("h1")).to_contain_text("Protocols")

    admin.goto(f"{base}/clinic/staff/")
    admin.locator("[data-testid='member-nora']").locator(
        "button:has-text('Deactivate')").click()
    expect(admin.locator(".alert.ok")).to_contain_text("nora deactivated")
    expect(admin.locator("[data-testid='member-nora']")).to_contain_text("deactivated")

    nurse.reload()
    expect(nurse.locator("h1")).to_have_text("Sign in")
    assert _fhir_status(base, secret) == 401
    nurse.fill("#id_username", "nora")
    nurse.fill("#id_password", NURSE_PASSWORD)
    nurse.click("button[type=submit]")
    expect(nurse.locator(".alert.critical")).to_be_visible()
    admin_ctx.close()
    nurse_ctx.close()
