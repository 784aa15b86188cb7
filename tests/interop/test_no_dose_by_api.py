"""Issue 13 item 2: a nurse cannot approve an out-of-range dose by any route. The page
goes through `give_dose` (tests/treatment/test_treatment_pages.py); the JSON API and the
FHIR facade have no way to record a dose at all, even with a valid nurse's (or
prescriber's) token: nothing is written whatever is sent."""

from __future__ import annotations

import json

import pytest

from ketacare.treatment.models import Dose
from tests.treatment.conftest import LOT, iv_ready_to_dose

from .conftest import auth

pytestmark = pytest.mark.django_db


def test_no_api_or_fhir_route_records_a_dose(client, prescriber, nurse, ready_patient,
                                             clinic_a, stock, token_nurse_a, token_a) -> None:
    s = iv_ready_to_dose(prescriber, nurse, ready_patient, clinic_a)
    dose = {"mg_per_kg": 0.6, "override_reason": "patient asked", "stock_item": stock["vial"].pk,
            "lot": LOT, "expiry": stock["expiry"].isoformat()}
    for token in (token_nurse_a, token_a):
        for method in ("post", "put", "patch"):
            for path in (f"/api/v1/sessions/{s.pk}", f"/api/v1/sessions/{s.pk}/dose",
                         f"/api/v1/sessions/{s.pk}/doses", "/api/v1/doses"):
                response = getattr(client, method)(path, json.dumps(dose),
                                                   content_type="application/json",
                                                   **auth(token))
                assert response.status_code in (404, 405), (method, path, response.status_code)
        resource = {"resourceType": "MedicationAdministration", "status": "completed",
                    "dosage": {"dose": {"value": 48, "unit": "mg"}}}
        response = client.post("/fhir/MedicationAdministration", json.dumps(resource),
                               content_type="application/fhir+json", **auth(token))
        assert response.status_code == 405, response.content
    assert not Dose.objects.filter(session=s).exists()
