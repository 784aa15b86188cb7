"""Secret single-patient links for intake and aftercare, on the self-report link mechanism
(selfreport.tokens: 256-bit token, only its SHA-256 stored, nothing about the patient in
the URL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from ketacare.patients.models import Patient
from ketacare.selfreport import tokens
from ketacare.treatment.models import Session

from .models import PatientLink

LINK_DAYS = {"intake": 14, "aftercare": 14, "consent": 14}


def issue(patient: Patient, purpose: str, *, created_by: User | None,
          session: Session | None = None, route: str = "") -> tuple[PatientLink, str]:
    """A new link; returns it with its token (the only time the token exists)."""
    token, token_hash = tokens.new_token()
    link = PatientLink.objects.create(
        clinic=patient.clinic, patient=patient, purpose=purpose, session=session, route=route,
        token_hash=token_hash, created_by=created_by,
        expires_at=timezone.now() + timedelta(days=LINK_DAYS[purpose]))
    return link, token


def url(token: str) -> str:
    return f"{settings.KETACARE_BASE_URL.rstrip('/')}/p/{token}/"


@dataclass(frozen=True)
class Resolved:
    link: PatientLink | None
    problem: str = ""  # "" | "unknown" | "expired" | "used"


def resolve(token: str) -> Resolved:
    if not tokens.well_formed(token):
        return Resolved(None, "unknown")
    link = (PatientLink.objects.select_related("clinic", "patient", "session__course")
            .filter(token_hash=tokens.digest(token)).first())
    if link is None:
        return Resolved(None, "unknown")
    if link.expired:
        return Resolved(link, "expired")
    if link.submitted_at is not None:
        return Resolved(link, "used")
    return Resolved(link)
