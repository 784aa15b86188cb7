"""Two-factor sign-in for staff (TOTP, django-otp): enrolment, the code step after the
password, the page gate until a code is accepted, throttling, turning it off, the clinic
policy, the operator's reset, and the audit trail. Codes are real TOTP codes computed from
the device's key, as an authenticator app computes them."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import PASSWORD, click_and_load

from ketacare.accounts import two_factor
from ketacare.accounts.models import Membership
from ketacare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SETUP = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/verify/"


def code_for(device: TOTPDevice, ahead: int = 0) -> str:
    """What the person's app shows now (`ahead` steps later), from the device's key."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return f"{value:0{device.digits}d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet. Each code works once, so a second check
    within the same 30 s uses the next step's code (inside the one-step tolerance)."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step + device.drift
    return code_for(device, max(0, device.last_t + 1 - now_t))


def wrong_code(device: TOTPDevice) -> str:
    near = {code_for(device, ahead) for ahead in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in near)


def enrolled(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def password_sign_in(client, user, next_url: str = ""):  # type: ignore[no-untyped-def]
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post("/accounts/login/", data)
    assert response.status_code == 302, "password step failed"
    return response


def verify_url(next_url: str) -> str:
    return f"{VERIFY}?next={quote(next_url, safe='')}"


def entries(event: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.order_by("id") if e.detail.get("two_factor") == event]


def expire_throttle(device: TOTPDevice) -> None:
    """As if the person waited out the throttle delay."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1))


# enrolment ------------------------------------------------------------------------------


def test_enrol_and_confirm(client, prescriber_a) -> None:
    password_sign_in(client, prescriber_a)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=prescriber_a)
    assert not device.confirmed
    # The QR code is inline SVG; nothing the CSP would block (no data: image, no inline
    # script or style), and the key is there to type, in groups of four.
    assert '<svg viewBox="0 0 ' in html and 'class="qr"' in html
    assert "data:" not in html and "<script>" not in html and "style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    groups = " ".join(key[i:i + 4] for i in range(0, len(key), 4))
    assert groups in html
    assert "no-store" in response["Cache-Control"]  # the key is never cached

    # Reloading shows the same key: a scan already made keeps working.
    assert groups in client.get(SETUP).content.decode()
    assert TOTPDevice.objects.filter(user=prescriber_a).count() == 1

    response = client.post(SETUP, {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == SETUP
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200  # this session is verified
    page = client.get(SETUP).content.decode()
    assert "Two-factor sign-in is on" in page and "Turn off two-factor sign-in" in page
    assert groups not in page  # the key is shown only while setting up
    assert [e.action for e in entries("enrol")] == ["create"]
    assert [e.action for e in entries("confirm")] == ["update"]


def test_code_with_spaces_is_accepted(client, nurse_a) -> None:
    client.force_login(nurse_a)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=nurse_a)
    code = code_for(device)
    client.post(SETUP, {"code": f"{code[:3]} {code[3:]}"})
    device.refresh_from_db()
    assert device.confirmed


def test_wrong_code_does_not_confirm(client, prescriber_a) -> None:
    client.force_login(prescriber_a)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=prescriber_a)
    response = client.post(SETUP, {"code": wrong_code(device)})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    response = client.post(SETUP, {"code": "12ab"})
    assert "Enter the 6-digit code" in response.content.decode()
    assert [e.detail["result"] for e in entries("confirm")] == ["wrong_code", "not_a_code"]
    assert {e.action for e in entries("confirm")} == {"sign_in_failed"}


# the code step after the password -------------------------------------------------------


def test_user_without_device_signs_in_with_password_alone(client, prescriber_a) -> None:
    response = password_sign_in(client, prescriber_a)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/patients/").status_code == 200


def test_sign_in_requires_the_code(client, prescriber_a) -> None:
    device = enrolled(prescriber_a)
    password_sign_in(client, prescriber_a)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == verify_url("/")
    page = client.get(VERIFY)
    assert page.status_code == 200 and "Enter your code" in page.content.decode()

    response = client.post(VERIFY, {"code": wrong_code(device), "next": "/"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/patients/").status_code == 302  # still not through

    expire_throttle(device)
    response = client.post(VERIFY, {"code": fresh_code(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/patients/").status_code == 200
    assert [e.action for e in entries("verify")] == ["sign_in_failed", "sign_in"]

    # Signing out ends the verification with the session: the next sign-in asks again.
    client.post("/accounts/logout/")
    password_sign_in(client, prescriber_a)
    assert client.get("/patients/")["Location"] == verify_url("/patients/")


# (/admin/ is not mounted unless KETACARE_DJANGO_ADMIN is on: see test_django_admin.py)
PAGES = ["/", "/patients/", "/calculator/", "/pk/", "/audit/", "/accounts/clinic/", SETUP,
         "/clinic/staff/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_to_the_code_step_until_verified(client, prescriber_a,
                                                              path) -> None:
    enrolled(prescriber_a)
    password_sign_in(client, prescriber_a)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == verify_url(path)


def test_what_stays_open_before_the_code(client, prescriber_a) -> None:
    enrolled(prescriber_a)
    password_sign_in(client, prescriber_a)
    assert client.get("/health").status_code == 200
    assert client.get("/static/ketacare/app.css").status_code == 200
    assert client.get(VERIFY).status_code == 200
    # A form post cannot be replayed after the code: redirected, without `next`.
    response = client.post("/accounts/clinic/", {"clinic": "1"})
    assert response["Location"] == VERIFY
    # htmx asks for a full-page redirect rather than swapping the code page into a fragment.
    response = client.get("/patients/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Redirect"] == VERIFY
    # Signing out works.
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_next_is_preserved_through_the_code_step(client, prescriber_a, patient_a) -> None:
    device = enrolled(prescriber_a)
    target = f"/patients/{patient_a.pk}/"
    response = password_sign_in(client, prescriber_a, next_url=target)
    assert response["Location"] == target
    response = client.get(target)
    assert response["Location"] == verify_url(target)
    page = client.get(response["Location"]).content.decode()
    assert f'name="next" value="{target}"' in page
    response = client.post(VERIFY, {"code": fresh_code(device), "next": target})
    assert response["Location"] == target
    assert client.get(target).status_code == 200


@pytest.mark.parametrize("evil", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "http://testserver.evil.example/", "javascript:alert(1)", "evil.example",
])
def test_the_code_step_is_not_an_open_redirect(client, prescriber_a, evil) -> None:
    device = enrolled(prescriber_a)
    password_sign_in(client, prescriber_a)
    page = client.get(f"{VERIFY}?next={quote(evil, safe='')}").content.decode()
    assert "evil" not in page and "javascript" not in page
    response = client.post(VERIFY, {"code": fresh_code(device), "next": evil})
    assert response.status_code == 302 and response["Location"] == "/"
    # Verified now: the page passes `next` through the same check.
    response = client.get(f"{VERIFY}?next={quote(evil, safe='')}")
    assert response["Location"] == "/"


def test_throttling_after_repeated_wrong_codes(client, prescriber_a) -> None:
    device = enrolled(prescriber_a)
    password_sign_in(client, prescriber_a)
    client.post(VERIFY, {"code": wrong_code(device)})
    time.sleep(1.1)  # django-otp waits 1 s after one failure, 2 s after two, then 4, 8 ...
    client.post(VERIFY, {"code": wrong_code(device)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 2

    # Throttled: even the right code is refused, and the page says why and for how long.
    response = client.post(VERIFY, {"code": fresh_code(device)})
    html = response.content.decode()
    assert "Too many wrong codes: wait 2 seconds" in html
    assert client.get("/patients/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 2  # a refused attempt is not counted
    assert [e.detail["result"] for e in entries("verify")] == [
        "wrong_code", "wrong_code", "throttled"]

    expire_throttle(device)
    response = client.post(VERIFY, {"code": fresh_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert client.get("/patients/").status_code == 200


def test_a_code_works_only_once(client, prescriber_a) -> None:
    device = enrolled(prescriber_a)
    code = fresh_code(device)
    password_sign_in(client, prescriber_a)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    password_sign_in(client, prescriber_a)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()


# turning it off -------------------------------------------------------------------------


def test_turning_it_off_needs_a_current_code(client, prescriber_a) -> None:
    device = enrolled(prescriber_a)
    password_sign_in(client, prescriber_a)
    client.post(VERIFY, {"code": fresh_code(device)})

    response = client.post(SETUP, {"code": ""})
    assert response.status_code == 200 and "Enter the 6-digit code" in response.content.decode()
    response = client.post(SETUP, {"code": wrong_code(device)})
    assert "That code is not right" in response.content.decode()
    assert TOTPDevice.objects.filter(user=prescriber_a).exists()

    expire_throttle(device)
    response = client.post(SETUP, {"code": fresh_code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=prescriber_a).exists()
    assert "Two-factor sign-in is off" in client.get(SETUP).content.decode()
    assert [(e.action, e.detail.get("result")) for e in entries("disable")] == [
        ("sign_in_failed", "wrong_code"), ("update", None)]
    # Off: the next sign-in is the password alone.
    client.post("/accounts/logout/")
    password_sign_in(client, prescriber_a)
    assert client.get("/patients/").status_code == 200


# clinic policy --------------------------------------------------------------------------


def test_clinic_policy_forces_enrolment(client, clinic_a, nurse_a) -> None:
    clinic_a.settings = {"require_two_factor": True}
    clinic_a.save()
    password_sign_in(client, nurse_a)
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fpatients%2F"
    assert client.get("/calculator/")["Location"].startswith(SETUP)
    assert client.get("/accounts/clinic/").status_code == 200  # may switch clinic
    assert client.get("/health").status_code == 200

    page = client.get(f"{SETUP}?next=%2Fpatients%2F").content.decode()
    assert "Clinic A requires two-factor sign-in" in page
    assert 'name="next" value="/patients/"' in page
    device = TOTPDevice.objects.get(user=nurse_a)
    response = client.post(SETUP, {"code": code_for(device), "next": "/patients/"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200

    # From now on the clinic's members pass the code step like everyone with a device.
    client.post("/accounts/logout/")
    password_sign_in(client, nurse_a)
    assert client.get("/patients/")["Location"] == verify_url("/patients/")


def test_policy_is_per_clinic_and_off_by_default(client, clinic_a, clinic_b, nurse_a) -> None:
    assert not two_factor.clinic_requires(clinic_a)  # product default
    clinic_a.settings = {"require_two_factor": "false"}  # only a JSON true turns it on
    clinic_a.save()
    assert not two_factor.clinic_requires(clinic_a)
    clinic_b.settings = {"require_two_factor": True}
    clinic_b.save()
    Membership.objects.create(user=nurse_a, clinic=clinic_b, role="nurse")
    client.force_login(nurse_a)
    client.post("/accounts/clinic/", {"clinic": clinic_a.pk})
    assert client.get("/patients/").status_code == 200
    client.post("/accounts/clinic/", {"clinic": clinic_b.pk})
    assert client.get("/patients/")["Location"].startswith(SETUP)


# operator's reset -----------------------------------------------------------------------


def test_cli_reset_removes_the_devices(client, prescriber_a) -> None:
    enrolled(prescriber_a)
    TOTPDevice.objects.create(user=prescriber_a, name="half-set-up", confirmed=False)
    out = StringIO()
    call_command("two_factor", "reset", "--user", "priya", stdout=out)
    assert "reset for priya: 2 device(s) removed" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=prescriber_a).exists()
    (event,) = entries("reset")
    assert event.username.startswith("cli:") and event.user_id is None
    assert event.object_type == "user" and event.object_id == str(prescriber_a.pk)
    assert event.detail == {"two_factor": "reset", "user": "priya", "devices_removed": 2}
    assert event.clinic_id == prescriber_a.memberships.get().clinic_id
    # The password alone gets them in again.
    password_sign_in(client, prescriber_a)
    assert client.get("/patients/").status_code == 200

    out = StringIO()
    call_command("two_factor", "reset", "--user", "priya", stdout=out)
    assert "had no two-factor device" in out.getvalue()


def test_cli_reset_errors(prescriber_a) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("two_factor", "reset", "--user", "nobody")
    assert caught.value.returncode == 2
    assert str(caught.value) == "--user: no user named 'nobody'"
    with pytest.raises(CommandError) as caught:
        call_command("two_factor", "reset")
    assert caught.value.returncode == 2 and "--user" in str(caught.value)


@pytest.mark.parametrize(("args", "message"), [
    (["reset"], "error: two-factor: the following arguments are required: --user"),
    ([], "error: two-factor: the following arguments are required: {reset}"),
    (["wipe"], "error: two-factor: argument {reset}: invalid choice: 'wipe'"),
])
def test_cli_usage_errors_are_one_line_exit_2(args, message) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from ketacare.cli import main; sys.exit(main())",
         "two-factor", *args],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(message)


# audit ----------------------------------------------------------------------------------


def test_audit_entries_never_hold_the_key_or_a_code(client, prescriber_a) -> None:
    password_sign_in(client, prescriber_a)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=prescriber_a)
    typed = [wrong_code(device), code_for(device)]
    client.post(SETUP, {"code": typed[0]})
    expire_throttle(device)
    client.post(SETUP, {"code": typed[1]})
    client.post("/accounts/logout/")
    password_sign_in(client, prescriber_a)
    typed.append(wrong_code(device))
    client.post(VERIFY, {"code": typed[-1]})
    expire_throttle(device)
    typed.append(fresh_code(device))
    client.post(VERIFY, {"code": typed[-1]})
    expire_throttle(device)
    typed.append(fresh_code(device))
    client.post(SETUP, {"code": typed[-1]})
    call_command("two_factor", "reset", "--user", "priya", stdout=StringIO())

    events = [e for e in AuditEvent.objects.order_by("id") if "two_factor" in e.detail]
    assert [(e.action, e.detail["two_factor"]) for e in events] == [
        ("create", "enrol"), ("sign_in_failed", "confirm"), ("update", "confirm"),
        ("sign_in_failed", "verify"), ("sign_in", "verify"), ("update", "disable"),
        ("update", "reset"),
    ]
    member_of = prescriber_a.memberships.get().clinic_id
    assert {e.clinic_id for e in events} == {member_of}  # the clinic admin sees them
    # Everything but the timestamp and hashes (digits there could match a code by chance).
    stored = json.dumps(list(AuditEvent.objects.values(
        "username", "role", "action", "object_type", "object_id", "detail")), default=str)
    key_b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert device.key not in stored and key_b32 not in stored
    assert key_b32[:8] not in stored.upper()
    for code in typed:
        assert code not in stored


# browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enrol_and_sign_in_with_a_code_in_chromium(chromium, live_server, sign_in,
                                                   clinician) -> None:
    shots = os.environ.get("KETACARE_2FA_SHOTS")  # e.g. /tmp/2fa-shots, to look at the pages
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)

    sign_in(page)  # password alone: no device yet
    page.click("header >> text=Two-factor sign-in")
    page.wait_for_url(f"{live_server.url}{SETUP}")
    assert page.locator("svg.qr").is_visible()
    assert page.locator("svg.qr").bounding_box()["width"] >= 150  # type: ignore[index]
    if shots:
        page.screenshot(path=f"{shots}/enrol.png", full_page=True)
    typed = page.inner_text("#twofa-key")
    key = base64.b32decode(typed.replace(" ", "") + "=" * (-len(typed.replace(" ", "")) % 8))

    page.fill("#id_code", "000000" if f"{totp(key):06d}" != "000000" else "111111")
    click_and_load(page, "button:has-text('Turn on two-factor sign-in')")
    assert page.locator("#code-error").inner_text().startswith("That code is not right")
    if shots:
        page.screenshot(path=f"{shots}/enrol-wrong-code.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{shots}/enrol-phone.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
    time.sleep(1.1)  # the throttle after one wrong code
    page.fill("#id_code", f"{totp(key):06d}")
    page.click("button:has-text('Turn on two-factor sign-in')")
    page.wait_for_selector("text=Two-factor sign-in is on")
    if shots:
        page.screenshot(path=f"{shots}/enrolled.png", full_page=True)

    page.click("header >> text=Sign out")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", clinician.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{VERIFY}?next=%2F")
    assert page.locator("h1").inner_text() == "Enter your code"
    if shots:
        page.screenshot(path=f"{shots}/code.png", full_page=True)
    page.goto(f"{live_server.url}/patients/")  # not through yet
    assert page.url == f"{live_server.url}{verify_url('/patients/')}"
    # The code that confirmed the device was used once; the app's next code is accepted.
    page.fill("#id_code", f"{totp(key, drift=1):06d}")
    page.click("button:has-text('Continue')")
    page.wait_for_url(f"{live_server.url}/patients/")
    assert page.locator("h1").first.is_visible()
    if shots:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}{SETUP}")
        page.screenshot(path=f"{shots}/on-phone.png", full_page=True)
    assert csp_errors == []
    page.close()
