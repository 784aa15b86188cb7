"""API tokens: the command that makes them, hashing, revocation, and clinic scoping (a
clinic B token sees nothing of clinic A on FHIR or the JSON API)."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ketacare.interop.models import ApiToken

from .conftest import auth
from .test_fhir_read_search import TYPES, is_outcome

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.interop.urls")]


def run(*args: str) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_prints_the_token_alone_and_stores_only_its_hash(prescriber_a, client,
                                                               patient_a) -> None:
    token = run("create", "--user", "priya", "--name", "EHR bridge").strip()
    assert len(token) >= 40 and "\n" not in token
    row = ApiToken.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row.__dict__)
    assert row.name == "EHR bridge" and row.clinic.name == "Clinic A"
    assert client.get("/fhir/Patient", **auth(token)).json()["total"] == 1
    row.refresh_from_db()
    assert row.last_used_at is not None
    listing = run("list")
    assert "priya" in listing and "active" in listing and token not in listing


def test_create_refuses_bad_input(prescriber_a, analyst_a, clinic_b) -> None:
    with pytest.raises(CommandError, match="--user"):
        run("create", "--user", "nobody")
    with pytest.raises(CommandError, match="--clinic"):
        run("create", "--user", "priya", "--clinic", "Clinic B")
    with pytest.raises(CommandError, match="no API token"):
        run("revoke", "999")


def test_revoked_token_fails_with_401(client, prescriber_a, patient_a) -> None:
    token = run("create", "--user", "priya").strip()
    assert client.get("/fhir/Patient", **auth(token)).status_code == 200
    run("revoke", str(ApiToken.objects.get().pk))
    is_outcome(client.get("/fhir/Patient", **auth(token)), 401)
    is_outcome(client.get(f"/fhir/Patient/{patient_a.pk}", **auth(token)), 401)
    assert client.get("/api/v1/patients", **auth(token)).status_code == 401
    assert "revoked" in run("list")


def test_token_of_someone_who_left_the_clinic_fails(client, prescriber_a, token_a) -> None:
    prescriber_a.memberships.update(active=False)
    is_outcome(client.get("/fhir/Patient", **auth(token_a)), 401)


def test_clinic_b_sees_nothing_of_clinic_a(client, charted, token_b) -> None:
    pid = str(charted.patient.pk)
    for rtype in TYPES:
        if rtype == "Questionnaire":
            continue  # the instrument library is the same for every clinic
        bundle = client.get(f"/fhir/{rtype}", {"_count": 100}, **auth(token_b)).json()
        assert bundle["total"] == 0 and bundle["entry"] == [], rtype
        by_patient = client.get(f"/fhir/{rtype}", {"_id": pid} if rtype == "Patient" else
                                {"patient": pid}, **auth(token_b)).json()
        assert by_patient["total"] == 0, rtype
    ids = {
        "Patient": pid,
        "Observation": f"sr-{charted.phq9.pk}-total",
        "QuestionnaireResponse": str(charted.phq9.pk),
        "Encounter": str(charted.session.pk),
        "MedicationAdministration": str(charted.dose.pk),
    }
    for rtype, rid in ids.items():
        is_outcome(client.get(f"/fhir/{rtype}/{rid}", **auth(token_b)), 404)
    for path in (f"/api/v1/patients/{pid}", f"/api/v1/patients/{pid}/assessments",
                 f"/api/v1/patients/{pid}/courses", f"/api/v1/courses/{charted.session.course_id}",
                 f"/api/v1/sessions/{charted.session.pk}"):
        assert client.get(path, **auth(token_b)).status_code == 404, path
    for path in ("/api/v1/patients", "/api/v1/alerts", "/api/v1/ledger/entries"):
        assert client.get(path, **auth(token_b)).json() == {"count": 0, "items": []}, path
