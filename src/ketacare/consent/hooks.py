"""Consent's part of the other apps' work, registered from ConsentConfig.ready(): the
session day's dose gate (no dose without the patient's current signed consent) and, once
a discharge is committed, the aftercare sheet (treatment.hooks); a new clinic's consent
documents at `ketacare setup` (accounts.signals.clinic_created)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from ketacare.accounts.models import Clinic
from ketacare.accounts.signals import clinic_created
from ketacare.accounts.staff import Staff
from ketacare.treatment import hooks
from ketacare.treatment.models import Session

from .actions import consent_refusal, ensure_documents
from .aftercare import send_after_discharge


def after_discharge(staff: Staff, session: Session, request: HttpRequest | None) -> None:
    """Sent once the discharge is committed: a slow mail server never holds the session's
    transaction open, and a rolled-back discharge sends nothing."""
    transaction.on_commit(lambda: send_after_discharge(staff, session, request=request))


def _documents_for_new_clinic(sender: type[Clinic], clinic: Clinic, **kwargs: object) -> None:
    ensure_documents(clinic)


def register() -> None:
    hooks.add_dose_gate("consent", consent_refusal)
    hooks.add_after_discharge("aftercare", after_discharge)
    clinic_created.connect(_documents_for_new_clinic, dispatch_uid="consent-documents")
