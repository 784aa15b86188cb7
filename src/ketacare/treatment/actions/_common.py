"""Pieces every treatment action module shares: core errors as form errors, the
session-day audit entry, the open-session check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts import cosign
from ketacare.accounts.permissions import Perm
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


class AlreadyDone(ValidationError):
    """The step was done meanwhile (a double click, a colleague on another tablet): the
    page says so and shows the result; never a server error."""


def _locked(session: Session) -> Session:
    """The session row, locked until the caller's transaction ends: concurrent steps on
    one session run one after the other, and each sees what the one before did."""
    return Session.objects.select_for_update().select_related("course__patient__clinic").get(
        pk=session.pk)


def _claim(session: Session, done: Callable[[Session], str | None]) -> Session:
    """The session row locked for one step (`_locked`): `AlreadyDone` with `done`'s
    message when the step was done meanwhile, then the open-session check (`_open`)."""
    session = _locked(session)
    message = done(session)
    if message is not None:
        raise AlreadyDone(message)
    _open(session)
    return session


def _clock(staff: Staff, moment: Any) -> str:
    """HH:MM in the clinic's zone, for messages."""
    return f"{timezone.localtime(moment, staff.clinic.zone):%H:%M}"


def _approver(staff: Staff, cosigned: object, purpose: cosign.Purpose, *, field: str,
              message: str) -> tuple[User, cosign.Cosignature | None]:
    """Who approves a prescriber's step: the signed-in prescriber, or a prescriber who
    co-signs on this device. Nobody else, by any route."""
    if staff.can(Perm.SIGN_ORDERS):
        return staff.user, None
    signature = cosign.require(staff, cosigned, purpose, field_name=field, message=message)
    return signature.user, signature
