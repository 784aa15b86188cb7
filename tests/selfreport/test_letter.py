"""The progress letter to the referring physician: what the PDF says (read back with pypdf),
who may make it, what the audit trail keeps, bad input, and the whole path in Chromium."""

from __future__ import annotations

import io
import os
import re
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import expect

from ketacare.audit.models import AuditEvent
from ketacare.demo import treatment as demo
from ketacare.pdf import latin1
from ketacare.selfreport import actions as selfreport
from ketacare.selfreport.letter import gather_letter, letter_pdf
from ketacare.selfreport.models import Response
from ketacare.treatment import actions as treatment
from ketacare.treatment.models import AdverseEvent, Session
from tests.pdf import pdf_pages, pdf_text, pdf_to_png
from tests.selfreport.conftest import answers, make_request, start_course
from tests.treatment.conftest import prescriber, ready_patient  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

SHOTS = Path(os.environ.get("KETACARE_SCREENSHOTS", tempfile.gettempdir())) / "letter-shots"

# PHQ-9 (item 9 stays 0: no suicidality alert) from 20 at baseline down to 8: -60%, a
# response but not a remission (PHQ-9 <= 4). GAD-7 from 12 to 3: a remission.
PHQ9 = [(-2, [3, 3, 3, 3, 2, 2, 2, 2, 0]), (3, [2] * 8 + [0]),
        (10, [2, 2, 2, 2, 2, 1, 1, 1, 0]), (17, [2, 2, 2, 1, 1, 1, 1, 1, 0]),
        (24, [2, 1, 1, 1, 1, 1, 1, 1, 0]), (31, [1] * 8 + [0])]
GAD7 = [(-2, [2, 2, 2, 2, 2, 1, 1]), (31, [1, 1, 1, 0, 0, 0, 0])]


def _score(patient, instrument: str, when: datetime, values: list[int]) -> Response:  # type: ignore[no-untyped-def]
    req, _ = make_request(patient, instrument)
    response = selfreport.submit(req, answers(values))
    Response.objects.filter(pk=response.pk).update(submitted_at=when)  # back-dated
    return response


@pytest.fixture
def start(clinic_a) -> datetime:
    """The first session: 09:30 at the clinic, six weeks ago."""
    day = clinic_a.today() - timedelta(days=42)
    return datetime.combine(day, time(9, 30), tzinfo=clinic_a.zone)


@pytest.fixture
def treated(prescriber, ready_patient, start):  # type: ignore[no-untyped-def]  # noqa: F811
    """A completed IV series (six 40 mg doses, 0.5 mg/kg x 80 kg), weekly PHQ-9 and two
    GAD-7 scores, and two adverse events."""
    treatment.ensure_default_protocols(ready_patient.clinic)
    demo.past_course(ready_patient, start, prescriber)
    for days, values in PHQ9:
        _score(ready_patient, "phq9", start + timedelta(days=days), values)
    for days, values in GAD7:
        _score(ready_patient, "gad7", start + timedelta(days=days, hours=1), values)
    sessions = {s.number: s for s in Session.objects.filter(course__patient=ready_patient)}
    AdverseEvent.objects.create(
        session=sessions[2], term="Transient hypertension", severity="moderate",
        serious=False, action="BP rechecked at 15 min", outcome="Resolved",
        recorded_at=sessions[2].dose.started_at + timedelta(minutes=20),
        recorded_by=prescriber.user)
    AdverseEvent.objects.create(
        session=sessions[3], term="Nausea", severity="mild", serious=False,
        action="Ondansetron 4 mg", outcome="Resolved",
        recorded_at=sessions[3].dose.started_at + timedelta(minutes=35),
        recorded_by=prescriber.user)
    return ready_patient


def _pdf(patient, author, **fields: str) -> bytes:  # type: ignore[no-untyped-def]
    letter = gather_letter(patient, recipient=fields.get("recipient", "Dr Alex Morgan"),
                           practice=fields.get("practice", "Harbor Family Practice\n"
                                               "12 Harbor Street, Portland, ME 04101"),
                           comment=fields.get("comment", ""), author=author,
                           today=patient.clinic.today())
    return letter_pdf(letter)


