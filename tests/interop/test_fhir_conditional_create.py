"""Conditional create (FHIR R4 3.1.0.8.1): `If-None-Exist: identifier=SYSTEM|VALUE` on
QuestionnaireResponse and body-weight Observation. One match answers 200 with the stored
resource, several 412, none creates (201). A retried import stores nothing twice and raises
no second alert."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.db import connection

from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Weight
from ketacare.selfreport.models import Alert, Response

from .conftest import auth
from .test_fhir_create_import import hl7_phq9
from .test_fhir_read_search import is_outcome, validate

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

SYSTEM = "urn:oid:2.16.840.1.113883.19.5"


def post(client, rtype: str, body: Any, token: str, condition: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"HTTP_IF_NONE_EXIST": condition} if condition is not None else {}
    return client.post(f"/fhir/{rtype}", json.dumps(body), content_type="application/fhir+json",
                       **auth(token), **extra)


def phq9(patient_id: Any, value: str) -> dict[str, Any]:
    body = hl7_phq9(patient_id, [2, 1, 2, 1, 1, 0, 1, 1, 2])  # item 9 = 2: an alert
    body["identifier"] = {"system": SYSTEM, "value": value}
    return body


def weight(patient_id: Any, value: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "identifier": [{"system": SYSTEM, "value": value}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": "2026-02-01",
            "valueQuantity": {"value": 80, "unit": "kg", "system": "http://unitsofmeasure.org",
                              "code": "kg"}}


def test_retried_questionnaire_response_is_stored_once(client, patient_a, token_a) -> None:
    condition = f"identifier={SYSTEM}|qr-1"
    first = post(client, "QuestionnaireResponse", phq9(patient_a.pk, "qr-1"), token_a, condition)
    assert first.status_code == 201, first.content
    created = first.json()
    validate(created)
    assert created["identifier"] == {"system": SYSTEM, "value": "qr-1"}
    again = post(client, "QuestionnaireResponse", phq9(patient_a.pk, "qr-1"), token_a,
                 condition)
    assert again.status_code == 200, again.content
    assert again.json() == created
    assert Response.objects.count() == 1
    assert Alert.objects.filter(kind="suicidal_ideation").count() == 1
    # The replay is a read of what is stored: audited as such, not as a second create.
    assert AuditEvent.objects.filter(object_type="response", action="create").count() == 1
    # Another identifier is another response.
    other = post(client, "QuestionnaireResponse", phq9(patient_a.pk, "qr-2"), token_a,
                 f"identifier={SYSTEM}|qr-2")
    assert other.status_code == 201 and Response.objects.count() == 2


def test_identifier_search(client, patient_a, token_a, token_b) -> None:
    post(client, "QuestionnaireResponse", phq9(patient_a.pk, "qr-9"), token_a)
    post(client, "Observation", weight(patient_a.pk, "wt-9"), token_a)
    for rtype, value in (("QuestionnaireResponse", "qr-9"), ("Observation", "wt-9")):
        found = client.get(f"/fhir/{rtype}", {"identifier": f"{SYSTEM}|{value}"},
                           **auth(token_a)).json()
        assert found["total"] == 1, rtype
        by_value = client.get(f"/fhir/{rtype}", {"identifier": value}, **auth(token_a)).json()
        assert by_value["total"] == 1, rtype
        assert client.get(f"/fhir/{rtype}", {"identifier": f"urn:other|{value}"},
                          **auth(token_a)).json()["total"] == 0
        # Another clinic's token does not see it, conditional or not.
        assert client.get(f"/fhir/{rtype}", {"identifier": value},
                          **auth(token_b)).json()["total"] == 0


def test_weight_conditional_create_and_several_matches(client, patient_a, token_a) -> None:
    condition = f"identifier={SYSTEM}|wt-1"
    first = post(client, "Observation", weight(patient_a.pk, "wt-1"), token_a, condition)
    assert first.status_code == 201, first.content
    assert first.json()["identifier"] == [{"system": SYSTEM, "value": "wt-1"}]
    again = post(client, "Observation", weight(patient_a.pk, "wt-1"), token_a, condition)
    assert again.status_code == 200 and again.json() == first.json()
    assert Weight.objects.count() == 1
    # Without the header the server does not deduplicate: a second row, then 412.
    assert post(client, "Observation", weight(patient_a.pk, "wt-1"), token_a).status_code == 201
    several = post(client, "Observation", weight(patient_a.pk, "wt-1"), token_a, condition)
    assert "2" in is_outcome(several, 412)["issue"][0]["diagnostics"]
    assert Weight.objects.count() == 2


def test_bad_conditions_are_400(client, patient_a, token_a) -> None:
    body = weight(patient_a.pk, "wt-3")
    for condition in ("", "identifier=", "nonsense=1", "_count=abc", "date=9999-99-99"):
        is_outcome(post(client, "Observation", body, token_a, condition), 400)
    assert not Weight.objects.exists()


def test_capability_statement_lists_conditional_create(client) -> None:
    body = client.get("/fhir/metadata").json()
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    for rtype in ("QuestionnaireResponse", "Observation"):
        assert resources[rtype]["conditionalCreate"] is True
        assert "identifier" in {p["name"] for p in resources[rtype]["searchParam"]}
    assert "conditionalCreate" not in resources["Patient"]
    validate(body)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_store_once(live_server, patient_a, token_a) -> None:
    """Six clients send the same conditional create over real HTTP: the condition is
    serialised, so one creates and the others get what it stored. On PostgreSQL they send
    at once; SQLite's in-memory test database shares one connection between the live
    server's threads, so there they send one after another (concurrent SQLite writers
    are exercised by tests/reliability on a file database)."""
    body = json.dumps(phq9(patient_a.pk, "qr-race"))
    headers = {"Authorization": f"Bearer {token_a}", "Content-Type": "application/fhir+json",
               "If-None-Exist": f"identifier={SYSTEM}|qr-race"}
    workers = 6 if connection.vendor == "postgresql" else 1
    start = threading.Barrier(workers)

    def send(_: int) -> tuple[int, str]:
        start.wait()
        answer = requests.post(f"{live_server.url}/fhir/QuestionnaireResponse", data=body,
                               headers=headers, timeout=30)
        return answer.status_code, answer.json()["id"]

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(send, range(6)))
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    assert len({rid for _, rid in results}) == 1
    assert Response.objects.count() == 1
    assert Alert.objects.filter(kind="suicidal_ideation").count() == 1
