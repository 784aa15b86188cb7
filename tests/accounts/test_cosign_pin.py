"""Issue 13 item 1: a short co-signature PIN, set on the person's own account page, is an
alternative to their password when they co-sign on a colleague's device; it needs the
current password to set, is stored hashed, audited, and wrong PINs are throttled with
wrong passwords. Also the mobile number for session alerts by SMS."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import PASSWORD

from ketacare.accounts import cosign, personal
from ketacare.accounts.models import PersonalSettings
from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PIN = "482916"


def _set_pin(client, pin: str = PIN, current: str = PASSWORD, repeat: str | None = None):  # type: ignore[no-untyped-def]
    return client.post("/accounts/me/pin/", {"current_password": current, "pin": pin,
                                             "repeat": pin if repeat is None else repeat})


@pytest.mark.parametrize("pin, ok", [("482916", True), ("48291637", True), ("12345", False),
                                     ("123456789", False), ("12a456", False),
                                     ("111111", False), ("123456", False),
                                     ("876543", False)])
def test_pin_rule(pin: str, ok: bool) -> None:
    assert (personal.pin_problem(pin) is None) is ok


def test_setting_a_pin_on_the_account_page(client, prescriber_a) -> None:
    client.force_login(prescriber_a)
    page = client.get("/accounts/me/").content.decode()
    assert "No PIN set" in page and 'action="/accounts/me/pin/#pin"' in page
    wrong = _set_pin(client, current="not my password")
    assert wrong.status_code == 400
    assert "current password is not right" in wrong.content.decode()
    assert "not the same" in _set_pin(client, repeat="482917").content.decode()
    assert "too easy to guess" in _set_pin(client, pin="000000").content.decode()
    assert not PersonalSettings.objects.filter(user=prescriber_a).exclude(cosign_pin="").exists()
    done = _set_pin(client)
    assert done.status_code == 302 and done["Location"] == "/accounts/me/#pin"
    mine = PersonalSettings.objects.get(user=prescriber_a)
    assert mine.cosign_pin.startswith("argon2") and PIN not in mine.cosign_pin
    assert "PIN set" in client.get("/accounts/me/").content.decode()
    entry = AuditEvent.objects.filter(object_type="user", object_id=str(prescriber_a.pk)).last()
    assert entry.detail == {"personal": "co-signature PIN set"}
    assert PIN not in str(AuditEvent.objects.values_list("detail", flat=True))
    removed = client.post("/accounts/me/pin/", {"current_password": PASSWORD, "remove": "on"})
    assert removed.status_code == 302
    assert PersonalSettings.objects.get(user=prescriber_a).cosign_pin == ""


def test_cosigning_with_the_pin(client, nurse_a, prescriber_a, clinic_a) -> None:
    nurse = staff_for(nurse_a, clinic_a)
    personal.set_pin(prescriber_a, PASSWORD, PIN, PIN)
    signature = cosign.verify(nurse, cosign.Purpose.DOSE_OVERRIDE, username="priya",
                              password=PIN)
    assert signature.user == prescriber_a and signature.method == "pin"
    # The password still works; a wrong PIN is refused like a wrong password.
    assert cosign.verify(nurse, cosign.Purpose.DOSE_OVERRIDE, username="priya",
                         password=PASSWORD).method == "password"
    with pytest.raises(cosign.CosignError, match="Password or PIN not right"):
        cosign.verify(nurse, cosign.Purpose.DOSE_OVERRIDE, username="priya", password="482917")


def test_wrong_pins_are_throttled_with_wrong_passwords(nurse_a, prescriber_a, clinic_a) -> None:
    nurse = staff_for(nurse_a, clinic_a)
    personal.set_pin(prescriber_a, PASSWORD, PIN, PIN)
    for guess in ("000001", "wrong password", "000002", "000003", "000004"):
        with pytest.raises(cosign.CosignError, match="not right"):
            cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya", password=guess)
    with pytest.raises(cosign.CosignError, match="Too many wrong co-signatures"):
        cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya", password=PIN)


def test_a_pin_is_not_a_second_factor(nurse_a, prescriber_a, clinic_a) -> None:
    nurse = staff_for(nurse_a, clinic_a)
    personal.set_pin(prescriber_a, PASSWORD, PIN, PIN)
    device = TOTPDevice.objects.create(user=prescriber_a, name="app", confirmed=True)
    with pytest.raises(cosign.CosignError, match="6-digit code") as err:
        cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya", password=PIN)
    assert err.value.field == "cosign_code"
    signature = cosign.verify(nurse, cosign.Purpose.SECOND_CHECK, username="priya",
                              password=PIN, code=f"{totp(device.bin_key):06d}")
    assert signature.method == "pin+totp"


def test_pin_cannot_be_the_password_and_is_personal(nurse_a, prescriber_a, clinic_a) -> None:
    from django.core.exceptions import ValidationError

    prescriber_a.set_password("48291637")
    prescriber_a.save()
    with pytest.raises(ValidationError, match="Not your password"):
        personal.set_pin(prescriber_a, "48291637", "48291637", "48291637")
    # The nurse's own PIN does not sign as the prescriber.
    personal.set_pin(nurse_a, PASSWORD, PIN, PIN)
    with pytest.raises(cosign.CosignError, match="not right"):
        cosign.verify(staff_for(nurse_a, clinic_a), cosign.Purpose.SECOND_CHECK,
                      username="priya", password=PIN)


def test_alert_mobile_on_the_account_page(client, prescriber_a) -> None:
    client.force_login(prescriber_a)
    bad = client.post("/accounts/me/alert-mobile/", {"alert_mobile": "call me"})
    assert bad.status_code == 400 and "A phone number" in bad.content.decode()
    ok = client.post("/accounts/me/alert-mobile/", {"alert_mobile": "+1 555 0100 200"})
    assert ok.status_code == 302
    assert personal.of(prescriber_a).alert_mobile == "+1 555 0100 200"
    assert 'value="+1 555 0100 200"' in client.get("/accounts/me/").content.decode()
