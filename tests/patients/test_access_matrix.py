"""Every patient URL against every persona: exactly what the permission matrix allows,
and 404 (never 403) for another clinic's records."""

from __future__ import annotations

import pytest

from ketacare.accounts.staff import staff_for
from ketacare.patients import actions
from ketacare.patients.models import Weight

pytestmark = pytest.mark.django_db

PERSONAS = ("admin_a", "prescriber_a", "nurse_a", "analyst_a", "prescriber_b", "anonymous")


@pytest.fixture
def world(request, clinic_a, clinic_b, admin_a, prescriber_a, nurse_a, analyst_a,
          prescriber_b, patient_a):
    staff = staff_for(prescriber_a, clinic_a)
    weight = actions.add_entry(staff, patient_a,
                               Weight(weight_kg=70, measured_on="2026-11-01"))
    screening = actions.record_screening(
        staff, patient_a, "iv",
        {c.code: False for c in __import__("ketacare.clinical.eligibility",
                                           fromlist=["x"]).criteria_for("iv")},
    )
    return {"users": {"admin_a": admin_a, "prescriber_a": prescriber_a, "nurse_a": nurse_a,
                      "analyst_a": analyst_a, "prescriber_b": prescriber_b, "anonymous": None},
            "patient": patient_a, "weight": weight, "screening": screening}


def _client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


# (name, method, url template, data, expected status per persona)
CASES = [
    ("list", "get", "/patients/", None,
     {"admin_a": 200, "prescriber_a": 200, "nurse_a": 200, "analyst_a": 403,
      "prescriber_b": 200}),
    ("chart", "get", "/patients/{p}/", None,
     {"admin_a": 200, "prescriber_a": 200, "nurse_a": 200, "analyst_a": 403,
      "prescriber_b": 404}),
    ("chart-tab", "get", "/patients/{p}/?tab=screening", None,
     {"admin_a": 200, "prescriber_a": 200, "nurse_a": 200, "analyst_a": 403,
      "prescriber_b": 404}),
    ("create", "get", "/patients/new/", None,
     {"admin_a": 200, "prescriber_a": 200, "nurse_a": 200, "analyst_a": 403,
      "prescriber_b": 200}),
    ("edit", "get", "/patients/{p}/edit/", None,
     {"admin_a": 200, "prescriber_a": 200, "nurse_a": 200, "analyst_a": 403,
      "prescriber_b": 404}),
    ("add-weight", "post", "/patients/{p}/weight/add/",
     {"weight_kg": "71.5", "measured_on": "2026-11-20"},
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 302, "analyst_a": 403,
      "prescriber_b": 404}),
    ("weight-error", "post", "/patients/{p}/weight/{w}/error/", {"reason": "wrong scale"},
     {"admin_a": 302, "prescriber_a": 302, "nurse_a": 302, "analyst_a": 403,
      "prescriber_b": 404}),
    ("screening-new", "get", "/patients/{p}/screening/new/?route=iv", None,
     {"admin_a": 403, "prescriber_a": 200, "nurse_a": 200, "analyst_a": 403,
      "prescriber_b": 404}),
    ("decide", "post", "/patients/{p}/screening/{s}/decision/",
     {"decision": "approved", "rationale": "no findings"},
     {"admin_a": 403, "prescriber_a": 302, "nurse_a": 403, "analyst_a": 403,
      "prescriber_b": 404}),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "url", "data", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_matrix(world, client, persona, name, method, url, data, expected) -> None:
    path = url.format(p=world["patient"].pk, w=world["weight"].pk, s=world["screening"].pk)
    c = _client_for(client, world["users"][persona])
    response = getattr(c, method)(path, data or {})
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == expected[persona], (persona, name)


def test_other_clinic_list_shows_none_of_clinic_a(world, client) -> None:
    client.force_login(world["users"]["prescriber_b"])
    patient_id = str(world["patient"].pk)
    body = client.get("/patients/").content.decode()
    assert "Rivera" not in body and "A-0001" not in body and patient_id not in body
    body = client.post("/patients/", {"q": "Rivera"}).content.decode()
    assert patient_id not in body and "A-0001" not in body and "No patients match" in body


def test_unknown_and_malformed_ids_are_404(world, client) -> None:
    client.force_login(world["users"]["prescriber_a"])
    assert client.get("/patients/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/patients/not-a-uuid/").status_code == 404


def test_patient_pages_are_not_cached(world, client) -> None:
    client.force_login(world["users"]["nurse_a"])
    response = client.get(f"/patients/{world['patient'].pk}/")
    assert "no-store" in response["Cache-Control"]
