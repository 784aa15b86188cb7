"""API tokens expire (a year by default, `--expires-days`), list shows expiry and last use,
and a staff member sees and revokes their own tokens on a page (no one else's)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ketacare.audit.models import AuditEvent
from ketacare.interop.models import ApiToken

from .conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]


def run(*args: str) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_token_expires_after_a_year_by_default_and_then_fails(client, prescriber_a,
                                                                patient_a) -> None:
    token = run("create", "--user", "priya").strip()
    row = ApiToken.objects.get()
    assert abs((row.expires_at - row.created_at) - timedelta(days=365)) < timedelta(minutes=1)
    assert client.get("/api/v1/patients", **auth(token)).status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/patients", **auth(token)).status_code == 401
    assert client.get("/fhir/Patient", **auth(token)).status_code == 401
    assert "\texpired\t" in run("list")


def test_expires_days_is_chosen_and_checked(prescriber_a) -> None:
    run("create", "--user", "priya", "--expires-days", "30")
    row = ApiToken.objects.get()
    assert (row.expires_at - row.created_at).days in (29, 30)
    listing = run("list")
    assert f"expires {row.expires_at:%Y-%m-%d}" in listing and "last used never" in listing
    for bad in ("0", "5000"):
        with pytest.raises(CommandError, match="--expires-days must be 1-1095") as err:
            run("create", "--user", "priya", "--expires-days", bad)
        assert err.value.returncode == 2


def test_own_tokens_page_lists_and_revokes_only_ones_own(client, prescriber_a, nurse_a,
                                                         patient_a) -> None:
    token = run("create", "--user", "priya", "--name", "EHR bridge").strip()
    run("create", "--user", "noah", "--name", "Nurse script")
    mine = ApiToken.objects.get(user=prescriber_a)
    theirs = ApiToken.objects.get(user=nurse_a)
    client.force_login(prescriber_a)
    page = client.get("/interop/api-tokens/").content.decode()
    assert "EHR bridge" in page and "Nurse script" not in page and token not in page
    assert 'href="/interop/api-tokens/"' in page  # linked from the header
    assert client.post(f"/interop/api-tokens/{theirs.pk}/revoke").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    response = client.post(f"/interop/api-tokens/{mine.pk}/revoke")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert client.get("/api/v1/patients", **auth(token)).status_code == 401
    entry = AuditEvent.objects.filter(object_type="apitoken").latest("id")
    assert entry.detail == {"revoked": True} and entry.user_id == prescriber_a.pk
    assert "revoked" in client.get("/interop/api-tokens/").content.decode()
