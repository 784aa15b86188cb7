"""Create through FHIR: an HL7-standard PHQ-9 / GAD-7 QuestionnaireResponse (LOINC linkIds,
LOINC answer codes) is scored on arrival and produces its Observations; body weight
Observations; and every refusal is an OperationOutcome (422 for invalid resources)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ketacare.audit.models import AuditEvent
from ketacare.selfreport.models import Alert, Response

from .conftest import auth
from .test_fhir_read_search import is_outcome, validate

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

LA = {0: ("LA6568-5", "Not at all"), 1: ("LA6569-3", "Several days"),
      2: ("LA6570-1", "More than half the days"), 3: ("LA6571-9", "Nearly every day")}
PHQ9_ITEMS = [
    ("44250-9", "Little interest or pleasure in doing things"),
    ("44255-8", "Feeling down, depressed, or hopeless"),
    ("44259-0", "Trouble falling or staying asleep, or sleeping too much"),
    ("44254-1", "Feeling tired or having little energy"),
    ("44251-7", "Poor appetite or overeating"),
    ("44258-2", "Feeling bad about yourself-or that you are a failure or have let yourself "
                "or your family down"),
    ("44252-5", "Trouble concentrating on things, such as reading the newspaper or watching "
                "television"),
    ("44253-3", "Moving or speaking so slowly that other people could have noticed. Or the "
                "opposite-being so fidgety or restless that you have been moving around a "
                "lot more than usual"),
    ("44260-8", "Thoughts that you would be better off dead, or of hurting yourself in some "
                "way"),
]
GAD7_ITEMS = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def loinc_answer(value: int) -> dict[str, Any]:
    code, display = LA[value]
    return {"valueCoding": {"system": "http://loinc.org", "code": code, "display": display}}


def hl7_phq9(patient_id: Any, values: list[int]) -> dict[str, Any]:
    """The shape of the HL7 SDC / US Core PHQ-9 QuestionnaireResponse example: the LOINC
    form as canonical, a panel group `/44249-1`, items with LOINC linkIds, LOINC answer
    codes, and the sender's own total (which we recompute)."""
    items = [{"linkId": f"/44249-1/{code}", "text": text, "answer": [loinc_answer(v)]}
             for (code, text), v in zip(PHQ9_ITEMS, values, strict=True)]
    items.append({"linkId": "/44249-1/44261-6",
                  "text": "Patient health questionnaire 9 item total score",
                  "answer": [{"valueDecimal": sum(values)}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "meta": {"profile": [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse"]},
        "questionnaire": "http://loinc.org/q/44249-1",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authored": "2026-01-15T14:30:00-05:00",
        "item": [{"linkId": "/44249-1", "text": "PHQ-9 quick depression assessment panel",
                  "item": items}],
    }


def post(client, rtype: str, body: Any, token: str):  # type: ignore[no-untyped-def]
    return client.post(f"/fhir/{rtype}", json.dumps(body), content_type="application/fhir+json",
                       **auth(token))


def test_import_hl7_phq9_scores_and_yields_observations(client, patient_a, token_a,
                                                       prescriber_a) -> None:
    values = [2, 1, 2, 1, 1, 0, 1, 1, 2]  # total 11, item 9 = 2
    response = post(client, "QuestionnaireResponse", hl7_phq9(patient_a.pk, values), token_a)
    assert response.status_code == 201, response.content
    created = response.json()
    validate(created)
    assert response["Location"].endswith(f"/fhir/QuestionnaireResponse/{created['id']}")
    stored = Response.objects.get(pk=int(created["id"]))
    assert stored.values == values and stored.total == 11 and stored.severity == "moderate"
    assert stored.submitted_at.isoformat().startswith("2026-01-15T19:30")
    assert "suicidal_ideation" in stored.flags
    assert Alert.objects.filter(response=stored, kind="suicidal_ideation").exists()
    audit = AuditEvent.objects.filter(object_type="response", object_id=str(stored.pk)).get()
    assert audit.action == "create" and audit.user_id == prescriber_a.pk
    assert audit.patient_id == patient_a.pk
    total = client.get("/fhir/Observation", {"code": "http://loinc.org|44261-6",
                                             "patient": str(patient_a.pk)}, **auth(token_a))
    entry = total.json()["entry"][0]["resource"]
    assert entry["valueInteger"] == 11
    assert entry["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{stored.pk}"}]
    assert entry["effectiveDateTime"] == "2026-01-15T19:30:00Z"
    item9 = client.get("/fhir/Observation", {"code": "44260-8"}, **auth(token_a)).json()
    assert item9["entry"][0]["resource"]["valueCodeableConcept"]["coding"][0]["code"] == \
        "LA6570-1"


def test_import_gad7_by_loinc_linkids_only(client, patient_a, token_a) -> None:
    body = {
        "resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": "http://example.org/Questionnaire/anxiety-screen",
        "subject": {"reference": f"Patient/{patient_a.pk}"},
        "item": [{"linkId": code, "answer": [loinc_answer(v)]}
                 for code, v in zip(GAD7_ITEMS, [3, 3, 2, 2, 1, 1, 3], strict=True)],
    }
    response = post(client, "QuestionnaireResponse", body, token_a)
    assert response.status_code == 201, response.content
    stored = Response.objects.get(pk=int(response.json()["id"]))
    assert stored.instrument == "gad7" and stored.total == 15 and stored.severity == "severe"


def test_our_own_questionnaire_response_round_trips(client, patient_a, token_a) -> None:
    body = {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "https://ketacare.org/fhir/Questionnaire/pcl5",
            "subject": {"reference": f"Patient/{patient_a.pk}"},
            "item": [{"linkId": str(n), "answer": [{"valueInteger": 2}]} for n in range(1, 21)]}
    response = post(client, "QuestionnaireResponse", body, token_a)
    assert response.status_code == 201, response.content
    again = post(client, "QuestionnaireResponse", response.json(), token_a)
    assert again.status_code == 201
    obs = client.get("/fhir/Observation", {"code": "http://loinc.org|101698-9"},
                     **auth(token_a)).json()
    assert [e["resource"]["valueInteger"] for e in obs["entry"]] == [40, 40]


def test_invalid_questionnaire_responses_are_422(client, patient_a, token_a, token_b) -> None:
    good = hl7_phq9(patient_a.pk, [0] * 9)
    missing = json.loads(json.dumps(good))
    del missing["item"][0]["item"][3]
    body = is_outcome(post(client, "QuestionnaireResponse", missing, token_a), 422)
    assert "item 4" in body["issue"][0]["diagnostics"]
    wrong = json.loads(json.dumps(good))
    wrong["item"][0]["item"][0]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    assert "LA9999-9" in is_outcome(post(client, "QuestionnaireResponse", wrong, token_a),
                                    422)["issue"][0]["diagnostics"]
    is_outcome(post(client, "QuestionnaireResponse", {**good, "status": "in-progress"},
                    token_a), 422)
    is_outcome(post(client, "QuestionnaireResponse", {**good, "status": "finished"}, token_a),
               422)  # not a FHIR status: refused by the model validation
    is_outcome(post(client, "QuestionnaireResponse", {**good, "questionnaire": "x",
                                                      "item": []}, token_a), 422)
    is_outcome(post(client, "QuestionnaireResponse", {**good, "resourceType": "Patient"},
                    token_a), 422)
    # A patient of another clinic is not there for this token.
    is_outcome(post(client, "QuestionnaireResponse", good, token_b), 422)
    assert is_outcome(client.post("/fhir/QuestionnaireResponse", "{not json",
                                  content_type="application/fhir+json", **auth(token_a)),
                      400)
    is_outcome(client.post("/fhir/QuestionnaireResponse", "a=b",
                           content_type="application/x-www-form-urlencoded", **auth(token_a)),
               415)
    assert not Response.objects.exists()


def test_create_body_weight_observation(client, patient_a, token_a, token_nurse_a) -> None:
    body = {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "subject": {"reference": f"Patient/{patient_a.pk}"},
            "effectiveDateTime": "2026-02-01",
            "valueQuantity": {"value": 176, "unit": "lb", "system": "http://unitsofmeasure.org",
                              "code": "[lb_av]"}}
    response = post(client, "Observation", body, token_nurse_a)
    assert response.status_code == 201, response.content
    created = response.json()
    validate(created)
    assert created["valueQuantity"]["value"] == 79.8
    assert created["effectiveDateTime"] == "2026-02-01"
    assert client.get(f"/fhir/Observation/{created['id']}", **auth(token_a)).json() == created
    too_heavy = {**body, "valueQuantity": {"value": 900, "unit": "kg", "code": "kg"}}
    assert "300" in is_outcome(post(client, "Observation", too_heavy, token_a),
                               422)["issue"][0]["diagnostics"]
    phq = {**body, "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]}}
    is_outcome(post(client, "Observation", phq, token_a), 422)


def test_analyst_cannot_create(client, patient_a, token_analyst_a) -> None:
    is_outcome(post(client, "QuestionnaireResponse", hl7_phq9(patient_a.pk, [0] * 9),
                    token_analyst_a), 403)


def test_authored_date_only_is_the_clinic_day_and_bad_dates_are_422(client, patient_a,
                                                                    token_a) -> None:
    body = {**hl7_phq9(patient_a.pk, [0] * 9), "authored": "2026-03-02"}
    created = post(client, "QuestionnaireResponse", body, token_a)
    assert created.status_code == 201, created.content
    assert created.json()["authored"] == "2026-03-02T05:00:00Z"  # midnight in New York
    is_outcome(post(client, "QuestionnaireResponse", {**body, "authored": "2026-03-02T10:00"},
                    token_a), 422)
