"""Treatment actions: protocols, courses, schedules and the session day. Each validates,
checks the permission, writes in one transaction and audits; the safety rules are the
clinical core's (`ketacare.clinical.safety`, `dosing`, `schedules`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record, record_patient
from ketacare.audit.models import Action
from ketacare.clinical import dosing, protocols, safety, schedules
from ketacare.clinical.instruments import InstrumentInputError
from ketacare.clinical.instruments import get as instrument
from ketacare.ledger import actions as ledger
from ketacare.ledger.models import StockItem
from ketacare.patients.chart import Chart
from ketacare.patients.models import Decision, Patient, Status

from .models import (
    AdverseEvent,
    Amendment,
    ClinicProtocol,
    Course,
    CourseStatus,
    Dose,
    Rating,
    RatingKind,
    Session,
    SessionStatus,
    VitalSigns,
    VitalsPhase,
    jsonable,
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


# --- protocols -------------------------------------------------------------------------


def ensure_default_protocols(clinic: Clinic) -> list[ClinicProtocol]:
    """The shipped protocols, copied into the clinic the first time it needs them."""
    for key, protocol in protocols.DEFAULT_PROTOCOLS.items():
        ClinicProtocol.objects.get_or_create(
            clinic=clinic,
            key=key,
            defaults={"name": protocol.name, "data": protocol.as_dict(), "based_on": key},
        )
    return list(ClinicProtocol.objects.filter(clinic=clinic, active=True))


@transaction.atomic
def save_protocol(
    staff: Staff,
    data: dict[str, Any],
    *,
    existing: ClinicProtocol | None = None,
    based_on: str = "",
    request: HttpRequest | None = None,
) -> ClinicProtocol:
    """Create or edit a clinic protocol (admins). Courses keep the version they started
    with, so an edit never changes a running course. `based_on`: the protocol a new one
    was copied from, written with it (and in its audit entry)."""
    staff.require(Perm.MANAGE_CLINIC)
    try:
        protocol = protocols.Protocol.from_dict(data)
    except protocols.ProtocolError as exc:
        raise _core_error(exc) from None
    if existing is not None:
        if existing.clinic_id != staff.clinic.pk:
            raise ValidationError("This protocol is not in your active clinic.")
        if protocol.id != existing.key:
            raise ValidationError({"id": "The id of an existing protocol cannot change."})
        existing.data, existing.name = protocol.as_dict(), protocol.name
        existing.version += 1
        existing.updated_by = staff.user
        existing.save()
        saved = existing
    else:
        if ClinicProtocol.objects.filter(clinic=staff.clinic, key=protocol.id).exists():
            raise ValidationError({"id": f"A protocol with id {protocol.id!r} already exists."})
        saved = ClinicProtocol.objects.create(
            clinic=staff.clinic,
            key=protocol.id,
            name=protocol.name,
            data=protocol.as_dict(),
            based_on=based_on,
            updated_by=staff.user,
        )
    record(
        Action.UPDATE if existing else Action.CREATE,
        request=request,
        user=staff.user,
        role=staff.role_label,
        clinic_id=staff.clinic.pk,
        obj=saved,
        detail={"version": saved.version, "based_on": saved.based_on},
    )
    return saved


# --- courses and schedules -------------------------------------------------------------


def eligibility_for(patient: Patient, route: str) -> tuple[bool, str]:
    """Whether the newest screening for the route allows a course, and why not."""
    screening = patient.screenings.filter(route=route).first()
    if screening is None:
        return False, f"No screening for {route} yet."
    decision = screening.decisions.first()
    if screening.status == "ineligible":
        return False, "The newest screening found an absolute contraindication."
    if decision is not None and decision.decision == Decision.DECLINED:
        return False, "A prescriber declined treatment on the newest screening."
    if screening.status == "needs_review" and decision is None:
        return False, "The newest screening needs a prescriber's decision first."
    return True, ""


@transaction.atomic
def start_course(
    staff: Staff,
    patient: Patient,
    clinic_protocol: ClinicProtocol,
    *,
    indication: str,
    start_date: date,
    weekdays: frozenset[int],
    sessions: int | None = None,
    request: HttpRequest | None = None,
) -> Course:
    staff.require(Perm.SIGN_ORDERS)
    staff.require_own(patient.clinic_id)
    if clinic_protocol.clinic_id != staff.clinic.pk:
        raise ValidationError({"protocol": "This protocol is not in your active clinic."})
    protocol = clinic_protocol.protocol()
    ok, why = eligibility_for(patient, protocol.route)
    if not ok:
        raise ValidationError({"protocol": why})
    if not indication.strip():
        raise ValidationError({"indication": "Say what the course treats."})
    try:
        plan = schedules.generate(protocol, start_date, weekdays, sessions=sessions)
    except schedules.ScheduleError as exc:
        raise _core_error(exc) from None
    course = Course.objects.create(
        patient=patient,
        clinic_protocol=clinic_protocol,
        protocol_data=protocol.as_dict(),
        indication=indication.strip(),
        start_date=start_date,
        weekdays=sorted(weekdays),
        started_by=staff.user,
    )
    Session.objects.bulk_create(
        Session(course=course, number=p.number, planned_date=p.date, phase=p.label) for p in plan
    )
    if patient.status in (Status.REFERRED, Status.SCREENING):
        patient.status = Status.ACTIVE
        patient.save(update_fields=["status", "updated_at"])
    record_patient(
        staff,
        Action.CREATE,
        patient.pk,
        course,
        request=request,
        detail={"protocol": protocol.id, "sessions": len(plan)},
    )
    return course


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


@transaction.atomic
def move_session(
    staff: Staff,
    session: Session,
    new_date: date,
    reason: str,
    *,
    request: HttpRequest | None = None,
) -> Session:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    if session.status != SessionStatus.PLANNED:
        raise ValidationError("Only a planned session can be moved.")
    others = session.course.sessions.exclude(pk=session.pk).exclude(
        status__in=[SessionStatus.CANCELLED]
    )
    if others.filter(planned_date=new_date).exists():
        raise ValidationError({"new_date": f"Another session is already on {new_date}."})
    before = others.filter(number__lt=session.number).order_by("-number").first()
    if before is not None and new_date <= before.planned_date:
        raise ValidationError(
            {"new_date": f"Must be after session {before.number} ({before.planned_date})."}
        )
    after = others.filter(number__gt=session.number).order_by("number").first()
    if after is not None and new_date >= after.planned_date:
        raise ValidationError(
            {
                "new_date": f"Must be before session {after.number} "
                f"({after.planned_date}); move that one first."
            }
        )
    session.moved_from = session.moved_from or session.planned_date
    session.planned_date = new_date
    session.status_reason = reason.strip()[:300]
    session.save()
    _audit(staff, Action.UPDATE, session, session, request, {"moved_to": new_date.isoformat()})
    return session


@transaction.atomic
def set_session_status(
    staff: Staff, session: Session, status: str, reason: str, *, request: HttpRequest | None = None
) -> Session:
    """Mark a planned session missed or cancelled (with a reason)."""
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    if status not in (SessionStatus.MISSED, SessionStatus.CANCELLED):
        raise ValidationError({"status": "Choose missed or cancelled."})
    if session.status != SessionStatus.PLANNED:
        raise ValidationError("Only a planned session can be marked missed or cancelled.")
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason."})
    session.status, session.status_reason = status, reason.strip()[:300]
    session.save(update_fields=["status", "status_reason"])
    _audit(staff, Action.UPDATE, session, session, request, {"status": status})
    return session


# --- the session day -------------------------------------------------------------------


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


def _minute(session: Session) -> int | None:
    dose = getattr(session, "dose", None)
    if dose is None:
        return None
    return int((timezone.now() - dose.started_at).total_seconds() // 60)


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
def override_hold(
    staff: Staff, session: Session, reason: str, *, request: HttpRequest | None = None
) -> Session:
    staff.require(Perm.SIGN_ORDERS)
    patient = session.course.patient
    staff.require_own(patient.clinic_id)
    _open(session)
    if not session.hold:
        raise ValidationError("There is no hold to override.")
    if not reason.strip():
        raise ValidationError({"reason": "An override needs the prescriber's reason."})
    session.override_reason = reason.strip()[:300]
    session.override_by, session.override_at = staff.user, timezone.now()
    session.save(update_fields=["override_reason", "override_by", "override_at"])
    _audit(staff, Action.UPDATE, session, session, request, {"step": "hold_override"})
    return session


def _member(staff: Staff, user: User | None) -> bool:
    return (
        user is not None
        and Membership.objects.filter(user=user, clinic=staff.clinic, active=True).exists()
    )


@transaction.atomic
def give_dose(
    staff: Staff,
    session: Session,
    *,
    mg_per_kg: float | None = None,
    fixed_mg: int | None = None,
    stock_item: StockItem | None,
    lot: str,
    expiry: date,
    second_check_by: User | None = None,
    override_reason: str = "",
    request: HttpRequest | None = None,
) -> Dose:
    """Calculate, record and post the dose to the ledger, all or nothing."""
    staff.require(Perm.RUN_SESSION)
    patient = session.course.patient
    staff.require_own(patient.clinic_id)
    _open(session)
    if session.checked_in_at is None:
        raise ValidationError("Check the patient in first.")
    if hasattr(session, "dose"):
        raise ValidationError("A dose is already recorded for this session.")
    if not session.vitals.filter(phase=VitalsPhase.PREDOSE).exists():
        raise ValidationError("Record pre-dose vitals first.")
    if not session.hold_cleared:
        raise ValidationError(
            "Dosing is on hold: "
            + "; ".join(session.hold_reasons)
            + ". A prescriber must override with a reason."
        )
    protocol = session.course.protocol()
    today = staff.clinic.today()
    errors: dict[str, str] = {}
    if protocol.route == "iv":
        if second_check_by is None:
            errors["second_check_by"] = "IV doses need a second check by another clinician."
        elif second_check_by == staff.user or not _member(staff, second_check_by):
            errors["second_check_by"] = "The second check must be a different clinic member."
    if expiry < today:
        errors["expiry"] = f"Lot expired on {expiry}."
    if not lot.strip():
        errors["lot"] = "Enter the lot number."
    if stock_item is None:
        errors["stock_item"] = "Choose the stock the dose is drawn from."
    elif stock_item.clinic_id != staff.clinic.pk:
        errors["stock_item"] = "This stock is not in your active clinic."
    elif stock_item.drug != protocol.drug:
        errors["stock_item"] = (
            f"This stock is {stock_item.get_drug_display()}; the protocol "
            f"gives {protocols.DRUGS[protocol.drug]}."
        )
    if errors:
        raise ValidationError(errors)
    assert stock_item is not None
    chart = Chart(patient, today)
    weight = chart.latest_weight
    concentration = (
        float(stock_item.concentration_mg_ml)
        if stock_item.concentration_mg_ml is not None
        else None
    )
    try:
        result = dosing.calculate_dose(
            protocol,
            weight_kg=float(weight.weight_kg) if weight else None,
            weight_measured_on=weight.measured_on if weight else None,
            today=today,
            mg_per_kg=mg_per_kg,
            fixed_mg=fixed_mg,
            concentration_mg_ml=concentration,
            override_reason=override_reason or None,
            max_weight_age_days=chart.weight_max_age_days,
            dose_number=session.course.sessions.filter(dose__isnull=False).count() + 1,
        )
    except dosing.DoseError as exc:
        raise _core_error(exc) from None
    dose = Dose.objects.create(
        session=session,
        drug=protocol.drug,
        route=protocol.route,
        dose_mg=Decimal(str(result.dose_mg)),
        prescribed_mg=Decimal(str(result.prescribed_mg)),
        mg_per_kg=Decimal(str(result.mg_per_kg)) if result.mg_per_kg is not None else None,
        weight_kg=Decimal(str(result.weight_kg)) if result.weight_kg is not None else None,
        concentration_mg_ml=concentration,
        volume_ml=result.volume_ml,
        devices=result.devices,
        lot=lot.strip(),
        expiry=expiry,
        override_reason=override_reason.strip(),
        started_at=timezone.now(),
        given_by=staff.user,
        second_check_by=second_check_by,
    )
    try:
        entry = ledger.administer(
            staff,
            stock_item,
            quantity_ml=result.volume_ml,
            devices=result.devices,
            patient=patient,
            session_ref=session.pk,
            lot=lot.strip(),
            request=request,
        )
    except ValidationError as exc:
        raise ValidationError({"stock_item": " ".join(exc.messages)}) from None
    dose.ledger_entry_id = entry.pk
    dose.save(update_fields=["ledger_entry_id"])
    _audit(staff, Action.CREATE, session, dose, request,
           {"dose_mg": str(dose.dose_mg), "route": dose.route})
    return dose


@transaction.atomic
def stop_infusion(staff: Staff, session: Session, *, request: HttpRequest | None = None) -> Dose:
    staff.require(Perm.RUN_SESSION)
    staff.require_own(session.course.patient.clinic_id)
    _open(session)
    dose = getattr(session, "dose", None)
    if dose is None or dose.route != "iv":
        raise ValidationError("There is no infusion running.")
    if dose.stopped_at is not None:
        raise ValidationError("The infusion is already stopped.")
    dose.stopped_at = timezone.now()
    dose.save(update_fields=["stopped_at"])
    _audit(staff, Action.UPDATE, session, dose, request, {"step": "stop"})
    return dose


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
    _audit(staff, Action.CREATE, session, event, request,
           {"serious": serious, "severity": severity})
    return event


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
