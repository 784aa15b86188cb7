"""Discharge, signature and amendments of a signed session."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.models import Action
from ketacare.clinical import safety

from ..models import (
    Amendment,
    CourseStatus,
    RatingKind,
    Session,
    SessionStatus,
    VitalsPhase,
    jsonable,
)
from ._common import _audit, _open


def discharge_status(
    session: Session,
    *,
    dissociation_resolved: bool | None = None,
    escort_present: bool | None = None,
) -> safety.DischargeDecision:
    """What discharge still waits for, from what the session has recorded."""
    protocol = session.course.protocol()
    patient = session.course.patient
    last = session.vitals.filter(phase=VitalsPhase.MONITORING).last()
    vitals = (
        safety.Vitals(**{k: getattr(last, k) for k in ("sbp", "dbp", "hr", "spo2", "rr")})
        if last
        else safety.Vitals()
    )
    cadss = session.ratings.filter(kind=RatingKind.CADSS6).last()
    dose = getattr(session, "dose", None)
    started = None
    if dose is not None:
        started = (
            dose.stopped_at if protocol.observation_from == "end_of_infusion" else dose.started_at
        )
    if escort_present is None:
        escort_present = bool(session.checkin.get("escort_present"))
    return safety.discharge_check(
        protocol,
        vitals=vitals,
        age_years=patient.age_on(patient.clinic.today()),
        dissociation_resolved=dissociation_resolved,
        escort_present=escort_present,
        observation_started_at=started,
        now=timezone.now(),
        cadss6_total=cadss.total if cadss else None,
    )


@transaction.atomic
def discharge(
    staff: Staff,
    session: Session,
    *,
    dissociation_resolved: bool,
    escort_present: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> Session:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    if not hasattr(session, "dose"):
        raise ValidationError("No dose recorded: nothing to discharge from.")
    decision = discharge_status(
        session, dissociation_resolved=dissociation_resolved, escort_present=escort_present
    )
    if not decision.ready:
        raise ValidationError(
            "Not ready for discharge: " + "; ".join(u.message for u in decision.unmet)
        )
    session.discharged_at, session.discharged_by = timezone.now(), staff.user
    session.discharge = jsonable(
        {
            "dissociation_resolved": True,
            "escort_present": True,
            "note": note.strip(),
            "observed_min": round(decision.observed_min or 0),
        }
    )
    session.status = SessionStatus.DISCHARGED
    session.save()
    _audit(staff, Action.UPDATE, session, session, request, {"step": "discharge"})
    return session


@transaction.atomic
def sign(staff: Staff, session: Session, *, request: HttpRequest | None = None) -> Session:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    if session.discharged_at is None:
        raise ValidationError("Discharge the patient before signing the session.")
    session.signed_at, session.signed_by = timezone.now(), staff.user
    session.status = SessionStatus.SIGNED
    session.save(update_fields=["signed_at", "signed_by", "status"])
    course = session.course
    if not course.sessions.filter(
        status__in=[SessionStatus.PLANNED, SessionStatus.IN_PROGRESS, SessionStatus.DISCHARGED]
    ).exists():
        course.status = CourseStatus.COMPLETED
        course.save(update_fields=["status"])
    _audit(staff, Action.UPDATE, session, session, request, {"step": "sign"})
    return session


@transaction.atomic
def amend(
    staff: Staff, session: Session, text: str, reason: str, *, request: HttpRequest | None = None
) -> Amendment:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    if not session.locked:
        raise ValidationError("The session is not signed yet: edit it directly.")
    errors = {}
    if not text.strip():
        errors["text"] = "Say what is amended."
    if not reason.strip():
        errors["reason"] = "Give the reason for the amendment."
    if errors:
        raise ValidationError(errors)
    amendment = Amendment.objects.create(
        session=session, text=text.strip(), reason=reason.strip()[:300], author=staff.user
    )
    _audit(staff, Action.CREATE, session, amendment, request)
    return amendment
