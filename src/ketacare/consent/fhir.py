"""FHIR R4 `Consent`: each signed consent, with the signed PDF's SHA-256 in
sourceAttachment. Registered with the FHIR registry on import (ConsentConfig.ready), so
clinic scoping, search parameters, auth and audit are the FHIR facade's own."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from django.db.models import QuerySet
from django.urls import reverse

from ketacare.accounts.staff import Staff
from ketacare.interop.fhir.common import (
    KETACARE,
    LOCAL_CODES,
    coding,
    instant,
    meta,
    patient_ref,
)
from ketacare.interop.fhir.registry import (
    SUBJECT,
    Entry,
    Param,
    Resource,
    ResourceType,
    Source,
    register,
)

from .models import CONSENT_UPDATED, Consent

SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CATEGORY_LOINC = "http://loinc.org"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SHA256_EXTENSION = f"{KETACARE}/StructureDefinition/attachment-sha256"


def last_updated(c: Consent) -> datetime:
    return c.withdrawn_at or c.signed_at


def to_fhir(c: Consent) -> Resource:
    # R4 Attachment.hash is the base64 SHA-1 of the data; the SHA-256 the clinic keeps
    # (and `ketacare consent verify` checks) travels in an extension beside it.
    sha1 = base64.b64encode(hashlib.sha1(bytes(c.pdf), usedforsecurity=False).digest())
    return {
        "resourceType": "Consent",
        "id": str(c.pk),
        "meta": meta(last_updated(c)),
        # R4: a withdrawn consent is "inactive" (no longer in force), never deleted.
        "status": "inactive" if c.withdrawn else "active",
        "scope": {"coding": [coding(SCOPE, "treatment", "Treatment")]},
        "category": [
            {"coding": [coding(CATEGORY_LOINC, "59284-0", "Patient Consent")]},
            {"coding": [coding(f"{LOCAL_CODES}/consent-document", c.document.kind,
                               c.document.title)]},
        ],
        "patient": patient_ref(c.patient_id),
        "dateTime": instant(c.signed_at),
        "sourceAttachment": {
            "contentType": "application/pdf",
            "url": reverse("consent-pdf", args=[c.pk]),
            "hash": sha1.decode("ascii"),
            "title": f"{c.document.title}, version {c.document_version}",
            "extension": [{"url": SHA256_EXTENSION, "valueString": c.pdf_sha256}],
            "creation": instant(c.signed_at),
        },
        "policyRule": {"coding": [coding(ACT_REASON, "TREAT", "treatment")]},
    }


def consents_of(staff: Staff) -> QuerySet[Consent]:
    return Consent.objects.filter(patient__clinic=staff.clinic)


def entry(c: Consent) -> Entry:
    return Entry(str(c.pk), to_fhir(c), str(c.patient_id))


register(ResourceType(
    name="Consent",
    sources=(Source(rows=consents_of, build=entry, patient="patient_id", when="signed_at",
                    updated=lambda staff: CONSENT_UPDATED,
                    order=("signed_at", "pk"), related=("document",)),),
    params=SUBJECT + (Param("date", "date", "When the consent was signed; prefixes eq, lt, "
                            "le, gt, ge."),),
    sorts=frozenset({"_id", "_lastUpdated", "date"}),
    documentation="Signed treatment consents, with the signed PDF's SHA-256.",
))
