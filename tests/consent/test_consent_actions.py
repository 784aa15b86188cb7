"""Informed consent: signing, the PDF and its hash, the dose gate, re-consent on a material
new version, withdrawal, tamper detection, clinic scoping."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent
from ketacare.consent import actions as consent
from ketacare.consent import check, pdf
from ketacare.consent.models import Consent
from ketacare.treatment import actions
from tests.conftest import cosigned
from tests.treatment.conftest import LOT

from .conftest import data_url, sign_for, signature_png

pytestmark = pytest.mark.django_db


def _ready_for_dose(nurse, session):
    actions.check_in(nurse, session, escort_present=True, no_driving_ack=True,
                     npo_confirmed=None)
    actions.record_vitals(nurse, session, sbp=124, dbp=80, hr=70, spo2=98, rr=14)
    session.refresh_from_db()


def _dose(nurse, session, stock, second):
    return actions.give_dose(nurse, session, mg_per_kg=0.5, stock_item=stock["vial"], lot=LOT,
                             expiry=stock["expiry"],
                             second_check_by=cosigned(nurse, second, "second_check"))


def test_no_dose_without_consent_then_dose_after_signing(nurse, prescriber, prescriber_a,
                                                         iv_course, stock) -> None:
    consent.ensure_documents(prescriber.clinic)
    session = iv_course.sessions.first()
    _ready_for_dose(nurse, session)
    with pytest.raises(ValidationError, match="No signed consent"):  # refused at preview too
        actions.preview_dose(nurse, session, mg_per_kg=0.5, stock_item=stock["vial"])
    with pytest.raises(ValidationError) as err:
        _dose(nurse, session, stock, prescriber_a)
    message = " ".join(err.value.messages)
    assert "No signed consent for IV racemic ketamine infusion" in message
    assert f"/consent/patient/{iv_course.patient_id}/sign/iv/" in message
    assert not hasattr(session, "dose")
    sign_for(nurse, iv_course.patient)
    dose = _dose(nurse, session, stock, prescriber_a)
    assert float(dose.dose_mg) == 40.0


def test_a_clinic_without_consent_documents_cannot_dose(nurse, prescriber, prescriber_a,
                                                      iv_course, stock) -> None:
    """A clinic made directly in the database (not by `ketacare setup` or the demo) has no
    consent documents: nothing can be checked, so nothing is dosed, and the refusal tells
    the admin what to do."""
    session = iv_course.sessions.first()
    _ready_for_dose(nurse, session)
    assert consent.status_for(iv_course.patient, "iv").problem == "no_document"
    with pytest.raises(ValidationError, match="no consent document for IV racemic ketamine"):
        actions.preview_dose(nurse, session, mg_per_kg=0.5, stock_item=stock["vial"])
    with pytest.raises(ValidationError) as err:
        _dose(nurse, session, stock, prescriber_a)
    assert "installs the consent documents at /consent/documents/" in \
        " ".join(err.value.messages)
    assert not hasattr(session, "dose")
    consent.ensure_documents(prescriber.clinic)  # what the documents page does
    sign_for(nurse, iv_course.patient)
    assert float(_dose(nurse, session, stock, prescriber_a).dose_mg) == 40.0


def test_signed_consent_pdf_hash_version_and_audit(nurse, eligible_patient) -> None:
    c = sign_for(nurse, eligible_patient)
    assert c.document_version == 1 and c.witness == nurse.user
    assert c.pdf_sha256 == consent.sha256(bytes(c.pdf))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(c.pdf))).pages)
    assert "Consent to ketamine treatment (off-label use)" in text
    assert "version 1" in text and "Jordan Rivera" in text and c.document_sha256 in text
    # The same record renders the same bytes: the stored PDF can be proven unchanged.
    assert pdf.render(Consent.objects.get(pk=c.pk)) == bytes(c.pdf)
    event = AuditEvent.objects.get(object_type="consent", object_id=str(c.pk))
    assert event.detail["pdf_sha256"] == c.pdf_sha256
    assert event.patient_id == eligible_patient.pk


def test_signing_refuses_missing_parts_naming_the_field(nurse, eligible_patient) -> None:
    with pytest.raises(ValidationError) as err:
        sign_for(nurse, eligible_patient, typed_name=" ", signed_on=None, witnessed=False)
    assert set(err.value.message_dict) == {"typed_name", "signed_on", "witnessed"}
    with pytest.raises(ValidationError) as err:
        consent.signature_from_data_url(data_url(signature_png(width=10)))
    assert "empty" in err.value.message_dict["signature"][0]
    with pytest.raises(ValidationError):
        consent.signature_from_data_url("data:image/png;base64,AAAA")
    assert consent.signature_from_data_url(data_url(signature_png())) == signature_png()
    assert not Consent.objects.exists()


def test_material_new_version_asks_for_reconsent(admin_a, clinic_a, nurse, eligible_patient,
                                                  iv_course) -> None:
    sign_for(nurse, eligible_patient)
    assert consent.status_for(eligible_patient, "iv").ok
    admin = staff_for(admin_a, clinic_a)
    current = consent.current_document(clinic_a, "ketamine_offlabel")
    consent.publish_version(admin, "ketamine_offlabel", title=current.title,
                            body=current.body + "\n\nTypo\nA wording fix.", material=False,
                            requires_witness=True, change_note="wording")
    assert consent.status_for(eligible_patient, "iv").ok  # not material: still current
    consent.publish_version(admin, "ketamine_offlabel", title=current.title,
                            body=current.body + "\n\nNew risk\nA new risk is described.",
                            material=True, requires_witness=True, change_note="new risk")
    status = consent.status_for(eligible_patient, "iv")
    assert status.problem == "outdated" and "version 3" in status.message
    again = sign_for(nurse, eligible_patient)
    assert again.document_version == 3 and consent.status_for(eligible_patient, "iv").ok


def test_only_admins_publish_and_old_versions_cannot_be_signed(nurse, clinic_a, admin_a,
                                                               eligible_patient) -> None:
    consent.ensure_documents(clinic_a)
    v1 = consent.current_document(clinic_a, "ketamine_offlabel")
    with pytest.raises(PermissionDenied):
        consent.publish_version(nurse, "ketamine_offlabel", title="x", body=v1.body + " x",
                                material=True, requires_witness=True, change_note="x")
    consent.publish_version(staff_for(admin_a, clinic_a), "ketamine_offlabel", title=v1.title,
                            body=v1.body + " More.", material=True, requires_witness=True,
                            change_note="more")
    with pytest.raises(ValidationError, match="newer version"):
        consent.sign(nurse, eligible_patient, v1, typed_name="Jordan Rivera",
                     signed_on=clinic_a.today(), signature_png=signature_png(), witnessed=True)


def test_withdrawal_stops_future_doses(nurse, eligible_patient, iv_course) -> None:
    c = sign_for(nurse, eligible_patient)
    with pytest.raises(ValidationError):
        consent.withdraw(nurse, c, reason=" ")
    consent.withdraw(nurse, c, reason="Patient no longer wishes treatment")
    status = consent.status_for(eligible_patient, "iv")
    assert status.problem == "withdrawn" and "withdrew consent" in status.message
    assert "withdrew consent" in (consent.consent_refusal(iv_course.sessions.first()) or "")
    c.refresh_from_db()
    assert c.pdf_sha256 == consent.sha256(bytes(c.pdf))  # the signed PDF stays as it was


def test_esketamine_uses_its_own_document_with_rems_enrollment(nurse, eligible_patient) -> None:
    sign_for(nurse, eligible_patient, route="iv")
    assert consent.status_for(eligible_patient, "esketamine_nasal").problem == "missing"
    c = sign_for(nurse, eligible_patient, route="esketamine_nasal")
    assert "Spravato REMS" in c.document.body and "enrolled" in c.document.body
    assert consent.status_for(eligible_patient, "esketamine_nasal").ok


def test_altering_a_stored_consent_is_detected(nurse, eligible_patient, capsys) -> None:
    c = sign_for(nurse, eligible_patient)
    assert check.verify(check.all_consents()) == (1, [])
    call_command("consent", "verify")
    assert "OK: 1 consents intact" in capsys.readouterr().out
    # Someone edits the typed name and rewrites both the PDF and its hash column.
    c.typed_name = "Somebody Else"
    forged = pdf.render(c)
    Consent.objects.filter(pk=c.pk).update(typed_name=c.typed_name, pdf=forged,
                                           pdf_sha256=consent.sha256(forged))
    checked, problems = check.verify(check.all_consents())
    assert [p.reason for p in problems] == [
        "its SHA-256 differs from the one in the audit trail"]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("consent", "verify")
    # Only the PDF bytes changed: the hash and the re-render both catch it, and the gate.
    Consent.objects.filter(pk=c.pk).update(pdf=bytes(c.pdf)[:-10] + b"0000000000")
    reasons = [p.reason for p in check.verify(check.all_consents())[1]]
    assert "the stored PDF does not match its SHA-256" in reasons
    assert "the PDF rendered from the record differs from the stored PDF" in reasons
    assert consent.status_for(eligible_patient, "iv").problem == "altered"


def test_clinic_b_cannot_sign_or_withdraw_clinic_a_consent(prescriber_b, clinic_b, nurse,
                                                          eligible_patient) -> None:
    c = sign_for(nurse, eligible_patient)
    other = staff_for(prescriber_b, clinic_b)
    with pytest.raises(ValidationError, match="not in your active clinic"):
        consent.withdraw(other, c, reason="x")
    consent.ensure_documents(clinic_b)
    with pytest.raises(ValidationError):
        consent.sign(other, eligible_patient, consent.document_for_route(clinic_b, "iv"),
                     typed_name="J R", signed_on=clinic_b.today(), signature_png=signature_png(),
                     witnessed=True)