def _images(data: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------------------- content

def test_letter_prints_course_doses_scores_events_and_signature(treated, prescriber_a) -> None:
    body = _pdf(treated, prescriber_a, comment="Please continue sertraline 100 mg.")
    pdf_to_png(body, SHOTS, "letter-unit")
    text = pdf_text(body)
    flat = " ".join(text.split())
    assert "Clinic A" in text and "Dr Alex Morgan" in text and "Harbor Family Practice" in text
    assert "Re: Jordan Rivera, DOB 1985-04-12, MRN A-0001" in flat
    assert "Jordan Rivera began treatment on" in flat
    # Course and doses: six doses of 40 mg at 0.5 mg/kg, at 09:30 clinic time (not UTC).
    assert "Treatment courses" in text and "Completed" in text and "6 of 6" in flat
    doses = re.findall(r"(\d{4}-\d\d-\d\d 09:30) (\d) Racemic ketamine IV 40 0.5", flat)
    assert [n for _, n in doses] == ["1", "2", "3", "4", "5", "6"]
    assert "most recent dose was 40 mg racemic ketamine" in flat
    # PHQ-9 20 -> 8 is a response (-60%); GAD-7 12 -> 3 a remission.
    assert re.search(r"20 \(\d{4}-\d\d-\d\d\) 8 \(\d{4}-\d\d-\d\d\) -12 -60.0% Response", flat)
    assert re.search(r"12 \(\d{4}-\d\d-\d\d\) 3 \(\d{4}-\d\d-\d\d\) -9 -75.0% Remission", flat)
    assert "PHQ-9: 20 at baseline" in flat and "-60.0%): response." in flat
    assert "remission: PHQ-9 <= 4" in flat and "a fall of >= 50% from baseline" in flat
    assert _images(body) == 2  # one trajectory chart per questionnaire
    # Adverse events, comment, signature, page numbers, confidentiality on every page.
    assert "Transient hypertension" in text and "Nausea" in text and "Moderate" in text
    assert "2 adverse events recorded, none serious" in flat
    assert "Please continue sertraline 100 mg." in flat
    assert "Priya Tester" in text and "Yours sincerely" in text
    pages = pdf_pages(body)
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page and "CONFIDENTIAL" in page


def test_no_scores_yet_is_said_plainly(prescriber, ready_patient, prescriber_a) -> None:  # noqa: F811
    start_course(prescriber, ready_patient)  # planned, nothing given yet
    body = _pdf(ready_patient, prescriber_a)
    pdf_to_png(body, SHOTS, "letter-no-scores")
    flat = " ".join(pdf_text(body).split())
    assert "Jordan Rivera is due to begin treatment on" in flat
    assert "No questionnaire scores recorded yet." in flat
    assert "response to treatment cannot be measured" in flat
    assert "0 of" in flat and "No doses given." in flat and "None recorded." in flat
    assert _images(body) == 0


def test_no_course_at_all(patient_a, prescriber_a) -> None:
    flat = " ".join(pdf_text(_pdf(patient_a, prescriber_a)).split())
    assert "Jordan Rivera has no ketamine treatment course recorded at Clinic A." in flat
    assert "No treatment course recorded." in flat and "Page 1 of 1" in flat


def test_one_score_is_a_baseline_not_an_outcome(treated, prescriber_a, start) -> None:
    """A baseline and no later score: nothing yet to compare it with."""
    Response.objects.filter(patient=treated, instrument="gad7", submitted_at__gt=start).delete()
    flat = " ".join(pdf_text(_pdf(treated, prescriber_a)).split())
    assert "Baseline only" in flat and "GAD-7: one score so far" in flat


def test_no_valid_baseline_is_said_and_not_classified(patient_a, prescriber_a,
                                                       clinic_a) -> None:
    """Issue #14 item 3: no score in the 30 days up to the first dose (here: no course at
    all) is no baseline; the first score ever is not used instead."""
    _score(patient_a, "phq9", datetime.now(clinic_a.zone) - timedelta(days=3), PHQ9[0][1])
    _score(patient_a, "phq9", datetime.now(clinic_a.zone) - timedelta(days=1), PHQ9[2][1])
    flat = " ".join(pdf_text(_pdf(patient_a, prescriber_a)).split())
    assert "No valid baseline" in flat
    assert "PHQ-9: no valid baseline" in flat and "Response" not in flat.split("Outcome rule")[0]


def test_score_after_the_first_dose_is_not_the_baseline(treated, prescriber_a, start) -> None:
    """A score taken hours after the first dose on the same day was the baseline under the
    old end-of-day rule; now the score two days before the dose is."""
    _score(treated, "phq9", start + timedelta(hours=3), [0] * 9)
    flat = " ".join(pdf_text(_pdf(treated, prescriber_a)).split())
    assert "PHQ-9: 20 at baseline" in flat


def test_clinic_can_print_on_a4(patient_a, prescriber_a, clinic_a) -> None:
    clinic_a.settings = {"letter_paper": "a4"}
    clinic_a.save()
    page = pypdf.PdfReader(io.BytesIO(_pdf(patient_a, prescriber_a))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_names_outside_latin1_keep_their_letters() -> None:
    assert latin1("Zoë Dvořák – ≥ 50%") == "Zoë Dvorák - >= 50%"
    assert latin1("Łucja") == "?ucja"


# ---------------------------------------------------------------------------- the page

def _url(patient) -> str:  # type: ignore[no-untyped-def]
    return f"/treatment/patients/{patient.pk}/letter/"


def test_prescriber_gets_the_form_and_the_pdf(client, treated, prescriber_a, clinic_a) -> None:
    client.force_login(prescriber_a)
    page = client.get(_url(treated))
    assert page.status_code == 200
    assert b'name="recipient"' in page.content and b"<textarea" in page.content
    viewed = AuditEvent.objects.latest("id")
    assert (viewed.action, viewed.object_type, viewed.patient_id) == (
        "view", "progress_letter", treated.pk)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.post(_url(treated), {"recipient": "Dr Alex Morgan",
                                           "practice": "Harbor Family Practice",
                                           "comment": "Sertraline continues."})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    today = clinic_a.today()
    assert response["Content-Disposition"] == (
        f'attachment; filename="progress-letter-{today:%Y-%m-%d}.pdf"')
    assert "no-store" in response["Cache-Control"]
    assert "Jordan Rivera" in pdf_text(response.content)
    exports = list(AuditEvent.objects.filter(id__gt=last, action="export"))
    assert len(exports) == 1
    event = exports[0]
    assert event.patient_id == treated.pk and event.object_type == "progress_letter"
    assert event.user_id == prescriber_a.pk
    assert event.detail["fields"] == ["comment", "practice", "recipient"]
    assert event.detail["instruments"] == ["gad7", "phq9"]
    stored = str(event.chained_fields())
    for value in ("Alex Morgan", "Harbor", "Sertraline", "Rivera", "Jordan", "A-0001"):
        assert value not in stored


def test_missing_recipient_is_a_field_error(client, patient_a, prescriber_a) -> None:
    client.force_login(prescriber_a)
    before = AuditEvent.objects.filter(action="export").count()
    response = client.post(_url(patient_a), {"recipient": "  ", "comment": "Kept"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the name of the physician the letter is for." in body
    assert 'id="f-recipient"' in body and "has-error" in body and "Kept" in body
    assert AuditEvent.objects.filter(action="export").count() == before


def test_overlong_comment_is_refused(client, patient_a, prescriber_a) -> None:
    client.force_login(prescriber_a)
    response = client.post(_url(patient_a), {"recipient": "Dr Lee", "comment": "x" * 4001})
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()


@pytest.mark.parametrize("who", ["nurse_a", "analyst_a"])
def test_only_prescribers_write_letters(client, patient_a, who, request) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(patient_a)).status_code == 403
    assert client.post(_url(patient_a), {"recipient": "Dr Lee"}).status_code == 403
    chart = client.get(f"/patients/{patient_a.pk}/")
    assert b"Progress letter" not in chart.content


def test_other_clinic_sees_nothing(client, patient_a, prescriber_b) -> None:
    client.force_login(prescriber_b)
    assert client.get(_url(patient_a)).status_code == 404
    response = client.post(_url(patient_a), {"recipient": "Dr Lee"})
    assert response.status_code == 404 and not response.content.startswith(b"%PDF")


def test_anonymous_goes_to_sign_in(client, patient_a) -> None:
    response = client.get(_url(patient_a))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(_url(patient_a), {"recipient": "Dr Lee"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_chart_shows_the_button_to_prescribers(client, patient_a, prescriber_a) -> None:
    client.force_login(prescriber_a)
    body = client.get(f"/patients/{patient_a.pk}/").content.decode()
    assert f'href="{_url(patient_a)}"' in body and "Progress letter" in body


# ---------------------------------------------------------------------------- browser

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_prescriber_downloads_the_letter_in_chromium(chromium, live_server, sign_in,  # type: ignore[no-untyped-def]
                                                     clinic_a, clinician, start) -> None:
    from ketacare.accounts.staff import staff_for
    from ketacare.patients import actions as patient_actions
    from ketacare.patients.models import Weight

    staff = staff_for(clinician, clinic_a)
    patient = patient_actions.create_patient(staff, {
        "mrn": "A-0042", "given_name": "Sam", "family_name": "Okafor",
        "date_of_birth": datetime(1979, 11, 3).date(), "sex_at_birth": "male"})
    patient_actions.add_entry(staff, patient, Weight(weight_kg=90,
                                                     measured_on=clinic_a.today()))
    treatment.ensure_default_protocols(clinic_a)
    demo.past_course(patient, start, staff)
    for days, values in PHQ9:
        _score(patient, "phq9", start + timedelta(days=days), values)
    session = Session.objects.get(course__patient=patient, number=4)
    AdverseEvent.objects.create(session=session, term="Dizziness", severity="mild",
                                serious=False, action="Rested", outcome="Resolved",
                                recorded_at=session.dose.started_at + timedelta(minutes=30),
                                recorded_by=clinician)

    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    sign_in(page)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_test_id("letter-link").click()
    expect(page.locator("h1")).to_contain_text("Progress letter")
    page.get_by_test_id("letter-download").click()  # no recipient yet
    expect(page.locator("#f-recipient .field-error")).to_have_text(
        "Enter the name of the physician the letter is for.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "letter-form-error.png"), full_page=True)
    page.fill("#id_recipient", "Dr Alex Morgan")
    page.fill("#id_practice", "Harbor Family Practice\n12 Harbor Street, Portland, ME 04101")
    page.fill("#id_comment", "Mood much improved; we plan monthly maintenance sessions.")
    page.screenshot(path=str(SHOTS / "letter-form.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("letter-download").click()
    assert download.value.suggested_filename == (
        f"progress-letter-{clinic_a.today():%Y-%m-%d}.pdf")
    body = Path(download.value.path()).read_bytes()
    (SHOTS / "letter.pdf").write_bytes(body)
    pdf_to_png(body, SHOTS, "letter")
    flat = " ".join(pdf_text(body).split())
    assert "Re: Sam Okafor, DOB 1979-11-03, MRN A-0042" in flat
    assert "Dr Alex Morgan" in flat and "Harbor Family Practice" in flat
    assert "Racemic ketamine IV 45 0.5" in flat  # 0.5 mg/kg x 90 kg
    assert "-60.0% Response" in flat and "Dizziness" in flat
    assert "monthly maintenance sessions" in flat and "Rhea Tester" in flat
    assert "Page 1 of" in flat and _images(body) == 1
    page.close()


def test_worsening_follows_the_clinic_threshold(treated, prescriber_a, start, client) -> None:
    """Issue #14 item 2: worsened is "a rise >= the clinic's threshold" (clinic setting
    `outcome_worsened_pct`, product default 25%): the letter and the staff self-report page
    classify with the clinic's number and say it."""
    from django.urls import reverse

    _score(treated, "phq9", start + timedelta(days=38), [3] * 8 + [1])  # 25: +25% from 20

    def phq9_line(patient):  # type: ignore[no-untyped-def]
        letter = gather_letter(patient, recipient="Dr Alex Morgan", practice="", comment="",
                               author=prescriber_a, today=patient.clinic.today())
        return next(o for o in letter.outcomes if o.instrument.id == "phq9")

    default = phq9_line(treated)
    assert default.outcome is not None and default.outcome.category == "worsened"
    assert "worsened: a rise of >= 25%" in default.rule
    client.force_login(prescriber_a)
    page = client.get(reverse("selfreport-responses", args=[treated.pk])).content.decode()
    assert "Worsened" in page and "worsened: 25% rise" in page

    treated.clinic.settings = {**treated.clinic.settings, "outcome_worsened_pct": 50}
    treated.clinic.save(update_fields=["settings"])
    treated.refresh_from_db()
    line = phq9_line(treated)
    assert line.outcome is not None and line.outcome.category == "no_response"
    assert "worsened: a rise of >= 50%" in line.rule
    flat = " ".join(pdf_text(_pdf(treated, prescriber_a)).split())
    assert "worsened: a rise of >= 50%" in flat
    page = client.get(reverse("selfreport-responses", args=[treated.pk])).content.decode()
    assert "worsened: 50% rise" in page and ">Worsened<" not in page
