"""Issue #14 item 1 through FHIR: the ASQ Questionnaire offers "Declined to answer" for
items 1-4 (the shared instrument data, no FHIR-specific code), and an imported response
with a declined item is a positive screen that needs item 5."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.selfreport.models import Alert, Response

from .conftest import auth
from .test_fhir_create_import import post

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]

ASQ_ANSWERS = "https://ketacare.org/fhir/CodeSystem/asq-answer"


def asq(patient_id: Any, codes: list[str]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "https://ketacare.org/fhir/Questionnaire/asq",
            "subject": {"reference": f"Patient/{patient_id}"},
            "item": [{"linkId": str(n), "answer": [{"valueCoding": {"code": code}}]}
                     for n, code in enumerate(codes, start=1)]}


def test_questionnaire_offers_declined_for_items_1_to_4(client, token_a) -> None:
    body = client.get("/fhir/Questionnaire/asq", **auth(token_a)).json()
    options = [[o["valueCoding"]["display"] for o in item["answerOption"]]
               for item in body["item"]]
    assert options[:4] == [["No", "Yes", "Declined to answer"]] * 4
    assert options[4] == ["No", "Yes"]


def test_declined_import_is_a_positive_screen(client, patient_a, token_a) -> None:
    response = post(client, "QuestionnaireResponse", asq(patient_a.pk, ["0", "2", "0", "0", "0"]),
                    token_a)
    assert response.status_code == 201, response.content
    stored = Response.objects.get(pk=int(response.json()["id"]))
    assert stored.values == [0, 2, 0, 0, 0] and stored.severity == "positive_non_acute"
    assert Alert.objects.filter(response=stored, kind="suicide_risk").exists()
    codes = [i["answer"][0]["valueCoding"] for i in response.json()["item"]]
    assert codes[1]["display"] == "Declined to answer"


def test_declined_without_item_5_is_refused(client, patient_a, token_a) -> None:
    response = post(client, "QuestionnaireResponse", asq(patient_a.pk, ["2", "0", "0", "0"]),
                    token_a)
    assert response.status_code == 422
    assert "item 5" in response.content.decode()
