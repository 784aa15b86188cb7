"""Consent, education, intake and aftercare pages: who may do what (clinic B sees nothing
of clinic A), the tablet form posting a drawn signature, the public education pages and
their PDF, the thank-you page's link, the chart's consent list, and FHIR Consent."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models.consent import Consent as FhirConsent
from pypdf import PdfReader

from ketacare.audit.models import AuditEvent
from ketacare.consent import actions as consent
from ketacare.consent.models import Consent, ConsentDocument, EducationParagraph
from ketacare.consent.shipped import DOCUMENTS
from ketacare.interop.auth import create_token

from .conftest import data_url, sign_for, signature_png

pytestmark = pytest.mark.django_db


def _sign_url(patient) -> str:
    return f"/consent/patient/{patient.pk}/sign/iv/"


@pytest.mark.parametrize(("persona", "page", "post"), [
    ("nurse_a", 200, 302),
    ("prescriber_a", 200, 302),
    ("analyst_a", 403, 403),
    ("prescriber_b", 404, 404),
])
def test_sign_page_access_and_post(client, request, eligible_patient, clinic_a, persona, page,
                                   post) -> None:
    client.force_login(request.getfixturevalue(persona))
    consent.ensure_documents(clinic_a)
    assert client.get(_sign_url(eligible_patient)).status_code == page
    document = consent.document_for_route(clinic_a, "iv")
    response = client.post(_sign_url(eligible_patient), {
        "document": document.pk, "signature": data_url(signature_png()),
        "typed_name": "Jordan Rivera", "signed_on": clinic_a.today().isoformat(),
        "witnessed": "on"})
    assert response.status_code == post
    assert Consent.objects.filter(patient=eligible_patient).exists() == (post == 302)


def test_no_page_installs_documents_on_a_get_the_admin_installs_them(
        client, nurse_a, admin_a, eligible_patient, clinic_a) -> None:
    """A clinic made outside `ketacare setup` and the demo has no documents: reading the
    consent pages writes nothing, the sign page says where they are installed, a nurse
    cannot install them, and the admin's button does, audited."""
    client.force_login(nurse_a)
    for url in (_sign_url(eligible_patient), f"/consent/patient/{eligible_patient.pk}/",
                "/consent/documents/"):
        client.get(url)
    assert not ConsentDocument.objects.filter(clinic=clinic_a).exists()
    response = client.get(_sign_url(eligible_patient), follow=True)
    assert "installs the consent documents at /consent/documents/" in \
        response.content.decode()
    assert "A clinic admin installs them on this page." in \
        client.get("/consent/documents/").content.decode()
    assert client.post("/consent/documents/", {"install": "1"}).status_code == 403
    assert not ConsentDocument.objects.filter(clinic=clinic_a).exists()
    client.force_login(admin_a)
    assert "Install the shipped consent documents" in \
        client.get("/consent/documents/").content.decode()
    response = client.post("/consent/documents/", {"install": "1"}, follow=True)
    shipped = len(DOCUMENTS)
    assert f"Installed {shipped} shipped consent documents." in response.content.decode()
    assert ConsentDocument.objects.filter(clinic=clinic_a).count() == shipped
    entry = AuditEvent.objects.filter(object_type="consent_documents").get()
    assert entry.detail == {"installed": shipped} and entry.username == admin_a.username
    assert "documents-missing" not in client.get("/consent/documents/").content.decode()


def test_sign_form_errors_name_the_fields(client, nurse_a, eligible_patient, clinic_a) -> None:
    client.force_login(nurse_a)
    consent.ensure_documents(clinic_a)
    response = client.post(_sign_url(eligible_patient), {
        "document": consent.document_for_route(clinic_a, "iv").pk, "signature": "",
        "typed_name": "Jordan Rivera", "signed_on": clinic_a.today().isoformat()})
    assert response.status_code == 422
    assert "Please sign in the box" in response.content.decode()
    response = client.post(_sign_url(eligible_patient), {
        "document": consent.document_for_route(clinic_a, "iv").pk,
        "signature": data_url(signature_png()), "typed_name": "", "signed_on": "2001-01-01"})
    body = response.content.decode()
    assert "The patient types their full name." in body and "The date must be today" in body
    assert "requires a staff witness" in body


