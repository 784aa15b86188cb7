"""FHIR read and search through the Django test client: every resource type, every shared
parameter, the errors (each an OperationOutcome with its status), and every emitted
resource valid under fhir.resources (R4B) and fhirclient (R4)."""

from __future__ import annotations

import zoneinfo
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models import fhirelementfactory

from ketacare.audit.models import AuditEvent

from .conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

TYPES = ["Patient", "Observation", "QuestionnaireResponse", "Questionnaire", "Encounter",
         "MedicationAdministration", "Consent"]


def get(client, path: str, token: str, **params: Any):  # type: ignore[no-untyped-def]
    return client.get(f"/fhir/{path}", params, **auth(token))


def validate(resource: dict[str, Any]) -> None:
    """Both model libraries accept it (R4B for strict pydantic checks, R4 for 4.0.1)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    fhirelementfactory.FHIRElementFactory.instantiate(resource["resourceType"], resource)


def is_outcome(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    validate(body)
    return body


def test_metadata_lists_what_is_implemented(client) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    validate(body)
    assert body["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(resources) == set(TYPES)
    assert {i["code"] for i in resources["QuestionnaireResponse"]["interaction"]} == {
        "read", "search-type", "create"}
    assert {i["code"] for i in resources["Encounter"]["interaction"]} == {"read", "search-type"}
    params = {p["name"] for p in resources["Observation"]["searchParam"]}
    assert {"_id", "_lastUpdated", "patient", "subject", "code", "date"} <= params
    assert not response.cookies


def test_every_resource_validates_and_search_finds_it(client, charted, token_a) -> None:
    seen: dict[str, int] = {}
    for rtype in TYPES:
        response = get(client, rtype, token_a, _count=100)
        assert response.status_code == 200, response.content
        bundle = response.json()
        validate(bundle)
        assert bundle["type"] == "searchset"
        seen[rtype] = bundle["total"]
        for entry in bundle["entry"]:
            validate(entry["resource"])
            one = get(client, f"{rtype}/{entry['resource']['id']}", token_a)
            assert one.status_code == 200
            assert one.json() == entry["resource"]
    assert seen["Patient"] == 1 and seen["Encounter"] >= 1
    assert seen["MedicationAdministration"] == 1
    assert seen["QuestionnaireResponse"] == 2
    assert seen["Questionnaire"] >= 9
    # PHQ-9 total + item 9, GAD-7 total, BP + HR + SpO2 + RR, body weight.
    assert seen["Observation"] == 8


def test_observation_codes(client, charted, token_a) -> None:
    def codes(**params: Any) -> list[tuple[str, Any]]:
        bundle = get(client, "Observation", token_a, **params).json()
        return [(e["resource"]["code"]["coding"][0]["code"],
                 e["resource"].get("valueInteger", e["resource"].get("valueQuantity",
                               e["resource"].get("valueCodeableConcept"))))
                for e in bundle.get("entry", [])]

    assert codes(code="http://loinc.org|44261-6") == [("44261-6", 8)]
    assert codes(code="70274-6") == [("70274-6", 9)]
    item9 = codes(code="http://loinc.org|44260-8")
    assert item9[0][1]["coding"][0]["code"] == "LA6569-3"
    weight = codes(code="http://loinc.org|29463-7")
    assert weight[0][1] == {"value": 80, "unit": "kg", "system": "http://unitsofmeasure.org",
                            "code": "kg"}
    bp = get(client, "Observation", token_a, code="http://loinc.org|85354-9").json()
    comps = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
             for c in bp["entry"][0]["resource"]["component"]}
    assert comps == {"8480-6": 128, "8462-4": 82}
    several = codes(code="http://loinc.org|8867-4,http://loinc.org|9279-1")
    assert sorted(c for c, _ in several) == ["8867-4", "9279-1"]
    assert codes(code="http://snomed.info/sct|44261-6") == []


def test_medication_administration_has_rxnorm_route_and_dose(client, charted, token_a) -> None:
    bundle = get(client, "MedicationAdministration", token_a,
                 code="http://www.nlm.nih.gov/research/umls/rxnorm|6130").json()
    ma = bundle["entry"][0]["resource"]
    assert ma["dosage"]["dose"] == {"value": 40, "unit": "mg",
                                    "system": "http://unitsofmeasure.org", "code": "mg"}
    assert ma["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert ma["context"]["reference"] == f"Encounter/{charted.session.pk}"
    assert ma["subject"]["reference"] == f"Patient/{charted.patient.pk}"


def test_patient_subject_and_date_prefixes(client, charted, token_a) -> None:
    pid = str(charted.patient.pk)
    for param in ("patient", "subject"):
        for value in (pid, f"Patient/{pid}"):
            assert get(client, "QuestionnaireResponse", token_a, **{param: value}).json()[
                "total"] == 2
    assert get(client, "QuestionnaireResponse", token_a,
               patient="00000000-0000-0000-0000-000000000000").json()["total"] == 0
    # A date without a zone is a day at the clinic (America/New_York), not in UTC.
    when = timezone.localtime(charted.phq9.submitted_at,
                              zoneinfo.ZoneInfo(charted.patient.clinic.time_zone))
    day = when.date().isoformat()
    n = lambda **p: get(client, "QuestionnaireResponse", token_a, **p).json()["total"]  # noqa: E731
    assert n(date=f"ge{day}") == 2
    assert n(date=f"lt{day}") == 0
    assert n(date=f"gt{when.year + 1}") == 0
    assert n(date=f"le{when.year}") == 2
    assert n(date=str(when.year)) == 2 and n(date=f"eq{when.year}-{when.month:02d}") == 2
    assert n(date=[f"ge{when.year}", f"lt{when.year + 1}"]) == 2
    assert n(_lastUpdated=f"ge{day}") == 2
    assert n(_lastUpdated=f"lt{when.year - 1}") == 0


def test_count_sort_and_paging_links(client, charted, token_a) -> None:
    first = get(client, "Observation", token_a, _count=3, _sort="-date").json()
    assert first["total"] == 8 and len(first["entry"]) == 3
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "next" in links and "previous" not in links
    assert "_count=3" in links["next"] and "_offset=3" in links["next"]
    collected = [e["resource"]["id"] for e in first["entry"]]
    url = links["next"]
    while url:
        page = client.get(url.split("testserver")[-1], **auth(token_a)).json()
        collected += [e["resource"]["id"] for e in page["entry"]]
        url = next((x["url"] for x in page["link"] if x["relation"] == "next"), None)
    assert len(collected) == len(set(collected)) == 8
    ordered = get(client, "Observation", token_a, _sort="date", _count=100).json()["entry"]
    dates = [e["resource"]["effectiveDateTime"] for e in ordered]
    assert len(dates) == 8
    desc = get(client, "Observation", token_a, _sort="-date", _count=100).json()["entry"]
    assert [e["resource"]["id"] for e in desc] != [e["resource"]["id"] for e in ordered]
    assert get(client, "Observation", token_a, _count=0).json()["total"] == 8
    by_id = get(client, "Questionnaire", token_a, _sort="_id", _count=100).json()["entry"]
    ids = [e["resource"]["id"] for e in by_id]
    assert ids == sorted(ids)


def test_id_search(client, charted, token_a) -> None:
    bundle = get(client, "Observation", token_a,
                 _id=f"sr-{charted.phq9.pk}-total,sr-{charted.phq9.pk}-item9").json()
    assert bundle["total"] == 2
    assert get(client, "Questionnaire", token_a, _id="phq9").json()["total"] == 1
    q = get(client, "Questionnaire/phq9", token_a).json()
    assert q["code"][0]["code"] == "44249-1"
    assert [i["code"][0]["code"] for i in q["item"]][:2] == ["44250-9", "44255-8"]
    assert q["item"][0]["answerOption"][0]["valueCoding"]["code"] == "LA6568-5"


def test_errors_are_operation_outcomes(client, charted, token_a) -> None:
    body = is_outcome(get(client, "Observation", token_a, date="xx2024"), 400)
    assert "date" in body["issue"][0]["diagnostics"]
    body = is_outcome(get(client, "Observation", token_a, colour="blue"), 400)
    assert body["issue"][0]["expression"] == ["colour"]
    is_outcome(get(client, "Observation", token_a, _count="many"), 400)
    is_outcome(get(client, "Observation", token_a, _count="100000"), 400)
    is_outcome(get(client, "Observation", token_a, _sort="colour"), 400)
    is_outcome(get(client, "Observation", token_a, date="2024-13-01"), 400)
    is_outcome(get(client, "Observation", token_a, code="http://loinc.org|"), 400)
    is_outcome(get(client, "Patient", token_a, date="2024"), 400)  # Patient has no date
    is_outcome(get(client, "Observation/nope-1", token_a), 404)
    is_outcome(get(client, "Patient/00000000-0000-0000-0000-000000000000", token_a), 404)
    is_outcome(get(client, "Specimen", token_a), 404)
    is_outcome(get(client, "Patient/x/y/z", token_a), 404)
    is_outcome(client.delete(f"/fhir/Patient/{charted.patient.pk}", **auth(token_a)), 405)
    is_outcome(client.post("/fhir/Encounter", {}, content_type="application/fhir+json",
                           **auth(token_a)), 405)
    is_outcome(client.put("/fhir/metadata"), 405)
    is_outcome(client.get("/fhir/Patient", HTTP_ACCEPT="application/fhir+xml",
                          **auth(token_a)), 406)
    is_outcome(get(client, "Patient", token_a, _format="xml"), 406)


def test_auth_errors_are_401(client, charted, token_a) -> None:
    is_outcome(client.get("/fhir/Patient"), 401)
    response = client.get("/fhir/Patient", HTTP_AUTHORIZATION="Bearer not-a-token")
    is_outcome(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    is_outcome(client.get("/fhir/Patient", HTTP_AUTHORIZATION=f"Basic {token_a}"), 401)
    is_outcome(client.get(f"/fhir/Patient/{charted.patient.pk}",
                          HTTP_AUTHORIZATION="Bearer nope"), 401)


def test_analyst_token_cannot_open_charts(client, charted, token_analyst_a) -> None:
    is_outcome(get(client, "Patient", token_analyst_a), 403)
    is_outcome(get(client, f"Patient/{charted.patient.pk}", token_analyst_a), 403)
    assert get(client, "Questionnaire", token_analyst_a).status_code == 200


def test_reads_and_searches_are_audited_per_patient(client, charted, token_a,
                                                    prescriber_a) -> None:
    before = AuditEvent.objects.count()
    get(client, f"Patient/{charted.patient.pk}", token_a)
    get(client, "Observation", token_a, patient=str(charted.patient.pk))
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.object_type) for e in events] == [
        ("view", "fhir:Patient"), ("search", "fhir:Observation")]
    assert all(e.patient_id == charted.patient.pk and e.user_id == prescriber_a.pk
               for e in events)
    assert events[1].detail["total"] == 8


def test_no_cookies_no_csrf_no_login_redirect(client, charted, token_a) -> None:
    response = get(client, "Patient", token_a)
    assert response.status_code == 200 and not response.cookies
    assert response["Cache-Control"] == "no-store"
