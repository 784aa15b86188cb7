"""Intake answers through FHIR: a submitted intake is a QuestionnaireResponse `intake-N`
referencing the Questionnaire `ketacare-intake`, read and searched with the real fhirpy
and fhirclient clients, valid R4, clinic-scoped and read-audited."""

from __future__ import annotations

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models.questionnaire import Questionnaire as R4Questionnaire
from fhirclient.models.questionnaireresponse import (
    QuestionnaireResponse as R4QuestionnaireResponse,
)
from fhirclient.server import FHIRServer
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from ketacare.audit.models import AuditEvent
from ketacare.consent import fhir_intake
from ketacare.consent.models import PatientLink
from ketacare.interop.auth import create_token
from tests.selfreport.conftest import answers, make_request

from .test_intake_aftercare import ANSWERS, _token_of

pytestmark = pytest.mark.django_db(transaction=True)

URL = "https://ketacare.org/fhir/Questionnaire/ketacare-intake"


def _submitted_intake(client, nurse_a, patient) -> PatientLink:
    token = _token_of(client, nurse_a, patient)
    assert client.post(f"/p/{token}/intake", ANSWERS).status_code == 200
    return PatientLink.objects.get(patient=patient, purpose="intake")


def _validate(resource: dict) -> None:
    name = resource["resourceType"]
    get_fhir_model_class(name).model_validate(resource)  # R4B model
    {"Questionnaire": R4Questionnaire,
     "QuestionnaireResponse": R4QuestionnaireResponse}[name](resource)  # R4, strict


def test_intake_answers_are_questionnaire_responses(live_server, client, nurse_a, clinic_a,
                                                     prescriber_a, eligible_patient,
                                                     prescriber_b, clinic_b) -> None:
    link = _submitted_intake(client, nurse_a, eligible_patient)
    req, _ = make_request(eligible_patient, "phq9")  # a self-report response beside it
    from ketacare.selfreport import actions as selfreport
    selfreport.submit(req, answers([1, 1, 2, 1, 0, 1, 1, 0, 1]))
    fhirpy = SyncFHIRClient(f"{live_server.url}/fhir",
                            authorization=f"Bearer {create_token(prescriber_a, clinic_a)[1]}")
    pid = str(eligible_patient.pk)

    found = fhirpy.resources("QuestionnaireResponse").search(patient=pid).sort("_id").fetch()
    assert [r.id for r in found][-1] == f"intake-{link.pk}" and len(found) == 2
    intake_only = fhirpy.resources("QuestionnaireResponse").search(
        patient=pid, code=f"https://ketacare.org/fhir/CodeSystem/ketacare/instrument|"
                          f"{fhir_intake.QUESTIONNAIRE_ID}").fetch()
    assert [r.id for r in intake_only] == [f"intake-{link.pk}"]

    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    qr = fhirpy.reference("QuestionnaireResponse", f"intake-{link.pk}").to_resource()
    entry = AuditEvent.objects.filter(id__gt=before).get()
    assert (entry.action, entry.patient_id, entry.object_type, entry.user_id) == (
        "view", eligible_patient.pk, "fhir:QuestionnaireResponse", prescriber_a.pk)
    resource = qr.serialize()
    _validate(resource)
    assert resource["questionnaire"] == f"{URL}|{fhir_intake.VERSION}"
    assert resource["subject"] == resource["source"] == {"reference": f"Patient/{pid}"}
    groups = {g["linkId"]: {i["linkId"]: i["answer"][0] for i in g["item"]}
              for g in resource["item"]}
    assert groups["contacts"]["contact:email"] == {"valueString": "jordan@example.org"}
    assert groups["medicines"] == {"med:benzodiazepine": {"valueString": "lorazepam 1 mg"}}
    assert groups["past-treatments"]["treatment:tms"] == {"valueBoolean": True}
    assert groups["history"]["history:psychosis"]["valueCoding"]["code"] == "unsure"

    # The referenced Questionnaire, through fhirclient's R4 models; every answered linkId
    # is one of its items.
    server = FHIRServer(None, base_uri=f"{live_server.url}/fhir/")
    server.session.headers["Authorization"] = \
        f"Bearer {create_token(prescriber_a, clinic_a, 'fc')[1]}"
    form = R4Questionnaire.read(fhir_intake.QUESTIONNAIRE_ID, server)
    assert form.url == URL and form.version == fhir_intake.VERSION
    _validate(form.as_json())
    asked = {i.linkId for g in form.item for i in g.item}
    assert {link_id for g in groups.values() for link_id in g} <= asked
    again = R4QuestionnaireResponse.read(f"intake-{link.pk}", server)
    assert again.questionnaire == resource["questionnaire"]

    # Clinic B: not found, and its searches see nothing of clinic A.
    other = SyncFHIRClient(f"{live_server.url}/fhir",
                           authorization=f"Bearer {create_token(prescriber_b, clinic_b)[1]}")
    with pytest.raises(ResourceNotFound):
        other.reference("QuestionnaireResponse", f"intake-{link.pk}").to_resource()
    assert other.resources("QuestionnaireResponse").fetch() == []


def test_unsubmitted_intake_is_not_served(client, nurse_a, clinic_a, prescriber_a,
                                          eligible_patient) -> None:
    token = _token_of(client, nurse_a, eligible_patient)
    client.post(f"/p/{token}/intake", {**ANSWERS, "action": "save"})
    link = PatientLink.objects.get(patient=eligible_patient, purpose="intake")
    assert link.answers and link.submitted_at is None
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {create_token(prescriber_a, clinic_a)[1]}"}
    assert client.get(f"/fhir/QuestionnaireResponse/intake-{link.pk}", **bearer
                      ).status_code == 404
    bundle = client.get("/fhir/QuestionnaireResponse", **bearer).json()
    assert bundle["total"] == 0
