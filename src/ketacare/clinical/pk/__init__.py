"""Pharmacokinetic simulator: plasma ketamine and esketamine by model, route, dose and
patient, per session and per population (issue #6; models of clinical reference s.5).

Pure Python + numpy/scipy, no Django. Time in minutes from the start of the first dose,
concentrations in ng/mL, AUC in ng.h/mL. Every result carries `assumptions`: the
choices the simulator made that are not in the model's publication.

    from ketacare.clinical import pk
    curve = pk.simulate("domino", [pk.Dose("iv", 35, infusion_min=40)], pk.Patient(70))
"""

from .curves import Curve, Scenario, compare_scenarios, simulate, summarize, time_grid
from .effects import EFFECT_BANDS, REFERENCE_POINTS, EffectBand, ReferencePoint
from .models import MODEL_IDS, routes_for
from .population import (
    PatientMetrics,
    PopulationResult,
    row_percentiles,
    run_population,
    simulate_population,
)
from .regimen import (
    Dose,
    Patient,
    PKInputError,
    Prepared,
    dose_from_mg_per_kg,
    prepare,
    repeat_dose,
)

__all__ = [
    "EFFECT_BANDS",
    "MODEL_IDS",
    "REFERENCE_POINTS",
    "Curve",
    "Dose",
    "EffectBand",
    "PKInputError",
    "Patient",
    "PatientMetrics",
    "PopulationResult",
    "Prepared",
    "ReferencePoint",
    "Scenario",
    "compare_scenarios",
    "dose_from_mg_per_kg",
    "prepare",
    "repeat_dose",
    "routes_for",
    "row_percentiles",
    "run_population",
    "simulate",
    "simulate_population",
    "summarize",
    "time_grid",
]
