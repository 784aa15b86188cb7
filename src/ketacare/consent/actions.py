"""Consent actions: install the shipped documents, publish a new version, sign, withdraw;
and the dose gate. Each validates, checks the permission, writes in one transaction and
audits (field names and hashes only, never what the patient wrote)."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record, record_patient
from ketacare.audit.models import Action
from ketacare.clinical.eligibility import ROUTES
from ketacare.patients.models import Patient
from ketacare.selfreport.actions import PATIENT_LINK

from . import links, pdf, shipped
from .models import Consent, ConsentDocument, PatientLink, Purpose, sha256

MAX_SIGNATURE_BYTES = 300_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- documents -------------------------------------------------------------------------


def ensure_documents(clinic: Clinic) -> int:
    """The shipped documents the clinic lacks become its version 1; how many were added."""
    added = 0
    for doc in shipped.DOCUMENTS.values():
        if not ConsentDocument.objects.filter(clinic=clinic, kind=doc.kind).exists():
            ConsentDocument.objects.create(
                clinic=clinic, kind=doc.kind, version=1, title=doc.title, body=doc.body,
                routes=sorted(doc.routes), requires_witness=doc.requires_witness,
                material=True, based_on=f"{doc.kind}@{doc.version}",
                text_sha256=ConsentDocument.text_hash(doc.title, doc.body))
            added += 1
    return added


@transaction.atomic
def install_documents(staff: Staff, *, request: HttpRequest | None = None) -> int:
    """The documents page's button (admins): the shipped documents a clinic lacks become its
    version 1. A clinic made by `ketacare setup` or the demo has them already; no page
    installs them on a GET."""
    staff.require(Perm.MANAGE_CLINIC)
    installed = ensure_documents(staff.clinic)
    if installed:
        record(Action.CREATE, request=request, user=staff.user, clinic_id=staff.clinic.pk,
               object_type="consent_documents", object_id=str(staff.clinic.pk),
               detail={"installed": installed})
    return installed


def current_document(clinic: Clinic, kind: str) -> ConsentDocument | None:
    return ConsentDocument.objects.filter(clinic=clinic, kind=kind).order_by("-version").first()


def document_for_route(clinic: Clinic, route: str) -> ConsentDocument | None:
    return current_document(clinic, shipped.kind_for_route(route))


@transaction.atomic
def publish_version(staff: Staff, kind: str, *, title: str, body: str, material: bool,
                    requires_witness: bool, change_note: str,
                    request: HttpRequest | None = None) -> ConsentDocument:
    """A new version of a clinic's document (admins). Older versions stay, with the
    consents signed on them."""
    staff.require(Perm.MANAGE_CLINIC)
    ensure_documents(staff.clinic)
    previous = current_document(staff.clinic, kind)
    if previous is None:
        raise ValidationError({"kind": "Unknown consent document."})
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the document a title."
    if len(body.strip()) < 200:
        errors["body"] = "The consent text is too short (at least 200 characters)."
    if not change_note.strip():
        errors["change_note"] = "Say what changed in this version."
    if not errors and previous.title == title.strip() and previous.body == body.strip():
        errors["body"] = "The text is the same as the current version."
    if errors:
        raise ValidationError(errors)
    document = ConsentDocument.objects.create(
        clinic=staff.clinic, kind=kind, version=previous.version + 1, title=title.strip(),
        body=body.strip(), routes=previous.routes, requires_witness=requires_witness,
        material=material, change_note=change_note.strip()[:300], based_on=previous.based_on,
        text_sha256=ConsentDocument.text_hash(title.strip(), body.strip()),
        created_by=staff.user)
    record(Action.CREATE, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, obj=document,
           detail={"kind": kind, "version": document.version, "material": material,
                   "text_sha256": document.text_sha256})
    return document


# --- status ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Where a patient stands for one route: `ok` when dosing may go ahead."""

    route: str
    document: ConsentDocument | None
    consent: Consent | None
    problem: str  # "" | "no_document" | "missing" | "withdrawn" | "outdated" | "altered"

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def message(self) -> str:
        label = ROUTES.get(self.route, self.route)
        if self.problem == "no_document":
            return (f"This clinic has no consent document for {label} installed, so no "
                    "consent can be taken or checked: a clinic admin installs the consent "
                    f"documents at {reverse('consent-documents')} before anyone is dosed.")
        if self.problem == "missing":
            return f"No signed consent for {label}."
        if self.problem == "withdrawn" and self.consent and self.consent.withdrawn_at:
            return (f"The patient withdrew consent for {label} on "
                    f"{timezone.localtime(self.consent.withdrawn_at):%Y-%m-%d}.")
        if self.problem == "outdated" and self.document:
            return (f"The consent for {label} was signed on version "
                    f"{self.consent.document_version if self.consent else '?'}; version "
                    f"{self.document.version} changed materially and needs a new signature.")
        if self.problem == "altered":
            return "The stored consent does not match its hash: ask an admin to check it."
        return ""


