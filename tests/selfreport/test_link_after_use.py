"""A used or expired link reveals nothing: a neutral page with the crisis text on GET and
POST, from any browser. Only the browser that submitted, and only within the link's short
post-submit window, sees the thank-you page with the patient's own progress again, and
every such view is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.audit.models import AuditEvent
from ketacare.selfreport import actions, tokens
from ketacare.selfreport.models import Link, ReportRequest

from .conftest import answers, make_request

pytestmark = pytest.mark.django_db

SECRETS = ("Jordan", "Your scores so far", "<svg", "alerted", "Thank you,")


def _neutral(response) -> str:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    assert response.status_code == 410
    for secret in SECRETS:
        assert secret not in body, secret
    assert "988" in body  # the crisis text is always there
    assert "contact" in body.lower()
    return body


def _submitted_twice(client, patient) -> str:  # type: ignore[no-untyped-def]
    """A second response so the patient has a progress chart; returns the second token."""
    _, first = make_request(patient)
    assert client.post(f"/r/{first}/submit", answers([2] * 8 + [0])).status_code == 200
    _, token = make_request(patient)
    assert client.post(f"/r/{token}/submit", answers([1] * 8 + [1])).status_code == 200
    return token


def test_used_link_from_a_fresh_browser_shows_nothing_on_get_and_post(client, reachable) -> None:
    token = _submitted_twice(client, reachable)
    fresh = Client()
    _neutral(fresh.get(f"/r/{token}/"))
    _neutral(fresh.post(f"/r/{token}/submit", answers([3] * 9)))
    _neutral(fresh.post(f"/r/{token}/save", answers([3] * 9)))


def test_used_and_expired_link_shows_nothing(client, reachable) -> None:
    token = _submitted_twice(client, reachable)
    ReportRequest.objects.update(expires_at=timezone.now() - timedelta(days=1))
    fresh = Client()
    for response in (fresh.get(f"/r/{token}/"),
                     fresh.post(f"/r/{token}/submit", answers([3] * 9))):
        _neutral(response)
    # Expired wins even for the browser that answered: the window is over.
    _neutral(client.post(f"/r/{token}/submit", answers([3] * 9)))


def test_used_kiosk_link_does_not_say_an_alert_was_raised(client, reachable, staff_a) -> None:
    token = actions.start_kiosk(staff_a, reachable, "phq9")
    kiosk = Client()
    done = kiosk.post(f"/r/{token}/submit", answers([0] * 8 + [2]))
    assert done.status_code == 200 and "alerted" in done.content.decode()
    for browser in (Client(), kiosk):  # a kiosk is a shared device: no window at all
        _neutral(browser.post(f"/r/{token}/submit", answers([0] * 9)))


def test_same_browser_sees_its_progress_within_the_window_and_each_view_is_audited(
        client, reachable, settings) -> None:
    token = _submitted_twice(client, reachable)
    cookie = client.cookies["ketacare_answered"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert token not in cookie.value
    req = Link.objects.get(token_hash=tokens.digest(token)).request
    before = AuditEvent.objects.filter(patient_id=reachable.pk, action="view").count()
    again = client.post(f"/r/{token}/submit", answers([3] * 9))
    reload = client.get(f"/r/{token}/")
    for response in (again, reload):
        body = response.content.decode()
        assert response.status_code == 200
        assert "Thank you, Jordan" in body and "Your scores so far" in body
    views = AuditEvent.objects.filter(patient_id=reachable.pk, action="view",
                                      object_id=str(req.pk)).order_by("id")
    assert views.count() - before == 2
    assert views.last().detail == {"progress": True}  # type: ignore[union-attr]
    # The answers are never changed by a repeat submit.
    assert req.response.values == [1] * 8 + [1]

    # After the window, the same browser gets the neutral page too.
    ReportRequest.objects.filter(pk=req.pk).update(
        completed_at=timezone.now()
        - timedelta(minutes=settings.KETACARE_SELFREPORT_PROGRESS_MINUTES + 1))
    _neutral(client.get(f"/r/{token}/"))


def test_the_cookie_of_one_link_does_not_open_another(client, reachable) -> None:
    _submitted_twice(client, reachable)
    other, token = make_request(reachable)
    actions.submit(other, answers([0] * 9))  # answered elsewhere (another device)
    _neutral(client.get(f"/r/{token}/"))


def test_an_unsigned_or_forged_cookie_opens_nothing(client, reachable) -> None:
    """The cookie is signed: its plain value (the link's hash, which is in the database and
    the redacted logs) or another link's signed value does not open the page."""
    token = _submitted_twice(client, reachable)
    for value in (tokens.digest(token),
                  client.cookies["ketacare_answered"].value.replace(tokens.digest(token)[:8],
                                                                    "0" * 8)):
        forged = Client()
        forged.cookies["ketacare_answered"] = value
        _neutral(forged.get(f"/r/{token}/"))
