from __future__ import annotations

import time

import pytest
from django.test import override_settings
from tests.conftest import PASSWORD

from ketacare.accounts.middleware import SESSION_SIGNED_IN_AT, SESSION_TOUCHED_AT
from ketacare.accounts.models import Membership
from ketacare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_lockout_after_repeated_failures(client, prescriber_a) -> None:
    for _ in range(4):
        response = _sign_in(client, "priya", "wrong-password")
        assert response.status_code == 200
    assert _sign_in(client, "priya", "wrong-password").status_code == 429  # the 5th locks
    # Locked now: even the right password is refused, with a page that says why.
    response = _sign_in(client, "priya", PASSWORD)
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert AuditEvent.objects.filter(action="sign_in_failed", username="priya").count() >= 5
    assert "wrong-password" not in str(list(AuditEvent.objects.values()))


def test_success_before_the_limit_resets_the_count(client, prescriber_a) -> None:
    for _ in range(4):
        _sign_in(client, "priya", "wrong-password")
    assert _sign_in(client, "priya", PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="sign_in", username="priya").count() == 1


@override_settings(KETACARE_SESSION_IDLE_SECONDS=60, KETACARE_SESSION_TOUCH_SECONDS=1)
def test_idle_timeout_renewed_by_activity_then_signs_out(client, prescriber_a) -> None:
    """A clinic without its own `session_idle_minutes` uses KETACARE_SESSION_IDLE_MIN
    (the clinic's own is tested with the settings page)."""
    _sign_in(client, "priya", PASSWORD)
    client.get("/")
    first = client.session[SESSION_TOUCHED_AT]
    time.sleep(1.1)
    assert client.get("/").status_code == 200
    assert client.session[SESSION_TOUCHED_AT] > first  # activity renews it
    session = client.session
    session[SESSION_TOUCHED_AT] = time.time() - 61
    session.save()
    response = client.get("/patients/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/").status_code == 302  # really signed out


def test_requests_between_touches_do_not_write_the_session(client, prescriber_a) -> None:
    """Activity renews the session at most once a KETACARE_SESSION_TOUCH_SECONDS (60):
    reading pages in between writes nothing to the session table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _sign_in(client, "priya", PASSWORD)
    client.get("/")  # the first page after sign-in may record the sign-in time
    with CaptureQueriesContext(connection) as queries:
        for url in ("/", "/patients/", "/calculator/"):
            assert client.get(url).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]
              and not q["sql"].startswith("SELECT")]
    assert writes == []


def test_absolute_timeout_signs_out(client, prescriber_a, settings) -> None:
    _sign_in(client, "priya", PASSWORD)
    session = client.session
    session[SESSION_SIGNED_IN_AT] = time.time() - settings.KETACARE_SESSION_ABSOLUTE_SECONDS - 5
    session.save()
    response = client.get("/patients/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/").status_code == 302  # really signed out


def test_person_in_two_clinics_chooses_one(client, prescriber_a, clinic_b) -> None:
    Membership.objects.create(user=prescriber_a, clinic=clinic_b, role="analyst")
    client.force_login(prescriber_a)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"] == "/accounts/clinic/"
    assert "Clinic B" in client.get("/accounts/clinic/").content.decode()
    client.post("/accounts/clinic/", {"clinic": clinic_b.pk})
    assert client.get("/patients/").status_code == 403  # analyst in clinic B
    client.post("/accounts/clinic/", {"clinic": Membership.objects.filter(
        user=prescriber_a, role="prescriber").get().clinic_id})
    assert client.get("/patients/").status_code == 200


def test_cannot_choose_a_clinic_one_is_not_in(client, prescriber_a, clinic_b) -> None:
    client.force_login(prescriber_a)
    client.post("/accounts/clinic/", {"clinic": clinic_b.pk})
    response = client.get("/patients/")
    assert response.status_code == 200
    assert "Clinic A" in response.content.decode()


def test_user_without_clinic_is_told_so(client, django_user_model) -> None:
    user = django_user_model.objects.create_user("lonely", password=None)
    client.force_login(user)
    response = client.get("/patients/", follow=True)
    assert "not a member of any clinic" in response.content.decode()
