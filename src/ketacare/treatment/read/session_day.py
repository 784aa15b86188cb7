"""What the session page shows, gathered once: the recorded steps, which monitoring
readings are due (`clinical.session_day`), the discharge checklist (`clinical.discharge`
through `actions.discharge_status`), the predicted curve of the dose given, the latest
weight (`Chart.latest_weight`) and the step to open at. The dose step's own panel
(interactions, REMS, IV preparation through `clinical.dosing`) is `dose_step.notes_for`;
the dose itself is previewed by `actions.preview_dose`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils import timezone

from ketacare.accounts.naming import People
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.clinical import discharge as discharge_rules
from ketacare.clinical import eligibility, protocols
from ketacare.clinical.session_day import DueReading, current_step, monitoring_due
from ketacare.compiled_reads import CompiledRead, keep_as_prefetched
from ketacare.patients.chart import Chart
from ketacare.patients.models import Patient

from .. import actions, hooks
from ..models import (
    AdverseEvent,
    Amendment,
    ClinicalAlert,
    Course,
    Dose,
    Rating,
    Session,
    VitalSigns,
    VitalsPhase,
)
from .curve import predicted_curve


@dataclass(frozen=True)
class SessionDay:
    session: Session
    course: Course
    protocol: protocols.Protocol
    patient: Patient
    chart: Chart
    age: int
    drug_label: str
    route_label: str
    dose: Dose | None
    vitals: list[VitalSigns]
    predose: list[VitalSigns]
    monitoring: list[VitalSigns]
    monitoring_due: list[DueReading]
    ratings: list[Rating]
    events: list[AdverseEvent]
    amendments: list[Amendment]
    alerts: list[ClinicalAlert]
    open_alerts: list[ClinicalAlert]
    discharge: discharge_rules.Checklist | None
    curve: str | None
    current: str  # the step the page opens at
    dose_refusal: str | None  # why the patient may not be dosed (REMS), before the dose
    can_run: bool
    can_override: bool
    can_ack: bool

    def context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def next_step(session: Session) -> str:
    """The step to open at after a step was recorded."""
    dosed = hasattr(session, "dose")
    return current_step(
        checked_in=session.checked_in_at is not None, dosed=dosed,
        predose_vitals=not dosed and session.vitals.filter(phase=VitalsPhase.PREDOSE).exists(),
        hold_cleared=session.hold_cleared, discharged=session.discharged_at is not None,
        discharge_ready=dosed and actions.discharge_status(session).ready)


# What the page lists: one read of each table, kept on the session as if prefetched, which
# the discharge checklist (`actions.discharge_status`) reads again (issue 17: vitals were
# read twice, ratings three times). Compiled once per process (ketacare.compiled_reads).
RECORDS_SHOWN = {
    related_name: CompiledRead(lambda session_id, model=model: model.objects.filter(
        session_id=session_id))
    for related_name, model in (("vitals", VitalSigns), ("ratings", Rating),
                                ("adverse_events", AdverseEvent), ("amendments", Amendment),
                                ("clinical_alerts", ClinicalAlert))
}
# The people the page names, read in one query after the records (`People`).
PEOPLE_SHOWN = ("checked_in_by", "override_by", "discharged_by", "signed_by", "dose__given_by",
                "dose__second_check_by", "dose__override_by")


def _name_people(session: Session) -> None:
    (People().add([session], *PEOPLE_SHOWN)
     .add([*session.vitals.all(), *session.ratings.all(), *session.adverse_events.all()],
          "recorded_by")
     .add(session.amendments.all(), "author")
     .add(session.clinical_alerts.all(), "acknowledged_by", "raised_by").read())


def session_day(staff: Staff, session: Session, *,
                discharge_answers: Mapping[str, Any] | None = None) -> SessionDay:
    """`session` as the access helper returned it (scoped and audited).
    `discharge_answers`: what a refused discharge form ticked, shown on the checklist."""
    for related_name, read in RECORDS_SHOWN.items():
        keep_as_prefetched(session, related_name, read(session.pk))
    prefetch_related_objects(list(session.clinical_alerts.all()), "recipients")
    _name_people(session)
    protocol = session.course.protocol()
    patient = session.course.patient
    dose: Dose | None = getattr(session, "dose", None)
    today = staff.clinic.today()
    vitals = list(session.vitals.all())
    due: list[DueReading] = []
    discharge = curve = None
    if dose is not None:
        due = monitoring_due(protocol.vitals_minutes,
                             [v.minute for v in vitals if v.minute is not None],
                             dose_started_at=dose.started_at, now=timezone.now())
        answers = discharge_answers or {}
        discharge = actions.discharge_status(
            session, dissociation_resolved=answers.get("dissociation_resolved"),
            escort_present=answers.get("escort_present"),
            sedation_judgement=answers.get("sedation_judgement"))
        curve = predicted_curve(protocol.route, float(dose.dose_mg),
                                weight_kg=float(dose.weight_kg) if dose.weight_kg else None,
                                age=patient.age_on(today), infusion_min=protocol.infusion_min,
                                label=f"given {dose.dose_mg} mg")
    predose = [v for v in vitals if v.phase == VitalsPhase.PREDOSE]
    alerts = list(session.clinical_alerts.all())
    return SessionDay(
        session=session, course=session.course, protocol=protocol, patient=patient,
        chart=Chart(patient, today), age=patient.age_on(today),
        drug_label=protocols.DRUGS[protocol.drug],
        route_label=eligibility.ROUTES[protocol.route], dose=dose, vitals=vitals,
        predose=predose,
        monitoring=[v for v in vitals if v.phase == VitalsPhase.MONITORING],
        monitoring_due=due, ratings=list(session.ratings.all()),
        events=list(session.adverse_events.all()), amendments=list(session.amendments.all()),
        alerts=alerts, open_alerts=[a for a in alerts if a.acknowledged_at is None],
        discharge=discharge, curve=curve,
        current=current_step(
            checked_in=session.checked_in_at is not None, dosed=dose is not None,
            predose_vitals=bool(predose), hold_cleared=session.hold_cleared,
            discharged=session.discharged_at is not None,
            discharge_ready=bool(discharge and discharge.ready)),
        dose_refusal=(None if dose is not None
                      else hooks.dose_refusal("rems", session, today)),
        can_run=staff.can(Perm.RUN_SESSION), can_override=staff.can(Perm.SIGN_ORDERS),
        can_ack=staff.can(Perm.SIGN_ORDERS))
