"""Failed deliveries (issue 15, item 4), against a real SMTP failure: the SMTP backend is
pointed at a local port where nothing listens. A failed message is recorded with its error,
retried by later send-due runs after 15 min, 1 h, 4 h while the window is open, and finally
sent; the run never dies on a failure, finishes every clinic, and exits 1."""

from __future__ import annotations

import os
import socket
import tempfile
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketacare.patients.models import Patient
from ketacare.selfreport import actions
from ketacare.selfreport.models import Alert, Delivery, ReportRequest

from .conftest import answers, make_request

pytestmark = pytest.mark.django_db
SHOTS = os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # released on close: nothing listens there


@pytest.fixture
def smtp_down(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_TIMEOUT = 5
    settings.KETACARE_SMS_BACKEND = "ketacare.selfreport.delivery.FileSmsBackend"
    return settings


def run() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("selfreport", "send-due", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def backdate_retry(req: ReportRequest) -> None:
    ReportRequest.objects.filter(pk=req.pk).update(retry_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def email_only(reachable):  # type: ignore[no-untyped-def]
    reachable.mobile = ""
    reachable.save()
    return reachable


def test_a_failed_delivery_is_retried_with_backoff_and_finally_sent(
        email_only, smtp_down, settings, mailoutbox) -> None:
    req = actions.new_request(email_only.clinic, email_only, "phq9", kind="manual", key="",
                               opens=email_only.clinic.today(),
                               closes=email_only.clinic.today() + timedelta(days=3),
                               source="manual")
    before = timezone.now()
    actions.send_request(req)
    req.refresh_from_db()
    failure = Delivery.objects.get(request=req)
    assert not failure.ok and failure.error.startswith("ConnectionRefusedError")
    assert req.sent_at is None and req.delivery_failures == 1
    assert timedelta(minutes=14) < req.retry_at - before <= timedelta(minutes=15, seconds=5)

    code, out, _ = run()  # not yet time
    assert code == 0 and "retried: 0, failed: 0" in out

    backdate_retry(req)
    code, out, err = run()  # SMTP still down
    assert code == 1 and "retried: 1, failed: 1" in out
    req.refresh_from_db()
    assert req.delivery_failures == 2
    assert timedelta(minutes=59) < req.retry_at - timezone.now() <= timedelta(hours=1)

    backdate_retry(req)
    run()
    req.refresh_from_db()
    assert req.delivery_failures == 3
    assert timedelta(hours=3, minutes=59) < req.retry_at - timezone.now() <= timedelta(hours=4)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP is back
    backdate_retry(req)
    code, out, _ = run()
    assert code == 0 and "emails: 1" in out and "retried: 1, failed: 0" in out
    req.refresh_from_db()
    assert req.sent_at is not None and req.delivery_failures == 0 and req.retry_at is None
    assert "/r/" in mailoutbox[0].body
    assert [d.ok for d in Delivery.objects.filter(request=req).order_by("sent_at", "id")] == [
        False, False, False, True]


def test_no_retry_once_the_window_has_closed(email_only, smtp_down) -> None:
    req, _ = make_request(email_only)
    actions.send_request(req)
    ReportRequest.objects.filter(pk=req.pk).update(
        closes_on=email_only.clinic.today() - timedelta(days=1))
    backdate_retry(req)
    assert "retried: 0" in run()[1]


def test_smtp_down_exits_1_and_finishes_every_clinic(
        email_only, smtp_down, admin_a, clinic_b) -> None:
    # Clinic A: an alert nobody acknowledged, to be escalated by email to its admin.
    admin_a.email = "ada@clinic.example"
    admin_a.save()
    req_a, _ = make_request(email_only)
    actions.submit(req_a, answers([0] * 8 + [2]))
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(hours=2))
    # Clinic B: a questionnaire whose first delivery failed, due for its retry.
    other = Patient.objects.create(clinic=clinic_b, mrn="B-1", given_name="Sam",
                                   family_name="Okafor", date_of_birth=date(1975, 3, 3),
                                   sex_at_birth="male", email="sam@example.org")
    req_b, _ = make_request(other)
    actions.send_request(req_b)
    backdate_retry(req_b)

    code, out, err = run()
    assert code == 1
    assert "retried: 1" in out and "failed: 2" in out and "alerts escalated: 0" in out
    assert "escalation email failed: ConnectionRefusedError" in err
    alert.refresh_from_db()
    assert alert.escalated_at is None  # tried again next run
    assert Delivery.objects.filter(request=req_b, ok=False).count() == 2


def test_staff_see_failed_deliveries(client, prescriber_a, email_only, smtp_down) -> None:
    req, _ = make_request(email_only)
    actions.send_request(req)
    client.force_login(prescriber_a)
    body = client.get("/selfreport/").content.decode()
    assert "Could not be delivered" in body
    assert "Rivera, Jordan" in body and "ConnectionRefusedError" in body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_failed_deliveries_in_chromium(chromium, live_server, sign_in, clinic_a,  # type: ignore[no-untyped-def]
                                       email_only, smtp_down) -> None:
    req, _ = make_request(email_only)
    actions.send_request(req)
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page)
    page.goto(f"{live_server.url}/selfreport/")
    section = page.locator("section[aria-labelledby=failed-h]")
    assert "Could not be delivered" in section.inner_text()
    assert "ConnectionRefusedError" in section.inner_text()
    assert "Rivera, Jordan" in section.inner_text()
    page.screenshot(path=f"{SHOTS}/selfreport-failed-deliveries.png", full_page=True)
    context.close()
