"""One patient with the model's typical (population-median) parameters: a concentration
curve, its summary (Cmax, Tmax, AUC0-24h), and side-by-side scenarios for the web page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .effects import bands_as_data, reference_points_as_data
from .models import ESKETAMINE_MODELS, model_source, model_title
from .regimen import NO_PATIENT, Dose, Patient, PKInputError, prepare, repeat_dose
from .solve import FloatArray, evaluate, integrate

MIN_PER_H = 60.0
AUC_WINDOW_MIN = 24 * MIN_PER_H
MAX_GRID_POINTS = 2_000_000  # a CSV longer than this is a mistake, not a request


def analytes(model_id: str) -> tuple[str, str | None]:
    """(parent, metabolite) names for a model's outputs."""
    if model_id in ESKETAMINE_MODELS:
        return "esketamine", "noresketamine"
    return "ketamine (racemic)", None


@dataclass(frozen=True)
class Curve:
    model: str
    time_min: FloatArray
    plasma_ng_ml: FloatArray
    metabolite_ng_ml: FloatArray | None
    analyte: str
    metabolite: str | None
    assumptions: list[str] = field(default_factory=list)


def time_grid(until_min: float, step_min: float) -> FloatArray:
    """0, step, ..., until (inclusive when until is a multiple of step)."""
    if not (np.isfinite(step_min) and step_min > 0):
        raise PKInputError("step_min", f"must be a positive number of minutes, got {step_min:g}")
    if not (np.isfinite(until_min) and until_min > 0):
        raise PKInputError("until_min", f"must be a positive number of minutes, got {until_min:g}")
    n = int(np.floor(until_min / step_min + 1e-9)) + 1
    if n > MAX_GRID_POINTS:
        raise PKInputError(
            "step_min",
            f"{n} time points requested; at most {MAX_GRID_POINTS} (raise --step-min)",
        )
    return np.arange(n, dtype=np.float64) * step_min


def simulate(
    model: str,
    doses: Sequence[Dose],
    patient: Patient = NO_PATIENT,
    *,
    until_min: float = AUC_WINDOW_MIN,
    step_min: float = 1.0,
    times_min: Sequence[float] | FloatArray | None = None,
) -> Curve:
    """Typical-patient concentrations (ng/mL) at 0..until_min, or at `times_min`."""
    times = (
        time_grid(until_min, step_min)
        if times_min is None
        else np.asarray(times_min, dtype=np.float64)
    )
    prepared = prepare(model, doses, patient)
    conc = evaluate(prepared.system, prepared.inputs, times)[0]
    parent, metabolite = analytes(model)
    return Curve(
        model=model,
        time_min=times,
        plasma_ng_ml=conc[0],
        metabolite_ng_ml=conc[1] if conc.shape[0] > 1 else None,
        analyte=parent,
        metabolite=metabolite,
        assumptions=prepared.assumptions,
    )


def _peak(times: FloatArray, conc: FloatArray) -> tuple[float, float]:
    k = int(np.argmax(conc))
    return float(conc[k]), float(times[k])


def summarize(
    model: str,
    doses: Sequence[Dose],
    patient: Patient = NO_PATIENT,
    *,
    until_min: float = AUC_WINDOW_MIN,
) -> dict[str, Any]:
    """Cmax and Tmax over [0, until_min] and the exact AUC over 0-24 h (ng.h/mL).

    Tmax is located on a 0.5 min grid and then refined to 0.001 min around the peak."""
    prepared = prepare(model, doses, patient)
    coarse = time_grid(until_min, 0.5)
    conc = evaluate(prepared.system, prepared.inputs, coarse)[0]
    auc = integrate(prepared.system, prepared.inputs, AUC_WINDOW_MIN)[0] / MIN_PER_H
    names = ("", "metabolite_")
    result: dict[str, Any] = {
        "model": model,
        "model_title": model_title(model),
        "source": model_source(model),
        "route": ",".join(dict.fromkeys(d.route for d in doses)),
        "dose_mg": float(doses[0].dose_mg),
        "doses": len(doses),
        "total_dose_mg": float(sum(d.dose_mg for d in doses)),
        "weight_kg": patient.weight_kg,
        "age": patient.age_y,
        "analyte": analytes(model)[0],
    }
    for o in range(conc.shape[0]):
        _, t0 = _peak(coarse, conc[o])
        fine = np.linspace(max(0.0, t0 - 0.5), min(coarse[-1], t0 + 0.5), 1001)
        cmax, tmax = _peak(fine, evaluate(prepared.system, prepared.inputs, fine)[0, o])
        prefix = names[o]
        if o == 1:
            result["metabolite"] = analytes(model)[1]
        result[f"{prefix}cmax_ng_ml"] = round(cmax, 4)
        result[f"{prefix}tmax_min"] = round(tmax, 3)
        result[f"{prefix}auc_0_24h_ng_h_ml"] = round(float(auc[o]), 4)
    result["assumptions"] = prepared.assumptions
    return result


@dataclass(frozen=True)
class Scenario:
    """One curve of the PK explorer: a (model, route, dose) for one patient."""

    model: str
    route: str
    dose_mg: float
    weight_kg: float | None = None
    age_y: float | None = None
    infusion_min: float = 0.0
    every_min: float = 0.0
    doses: int = 1
    label: str | None = None

    def regimen(self) -> list[Dose]:
        return repeat_dose(
            Dose(self.route, self.dose_mg, 0.0, self.infusion_min), self.every_min, self.doses
        )

    def patient(self) -> Patient:
        return Patient(self.weight_kg, self.age_y)

    def default_label(self) -> str:
        how = f" over {self.infusion_min:g} min" if self.infusion_min else ""
        return f"{self.model} {self.route} {self.dose_mg:g} mg{how}"


def compare_scenarios(
    scenarios: Sequence[Scenario], *, until_min: float = 360.0, step_min: float = 1.0
) -> dict[str, Any]:
    """Curves for several scenarios on one time axis, plus the concentration-effect bands
    and reference points of the clinical reference, as JSON-ready data for a chart.

    Raises PKInputError (with the offending field) on the first bad scenario."""
    times = time_grid(until_min, step_min)
    series = []
    for sc in scenarios:
        curve = simulate(sc.model, sc.regimen(), sc.patient(), times_min=times)
        summary = summarize(sc.model, sc.regimen(), sc.patient(), until_min=until_min)
        series.append(
            {
                "label": sc.label or sc.default_label(),
                "model": sc.model,
                "route": sc.route,
                "dose_mg": sc.dose_mg,
                "analyte": curve.analyte,
                "plasma_ng_ml": np.round(curve.plasma_ng_ml, 4).tolist(),
                "metabolite": curve.metabolite,
                "metabolite_ng_ml": None
                if curve.metabolite_ng_ml is None
                else np.round(curve.metabolite_ng_ml, 4).tolist(),
                "summary": {k: v for k, v in summary.items() if k != "assumptions"},
                "assumptions": curve.assumptions,
            }
        )
    return {
        "time_min": times.tolist(),
        "series": series,
        "effect_bands": bands_as_data(),
        "reference_points": reference_points_as_data(),
        "units": {"time": "min", "concentration": "ng/mL", "auc": "ng.h/mL"},
    }
