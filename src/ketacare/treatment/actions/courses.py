"""Course actions: start a course and move or cancel its planned sessions."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.clinical import induction_review, schedules
from ketacare.patients.models import Decision, Patient, Status

from ..models import (
    ClinicProtocol,
    Course,
    CourseStatus,
    Session,
    SessionStatus,
)
from ._common import _audit, _core_error, _open
from .protocols import adopt_shipped_for_first_course


def eligibility_for(patient: Patient, route: str) -> tuple[bool, str]:
    """Whether the newest screening for the route allows a course, and why not."""
    screening = patient.screenings.filter(route=route).first()
    if screening is None:
        return False, f"No screening for {route} yet."
    if screening.expired(patient.clinic.today()):
        return False, (
            f"The newest screening ({screening.screened_on:%Y-%m-%d}) is older than "
            f"{screening.valid_days} days: screen the patient again."
        )
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
    clinic_protocol: ClinicProtocol | str,
    *,
    indication: str,
    start_date: date,
    weekdays: frozenset[int],
    sessions: int | None = None,
    proceed_reason: str = "",
    request: HttpRequest | None = None,
) -> Course:
    """Plan and start a course. Plan warnings (induction on consecutive days, another
    active course) stop it unless the prescriber gives `proceed_reason`. A shipped
    protocol's key instead of a clinic protocol: the clinic's first course, which copies
    the shipped protocols into the clinic in this transaction."""
    staff.require(Perm.SIGN_ORDERS)
    staff.require_own(patient.clinic_id)
    if isinstance(clinic_protocol, str):
        clinic_protocol = adopt_shipped_for_first_course(staff, clinic_protocol,
                                                         request=request)
    if clinic_protocol.clinic_id != staff.clinic.pk:
        raise ValidationError({"protocol": "This protocol is not in your active clinic."})
    if not clinic_protocol.active:
        raise ValidationError({"protocol": "This protocol is not in use in your clinic."})
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
    warnings = schedules.plan_warnings(plan, active_courses=[
        str(c) for c in Course.objects.filter(patient=patient, status=CourseStatus.ACTIVE)])
    if warnings and not proceed_reason.strip():
        raise ValidationError({"proceed_reason": [w.message for w in warnings] + [
            "To start this plan anyway, give a reason to proceed."]})
    course = Course.objects.create(
        patient=patient,
        clinic_protocol=clinic_protocol,
        protocol_data=protocol.as_dict(),
        indication=indication.strip(),
        start_date=start_date,
        weekdays=sorted(weekdays),
        started_by=staff.user,
        start_warnings=[w.code for w in warnings],
        start_override_reason=proceed_reason.strip()[:300] if warnings else "",
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
        detail={"protocol": protocol.id, "sessions": len(plan),
                "warnings": [w.code for w in warnings]},
    )
    return course


@transaction.atomic
def move_session(
    staff: Staff,
    session: Session,
    new_date: date,
    reason: str,
    *,
    proceed_reason: str = "",
    request: HttpRequest | None = None,
) -> Session:
    """Move a planned session, keeping the order of sessions. An induction session moved
    next to another induction dose gets the start-of-course warning
    (`schedules.plan_warnings`) and needs `proceed_reason` (kept in the audit detail)."""
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
    warnings = _move_warnings(session, new_date, others)
    if warnings and not proceed_reason.strip():
        raise ValidationError({"proceed_reason": [w.message for w in warnings] + [
            "To move this session anyway, give a reason to proceed."]})
    session.moved_from = session.moved_from or session.planned_date
    session.planned_date = new_date
    session.status_reason = reason.strip()[:300]
    session.save()
    detail: dict[str, object] = {"moved_to": new_date.isoformat()}
    if warnings:
        detail |= {"warnings": [w.code for w in warnings],
                   "proceed_reason": proceed_reason.strip()[:300]}
    _audit(staff, Action.UPDATE, session, session, request, detail)
    return session


def _move_warnings(
    session: Session, new_date: date, others: QuerySet[Session]
) -> list[schedules.PlanWarning]:
    """The plan warnings the move itself causes: the moved session (if induction) next to
    the induction doses given or planned just before and after it. A missed session gave
    no dose, so it is no neighbour. Sessions keep their phase in the label
    (`induction_review.is_induction`)."""
    protocol = session.course.protocol()

    def planned(s: Session, on: date) -> schedules.PlannedSession | None:
        if not induction_review.is_induction(protocol, s.phase):
            return None
        return schedules.PlannedSession(s.number, on, "induction", s.phase, week=0)

    moved = planned(session, new_date)
    if moved is None:
        return []
    induction = [p for s in others.exclude(status=SessionStatus.MISSED).order_by("number")
                 if (p := planned(s, s.planned_date)) is not None]
    before = [p for p in induction if p.number < moved.number][-1:]
    after = [p for p in induction if p.number > moved.number][:1]
    return schedules.plan_warnings([*before, moved, *after])


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
