"""Consent signed through the patient's own secure link: the same checks, PDF, hash,
versioning and audit as on the tablet; only documents without a witness requirement; the
link works once and an expired or used one gets the neutral page with the crisis text."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent
from ketacare.consent import actions as consent
from ketacare.consent import check, shipped
from ketacare.consent.models import Consent, PatientLink

from .conftest import data_url, signature_png

pytestmark = pytest.mark.django_db


def no_witness_version(admin_staff) -> None:
    """The admin publishes the racemic document again without the witness requirement."""
    consent.ensure_documents(admin_staff.clinic)
    current = consent.current_document(admin_staff.clinic, shipped.RACEMIC_KIND)
    consent.publish_version(admin_staff, shipped.RACEMIC_KIND, title=current.title,
                            body=current.body + "\n\nYou may sign this form at home.",
                            material=False, requires_witness=False,
                            change_note="signing at home through the patient's link")


def _link(client, nurse_a, patient, route: str = "iv"):
    client.force_login(nurse_a)
    response = client.post(f"/consent/patient/{patient.pk}/link/{route}/")
    client.logout()
    return response


def _token(response) -> str:
    page = response.content.decode()
    url = page.split('data-testid="consent-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    return url.rstrip("/").rsplit("/", 1)[1]


def _sign(client, token: str, **overrides):
    document = PatientLink.objects.get(purpose="consent").clinic_id
    doc = consent.document_for_route(
        PatientLink.objects.get(purpose="consent").clinic, "iv")
    assert doc is not None and doc.clinic_id == document
    fields = {"document": doc.pk, "signature": data_url(signature_png()),
              "typed_name": "Jordan Rivera", "signed_on": doc.clinic.today().isoformat(),
              **overrides}
    return client.post(f"/p/{token}/consent", fields)


def test_patient_reads_and_signs_through_the_link(client, admin_a, nurse_a, clinic_a,
                                                   eligible_patient) -> None:
    no_witness_version(staff_for(admin_a, clinic_a))
    token = _token(_link(client, nurse_a, eligible_patient))
    page = client.get(f"/p/{token}/")
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    text = page.content.decode()
    assert "You may sign this form at home." in text and "version 2" in text
    assert "id=\"signature-pad\"" in text

    response = _sign(client, token, signature="", typed_name=" ", signed_on="2001-01-01")
    assert response.status_code == 422
    errors = response.content.decode()
    assert "Please sign in the box." in errors
    assert not Consent.objects.exists()
    response = _sign(client, token, typed_name=" ", signed_on="2001-01-01")
    assert response.status_code == 422
    assert "The patient types their full name" in response.content.decode()
    assert "The date must be today" in response.content.decode()

    response = _sign(client, token)
    assert response.status_code == 200 and "your consent is signed" in response.content.decode()
    signed = Consent.objects.get(patient=eligible_patient)
    assert (signed.channel, signed.document_version, signed.recorded_by, signed.witness) == (
        "link", 2, nurse_a, None)
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(signed.pdf))).pages)
    assert "own secure link" in " ".join(pdf_text.split())
    assert consent.status_for(eligible_patient, "iv").ok
    event = AuditEvent.objects.get(object_type="consent", object_id=str(signed.pk))
    assert (event.username, event.role, event.patient_id) == (
        "patient-link", "patient", eligible_patient.pk)
    assert event.detail["pdf_sha256"] == signed.pdf_sha256 and event.detail["channel"] == "link"
    assert check.verify([signed]) == (1, [])  # re-rendered byte-identical, audit matches

    # Used: the neutral page, on GET and on a second POST; nothing signed twice.
    for again in (client.get(f"/p/{token}/"), _sign(client, token)):
        assert again.status_code == 410 and "This link has been used" in again.content.decode()
        assert "988" in again.content.decode()
    assert Consent.objects.count() == 1


def test_a_document_that_needs_a_witness_is_not_sent(client, nurse_a, eligible_patient) -> None:
    consent.ensure_documents(eligible_patient.clinic)  # the shipped IV text needs a witness
    response = _link(client, nurse_a, eligible_patient)
    assert response.status_code == 302
    assert not PatientLink.objects.filter(purpose="consent").exists()
    with pytest.raises(ValidationError, match="requires a staff witness"):
        consent.issue_link(staff_for(nurse_a, eligible_patient.clinic), eligible_patient, "iv")


def test_expired_link_gets_the_neutral_page(client, admin_a, nurse_a, clinic_a,
                                            eligible_patient) -> None:
    no_witness_version(staff_for(admin_a, clinic_a))
    token = _token(_link(client, nurse_a, eligible_patient))
    PatientLink.objects.filter(purpose="consent").update(
        expires_at=timezone.now() - timedelta(minutes=1))
    for response in (client.get(f"/p/{token}/"), _sign(client, token)):
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
    assert not Consent.objects.exists()


def test_a_new_version_published_after_the_link_asks_to_sign_it(client, admin_a, nurse_a,
                                                                  clinic_a,
                                                                  eligible_patient) -> None:
    admin = staff_for(admin_a, clinic_a)
    no_witness_version(admin)
    token = _token(_link(client, nurse_a, eligible_patient))
    old = consent.document_for_route(clinic_a, "iv")
    current = consent.current_document(clinic_a, shipped.RACEMIC_KIND)
    consent.publish_version(admin, shipped.RACEMIC_KIND, title=current.title,
                            body=current.body + " Updated.", material=True,
                            requires_witness=False, change_note="wording")
    response = _sign(client, token, document=old.pk)
    assert response.status_code == 422 and "A newer version" in response.content.decode()
    assert "version 3" in response.content.decode()  # the page now shows the current one
    assert _sign(client, token).status_code == 200
    assert Consent.objects.get().document_version == 3


def test_link_creation_permissions_and_clinic_scope(client, admin_a, clinic_a, analyst_a,
                                                    prescriber_b, eligible_patient) -> None:
    no_witness_version(staff_for(admin_a, clinic_a))
    assert _link(client, analyst_a, eligible_patient).status_code == 403
    assert _link(client, prescriber_b, eligible_patient).status_code == 404
    assert not PatientLink.objects.filter(purpose="consent").exists()
