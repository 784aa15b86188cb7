"""`ketacare selfreport send-due`: creates what the schedule says is due, emails and texts
the link, reminds at the clinic's interval, and escalates late alerts to the admins."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketacare.selfreport import actions
from ketacare.selfreport.management.commands.selfreport import Command
from ketacare.selfreport.models import Alert, Delivery, Link, ReportRequest

from .conftest import answers, make_request, start_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KETACARE_SMS_BACKEND = "ketacare.selfreport.delivery.FileSmsBackend"
    settings.KETACARE_SMS_FILE_PATH = str(tmp_path / "sms")
    settings.KETACARE_BASE_URL = "https://clinic.example"
    return tmp_path / "sms"


@pytest.fixture
def course(prescriber, ready_patient, reachable, clinic_a):  # type: ignore[no-untyped-def]
    clinic_a.settings = {"selfreport_baseline_lead_days": 10}
    clinic_a.save()
    return start_course(prescriber, ready_patient)


def run(*args: str) -> str:
    out = StringIO()
    call_command("selfreport", "send-due", *args, stdout=out)
    return out.getvalue()


def test_dry_run_changes_nothing(course, sms_dir, mailoutbox) -> None:
    out = run("--dry-run")
    assert "DRY RUN" in out and "requests created: 1" in out
    assert not ReportRequest.objects.exists() and not mailoutbox


def test_sends_the_baseline_by_email_and_sms(course, sms_dir, mailoutbox) -> None:
    out = run()
    assert "requests created: 1, emails: 1, SMS: 1" in out
    req = ReportRequest.objects.get()
    assert (req.kind, req.instrument, req.course, req.session_number) == (
        "baseline", "phq9", course, 1)
    assert req.sent_at is not None and req.status == "sent"
    mail = mailoutbox[0]
    assert mail.to == ["jordan@example.org"] and "https://clinic.example/r/" in mail.body
    assert "Hello Jordan" in mail.body and "Rivera" not in mail.body
    assert "988" in mail.body
    texts = list(sms_dir.iterdir())
    assert len(texts) == 1
    sms = texts[0].read_text()
    assert "+1 555 0100" in sms and "https://clinic.example/r/" in sms and "Jordan" not in sms
    # the link in the message opens the questionnaire; only its hash is stored
    token = mail.body.split("/r/")[1].split("/")[0]
    assert Link.objects.filter(request=req).count() == 1
    assert actions.resolve_link(token).req == req
    assert "requests created: 0" in run()  # idempotent: nothing new due
    assert len(mailoutbox) == 1


def test_reminders_at_the_interval_until_the_limit(course, sms_dir, mailoutbox, clinic_a) -> None:
    run()
    req = ReportRequest.objects.get()
    assert "reminders: 0" in run()  # not yet 24 h
    for n in (1, 2, 3):
        ReportRequest.objects.filter(pk=req.pk).update(
            last_contact_at=timezone.now() - timedelta(hours=24, minutes=1))
        assert "reminders: 1" in run()
        req.refresh_from_db()
        assert req.reminders_sent == n
    assert mailoutbox[-1].subject.startswith("Reminder")
    ReportRequest.objects.filter(pk=req.pk).update(
        last_contact_at=timezone.now() - timedelta(days=2))
    assert "reminders: 0" in run()  # default: 3 reminders
    assert Delivery.objects.filter(reminder=True, channel="email").count() == 3
    # every link sent stays valid until the request is answered
    tokens = [m.body.split("/r/")[1].split("/")[0] for m in mailoutbox]
    assert len(set(tokens)) == 4
    assert all(actions.resolve_link(t).problem == "" for t in tokens)
    actions.submit(req, answers([0] * 9))
    assert all(actions.resolve_link(t).problem == "used" for t in tokens)
    ReportRequest.objects.filter(pk=req.pk).update(last_contact_at=timezone.now() - timedelta(days=3))
    assert "reminders: 0" in run()


def test_reminder_interval_is_a_clinic_setting(course, sms_dir, mailoutbox, clinic_a) -> None:
    run()
    clinic_a.settings = {**clinic_a.settings, "selfreport_reminder_hours": 6}
    clinic_a.save()
    ReportRequest.objects.update(last_contact_at=timezone.now() - timedelta(hours=6, minutes=1))
    assert "reminders: 1" in run()


def test_escalates_unacknowledged_alerts_after_the_set_time(
        reachable, admin_a, clinic_a, mailoutbox, sms_dir) -> None:
    admin_a.email = "ada@clinic.example"
    admin_a.save()
    req, _ = make_request(reachable)
    actions.submit(req, answers([0] * 8 + [2]))
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=59))
    assert "alerts escalated: 0" in run()
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=61))
    assert "alerts escalated: 1" in run()
    mail = mailoutbox[-1]
    assert mail.to == ["ada@clinic.example"] and "/selfreport/alerts/" in mail.body
    assert "Jordan" not in mail.body and "Rivera" not in mail.body
    alert.refresh_from_db()
    assert alert.escalated_at is not None
    assert "alerts escalated: 0" in run()  # once only
    assert len(mailoutbox) == 1


def test_acknowledged_alerts_do_not_escalate(reachable, admin_a, clinic_a, prescriber_a,
                                             mailoutbox, sms_dir) -> None:
    from ketacare.accounts.staff import staff_for

    clinic_a.settings = {"selfreport_escalate_minutes": 15}
    clinic_a.save()
    req, _ = make_request(reachable)
    actions.submit(req, answers([0] * 8 + [1]))
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    actions.acknowledge(staff_for(prescriber_a, clinic_a), alert)
    assert "alerts escalated: 0" in run()


def test_missed_first_session_moves_the_baseline(course, prescriber, sms_dir, mailoutbox,
                                                 clinic_a) -> None:
    from ketacare.treatment import actions as treatment

    first = course.sessions.get(number=1)
    treatment.set_session_status(prescriber, first, "missed", "patient unwell")
    run()
    assert ReportRequest.objects.get().session_number == 2


def test_no_contact_details_are_counted(course, sms_dir, reachable) -> None:
    reachable.email = reachable.mobile = ""
    reachable.save()
    assert "no contact details: 1" in run()


def test_progress_bar_for_many_courses_does_not_break_output() -> None:
    with Command()._progress(500) as advance:
        advance()


def test_send_due_page(client, prescriber_a, course, sms_dir) -> None:
    run()
    client.force_login(prescriber_a)
    body = client.get("/selfreport/?status=sent").content.decode()
    assert "Rivera, Jordan" in body and "Baseline" in body
    assert "Jordan" not in client.get("/selfreport/?status=completed").content.decode()
