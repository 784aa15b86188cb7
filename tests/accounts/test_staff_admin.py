"""Staff administration: invite by email, set password from the link, change role,
deactivate (sessions and API tokens end at once), reset two-factor, resend invite; the
last admin is protected; every change is audited; bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import PASSWORD, make_staff

from ketacare.accounts.models import Membership
from ketacare.audit.models import AuditEvent
from ketacare.interop.auth import create_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lilac-harbour-quietly-77"


def _link(message: str) -> str:
    found = re.search(r"https?://\S+/accounts/set-password/\S+/", message)
    assert found, message
    return found.group(0)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _invite(client, **data: str):
    payload = {"first_name": "Nina", "last_name": "Ortiz", "email": "nina@example.org",
               "role": "nurse", "username": ""}
    payload.update(data)
    return client.post("/clinic/staff/invite/", payload)


def _set_password(client, url: str, password: str = NEW_PASSWORD):
    page = client.get(_path(url), follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else _path(url)
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_invite_email_link_sets_password_once(client, admin_a, clinic_a) -> None:
    client.force_login(admin_a)
    response = _invite(client)
    assert response.status_code == 302
    nina = User.objects.get(username="nina@example.org")
    assert not nina.has_usable_password()
    assert Membership.objects.get(user=nina).role == "nurse"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@example.org"]
    url = _link(mail.outbox[0].body)
    client.logout()
    assert _set_password(client, url).status_code == 302
    nina.refresh_from_db()
    assert nina.check_password(NEW_PASSWORD)
    # Reused link: refused with a message, password unchanged.
    again = client.get(_path(url), follow=True)
    assert "expired or has already been used" in again.content.decode()
    assert client.post("/accounts/login/", {"username": "nina@example.org",
                                            "password": NEW_PASSWORD}).status_code == 302
    audit = AuditEvent.objects.filter(object_type="user", object_id=str(nina.pk))
    assert {e.detail.get("staff_change") for e in audit} >= {"invite"}
    assert audit.filter(detail__password="set from link").exists()
    assert NEW_PASSWORD not in str(list(AuditEvent.objects.values()))


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"email": "not-an-email"}, "email", "Enter a valid email address"),
    ({"role": "superhero"}, "role", "Select a valid choice"),
    ({"username": "ada"}, "username", "is taken"),
    ({"first_name": ""}, "first_name", "required"),
])
def test_invite_bad_input_changes_nothing(client, admin_a, data, field, message) -> None:
    client.force_login(admin_a)
    users, events = User.objects.count(), AuditEvent.objects.count()
    response = _invite(client, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == users and AuditEvent.objects.count() == events
    assert mail.outbox == []


def test_person_in_two_clinics(client, admin_a, clinic_b, prescriber_b) -> None:
    """Inviting an existing person by username and email adds a membership and tells them;
    their password is not touched."""
    prescriber_b.email = "bert@example.org"
    prescriber_b.save()
    client.force_login(admin_a)
    assert _invite(client, username="bert", email="bert@example.org",
                   role="prescriber").status_code == 302
    prescriber_b.refresh_from_db()
    assert prescriber_b.check_password(PASSWORD)
    assert set(Membership.objects.filter(user=prescriber_b, active=True)
               .values_list("clinic__name", flat=True)) == {"Clinic A", "Clinic B"}
    assert "now have access to Clinic A" in mail.outbox[0].subject


def test_change_role_and_last_admin_guard(client, admin_a, nurse_a, clinic_a) -> None:
    client.force_login(admin_a)
    response = client.post(f"/clinic/staff/{admin_a.pk}/role/", {"role": "nurse"})
    assert response.status_code == 400
    assert "last active admin" in response.content.decode()
    response = client.post(f"/clinic/staff/{admin_a.pk}/deactivate/")
    assert response.status_code == 400
    assert Membership.objects.get(user=admin_a).active
    assert client.post(f"/clinic/staff/{nurse_a.pk}/role/",
                       {"role": "admin"}).status_code == 302
    assert set(Membership.objects.filter(user=nurse_a, active=True)
               .values_list("role", flat=True)) == {"admin"}
    # Now there is another admin: ada may step down.
    assert client.post(f"/clinic/staff/{admin_a.pk}/role/",
                       {"role": "prescriber"}).status_code == 302
    entry = AuditEvent.objects.filter(detail__staff_change="role").last()
    assert entry is not None and entry.detail["old"] == ["admin"]
    assert entry.detail["new"] == ["prescriber"]
    bad = client.post(f"/clinic/staff/{nurse_a.pk}/role/", {"role": "owner"})
    assert bad.status_code == 403  # ada is no longer an admin


def test_bad_role_is_refused(client, admin_a, nurse_a) -> None:
    client.force_login(admin_a)
    response = client.post(f"/clinic/staff/{nurse_a.pk}/role/", {"role": "owner"})
    assert response.status_code == 400
    assert "is not a role" in response.content.decode()


def test_deactivate_ends_sessions_and_tokens(client, admin_a, nurse_a, clinic_a) -> None:
    from django.test import Client

    nurse_client = Client()
    nurse_client.force_login(nurse_a)
    assert nurse_client.get("/").status_code == 200
    _token, secret = create_token(nurse_a, clinic_a)
    headers = {"Authorization": f"Bearer {secret}"}
    assert nurse_client.get("/fhir/Patient", headers=headers).status_code == 200
    client.force_login(admin_a)
    assert client.post(f"/clinic/staff/{nurse_a.pk}/deactivate/").status_code == 302
    nurse_a.refresh_from_db()
    assert not nurse_a.is_active
    assert nurse_client.get("/").status_code == 302  # signed out
    assert Client().get("/fhir/Patient", headers=headers).status_code == 401
    assert Membership.objects.filter(user=nurse_a).exists()  # history keeps the name
    page = client.get("/clinic/staff/").content.decode()
    assert "Noah Tester" in page and "deactivated" in page


def test_reset_two_factor_and_resend_invite(client, admin_a, nurse_a) -> None:
    TOTPDevice.objects.create(user=nurse_a, name="phone", confirmed=True)
    client.force_login(admin_a)
    assert client.post(f"/clinic/staff/{nurse_a.pk}/reset-two-factor/").status_code == 302
    assert not TOTPDevice.objects.filter(user=nurse_a).exists()
    # Has a password already: no invitation to resend.
    assert client.post(f"/clinic/staff/{nurse_a.pk}/resend-invite/").status_code == 400
    _invite(client)
    nina = User.objects.get(username="nina@example.org")
    first = _link(mail.outbox[-1].body)
    assert client.post(f"/clinic/staff/{nina.pk}/resend-invite/").status_code == 302
    second = _link(mail.outbox[-1].body)
    client.logout()
    old = client.get(_path(first), follow=True)
    assert "expired or has already been used" in old.content.decode()
    assert _set_password(client, second).status_code == 302


def test_other_clinics_member_is_not_found(client, admin_a, prescriber_b) -> None:
    client.force_login(admin_a)
    assert client.post(f"/clinic/staff/{prescriber_b.pk}/deactivate/").status_code == 404
    assert Membership.objects.get(user=prescriber_b).active


ADMIN_PAGES = [("get", "/clinic/staff/"), ("get", "/clinic/settings/"),
               ("post", "/clinic/settings/"), ("post", "/clinic/staff/invite/")]


@pytest.mark.parametrize("role", ["nurse", "prescriber", "analyst"])
@pytest.mark.parametrize(("method", "url"), ADMIN_PAGES)
def test_admin_pages_refused_to_other_roles(client, clinic_a, role, method, url) -> None:
    user = make_staff(f"x-{role}", clinic_a, role)
    client.force_login(user)
    assert getattr(client, method)(url).status_code == 403


def test_member_actions_refused_to_non_admins_and_other_admins(client, clinic_a, clinic_b,
                                                               nurse_a) -> None:
    other_admin = make_staff("olga", clinic_b, "admin")
    prescriber = make_staff("pete", clinic_a, "prescriber")
    for action in ("role", "deactivate", "reset-two-factor", "resend-invite"):
        client.force_login(prescriber)
        assert client.post(f"/clinic/staff/{nurse_a.pk}/{action}/",
                           {"role": "admin"}).status_code == 403
        client.force_login(other_admin)
        assert client.post(f"/clinic/staff/{nurse_a.pk}/{action}/",
                           {"role": "admin"}).status_code == 404
    assert Membership.objects.get(user=nurse_a).active
    assert Membership.objects.get(user=nurse_a).role == "nurse"


def test_expired_link_is_refused(client, admin_a) -> None:
    """A link older than 24 hours: refused with a message, nothing changes."""
    from datetime import datetime, timedelta

    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    client.force_login(admin_a)
    _invite(client)
    nina = User.objects.get(username="nina@example.org")
    gen = default_token_generator
    at = datetime.now() - timedelta(hours=24, minutes=1)
    token = gen._make_token_with_timestamp(nina, gen._num_seconds(at), gen.secret)
    fresh = gen._make_token_with_timestamp(
        nina, gen._num_seconds(datetime.now() - timedelta(hours=23, minutes=59)), gen.secret)
    uid = urlsafe_base64_encode(force_bytes(nina.pk))
    client.logout()
    page = client.get(f"/accounts/set-password/{uid}/{token}/", follow=True)
    assert "expired or has already been used" in page.content.decode()
    nina.refresh_from_db()
    assert not nina.has_usable_password()
    assert "Choose your password" in client.get(f"/accounts/set-password/{uid}/{fresh}/",
                                                follow=True).content.decode()
