"""Session-day actions before and around the dose: check-in, vitals, ratings and
adverse events."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.models import Action
from ketacare.clinical import safety
from ketacare.clinical.instruments import InstrumentInputError
from ketacare.clinical.instruments import get as instrument

from ..induction_review import check_session_may_start
from ..models import (
    AdverseEvent,
    AlertKind,
    Rating,
    RatingKind,
    Session,
    SessionStatus,
    VitalSigns,
    VitalsPhase,
)
from ._common import MOAAS_RANGE, _audit, _core_error, _minute, _open
from .alerts import raise_alert


@transaction.atomic
def check_in(
    staff: Staff,
    session: Session,
    *,
    escort_present: bool,
    no_driving_ack: bool,
    npo_confirmed: bool | None,
    request: HttpRequest | None = None,
) -> Session:
    staff.require(Perm.RUN_SESSION)
    patient = session.course.patient
    staff.require_own(patient.clinic_id)
    _open(session)
    check_session_may_start(session)  # issue 14 item 8: end-of-induction decision
    protocol = session.course.protocol()
    errors: dict[str, str] = {}
    if protocol.npo_food_min and not npo_confirmed:
        errors["npo_confirmed"] = (
            f"Confirm no food for {protocol.npo_food_min // 60} h and no "
            f"liquids for {protocol.npo_liquids_min} min before dosing."
        )
    if not escort_present:
        errors["escort_present"] = "An escort must be present to take the patient home."
    if not no_driving_ack:
        errors["no_driving_ack"] = "The patient must agree not to drive until the next day."
    if errors:
        raise ValidationError(errors)
    session.checkin = {
        "escort_present": True,
        "no_driving_ack": True,
        "npo_confirmed": bool(npo_confirmed),
    }
    session.checked_in_at = timezone.now()
    session.checked_in_by = staff.user
    session.status = SessionStatus.IN_PROGRESS
    session.save()
    _audit(staff, Action.UPDATE, session, session, request, {"step": "check_in"})
    return session


@transaction.atomic
def record_vitals(
    staff: Staff,
    session: Session,
    *,
    sbp: int | None,
    dbp: int | None,
    hr: int | None,
    spo2: int | None,
    rr: int | None,
    request: HttpRequest | None = None,
) -> VitalSigns:
    """Pre-dose vitals until the dose is given (they decide the hold), monitoring after."""
    staff.require(Perm.RUN_SESSION)
    patient = session.course.patient
    staff.require_own(patient.clinic_id)
    _open(session)
    if session.checked_in_at is None:
        raise ValidationError("Check the patient in first.")
    protocol = session.course.protocol()
    predose = not hasattr(session, "dose")
    try:
        alerts = safety.vital_alerts(sbp, dbp, hr, spo2, rr, protocol.alerts)
        hold = (
            safety.predose_check(sbp, dbp, patient.age_on(staff.clinic.today()), protocol.hold)
            if predose and sbp is not None and dbp is not None
            else None
        )
    except safety.SafetyInputError as exc:
        raise _core_error(exc) from None
    if predose and (sbp is None or dbp is None):
        raise ValidationError({"sbp": "Pre-dose vitals need systolic and diastolic BP."})
    vitals = VitalSigns.objects.create(
        session=session,
        phase=VitalsPhase.PREDOSE if predose else VitalsPhase.MONITORING,
        taken_at=timezone.now(),
        minute=None if predose else _minute(session),
        sbp=sbp,
        dbp=dbp,
        hr=hr,
        spo2=spo2,
        rr=rr,
        alerts=[a.as_dict() for a in alerts],
        recorded_by=staff.user,
    )
    if alerts:
        raise_alert(staff, session, AlertKind.VITALS, ",".join(a.code for a in alerts),
                    "; ".join(a.message for a in alerts), request=request)
    if hold is not None and hold.hold and not session.hold:
        raise_alert(staff, session, AlertKind.HOLD, "hold",
                    "; ".join(hold.reasons), request=request)
    if hold is not None:
        # The newest pre-dose reading decides; an override stays with the hold it lifted.
        session.hold, session.hold_reasons = hold.hold, list(hold.reasons)
        if not hold.hold:
            session.override_reason, session.override_by, session.override_at = "", None, None
        session.save(
            update_fields=["hold", "hold_reasons", "override_reason", "override_by", "override_at"]
        )
    _audit(staff, Action.CREATE, session, vitals, request,
           {"phase": vitals.phase, "alerts": [a.code for a in alerts]})
    return vitals


@transaction.atomic
def record_rating(
    staff: Staff,
    session: Session,
    kind: str,
    values: list[int],
    *,
    request: HttpRequest | None = None,
) -> Rating:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    if not hasattr(session, "dose"):
        raise ValidationError("Ratings are taken after the dose.")
    if kind == RatingKind.CADSS6:
        try:
            total = instrument("cadss6").score(values).total
        except InstrumentInputError as exc:
            raise ValidationError(str(exc)) from None
    elif kind == RatingKind.MOAAS:
        low, high = MOAAS_RANGE
        if len(values) != 1 or not low <= values[0] <= high:
            raise ValidationError({"moaas": f"MOAA/S is one value from {low} to {high}."})
        total = values[0]
    else:
        raise ValidationError({"kind": "Unknown rating."})
    assert total is not None
    rating = Rating.objects.create(
        session=session,
        kind=kind,
        values=list(values),
        total=total,
        taken_at=timezone.now(),
        minute=_minute(session),
        recorded_by=staff.user,
    )
    _audit(staff, Action.CREATE, session, rating, request, {"kind": kind, "total": total})
    return rating


@transaction.atomic
def record_adverse_event(
    staff: Staff,
    session: Session,
    *,
    term: str,
    severity: str,
    serious: bool,
    action: str = "",
    outcome: str = "",
    request: HttpRequest | None = None,
) -> AdverseEvent:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    event = AdverseEvent(
        session=session,
        term=term.strip(),
        severity=severity,
        serious=serious,
        action=action.strip(),
        outcome=outcome.strip(),
        recorded_at=timezone.now(),
        recorded_by=staff.user,
    )
    event.full_clean()
    event.save()
    if serious:
        raise_alert(staff, session, AlertKind.SERIOUS_EVENT, "serious_event",
                    f"Serious adverse event: {event.term} ({event.get_severity_display()})",
                    request=request)
    _audit(staff, Action.CREATE, session, event, request,
           {"serious": serious, "severity": severity})
    return event
