"""Discharge, signature and amendments of a signed session."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.models import Action
from ketacare.clinical import discharge as discharge_rules
from ketacare.clinical import safety

from .. import hooks
from ..models import (
    AlertKind,
    Amendment,
    CourseStatus,
    RatingKind,
    Session,
    SessionStatus,
    VitalsPhase,
    jsonable,
)
from ._common import _audit, _claim, _clock
from .alerts import raise_alert

SPO2_SETTING = "discharge_spo2_min"  # clinic setting; default: the protocol's SpO2 alert limit


def discharge_status(
    session: Session,
    *,
    dissociation_resolved: bool | None = None,
    escort_present: bool | None = None,
    sedation_judgement: str | None = None,
) -> discharge_rules.Checklist:
    """The discharge checklist from what the session has recorded."""
    protocol = session.course.protocol()
    patient = session.course.patient
    # All of the session's vitals and ratings, sifted here: one read of each, none when
    # the session page has them prefetched (`read.session_day`).
    readings = [v for v in session.vitals.all() if v.phase == VitalsPhase.MONITORING]
    last = readings[-1] if readings else None
    vitals = (
        safety.Vitals(**{k: getattr(last, k) for k in ("sbp", "dbp", "hr", "spo2", "rr")})
        if last
        else safety.Vitals()
    )
    ratings = list(session.ratings.all())  # oldest first (Meta.ordering)
    cadss = next((r for r in reversed(ratings) if r.kind == RatingKind.CADSS6), None)
    moaas = next((r for r in reversed(ratings) if r.kind == RatingKind.MOAAS), None)
    dose = getattr(session, "dose", None)
    started = None
    bp_minutes: list[int] = []  # minutes since dose start, as recorded with each reading
    if dose is not None:
        started = (
            dose.stopped_at if protocol.observation_from == "end_of_infusion" else dose.started_at
        )
        bp_minutes = [v.minute for v in readings
                      if v.minute is not None and v.sbp is not None and v.dbp is not None]
    if escort_present is None:
        escort_present = bool(session.checkin.get("escort_present"))
    spo2_min = patient.clinic.setting(SPO2_SETTING, None)
    return discharge_rules.check(
        protocol,
        vitals=vitals,
        age_years=patient.age_on(patient.clinic.today()),
        moaas=moaas.total if moaas else None,
        sedation_judgement=sedation_judgement,
        dissociation_resolved=dissociation_resolved,
        cadss6_total=cadss.total if cadss else None,
        escort_present=escort_present,
        observation_started_at=started,
        bp_minutes=bp_minutes,
        now=timezone.now(),
        spo2_min=int(spo2_min) if spo2_min is not None else None,
    )


def discharge(
    staff: Staff,
    session: Session,
    *,
    dissociation_resolved: bool,
    escort_present: bool,
    sedation_judgement: str = "",
    note: str = "",
    request: HttpRequest | None = None,
) -> Session:
    """Discharge when every criterion is met. A refusal after the patient was due to
    leave (observation time over, something still unmet) calls the prescriber: that
    alert is kept although the discharge is not."""
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    judgement = sedation_judgement.strip()[:300]
    if judgement and not staff.can(Perm.SIGN_ORDERS):
        raise ValidationError({"sedation_judgement": "Only a prescriber documents the "
                               "judgement that sedation has resolved."})
    with transaction.atomic():
        session = _claim(session, lambda s: None if s.discharged_at is None else (
            f"Already discharged by {s.discharged_by} at {_clock(staff, s.discharged_at)}."))
        if not hasattr(session, "dose"):
            raise ValidationError("No dose recorded: nothing to discharge from.")
        checklist = discharge_status(session, dissociation_resolved=dissociation_resolved,
                                     escort_present=escort_present,
                                     sedation_judgement=judgement)
        if checklist.ready:
            session.discharged_at, session.discharged_by = timezone.now(), staff.user
            session.discharge = jsonable({
                "dissociation_resolved": True,
                "escort_present": True,
                "sedation_judgement": judgement,
                "sedation_judged_by": str(staff.user) if judgement else "",
                "note": note.strip(),
                "observed_min": round(checklist.observed_min or 0),
                "checklist": [c.as_dict() for c in checklist.items],
            })
            session.status = SessionStatus.DISCHARGED
            session.save()
            _audit(staff, Action.UPDATE, session, session, request, {"step": "discharge"})
            hooks.after_discharge(staff, session, request)
            return session
    refused = ValidationError("Not ready for discharge: " + checklist.message())
    due = checklist.earliest_at
    if due is not None and timezone.now() >= due:
        with transaction.atomic():
            codes = ",".join(c.code for c in checklist.unmet)
            already = session.clinical_alerts.filter(kind=AlertKind.DISCHARGE, code=codes,
                                                     acknowledged_at__isnull=True)
            if not already.exists():
                raise_alert(staff, session, AlertKind.DISCHARGE, codes,
                            f"Due to leave at {_clock(staff, due)}, not ready: "
                            + checklist.message(), request=request)
    raise refused


@transaction.atomic
def sign(staff: Staff, session: Session, *, request: HttpRequest | None = None) -> Session:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    session = _claim(session, lambda s: None if s.signed_at is None else (
        f"Already signed by {s.signed_by} at {_clock(staff, s.signed_at)}."))
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