def status_for(patient: Patient, route: str) -> Status:
    """The newest consent of the patient on the route's document, and whether it is
    current (two reads: the document's versions and the newest consent on it)."""
    kind = shipped.kind_for_route(route)
    versions = list(ConsentDocument.objects.filter(clinic=patient.clinic, kind=kind))
    newest = (Consent.objects.filter(patient=patient, document__kind=kind)
              .select_related("document").order_by("-signed_at", "-id")[:1])
    return status_from(route, versions, list(newest))


def newest_document(documents: Iterable[ConsentDocument], kind: str) -> ConsentDocument | None:
    """The current version of `kind` among `documents` (the clinic's, any kinds)."""
    return max((d for d in documents if d.kind == kind), key=lambda d: d.version, default=None)


def status_from(route: str, documents: Sequence[ConsentDocument],
                consents: Sequence[Consent]) -> Status:
    """The consent rule, on rows already read: `documents` holds the clinic's versions
    (any kinds), `consents` the patient's, newest first (any kinds, with their document).
    A clinic without a consent document for the route cannot dose on it: the safe
    reading of "nothing to check" is "no consent" (every clinic made by `ketacare setup` or
    the demo has the documents; one made any other way must install them first)."""
    kind = shipped.kind_for_route(route)
    document = newest_document(documents, kind)
    if document is None:
        return Status(route, None, None, "no_document")
    consent = next((c for c in consents if c.document.kind == kind), None)
    if consent is None:
        return Status(route, document, None, "missing")
    if consent.withdrawn:
        return Status(route, document, consent, "withdrawn")
    if any(d.kind == kind and d.material and d.version > consent.document_version
           for d in documents):
        return Status(route, document, consent, "outdated")
    if sha256(bytes(consent.pdf)) != consent.pdf_sha256:
        return Status(route, document, consent, "altered")
    return Status(route, document, consent, "")


def sign_url(patient: Patient, route: str) -> str:
    return reverse("consent-sign", args=[patient.pk, route])


def consent_refusal(session: Any, today: date | None = None) -> str | None:
    """The dose gate consent registers in treatment.hooks: no dose without a current
    consent for the course's route. The reason, with where to take consent, or None."""
    course = session.course
    status = status_for(course.patient, course.protocol().route)
    if status.problem == "no_document":
        return status.message
    if not status.ok:
        return (f"{status.message} Dosing needs the patient's current signed consent: take "
                f"it at {sign_url(course.patient, status.route)}")
    return None


# --- signing ---------------------------------------------------------------------------


