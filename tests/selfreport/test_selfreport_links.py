"""Secret links and answering: only a hash is stored, bad links get a friendly page,
progress is saved as the patient goes, and submit is once only."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Patient
from ketacare.selfreport import actions
from ketacare.selfreport.models import Link, ReportRequest, Response

from .conftest import answers, make_request

pytestmark = pytest.mark.django_db


def url(token: str, what: str = "") -> str:
    name = {"": "selfreport-link", "save": "selfreport-link-save",
            "submit": "selfreport-link-submit"}[what]
    return reverse(name, args=[token])


def test_only_the_hash_is_stored(link) -> None:
    req, token = link
    assert len(token) == 43
    stored = Link.objects.get(request=req)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = Link.objects.filter(request=req).values()[0]
    assert token not in str(row)
    assert token not in str(ReportRequest.objects.filter(pk=req.pk).values()[0])


def test_link_opens_without_account_and_shows_first_name_only(client, link) -> None:
    req, token = link
    response = client.get(url(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hello Jordan" in body and "Rivera" not in body and "A-0001" not in body
    assert "Little interest or pleasure" in body
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert str(req.patient.pk) not in body
    event = AuditEvent.objects.filter(username="patient-link").last()
    assert event is not None and event.patient_id == req.patient_id and event.action == "view"


@pytest.mark.parametrize("token", ["x" * 43, "short", "A" * 42 + "!", "A" * 44, "%27%20OR%201=1"])
def test_unknown_or_guessed_token_is_a_friendly_404(client, link, token) -> None:
    response = client.get(f"/r/{token}/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert "988" in response.content.decode()


def test_expired_link_is_a_friendly_410_with_the_clinic_phone(client, link, clinic_a) -> None:
    req, token = link
    clinic_a.settings = {"selfreport_phone": "555-0199"}
    clinic_a.save()
    ReportRequest.objects.filter(pk=req.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for response in (client.get(url(token)), client.post(url(token, "save"), answers([1])),
                     client.post(url(token, "submit"), answers([0] * 9))):
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert "555-0199" in response.content.decode()
    assert not Response.objects.exists()


def test_a_bad_token_is_not_logged(client, link, caplog) -> None:
    req, token = link
    ReportRequest.objects.filter(pk=req.pk).update(expires_at=timezone.now())
    with caplog.at_level(logging.DEBUG):
        client.get(url(token))
        client.get("/r/" + "y" * 43 + "/")
    assert token not in caplog.text and "y" * 43 not in caplog.text


def test_token_for_patient_a_never_shows_patient_b(client, link, clinic_a, prescriber_a) -> None:
    from datetime import date

    from ketacare.accounts.staff import staff_for
    from ketacare.patients import actions as patient_actions

    other = patient_actions.create_patient(staff_for(prescriber_a, clinic_a), {
        "mrn": "A-0002", "given_name": "Casey", "family_name": "Other",
        "date_of_birth": date(1990, 1, 1), "sex_at_birth": "male"})
    req_b, token_b = make_request(other)
    req_a, token_a = link
    client.post(url(token_a, "save"), answers([3, 3]))
    assert "Casey" not in client.get(url(token_a)).content.decode()
    assert "Jordan" not in client.get(url(token_b)).content.decode()
    req_b.refresh_from_db()
    assert req_b.progress == {}
    assert Patient.objects.count() == 2


def test_progress_is_saved_as_the_patient_answers(client, link) -> None:
    req, token = link
    response = client.post(url(token, "save"), {"item_1": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "1 of 9 answered" in response.content.decode()
    client.post(url(token, "save"), {"item_1": "2", "item_2": "1", "item_3": "7",
                                     "item_99": "1"}, HTTP_HX_REQUEST="true")
    req.refresh_from_db()
    assert req.progress == {"1": 2, "2": 1}  # out-of-range and unknown items are dropped
    # "connection dropped": reopening the link shows the saved answers checked
    body = client.get(url(token)).content.decode()
    assert 'name="item_1" value="2" checked' in body


def test_item_9_shows_crisis_text_before_submitting(client, link) -> None:
    req, token = link
    response = client.post(url(token, "save"), {"item_9": "1"}, HTTP_HX_REQUEST="true")
    assert "988" in response.content.decode() and "Need help now" in response.content.decode()


def test_plain_form_save_without_javascript(client, link) -> None:
    req, token = link
    response = client.post(url(token, "save"), answers([1, 1, 1]))
    assert response.status_code == 200 and "3 of 9 answered" in response.content.decode()


def test_submit_scores_stores_and_is_idempotent(client, link) -> None:
    req, token = link
    values = [2, 2, 2, 1, 1, 1, 1, 1, 0]
    first = client.post(url(token, "submit"), answers(values))
    assert first.status_code == 200
    assert "Thank you, Jordan" in first.content.decode()
    assert "within one business day" in first.content.decode()
    stored = Response.objects.get()
    assert stored.total == 11 and stored.severity == "moderate" and stored.values == values
    assert stored.flags == []
    again = client.post(url(token, "submit"), answers(values))
    assert again.status_code == 200 and Response.objects.count() == 1
    used = Client().get(url(token))  # any other browser: the neutral page
    assert used.status_code == 410 and "has been used" in used.content.decode()
    req.refresh_from_db()
    assert req.completed_at is not None and req.status == "completed"


def test_submit_twice_through_the_action_returns_the_same_response(link) -> None:
    req, _ = link
    a = actions.submit(req, answers([0] * 9))
    b = actions.submit(req, answers([3] * 9))
    assert a.pk == b.pk and b.total == 0


def test_incomplete_submit_names_the_missing_question(client, link) -> None:
    req, token = link
    response = client.post(url(token, "submit"), answers([1] * 7))
    assert response.status_code == 422
    assert "Please answer question 8" in response.content.decode()
    req.refresh_from_db()
    assert req.progress["7"] == 1 and req.completed_at is None


def test_item_9_submit_shows_crisis_text_and_clinic_settings(client, link, clinic_a) -> None:
    clinic_a.settings = {"selfreport_crisis_text": "Call the Clinic A crisis line 555-0000.",
                         "selfreport_review_time": "every weekday by 5 pm"}
    clinic_a.save()
    req, token = link
    body = client.post(url(token, "submit"), answers([0] * 8 + [1])).content.decode()
    assert "Call the Clinic A crisis line 555-0000." in body
    assert "every weekday by 5 pm" in body
    assert "The clinic has been alerted" in body


def test_public_pages_do_not_allow_get_on_post_endpoints(client, link) -> None:
    req, token = link
    assert client.get(url(token, "submit")).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_double_click_submits_once(reachable) -> None:
    """Two submits at the same moment (a double click on a slow phone) store one response."""
    import threading

    from django.db import connection

    req, _ = make_request(reachable)
    actions.save_progress(req, answers([1] * 9))
    if connection.vendor != "postgresql":
        # SQLite serialises writers (and its in-memory test database refuses concurrent
        # ones outright): the two presses arrive one after the other and must still
        # leave one response. The real race is tested on PostgreSQL.
        first, second = actions.submit(req).pk, actions.submit(req).pk
        assert first == second and Response.objects.count() == 1
        return
    barrier = threading.Barrier(2)
    results: list[int] = []
    failures: list[BaseException] = []

    def press() -> None:
        try:
            barrier.wait()
            results.append(actions.submit(req).pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert len(set(results)) == 1 and Response.objects.count() == 1
