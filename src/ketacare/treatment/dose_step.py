"""What the dose step shows besides the dose form (issue 14): the interaction warnings
(item 6), whether REMS enrollment blocks the first esketamine dose (item 7), and the IV
bag and pump rate (item 12). A read model: gathered here, rendered by the
`dose_step_panel` tag; the arithmetic is the clinical core's."""

from __future__ import annotations

from dataclasses import dataclass, field

from ketacare.clinical import dosing, interactions
from ketacare.clinical.iv_prep import IV_BAG_VOLUME_ML, IvPreparation, iv_preparation
from ketacare.ledger.models import StockItem
from ketacare.patients.chart import Chart
from ketacare.patients.interactions import patient_interactions

from . import hooks
from .models import Session

# Clinic setting: the IV bag volume in mL ([clinic default] 100 mL; `clinical.iv_prep`).
BAG_SETTING = "iv_bag_volume_ml"


@dataclass(frozen=True)
class IvRow:
    concentration_mg_ml: float
    prep: IvPreparation


@dataclass(frozen=True)
class DoseStepNotes:
    interactions: tuple[interactions.Interaction, ...]
    rems_refusal: str | None
    iv_planned: list[IvRow] = field(default_factory=list)  # before the dose, per strength
    iv_given: IvPreparation | None = None  # after the dose
    iv_problem: str = ""  # why no preparation can be shown


def _planned(session: Session, bag_ml: int, chart: Chart) -> tuple[list[IvRow], str]:
    protocol = session.course.protocol()
    clinic = session.course.patient.clinic
    weight = chart.latest_weight
    strengths = sorted({float(c) for c in StockItem.objects.filter(
        clinic=clinic, drug=protocol.drug).values_list("concentration_mg_ml", flat=True)
        if c is not None})
    rows: list[IvRow] = []
    for conc in strengths:
        try:
            dose = dosing.calculate_dose(
                protocol, weight_kg=float(weight.weight_kg) if weight else None,
                weight_measured_on=weight.measured_on if weight else None,
                today=clinic.today(), concentration_mg_ml=conc,
                max_weight_age_days=chart.weight_max_age_days)
            if dose.volume_ml is None:
                continue
            rows.append(IvRow(conc, iv_preparation(
                dose.dose_mg, dose.volume_ml, infusion_min=protocol.infusion_min or 0,
                bag_volume_ml=bag_ml)))
        except dosing.DoseError as exc:
            return [], str(exc)
    return rows, "" if rows else "No IV stock with a concentration on the shelf."


def notes_for(session: Session, chart: Chart | None = None) -> DoseStepNotes:
    """`chart`: the patient's chart the page already shows, so its weights are read once
    (issue 17); a new one otherwise."""
    protocol = session.course.protocol()
    patient = session.course.patient
    today = patient.clinic.today()
    notes = DoseStepNotes(
        interactions=patient_interactions(patient, today, protocol.route),
        rems_refusal=(None if hasattr(session, "dose")
                      else hooks.dose_refusal("rems", session, today)),
    )
    if protocol.route != "iv":
        return notes
    bag_ml = patient.clinic.setting(BAG_SETTING, IV_BAG_VOLUME_ML)
    dose = getattr(session, "dose", None)
    try:
        if dose is not None:
            if dose.volume_ml is None:
                return notes
            given = iv_preparation(float(dose.dose_mg), float(dose.volume_ml),
                                   infusion_min=protocol.infusion_min or 0,
                                   bag_volume_ml=bag_ml)
            return DoseStepNotes(notes.interactions, None, iv_given=given)
        rows, problem = _planned(session, bag_ml, chart or Chart(patient, today))
    except dosing.DoseError as exc:  # a bad clinic setting names itself
        return DoseStepNotes(notes.interactions, notes.rems_refusal, iv_problem=str(exc))
    return DoseStepNotes(notes.interactions, notes.rems_refusal, rows, None, problem)
