"""Issue 13 item 3: session alerts optionally sent by email and SMS through the existing
backends (locmem email and the file SMS backend here), to the session's prescriber and the
on-duty prescriber, never naming the patient; a send that fails leaves the alert on the
page and is counted in the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings

from ketacare.accounts import personal
from ketacare.audit.models import AuditEvent
from ketacare.treatment import actions
from ketacare.treatment.models import ClinicalAlert
from tests.conftest import make_staff

from .conftest import iv_ready_to_dose

pytestmark = pytest.mark.django_db
FILE_SMS = "ketacare.selfreport.delivery.FileSmsBackend"


def _hold(nurse, prescriber, ready_patient, clinic_a, capture):  # type: ignore[no-untyped-def]
    s = iv_ready_to_dose(prescriber, nurse, ready_patient, clinic_a)
    with capture(execute=True):
        actions.record_vitals(nurse, s, sbp=152, dbp=84, hr=70, spo2=98, rr=14)
    return ClinicalAlert.objects.get(session=s, kind="hold")


def test_page_only_by_default(nurse, prescriber, prescriber_a, ready_patient, clinic_a,
                              django_capture_on_commit_callbacks) -> None:
    prescriber_a.email = "priya@clinic.test"
    prescriber_a.save()
    _hold(nurse, prescriber, ready_patient, clinic_a, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_email_and_sms_to_each_prescriber_without_the_patient(
        nurse, prescriber, prescriber_a, ready_patient, clinic_a, tmp_path: Path,
        django_capture_on_commit_callbacks) -> None:
    on_duty = make_staff("omar", clinic_a, "prescriber")
    clinic_a.settings = {"on_duty_prescriber": "omar", "session_alert_delivery": "email_sms"}
    clinic_a.save()
    prescriber_a.email = "priya@clinic.test"
    prescriber_a.save()
    personal.set_alert_mobile(prescriber_a, "+1 555 0100 200")
    personal.set_alert_mobile(on_duty, "+1 555 0100 300")
    with override_settings(KETACARE_SMS_BACKEND=FILE_SMS, KETACARE_SMS_FILE_PATH=str(tmp_path)):
        alert = _hold(nurse, prescriber, ready_patient, clinic_a,
                      django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["priya@clinic.test"]]
    email = mail.outbox[0]
    assert "Session alert: Dosing hold at" in email.subject
    sms = sorted(p.read_text() for p in tmp_path.iterdir())
    assert [s.splitlines()[0] for s in sms] == ["To: +1 555 0100 200", "To: +1 555 0100 300"]
    patient = ready_patient
    for text in [email.subject, email.body, *sms]:
        assert patient.family_name not in text and patient.given_name not in text
        assert patient.mrn not in text and "SBP" not in text
    entry = AuditEvent.objects.get(object_type="clinicalalert", object_id=str(alert.pk),
                                   detail__alert="delivered")
    assert entry.detail == {"alert": "delivered", "email": 1, "sms": 2, "failed": 0,
                            "no_contact": 0}


@override_settings(EMAIL_BACKEND="tests.treatment.test_alert_delivery.BrokenEmail")
def test_a_failed_send_is_counted_and_the_alert_stays(
        nurse, prescriber, prescriber_a, ready_patient, clinic_a,
        django_capture_on_commit_callbacks) -> None:
    clinic_a.settings = {"session_alert_delivery": "email"}
    clinic_a.save()
    prescriber_a.email = "priya@clinic.test"
    prescriber_a.save()
    alert = _hold(nurse, prescriber, ready_patient, clinic_a, django_capture_on_commit_callbacks)
    assert actions.open_alerts_for(prescriber_a, clinic_a.pk) == [alert]
    entry = AuditEvent.objects.get(object_type="clinicalalert", detail__alert="delivered")
    assert entry.detail["failed"] == 1 and entry.detail["email"] == 0


def test_delivery_is_a_clinic_setting_on_the_settings_page(client, admin_a) -> None:
    client.force_login(admin_a)
    page = client.get("/clinic/settings/").content.decode()
    assert 'name="session_alert_delivery"' in page and "Also by email and SMS" in page


class BrokenEmail:
    """An SMTP server that is down."""

    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("SMTP down")
