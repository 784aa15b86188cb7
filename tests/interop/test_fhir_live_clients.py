"""Real FHIR clients against the running server: fhirpy (search with prefixes, _count,
_sort, paging, read, create) and fhirclient's R4 models (read, search)."""

from __future__ import annotations

import pytest
from fhirclient.models.observation import Observation as R4Observation
from fhirclient.models.patient import Patient as R4Patient
from fhirclient.models.questionnaire import Questionnaire as R4Questionnaire
from fhirclient.server import FHIRServer
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from .test_fhir_create_import import hl7_phq9
from .test_fhir_read_search import validate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.interop.urls")]


@pytest.fixture
def fhirpy(live_server, token_a) -> SyncFHIRClient:  # type: ignore[no-untyped-def]
    return SyncFHIRClient(f"{live_server.url}/fhir", authorization=f"Bearer {token_a}")


def test_fhirpy_search_read_create(fhirpy, charted) -> None:
    pid = str(charted.patient.pk)
    patient = fhirpy.reference("Patient", pid).to_resource()
    assert patient["name"][0]["family"] == "Rivera"
    validate(patient.serialize())

    observations = fhirpy.resources("Observation").search(patient=pid)
    assert observations.count() == 8
    page = observations.limit(3).sort("-date").fetch()
    assert len(page) == 3
    everything = observations.limit(3).sort("date").fetch_all()  # follows the next links
    assert len(everything) == 8 and len({o.id for o in everything}) == 8
    for resource in everything:
        validate(resource.serialize())

    year = charted.phq9.submitted_at.year
    assert len(fhirpy.resources("QuestionnaireResponse").search(date__ge=f"{year - 1}").fetch()) \
        == 2
    assert fhirpy.resources("QuestionnaireResponse").search(date__lt=f"{year - 1}").fetch() == []
    assert len(fhirpy.resources("Observation").search(
        code="http://loinc.org|44261-6", date__gt=f"{year - 1}-12-31",
        date__le=f"{year + 1}").fetch()) == 1
    doses = fhirpy.resources("MedicationAdministration").search(subject=f"Patient/{pid}").fetch()
    assert len(doses) == 1

    created = fhirpy.resource("QuestionnaireResponse",
                              **{k: v for k, v in hl7_phq9(pid, [1] * 9).items()
                                 if k != "resourceType"})
    created.save()
    assert created.id is not None
    again = fhirpy.reference("QuestionnaireResponse", created.id).to_resource()
    assert again["status"] == "completed"
    totals = fhirpy.resources("Observation").search(code="44261-6").sort("-date").fetch()
    # Newest first: ours from today (8), then the import authored 2026-01-15 (9).
    assert [t["valueInteger"] for t in totals] == [8, 9]

    with pytest.raises(ResourceNotFound):
        fhirpy.reference("Patient", "00000000-0000-0000-0000-000000000000").to_resource()
    with pytest.raises(OperationOutcome):
        fhirpy.resources("Observation").search(colour="blue").fetch()


def test_fhirclient_read_and_search(live_server, token_a, charted) -> None:
    server = FHIRServer(None, base_uri=f"{live_server.url}/fhir/")
    server.session.headers["Authorization"] = f"Bearer {token_a}"
    patient = R4Patient.read(str(charted.patient.pk), server)
    assert patient.name[0].family == "Rivera" and patient.birthDate.isostring == "1985-04-12"
    search = R4Observation.where(struct={"patient": str(charted.patient.pk),
                                         "code": "http://loinc.org|44261-6"})
    found = list(search.perform_resources_iter(server))
    assert [o.valueInteger for o in found] == [8]
    phq9 = R4Questionnaire.read("phq9", server)
    assert phq9.code[0].code == "44249-1" and len(phq9.item) == 10