def signature_from_data_url(value: str) -> bytes:
    """The PNG a signature pad sent as a data URL; refuses anything else or an empty pad."""
    prefix = "data:image/png;base64,"
    if not value.startswith(prefix):
        raise ValidationError({"signature": "Please sign in the box."})
    try:
        png = base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": "The signature could not be read; sign again."}) \
            from None
    if len(png) > MAX_SIGNATURE_BYTES or not png.startswith(PNG_MAGIC):
        raise ValidationError({"signature": "The signature could not be read; sign again."})
    from PIL import Image, UnidentifiedImageError  # only signing needs it: not at start-up

    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (UnidentifiedImageError, OSError):
        raise ValidationError({"signature": "The signature could not be read; sign again."}) \
            from None
    alpha = image.convert("RGBA").getchannel("A")
    box = alpha.getbbox()
    # A few stray dots are not a signature: ask for strokes spanning some width.
    if box is None or box[2] - box[0] < 20:
        raise ValidationError({"signature": "The signature box is empty: please sign with "
                                            "a finger or stylus."})
    return png


def _signature_errors(clinic: Clinic, document: ConsentDocument, typed_name: str,
                      signed_on: date | None) -> dict[str, str]:
    """What every signature needs, on the tablet or through the patient's link."""
    current = current_document(clinic, document.kind)
    errors: dict[str, str] = {}
    if current is None or current.pk != document.pk:
        errors["document"] = ("A newer version of this document was published; reload the "
                              "page to sign the current one.")
    if not document.text_intact:
        errors["document"] = "The document text does not match its hash; it cannot be signed."
    if len(typed_name.strip()) < 2:
        errors["typed_name"] = "The patient types their full name."
    today = clinic.today()
    if signed_on is None:
        errors["signed_on"] = "The patient writes today's date."
    elif signed_on != today:
        errors["signed_on"] = f"The date must be today ({today:%Y-%m-%d})."
    return errors


def _store(patient: Patient, document: ConsentDocument, *, typed_name: str, signed_on: date,
           signature_png: bytes, channel: str, recorded_by: Any, witness: Any) -> Consent:
    """The consent row, its PDF rendered once and the PDF's SHA-256."""
    consent = Consent.objects.create(
        patient=patient, document=document, document_version=document.version,
        document_sha256=document.text_sha256, typed_name=typed_name.strip()[:200],
        signed_on=signed_on, signature_png=signature_png,
        signed_at=timezone.now().replace(microsecond=0), channel=channel,
        recorded_by=recorded_by, witness=witness, pdf=b"", pdf_sha256="")
    consent.pdf = pdf.render(consent)
    consent.pdf_sha256 = sha256(consent.pdf)
    consent.save(update_fields=["pdf", "pdf_sha256"])
    return consent


def _signed_detail(consent: Consent, **more: Any) -> dict[str, Any]:
    document = consent.document
    return {"step": "consent_sign", "kind": document.kind, "version": document.version,
            "document_sha256": document.text_sha256, "pdf_sha256": consent.pdf_sha256,
            "witness": bool(consent.witness_id), "channel": consent.channel, **more}


@transaction.atomic
def sign(staff: Staff, patient: Patient, document: ConsentDocument, *, typed_name: str,
         signed_on: date | None, signature_png: bytes, witnessed: bool,
         request: HttpRequest | None = None) -> Consent:
    """Record the patient's signature on the current version (on the clinic's tablet),
    render the PDF once and keep it with its SHA-256."""
    staff.require(Perm.EDIT_PATIENT)
    staff.require_own(patient.clinic_id)
    if document.clinic_id != staff.clinic.pk:
        raise ValidationError({"document": "This document is not in your active clinic."})
    errors = _signature_errors(staff.clinic, document, typed_name, signed_on)
    if document.requires_witness and not witnessed:
        errors["witnessed"] = "This clinic requires a staff witness: confirm you saw the " \
                              "patient sign."
    if errors:
        raise ValidationError(errors)
    assert signed_on is not None
    consent = _store(patient, document, typed_name=typed_name, signed_on=signed_on,
                     signature_png=signature_png, channel="tablet", recorded_by=staff.user,
                     witness=staff.user if document.requires_witness else None)
    record_patient(staff, Action.CREATE, patient.pk, consent, request=request,
                   detail=_signed_detail(consent))
    return consent


