"""REMS pages: who may see and do what, what the form page shows, the PDF download and
the due list."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEvent
from ketacare.rems import actions, prefill
from ketacare.rems.models import RemsForm
from ketacare.treatment import actions as treatment

from .conftest import move_back, next_monday, protocol

pytestmark = pytest.mark.django_db


def _post_values(session, **changes) -> dict:
    values = {k: "" if v is None else str(v)
              for k, v in prefill.values(prefill.build(session)).items()}
    values.update({k: str(v) for k, v in changes.items()})
    return values


@pytest.fixture
def drafted(nurse, done_session):
    actions.save_draft(nurse, done_session, prefill.values(prefill.build(done_session)))
    return done_session


@pytest.mark.parametrize(("persona", "page", "save", "pdf", "due", "amend"), [
    ("admin_a", 200, 403, 200, 200, 403),
    ("prescriber_a", 200, 302, 200, 200, 400),
    ("nurse_a", 200, 302, 200, 403, 400),
    ("analyst_a", 403, 403, 403, 403, 403),
    ("prescriber_b", 404, 404, 404, 200, 404),
])
def test_access_matrix(client, request, drafted, persona, page, save, pdf, due,
                       amend) -> None:
    client.force_login(request.getfixturevalue(persona))
    url = f"/rems/sessions/{drafted.pk}/"
    assert client.get(url).status_code == page
    assert client.post(url, _post_values(drafted)).status_code == save
    assert client.get(url + "pdf/").status_code == pdf
    response = client.get("/rems/")
    assert response.status_code == due
    if due == 200:
        listed = drafted.course.patient.mrn in response.content.decode()
        assert listed == (persona != "prescriber_b")  # clinic B sees nothing of clinic A
    # Amending an unsigned form is refused (400) for those who may amend at all.
    assert client.post(url + "amend/", {"field": "lot", "value": "X", "reason": "typo"}
                       ).status_code == amend


def test_anonymous_is_sent_to_sign_in(client, drafted) -> None:
    for url in (f"/rems/sessions/{drafted.pk}/", f"/rems/sessions/{drafted.pk}/pdf/", "/rems/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_esketamine_sessions_with_a_dose_have_a_form(client, nurse_a, prescriber,
                                                          ready_patient, clinic_a) -> None:
    client.force_login(nurse_a)
    iv = treatment.start_course(prescriber, ready_patient, protocol(clinic_a, "iv-induction"),
                                indication="TRD", start_date=next_monday(),
                                weekdays=frozenset({0, 2, 4})).sessions.first()
    assert client.get(f"/rems/sessions/{iv.pk}/").status_code == 404
    body = client.get(f"/treatment/sessions/{iv.pk}/").content.decode()
    assert 'data-testid="rems-link"' not in body
    planned = treatment.start_course(prescriber, ready_patient, protocol(clinic_a, "esketamine"),
                                     indication="TRD", start_date=next_monday(),
                                     weekdays=frozenset({0, 3}),
                                     proceed_reason="test: a second course").sessions.first()
    assert client.get(f"/rems/sessions/{planned.pk}/").status_code == 404  # no dose yet
    assert client.get("/rems/sessions/99999/").status_code == 404


def test_form_page_shows_prefill_sources_saves_and_signs(client, nurse_a, done_session) -> None:
    s = done_session
    client.force_login(nurse_a)
    day_page = client.get(f"/treatment/sessions/{s.pk}/").content.decode()
    assert f'href="/rems/sessions/{s.pk}/"' in day_page
    url = f"/rems/sessions/{s.pk}/"
    response = client.get(url)
    body = response.content.decode()
    assert response["Cache-Control"].count("no-store") == 1
    assert 'data-testid="rems-status">Not started<' in body
    assert 'value="ES-77"' in body and 'value="124/78"' in body
    assert "Prefilled from: Dose record: lot" in body
    assert "Your clinical judgement: never prefilled" in body
    assert "REMS portal" in body
    assert not RemsForm.objects.filter(session=s).exists()  # a GET writes no form

    response = client.post(url, _post_values(s, bp_40min="92/148", intent="save"))
    assert response.status_code == 400
    assert "were they swapped?" in response.content.decode()

    response = client.post(url, _post_values(s, intent="sign"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="rems-error">Not signable yet: unanswered: Minutes until the patient ' \
           "would have been ready to leave." in body
    assert "Answer this before signing." in body
    form = RemsForm.objects.get(session=s)  # the draft was kept
    assert not form.locked and form.data["lot"] == "ES-77"

    response = client.post(url, _post_values(s, ready_minutes=100, intent="sign",
                                             version=form.version))
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert 'data-testid="rems-signed"' in body and "Noah Tester" in body
    assert 'name="ready_minutes"' not in body  # locked: no inputs
    assert AuditEvent.objects.filter(object_type="remsform", action="view").exists()


def test_pdf_download(client, nurse_a, drafted) -> None:
    client.force_login(nurse_a)
    response = client.get(f"/rems/sessions/{drafted.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == \
        f'attachment; filename="rems-session-{drafted.pk}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    assert b"ES-77" in response.content and b"DRAFT - not signed" in response.content
    assert "Rivera" not in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="export", object_type="remsform").count() == 1


def test_due_list_shows_overdue_in_red_and_drops_signed_forms(
        client, admin_a, nurse, prescriber, done_session, rems_patient, clinic_a,
        stock) -> None:
    from .conftest import esketamine_session

    old = done_session
    move_back(old, 9)  # due two days ago
    fresh = esketamine_session(nurse, prescriber, rems_patient, clinic_a, stock)
    move_back(fresh, 0)  # today, whatever the hour
    client.force_login(admin_a)
    body = client.get("/rems/").content.decode()
    assert f'<tr class="rems-overdue" data-session="{old.pk}">' in body
    assert '<span class="rems-days overdue">2 days overdue</span>' in body
    assert f'<tr class="" data-session="{fresh.pk}">' in body
    assert "7 days left" in body and "not started" in body
    assert "Rivera" not in body  # MRN only
    actions.save_draft(nurse, fresh, {**prefill.values(prefill.build(fresh)),
                                      "ready_minutes": 100})
    actions.sign(nurse, fresh)
    body = client.get("/rems/").content.decode()
    assert f'data-session="{fresh.pk}"' not in body and f'data-session="{old.pk}"' in body
    nav = client.get("/").content.decode()
    assert 'href="/rems/"' in nav
