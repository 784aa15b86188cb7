"""Intake: the link (selfreport's token mechanism), the patient's answers arriving as
proposals, item-by-item acceptance into the chart, baseline questionnaires after it.
Aftercare: the sheet from the session and the link sent at discharge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketacare.consent import aftercare, intake
from ketacare.consent.models import PatientLink
from ketacare.patients.models import Medication, PriorTreatment
from ketacare.selfreport.models import ReportRequest
from ketacare.treatment import actions
from tests.conftest import cosigned
from tests.treatment.conftest import LOT

from .conftest import sign_for

pytestmark = pytest.mark.django_db

ANSWERS = {
    "contact:email": "jordan@example.org", "contact:mobile": "+1 555 0100",
    "contact:escort_name": "Sam Rivera", "contact:escort_phone": "+1 555 0101",
    "contact:escort_relationship": "brother",
    "med:benzodiazepine": "lorazepam 1 mg", "med:opioid": "", "med:maoi": "",
    "treatment:antidepressant": "sertraline, bupropion", "treatment:tms": "yes",
    "history:pregnancy": "no", "history:psychosis": "unsure",
    "action": "submit",
}


def _token_of(client, nurse_a, patient) -> str:
    client.force_login(nurse_a)
    page = client.post(f"/consent/patient/{patient.pk}/intake/").content.decode()
    url = page.split('data-testid="intake-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    client.logout()
    return url.rstrip("/").rsplit("/", 1)[1]


def test_intake_answers_are_proposals_accepted_item_by_item(client, nurse_a, eligible_patient,
                                                            prescriber_b) -> None:
    token = _token_of(client, nurse_a, eligible_patient)
    link = PatientLink.objects.get(patient=eligible_patient, purpose="intake")
    assert link.token_hash != token and token not in str(link.__dict__)
    page = client.get(f"/p/{token}/")
    assert page.status_code == 200 and "Before your first visit, Jordan" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")
    done = client.post(f"/p/{token}/intake", ANSWERS).content.decode()
    assert "Your answers have been sent" in done and "/r/" in done  # baseline questionnaire
    assert ReportRequest.objects.filter(patient=eligible_patient, kind="intake").exists()
    eligible_patient.refresh_from_db()
    assert eligible_patient.email == ""  # nothing reaches the chart before a clinician accepts
    assert client.get(f"/p/{token}/").status_code == 410  # the link is used
    link.refresh_from_db()
    keys = [p.key for p in intake.proposals(link)]
    assert keys == ["contact:email", "contact:mobile", "contact:escort_name",
                    "contact:escort_phone", "contact:escort_relationship",
                    "med:benzodiazepine", "treatment:antidepressant", "treatment:tms",
                    "history:psychosis"]
    client.force_login(nurse_a)
    review = client.get(f"/consent/intake/{link.pk}/").content.decode()
    assert "lorazepam 1 mg" in review and "9 to decide" in review
    client.post(f"/consent/intake/{link.pk}/", {"item": "contact:email", "accept": "yes"})
    client.post(f"/consent/intake/{link.pk}/", {"item": "med:benzodiazepine", "accept": "yes"})
    client.post(f"/consent/intake/{link.pk}/", {"item": "treatment:antidepressant",
                                                 "accept": "yes"})
    declined = client.post(f"/consent/intake/{link.pk}/", {"item": "contact:mobile",
                                                            "accept": "no"}, follow=True)
    assert "Say why" in declined.content.decode()
    client.post(f"/consent/intake/{link.pk}/", {"item": "contact:mobile", "accept": "no",
                                                 "note": "old number"})
    eligible_patient.refresh_from_db()
    assert eligible_patient.email == "jordan@example.org" and eligible_patient.mobile == ""
    assert Medication.objects.get(patient=eligible_patient).category == "benzodiazepine"
    assert sorted(PriorTreatment.objects.filter(patient=eligible_patient)
                  .values_list("name", flat=True)) == ["bupropion", "sertraline"]
    assert intake.history_answers(eligible_patient) == {"pregnancy": "No",
                                                     "psychosis": "Not sure"}
    screening = client.get(f"/patients/{eligible_patient.pk}/screening/new/?route=iv")
    assert "intake answer: <strong>Not sure</strong>" in screening.content.decode()
    from ketacare.accounts.staff import staff_for

    with pytest.raises(ValidationError, match="already decided"):
        intake.decide(staff_for(nurse_a, eligible_patient.clinic), link, "contact:email",
                      accept=True)
    client.force_login(prescriber_b)
    assert client.get(f"/consent/intake/{link.pk}/").status_code == 404


def test_bad_and_expired_links(client, eligible_patient, nurse_a) -> None:
    assert client.get("/p/not-a-token/").status_code == 404
    token = _token_of(client, nurse_a, eligible_patient)
    PatientLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(f"/p/{token}/").status_code == 410
    assert client.post(f"/p/{token}/intake", ANSWERS).status_code == 410


def test_a_used_link_shows_the_neutral_page_with_nothing_about_the_patient(
        client, eligible_patient, nurse_a) -> None:
    token = _token_of(client, nurse_a, eligible_patient)
    assert client.post(f"/p/{token}/intake", ANSWERS).status_code == 200
    for response in (client.get(f"/p/{token}/"), client.post(f"/p/{token}/intake", ANSWERS),
                     client.post(f"/p/{token}/consent", {})):
        body = response.content.decode()
        assert response.status_code == 410 and "This link has been used" in body
        assert "988" in body and "contact your clinic" in body
        for secret in (eligible_patient.given_name, eligible_patient.family_name,
                       "jordan@example.org", "sertraline"):
            assert secret not in body


def test_discharge_sends_the_aftercare_link(nurse, prescriber, prescriber_a, eligible_patient,
                                            iv_course, stock, client, settings,
                                            tmp_path,
                                            django_capture_on_commit_callbacks) -> None:
    settings.KETACARE_SMS_BACKEND = "ketacare.selfreport.delivery.FileSmsBackend"
    settings.KETACARE_SMS_FILE_PATH = str(tmp_path)
    eligible_patient.email, eligible_patient.mobile = "jordan@example.org", "+15550100"
    eligible_patient.save()
    sign_for(nurse, eligible_patient)
    s = iv_course.sessions.first()
    actions.check_in(nurse, s, escort_present=True, no_driving_ack=True, npo_confirmed=None)
    actions.record_vitals(nurse, s, sbp=124, dbp=80, hr=70, spo2=98, rr=14)
    s.refresh_from_db()
    actions.give_dose(nurse, s, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                      expiry=stock["expiry"],
                      second_check_by=cosigned(nurse, prescriber_a, "second_check"))
    s.refresh_from_db()
    actions.stop_infusion(nurse, s)
    s.refresh_from_db()
    dose = s.dose
    for minutes in (40, 35):  # a BP ~40 min after dosing started, then end of observation
        dose.started_at -= timedelta(minutes=minutes)
        dose.stopped_at -= timedelta(minutes=minutes)
        dose.save()
        actions.record_vitals(nurse, s, sbp=126, dbp=80, hr=72, spo2=98, rr=14)
    actions.record_rating(nurse, s, "cadss6", [0, 0, 0, 0, 0, 0])
    actions.record_rating(nurse, s, "moaas", [5])
    s.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.discharge(nurse, s, dissociation_resolved=True, escort_present=True)
    assert mail.outbox == [] and len(callbacks) == 1  # nothing leaves before the commit
    callbacks[0]()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "after-visit sheet" in message.subject and "ketamine" not in message.body.lower()
    url = message.body.split("\n\n")[2].strip()
    sms = list(tmp_path.iterdir())
    assert len(sms) == 1 and url in sms[0].read_text()
    page = client.get(url.replace("http://localhost:8000", ""))
    body = page.content.decode()
    assert page.status_code == 200 and "After your visit, Jordan" in body
    assert "Do not drive" in body and "988" in body
    nxt = iv_course.sessions.get(number=2).planned_date
    assert aftercare.sheet_for(s).next_session == nxt
    assert f"{nxt:%B} {nxt.day}" in body
    client.force_login(prescriber_a)
    printable = client.get(f"/consent/session/{s.pk}/aftercare/?format=pdf")
    assert printable["Content-Type"] == "application/pdf"