# --- signing through the patient's own link ----------------------------------------------


def _remote_problem(clinic: Clinic, route: str) -> tuple[ConsentDocument | None, str]:
    """The document a link on `route` would be signed on, or why it cannot be."""
    document = document_for_route(clinic, route)
    label = ROUTES.get(route, route)
    if document is None:
        return None, Status(route, None, None, "no_document").message
    if document.requires_witness:
        return document, (f"{clinic.name}'s consent for {label} requires a staff witness, "
                          "who cannot see a signature made at home: take it on the tablet "
                          "in the clinic, or an admin publishes a version without the "
                          "witness requirement.")
    return document, ""


@transaction.atomic
def issue_link(staff: Staff, patient: Patient, route: str, *,
               request: HttpRequest | None = None) -> tuple[PatientLink, str]:
    """A secure link for the patient to read and sign the route's current consent
    document on their own device; the token is shown once."""
    staff.require(Perm.EDIT_PATIENT)
    staff.require_own(patient.clinic_id)
    if route not in ROUTES:
        raise ValidationError({"route": f"Unknown route {route!r}."})
    _, problem = _remote_problem(staff.clinic, route)
    if problem:
        raise ValidationError({"route": problem})
    link, token = links.issue(patient, Purpose.CONSENT, created_by=staff.user, route=route)
    record_patient(staff, Action.CREATE, patient.pk, link, request=request,
                   detail={"step": "consent_link", "route": route})
    return link, token


def link_document(link: PatientLink) -> tuple[ConsentDocument | None, str]:
    """What the patient's link shows: the current document for its route, or why not."""
    return _remote_problem(link.clinic, link.route)


@transaction.atomic
def sign_through_link(link: PatientLink, document: ConsentDocument | None, *,
                      typed_name: str, signed_on: date | None, signature_png: bytes,
                      request: HttpRequest | None = None) -> Consent:
    """The patient signs through their link: the same checks, PDF, hash and audit as on
    the tablet; presented by the staff member who sent the link; the link then closes."""
    link = PatientLink.objects.select_for_update().select_related("clinic", "patient").get(
        pk=link.pk)
    if link.purpose != Purpose.CONSENT or link.submitted_at is not None or link.expired:
        raise ValidationError("This link can no longer be used to sign.")
    current, problem = _remote_problem(link.clinic, link.route)
    if problem or current is None:
        raise ValidationError({"document": problem})
    if document is None or document.clinic_id != link.clinic_id:
        document = current
    errors = _signature_errors(link.clinic, document, typed_name, signed_on)
    if errors:
        raise ValidationError(errors)
    assert signed_on is not None
    consent = _store(link.patient, document, typed_name=typed_name, signed_on=signed_on,
                     signature_png=signature_png, channel="link",
                     recorded_by=link.created_by, witness=None)
    link.submitted_at = timezone.now()
    link.save(update_fields=["submitted_at"])
    record(Action.CREATE, request=request, user=None, username=PATIENT_LINK, role="patient",
           clinic_id=link.clinic_id, patient_id=link.patient_id, obj=consent,
           detail=_signed_detail(consent, link=link.pk))
    return consent


@transaction.atomic
def withdraw(staff: Staff, consent: Consent, *, reason: str,
             request: HttpRequest | None = None) -> Consent:
    """The patient withdraws: recorded on the consent, which then stops future doses."""
    staff.require(Perm.EDIT_PATIENT)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    staff.require_own(consent.patient.clinic_id)
    if consent.withdrawn:
        raise ValidationError("This consent is already withdrawn.")
    if not reason.strip():
        raise ValidationError({"reason": "Record what the patient said (the reason)."})
    consent.withdrawn_at, consent.withdrawn_by = timezone.now(), staff.user
    consent.withdrawal_reason = reason.strip()[:300]
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record_patient(staff, Action.UPDATE, consent.patient_id, consent, request=request,
                   detail={"step": "consent_withdraw"})
    return consent
