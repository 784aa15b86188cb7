"""Pieces every treatment action module shares: core errors as form errors, the
session-day audit entry, the open-session check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.models import Membership
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action

from ..models import (
    Session,
    SessionStatus,
)

# MOAA/S, Modified Observer's Assessment of Alertness/Sedation: 5 (responds readily to
# name) to 0 (no response to trapezius squeeze); the sedation scale of the esketamine
# trials [check].
MOAAS_RANGE = (0, 5)


def _core_error(exc: Exception) -> ValidationError:
    """A clinical-core error (field + message) as a form-friendly ValidationError."""
    field = getattr(exc, "field", None)
    message = getattr(exc, "message", None) or str(exc)
    return ValidationError({field: message}) if field else ValidationError(str(exc))


def _audit(staff: Staff, action: Action, session: Session, obj: Any,
           request: HttpRequest | None, detail: dict[str, Any] | None = None) -> None:
    """A session-day step on the patient's record, in the audit log (field names and
    codes only, never values the patient gave)."""
    record_patient(staff, action, session.course.patient_id, obj, request=request,
                   detail=detail)


def _open(session: Session) -> None:
    if session.locked:
        raise ValidationError("This session is signed and locked; add an amendment instead.")
    if session.status in (SessionStatus.MISSED, SessionStatus.CANCELLED):
        raise ValidationError(f"This session is {session.get_status_display().lower()}.")


def _minute(session: Session) -> int | None:
    dose = getattr(session, "dose", None)
    if dose is None:
        return None
    return int((timezone.now() - dose.started_at).total_seconds() // 60)


def _member(staff: Staff, user: User | None) -> bool:
    return (
        user is not None
        and Membership.objects.filter(user=user, clinic=staff.clinic, active=True).exists()
    )
