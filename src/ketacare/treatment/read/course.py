"""What the course page shows: the sessions, adherence and the planned dose with its
predicted curve (the dose through `clinical.dosing`, so its caps and stale-weight check
apply: never rule x raw weight)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.clinical import dosing, protocols, schedules
from ketacare.patients.chart import Chart
from ketacare.patients.models import Patient

from ..models import Course, Session, SessionStatus
from .curve import predicted_curve


@dataclass(frozen=True)
class PlannedDose:
    dose_mg: float | None
    why_not: str  # when there is no dose: the calculator's reason
    weight_kg: float | None


def planned_dose(protocol: protocols.Protocol, chart: Chart, today: date) -> PlannedDose:
    """The protocol's default dose for this patient through the dose calculator (its caps
    and its stale-weight check), with the first stocked strength."""
    weight = chart.latest_weight
    strengths = protocol.dose.concentrations_mg_ml
    try:
        result = dosing.calculate_dose(
            protocol, weight_kg=float(weight.weight_kg) if weight else None,
            weight_measured_on=weight.measured_on if weight else None, today=today,
            concentration_mg_ml=strengths[0] if protocol.dose.concentration_required
            and strengths else None,
            max_weight_age_days=chart.weight_max_age_days)
    except dosing.DoseError as exc:
        return PlannedDose(None, exc.message, None)
    return PlannedDose(result.dose_mg, "", result.weight_kg)


@dataclass(frozen=True)
class CoursePage:
    course: Course
    protocol: protocols.Protocol
    patient: Patient
    sessions: list[Session]
    adherence: schedules.Adherence
    today: date
    curve: str | None
    planned_mg: float | None
    planned_note: str
    can_run: bool

    def context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def course_page(staff: Staff, course: Course) -> CoursePage:
    """`course` as the access helper returned it (scoped and audited)."""
    protocol = course.protocol()
    sessions = list(course.sessions.select_related("dose"))
    today = staff.clinic.today()

    def on(status: str) -> list[date]:
        return [s.planned_date for s in sessions if s.status == status]

    summary = schedules.adherence(
        [s.planned_date for s in sessions], on(SessionStatus.SIGNED),
        missed=on(SessionStatus.MISSED), cancelled=on(SessionStatus.CANCELLED), today=today)
    patient = course.patient
    planned = planned_dose(protocol, Chart(patient, today), today)
    curve = None
    if planned.dose_mg:
        curve = predicted_curve(protocol.route, planned.dose_mg, weight_kg=planned.weight_kg,
                                age=patient.age_on(today), infusion_min=protocol.infusion_min,
                                label=f"planned {planned.dose_mg:.0f} mg")
    return CoursePage(
        course=course, protocol=protocol, patient=patient, sessions=sessions,
        adherence=summary, today=today, curve=curve, planned_mg=planned.dose_mg,
        planned_note=planned.why_not, can_run=staff.can(Perm.RUN_SESSION))
