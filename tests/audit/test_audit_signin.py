"""Sign-in, failed sign-in and sign-out are on the trail; a password never is. Every
patient page view writes exactly one entry."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from ketacare.audit.models import Action, AuditEvent
from ketacare.clinical import eligibility


def test_sign_in_is_recorded(audit, client, admin_a):
    response = client.post(reverse("login"),
                           {"username": admin_a.username, "password": audit.password})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=Action.SIGN_IN)
    assert (event.user_id, event.username, event.ip) == (admin_a.pk, admin_a.username,
                                                          "127.0.0.1")


def test_failed_sign_in_records_the_username_never_the_password(audit, client, admin_a):
    secret = "Wrong-but-Secret-Guess-42"
    response = client.post(reverse("login"), {"username": admin_a.username, "password": secret})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert event.username == admin_a.username
    assert event.user_id is None
    assert event.ip == "127.0.0.1"
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert secret not in everything
    assert "password" not in json.dumps(event.detail)


def test_sign_out_is_recorded(audit, client, admin_a):
    audit.sign_in(client, admin_a)
    client.post(reverse("logout"))
    event = AuditEvent.objects.get(action=Action.SIGN_OUT)
    assert event.user_id == admin_a.pk


FIRST_ROUTE = next(iter(eligibility.ROUTES))
PATIENT_PAGES = [
    ("patient-chart", ""),
    ("patient-chart", "?tab=screening"),
    ("patient-chart", "?tab=history"),
    ("patient-chart", "?tab=medications"),
    ("patient-edit", ""),
    ("screening-new", f"?route={FIRST_ROUTE}"),
]


@pytest.mark.parametrize(("name", "query"), PATIENT_PAGES)
def test_every_patient_page_view_writes_one_entry(audit, client, prescriber_a, clinic_a,
                                                  patient_a, name, query):
    audit.sign_in(client, prescriber_a)
    before = AuditEvent.objects.count()
    response = client.get(reverse(name, args=[patient_a.pk]) + query)
    assert response.status_code == 200
    new = list(AuditEvent.objects.order_by("id")[before:])
    assert len(new) == 1
    event = new[0]
    assert (event.action, event.patient_id, event.clinic_id, event.user_id, event.role,
            event.ip) == (Action.VIEW, patient_a.pk, clinic_a.pk, prescriber_a.pk,
                          "prescriber", "127.0.0.1")


def test_a_foreign_patient_is_not_found_and_not_recorded_as_viewed(audit, client, admin_b,
                                                                   patient_a):
    audit.sign_in(client, admin_b)
    response = client.get(reverse("patient-chart", args=[patient_a.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(patient_id=patient_a.pk).exists()
