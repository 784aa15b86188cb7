"""Django's admin: not mounted by default; when an operator turns it on it is for
superusers with a verified two-factor session only, and its changes are audited."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.test import override_settings
from django.urls import clear_url_caches
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import PASSWORD, make_staff

from ketacare.audit.models import AuditEvent
from ketacare.config import urls

pytestmark = pytest.mark.django_db


def test_not_mounted_by_default(client, admin_a) -> None:
    admin_a.is_superuser = admin_a.is_staff = True
    admin_a.save()
    client.force_login(admin_a)
    assert client.get("/admin/").status_code == 404


@pytest.fixture
def admin_on() -> Iterator[None]:
    with override_settings(KETACARE_DJANGO_ADMIN=True):
        importlib.reload(urls)
        clear_url_caches()
        yield
    importlib.reload(urls)
    clear_url_caches()


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def test_superuser_with_two_factor_only_and_changes_audited(client, clinic_a,
                                                            admin_on) -> None:
    clinic_admin = make_staff("cleo", clinic_a, "admin")
    clinic_admin.is_staff = True
    clinic_admin.save()
    client.force_login(clinic_admin)
    assert client.get("/admin/auth/group/").status_code == 302  # not a superuser

    root = make_staff("root", clinic_a, "admin")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    # Signed in with a password only: the admin asks for the code (its own login page).
    assert client.get("/admin/auth/group/").status_code == 302
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    client.logout()
    page = client.post("/admin/login/?next=/admin/", {
        "username": "root", "password": PASSWORD, "otp_device": device.persistent_id,
        "otp_token": _code(device)})
    assert page.status_code == 302, page.content.decode()[:2000]
    assert client.get("/admin/auth/group/").status_code == 200
    response = client.post("/admin/auth/group/add/", {"name": "night shift"})
    assert response.status_code == 302
    assert Group.objects.filter(name="night shift").exists()
    entry = AuditEvent.objects.filter(detail__django_admin="create").last()
    assert entry is not None and entry.username == "root"
    assert entry.object_type == "group" and entry.detail["object"] == "night shift"
    assert User.objects.filter(username="root").exists()


def test_bulk_delete_from_the_change_list_is_audited(client, clinic_a, admin_on) -> None:
    """'Delete selected' of several rows logs them with one bulk insert (no post_save per
    row): each deleted row still gets its own audit entry."""
    root = make_staff("root", clinic_a, "admin")
    root.is_staff = root.is_superuser = True
    root.save()
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    assert client.post("/admin/login/?next=/admin/", {
        "username": "root", "password": PASSWORD, "otp_device": device.persistent_id,
        "otp_token": _code(device)}).status_code == 302
    groups = [Group.objects.create(name=n) for n in ("day shift", "night shift")]
    response = client.post("/admin/auth/group/", {
        "action": "delete_selected", "post": "yes",
        "_selected_action": [str(g.pk) for g in groups]})
    assert response.status_code == 302
    assert not Group.objects.exists()
    deleted = AuditEvent.objects.filter(detail__django_admin="delete")
    assert sorted(e.detail["object"] for e in deleted) == ["day shift", "night shift"]
    assert {e.username for e in deleted} == {"root"}
