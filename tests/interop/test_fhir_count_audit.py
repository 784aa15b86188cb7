"""A FHIR search that returns no resources (`_count=0`) still tells whether a patient
matches: its audit entry names the patients it touched. Another clinic's token asking for
a patient (FHIR or the JSON API) is audited as `denied`."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEvent

from .conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]


def test_count_zero_search_records_the_patients_it_touched(client, charted, token_a,
                                                           ready_patient) -> None:
    response = client.get(f"/fhir/Observation?patient={ready_patient.pk}&_count=0",
                          **auth(token_a))
    assert response.status_code == 200 and response.json()["total"] > 0
    assert "entry" not in response.json() or response.json()["entry"] == []
    entry = AuditEvent.objects.filter(action="search").latest("id")
    assert entry.patient_id == ready_patient.pk and entry.object_id == ""
    assert AuditEvent.objects.filter(AuditEvent.names([ready_patient.pk])).contains(entry)
    full = client.get("/fhir/Observation?_count=100", **auth(token_a))
    assert full.status_code == 200
    returned = AuditEvent.objects.filter(action="search").latest("id")
    assert returned.patient_id == ready_patient.pk and "patient_ids" not in returned.detail


def test_another_clinics_token_asking_for_a_patient_is_audited_as_denied(
        client, charted, token_b, prescriber_b, ready_patient) -> None:
    for path, kind in ((f"/fhir/Patient/{ready_patient.pk}", "Patient"),
                       (f"/api/v1/patients/{ready_patient.pk}", "patient")):
        assert client.get(path, **auth(token_b)).status_code == 404
        denied = AuditEvent.objects.filter(action="denied").latest("id")
        assert (denied.user_id, denied.object_type, denied.object_id) == (
            prescriber_b.pk, kind, str(ready_patient.pk)), path
        assert denied.patient_id is None
