"""Own account: change password, forgotten-password reset by email (the lockout still
applies), two-factor recovery codes (shown once, each works once, a new set revokes the
old), recent sign-ins."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.accounts.test_two_factor import fresh_code, password_sign_in
from tests.conftest import PASSWORD

from ketacare.accounts import two_factor
from ketacare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW = "saffron-kettle-glacier-19"


def test_change_password(client, nurse_a) -> None:
    client.force_login(nurse_a)
    bad = client.post("/accounts/password/", {"old_password": "nope", "new_password1": NEW,
                                              "new_password2": NEW})
    assert bad.status_code == 200 and "incorrectly" in bad.content.decode()
    short = client.post("/accounts/password/", {"old_password": PASSWORD,
                                                "new_password1": "short",
                                                "new_password2": "short"})
    assert "at least 12 characters" in short.content.decode()
    ok = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW,
                                             "new_password2": NEW})
    assert ok.status_code == 302
    nurse_a.refresh_from_db()
    assert nurse_a.check_password(NEW)
    assert AuditEvent.objects.filter(detail__password="changed",
                                     object_id=str(nurse_a.pk)).exists()


def test_forgotten_password_by_email_and_lockout_still_applies(client, nurse_a) -> None:
    nurse_a.email = "noah@example.org"
    nurse_a.save()
    unknown = client.post("/accounts/password/forgot/", {"email": "nobody@example.org"})
    assert unknown.status_code == 302 and mail.outbox == []  # same answer, nothing sent
    for _ in range(5):
        client.post("/accounts/login/", {"username": "noah", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "noah",
                                            "password": PASSWORD}).status_code == 429
    assert client.post("/accounts/password/forgot/",
                       {"email": "noah@example.org"}).status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+(/accounts/set-password/\S+/)", mail.outbox[0].body)
    assert link
    page = client.get(link.group(1), follow=True)
    done = client.post(page.redirect_chain[-1][0], {"new_password1": NEW,
                                                    "new_password2": NEW})
    assert done.status_code == 302
    nurse_a.refresh_from_db()
    assert nurse_a.check_password(NEW)
    # A new password does not lift the lockout: it expires on its own.
    assert client.post("/accounts/login/", {"username": "noah",
                                            "password": NEW}).status_code == 429
    again = client.get(link.group(1), follow=True)
    assert "expired or has already been used" in again.content.decode()


def test_recovery_codes_shown_once_each_works_once_new_set_revokes(client, nurse_a) -> None:
    TOTPDevice.objects.create(user=nurse_a, name="phone", confirmed=True)
    client.force_login(nurse_a)
    # Only a verified session reaches the page; sign in for real.
    client.logout()
    password_sign_in(client, nurse_a)
    wrong = client.post("/accounts/two-factor/verify/", {"code": "abcdefgh"})
    assert wrong.status_code == 200  # no codes yet: refused as a wrong code
    device = TOTPDevice.objects.get(user=nurse_a)
    assert client.post("/accounts/two-factor/verify/",
                       {"code": fresh_code(device)}).status_code == 302
    page = client.post("/accounts/two-factor/recovery-codes/")
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page.content.decode())
    assert len(codes) == two_factor.RECOVERY_CODES
    assert all(c not in str(list(AuditEvent.objects.values())) for c in codes)
    assert "of your codes" in client.get("/accounts/two-factor/").content.decode()

    client.logout()
    password_sign_in(client, nurse_a)
    used = codes[0]
    spaced = f"{used[:4]} {used[4:].upper()}"
    assert client.post("/accounts/two-factor/verify/", {"code": spaced}).status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    password_sign_in(client, nurse_a)
    again = client.post("/accounts/two-factor/verify/", {"code": used})
    assert again.status_code == 200 and "not right" in again.content.decode()
    StaticDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert client.post("/accounts/two-factor/verify/",
                       {"code": fresh_code(device)}).status_code == 302
    assert "<strong>9</strong> of your codes are left" in client.get("/accounts/two-factor/").content.decode()
    # A new set: the old codes stop working.
    client.post("/accounts/two-factor/recovery-codes/")
    client.logout()
    password_sign_in(client, nurse_a)
    old = client.post("/accounts/two-factor/verify/", {"code": codes[1]})
    assert old.status_code == 200 and "not right" in old.content.decode()
    assert AuditEvent.objects.filter(detail__two_factor="recovery_code",
                                     action="sign_in").count() == 1


def test_recent_sign_ins(client, nurse_a) -> None:
    client.post("/accounts/login/", {"username": "noah", "password": "wrong"})
    client.post("/accounts/login/", {"username": "noah", "password": PASSWORD})
    page = client.get("/accounts/me/").content.decode()
    assert "Recent sign-ins" in page
    assert page.count("signed in") >= 1 and "failed password" in page