def test_pdf_download_is_audited_and_scoped(client, nurse, nurse_a, prescriber_b,
                                            eligible_patient) -> None:
    c = sign_for(nurse, eligible_patient)
    client.force_login(nurse_a)
    response = client.get(f"/consent/{c.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == c.pdf_sha256
    assert AuditEvent.objects.filter(action="view", object_type="consent",
                                     object_id=str(c.pk)).exists()
    client.force_login(prescriber_b)
    assert client.get(f"/consent/{c.pk}/pdf").status_code == 404
    assert client.post(f"/consent/{c.pk}/withdraw", {"reason": "x"}).status_code == 404


def test_chart_lists_consents(client, nurse, nurse_a, eligible_patient, iv_course) -> None:
    consent.ensure_documents(eligible_patient.clinic)
    client.force_login(nurse_a)
    body = client.get(f"/patients/{eligible_patient.pk}/").content.decode()
    assert "No signed consent for IV racemic ketamine infusion" in body
    c = sign_for(nurse, eligible_patient)
    body = client.get(f"/patients/{eligible_patient.pk}/").content.decode()
    assert "Consent current" in body and f"/consent/{c.pk}/pdf" in body


def test_withdraw_through_the_page(client, nurse, nurse_a, eligible_patient, iv_course) -> None:
    c = sign_for(nurse, eligible_patient)
    client.force_login(nurse_a)
    response = client.post(f"/consent/{c.pk}/withdraw", {"reason": "changed her mind"},
                           follow=True)
    assert "Consent withdrawn" in response.content.decode()
    c.refresh_from_db()
    assert c.withdrawn and c.withdrawn_by == nurse_a


def test_documents_page_publishes_for_admins_only(client, admin_a, nurse_a, clinic_a) -> None:
    client.force_login(nurse_a)
    assert "Publish a new version" not in client.get("/consent/documents/").content.decode()
    assert client.post("/consent/documents/", {"kind": "ketamine_offlabel"}).status_code == 403
    client.force_login(admin_a)
    consent.ensure_documents(clinic_a)
    current = consent.current_document(clinic_a, "ketamine_offlabel")
    response = client.post("/consent/documents/", {
        "kind": "ketamine_offlabel", "title": current.title, "body": current.body + " Also.",
        "change_note": "", "material": "on"})
    assert response.status_code == 422 and "Say what changed" in response.content.decode()
    client.post("/consent/documents/", {
        "kind": "ketamine_offlabel", "title": current.title, "body": current.body + " Also.",
        "change_note": "clarified", "material": "on", "requires_witness": "on"})
    assert consent.current_document(clinic_a, "ketamine_offlabel").version == 2


def test_education_pages_are_public_with_timeline_sources_and_pdf(client, admin_a,
                                                                  clinic_a) -> None:
    body = client.get(f"/learn/{clinic_a.pk}/iv/").content.decode()
    assert "What the studies show" in body and "McInnes 2022" in body
    assert "Minute 70" in body  # 40 min infusion + 30 min observation (IV protocol)
    assert "988" in body
    esk = client.get(f"/learn/{clinic_a.pk}/esketamine_nasal/").content.decode()
    assert "Do not eat for 2 hours" in esk and "Minute 120" in esk
    client.force_login(admin_a)
    client.post("/consent/documents/paragraph/iv/", {"text": "Park in the back lot."})
    client.logout()
    assert EducationParagraph.objects.filter(clinic=clinic_a, route="iv").exists()
    assert "Park in the back lot." in client.get(f"/learn/{clinic_a.pk}/iv/").content.decode()
    pdf = client.get(f"/learn/{clinic_a.pk}/iv/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Your visit, step by step" in text and "Park in the back lot." in text
    assert client.get(f"/learn/{clinic_a.pk}/nope/").status_code == 404
    assert client.get("/learn/999999/iv/").status_code == 404


def test_fhir_consent_is_scoped_and_valid_r4(client, nurse, eligible_patient, clinic_a,
                                             prescriber_a, clinic_b, prescriber_b) -> None:
    c = sign_for(nurse, eligible_patient)
    token = create_token(prescriber_a, clinic_a, "t")[1]
    response = client.get(f"/fhir/Consent/{c.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    resource = response.json()
    FhirConsent(resource)  # fhirclient's R4 model and fhir.resources' R4B model accept it
    get_fhir_model_class("Consent").model_validate(resource)
    assert resource["status"] == "active" and resource["scope"]["coding"][0]["code"] == \
        "treatment"
    attachment = resource["sourceAttachment"]
    assert attachment["hash"] == base64.b64encode(
        hashlib.sha1(bytes(c.pdf), usedforsecurity=False).digest()).decode()
    assert attachment["extension"][0]["valueString"] == c.pdf_sha256
    bundle = client.get(f"/fhir/Consent?patient={eligible_patient.pk}",
                        HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert bundle["total"] == 1
    other = create_token(prescriber_b, clinic_b, "b")[1]
    assert client.get(f"/fhir/Consent/{c.pk}",
                      HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404
    consent.withdraw(nurse, c, reason="stop")
    again = client.get(f"/fhir/Consent/{c.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert again["status"] == "inactive"
    assert "Consent" in {r["type"] for r in client.get(
        "/fhir/metadata").json()["rest"][0]["resource"]}


def test_every_questionnaire_thank_you_page_links_the_education_pages(client, nurse,
                                                                       eligible_patient,
                                                                       clinic_a) -> None:
    from ketacare.selfreport import actions as selfreport

    token = selfreport.start_kiosk(nurse, eligible_patient, "gad7")
    response = client.post(f"/r/{token}/submit", {f"item_{n}": "1" for n in range(1, 8)})
    assert response.status_code == 200
    assert f'href="/learn/{clinic_a.pk}/"' in response.content.decode()
    assert client.get(f"/learn/{clinic_a.pk}/").status_code == 200


def test_read_only_pages_refuse_post(client, nurse, nurse_a, eligible_patient) -> None:
    """Penetration test: the consent list, the consent PDF and the aftercare sheet answered a
    POST like a GET. A read is a GET; anything else is 405 and changes nothing."""
    c = sign_for(nurse, eligible_patient)
    client.force_login(nurse_a)
    for url in (f"/consent/patient/{eligible_patient.pk}/", f"/consent/{c.pk}/pdf",
                "/consent/session/1/aftercare/"):
        assert client.post(url).status_code == 405, url
    assert client.get(f"/consent/{c.pk}/pdf").status_code == 200
