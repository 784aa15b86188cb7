"""Is every stored consent the one that was signed? For each: the PDF's bytes hash to the
stored SHA-256; rendering the record again gives the same bytes (so neither the PDF nor the
fields it was made from changed); the audit entry written at signing names the same hash
(so rewriting both the PDF and its hash column is caught too); the document text still
matches its hash."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ketacare.audit.models import AuditEvent

from . import pdf
from .models import Consent, sha256


@dataclass(frozen=True)
class Problem:
    consent_id: int
    reason: str


def problems_of(consent: Consent, audited_hash: str | None) -> list[str]:
    out = []
    stored = bytes(consent.pdf)
    if sha256(stored) != consent.pdf_sha256:
        out.append("the stored PDF does not match its SHA-256")
    if pdf.render(consent) != stored:
        out.append("the PDF rendered from the record differs from the stored PDF")
    if audited_hash is None:
        out.append("no audit entry records its signing")
    elif audited_hash != consent.pdf_sha256:
        out.append("its SHA-256 differs from the one in the audit trail")
    if not consent.document.text_intact or consent.document.text_sha256 != \
            consent.document_sha256:
        out.append("the document text does not match the version that was signed")
    return out


def verify(consents: Iterable[Consent]) -> tuple[int, list[Problem]]:
    rows = list(consents)
    audited = {
        e.object_id: str(e.detail.get("pdf_sha256", ""))
        for e in AuditEvent.objects.filter(object_type="consent",
                                           object_id__in=[str(c.pk) for c in rows])
        if e.detail.get("step") == "consent_sign"
    }
    problems = [Problem(c.pk, reason) for c in rows
                for reason in problems_of(c, audited.get(str(c.pk)))]
    return len(rows), problems


def all_consents() -> Iterable[Consent]:
    return Consent.objects.select_related("patient__clinic", "document", "recorded_by",
                                          "witness").order_by("id").iterator(chunk_size=200)
