"""From a clinical description (model, doses, patient) to a solvable system: validation,
per-patient parameters (typical or drawn), and the inputs each dose puts into which
compartment. Every assumption made on the way is collected for the output."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .models import (
    AGE_RANGE_Y,
    ESKETAMINE_MODELS,
    MODEL_IDS,
    PEREZ_RUIXO_2021_FRN_LOGIT_SD,
    PEREZ_RUIXO_2021_IIV_CV,
    RACEMIC_ASSUMED_CV,
    RACEMIC_MODELS,
    RACEMIC_ROUTES,
    WEIGHT_RANGE_KG,
    EsketamineModel,
    RacemicModel,
    routes_for,
)
from .routes import RACEMIC_ABSORPTION
from .solve import FloatArray, Input, ModalSystem, diagonalise
from .system import Compartments, esketamine_compartments, racemic_compartments


class PKInputError(ValueError):
    """Bad input to the simulator. `field` names the offending parameter (CLI: --field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Dose:
    """One administration. `infusion_min` > 0 makes an IV dose a zero-order infusion.
    An esketamine nasal dose of 56 mg is two 28 mg devices, 5 min apart, from start_min."""

    route: str
    dose_mg: float
    start_min: float = 0.0
    infusion_min: float = 0.0


@dataclass(frozen=True)
class Patient:
    weight_kg: float | None = None
    age_y: float | None = None


NO_PATIENT = Patient()  # no weight, no age: enough for the (flat-dosed) esketamine model


def repeat_dose(dose: Dose, every_min: float, count: int) -> list[Dose]:
    """`count` copies of `dose`, `every_min` apart (a course by superposition)."""
    if count < 1:
        raise PKInputError("doses", f"must be at least 1, got {count}")
    if count > 1 and not (math.isfinite(every_min) and every_min > 0):
        raise PKInputError("every_min", f"must be a positive number of minutes, got {every_min}")
    return [
        Dose(dose.route, dose.dose_mg, dose.start_min + k * every_min, dose.infusion_min)
        for k in range(count)
    ]


def dose_from_mg_per_kg(mg_per_kg: float, weight_kg: float | None) -> float:
    if weight_kg is None:
        raise PKInputError("weight_kg", "is required for a dose in mg/kg (allowed 20-300 kg)")
    check_weight(weight_kg)
    if not (math.isfinite(mg_per_kg) and mg_per_kg > 0):
        raise PKInputError("dose_mg_kg", f"must be a positive number, got {mg_per_kg}")
    return mg_per_kg * weight_kg


def check_weight(weight_kg: float) -> None:
    lo, hi = WEIGHT_RANGE_KG
    if not (math.isfinite(weight_kg) and lo <= weight_kg <= hi):
        raise PKInputError("weight_kg", f"must be between {lo:g} and {hi:g} kg, got {weight_kg:g}")


def check_model(model_id: str) -> None:
    if model_id not in MODEL_IDS:
        raise PKInputError("model", f"unknown model '{model_id}'; allowed: {', '.join(MODEL_IDS)}")


def esketamine_devices(model: EsketamineModel, dose_mg: float) -> int:
    """Number of 28 mg devices in an esketamine nasal dose; anything else is an error."""
    n = round(dose_mg / model.device_mg)
    if n < 1 or n > model.max_devices or abs(n * model.device_mg - dose_mg) > 1e-6:
        allowed = ", ".join(f"{k * model.device_mg:g}" for k in range(1, model.max_devices + 1))
        raise PKInputError(
            "dose_mg",
            f"esketamine nasal spray is {model.device_mg:g} mg per device "
            f"(1-{model.max_devices} devices per session); allowed {allowed} mg, "
            f"got {dose_mg:g}",
        )
    return n


def validate(model_id: str, doses: Sequence[Dose], patient: Patient) -> None:
    check_model(model_id)
    if not doses:
        raise PKInputError("dose_mg", "at least one dose is required")
    if patient.weight_kg is not None:
        check_weight(patient.weight_kg)
    if patient.age_y is not None:
        lo, hi = AGE_RANGE_Y
        if not (math.isfinite(patient.age_y) and lo <= patient.age_y <= hi):
            raise PKInputError(
                "age",
                f"must be between {lo:g} and {hi:g} years (adult models), got {patient.age_y:g}",
            )
    if model_id in RACEMIC_MODELS and patient.weight_kg is None:
        raise PKInputError(
            "weight_kg",
            f"is required for model {model_id} (volumes scale with body weight; "
            f"allowed {WEIGHT_RANGE_KG[0]:g}-{WEIGHT_RANGE_KG[1]:g} kg)",
        )
    allowed = routes_for(model_id)
    for dose in doses:
        if dose.route not in allowed:
            known = "unknown route" if dose.route not in RACEMIC_ROUTES else "route"
            raise PKInputError(
                "route",
                f"{known} '{dose.route}' is not available for model {model_id}; "
                f"allowed: {', '.join(allowed)}",
            )
        if not (math.isfinite(dose.dose_mg) and dose.dose_mg > 0):
            raise PKInputError("dose_mg", f"must be a positive number, got {dose.dose_mg:g}")
        if not (math.isfinite(dose.start_min) and dose.start_min >= 0):
            raise PKInputError("start_min", f"must be >= 0, got {dose.start_min:g}")
        if not (math.isfinite(dose.infusion_min) and dose.infusion_min >= 0):
            raise PKInputError(
                "infusion_min", f"must be >= 0 minutes (0 = bolus), got {dose.infusion_min:g}"
            )
        if dose.infusion_min > 0 and dose.route != "iv":
            raise PKInputError("infusion_min", f"applies to route iv only, not {dose.route}")
        if dose.route == "intranasal" and model_id in ESKETAMINE_MODELS:
            esketamine_devices(ESKETAMINE_MODELS[model_id], dose.dose_mg)


@dataclass(frozen=True)
class Prepared:
    """A validated regimen for P patients, ready for `solve.evaluate` or `grid_blocks`."""

    model_id: str
    system: ModalSystem
    inputs: list[Input]
    output_names: tuple[str, ...]
    assumptions: list[str] = field(default_factory=list)
    # The untransformed model, kept for numerical cross-checks (bench, tests).
    compartments: Compartments | None = None


def _lognormal_sd(cv: float) -> float:
    # CV of a log-normal -> SD of log: exact relation, not the small-CV approximation.
    return math.sqrt(math.log1p(cv * cv))


def _unique_routes(doses: Sequence[Dose]) -> list[str]:
    return list(dict.fromkeys(d.route for d in doses))


def _prepare_racemic(
    model: RacemicModel,
    doses: Sequence[Dose],
    weight_kg: float,
    n_patients: int,
    rng: np.random.Generator | None,
    assumed_cv: float,
) -> Prepared:
    routes = _unique_routes(doses)
    ones = np.ones(n_patients)
    params: dict[str, FloatArray] = {
        "v1_l": model.v1_l_per_kg * weight_kg * ones,
        "k10": model.k10 * ones,
        "k12": model.k12 * ones,
        "k21": model.k21 * ones,
        "k13": model.k13 * ones,
        "k31": model.k31 * ones,
    }
    for r in routes:
        if r != "iv":
            params[f"ka_{r}"] = RACEMIC_ABSORPTION[r].ka_per_min * ones
    assumptions = [
        f"{model.id}: V1 = {model.v1_l_per_kg:g} L/kg x {weight_kg:g} kg "
        f"= {model.v1_l_per_kg * weight_kg:.1f} L ({model.source})"
    ]
    if model.caveat:
        assumptions.append(f"{model.id}: {model.caveat}")
    assumptions += [RACEMIC_ABSORPTION[r].assumption() for r in routes if r != "iv"]
    if rng is not None:
        sd = _lognormal_sd(assumed_cv)
        varied = ["v1_l", "k10", *[k for k in params if k.startswith("ka_")]]
        for name in varied:
            params[name] = params[name] * np.exp(sd * rng.standard_normal(n_patients))
        assumptions.append(
            f"population: ASSUMED log-normal IIV, CV {assumed_cv:.0%} on V1, k10 and ka "
            f"(the reference publishes no variability for {model.id})"
        )
    comp = racemic_compartments(model, params, routes)
    central = comp.index("central")
    inputs: list[Input] = []
    for d in doses:
        if d.route == "iv":
            inputs.append(Input(central, d.start_min, d.dose_mg * ones, d.infusion_min))
        else:
            absorption = RACEMIC_ABSORPTION[d.route]
            inputs.append(Input(comp.index(f"depot_{d.route}"), d.start_min,
                                absorption.bioavailability * d.dose_mg * ones,
                                absorption.zero_order_min))
    system = diagonalise(comp.rates, comp.outputs, comp.depots)
    return Prepared(model.id, system, inputs, comp.output_names, assumptions, comp)


def esketamine_parameters(
    model: EsketamineModel,
    age_y: float | None,
    n_patients: int,
    rng: np.random.Generator | None,
) -> dict[str, FloatArray]:
    """Per-patient Table 3 parameters: typical values, or drawn with Table 3's IIV."""
    names = [
        "vc_l",
        "q1_l_h",
        "vp1_l",
        "q2_l_h",
        "vp2_l",
        "qh_l_h",
        "vh_l",
        "kel_per_h",
        "kmet_per_h",
        "ka_nasal_per_h",
        "ka_swallowed_per_h",
        "ka_oral_per_h",
        "vcn_l",
        "cln_l_h",
        "q3_l_h",
        "vpn_l",
    ]
    ones = np.ones(n_patients)
    params = {n: float(getattr(model, n)) * ones for n in names}
    if age_y is not None and age_y > model.qh_age_threshold_y:
        # Reference s.5: Qh 151 L/h minus 2.19 L/h per year of age over 60.
        params["qh_l_h"] = params["qh_l_h"] - model.qh_age_slope_l_h_per_year * (
            age_y - model.qh_age_threshold_y
        )
    frn = model.frn * ones
    if rng is not None:
        for name, cv in PEREZ_RUIXO_2021_IIV_CV.items():
            eta = _lognormal_sd(cv) * rng.standard_normal(n_patients)
            params[name] = params[name] * np.exp(eta)
        logit = math.log(model.frn / (1 - model.frn))
        frn = 1.0 / (
            1.0 + np.exp(-(logit + PEREZ_RUIXO_2021_FRN_LOGIT_SD * rng.standard_normal(n_patients)))
        )
    params["frn"] = frn
    return params


def _prepare_esketamine(
    model: EsketamineModel,
    doses: Sequence[Dose],
    age_y: float | None,
    n_patients: int,
    rng: np.random.Generator | None,
) -> Prepared:
    routes = _unique_routes(doses)
    params = esketamine_parameters(model, age_y, n_patients, rng)
    comp = esketamine_compartments(model, params, routes)
    assumptions = [
        f"{model.id}: typical values of {model.source}; covariates other than age "
        "(e.g. race, TRD status) are not applied, i.e. the reference population of Table 4"
    ]
    if age_y is None:
        assumptions.append(f"{model.id}: age not given, hepatic flow Qh for age <= 60 years")
    if "intranasal" in routes:
        assumptions.append(
            f"intranasal: {model.device_mg:g} mg devices {model.device_interval_min:g} min "
            f"apart (label); nasal fraction FRn {model.frn:g} for the first device and "
            f"x{model.frn_later_device_factor:g} for later ones; the swallowed rest x Fgut "
            f"{model.fgut:g} enters the gut over {model.swallowed_zero_order_h:g} h"
        )
    if rng is not None:
        assumptions.append(
            f"population: IIV of {model.source} (log-normal, SD = sqrt(ln(1 + CV^2)); "
            "FRn logit-normal)"
        )
    ones = np.ones(n_patients)
    inputs: list[Input] = []
    for d in doses:
        if d.route == "iv":
            inputs.append(
                Input(comp.index("central"), d.start_min, d.dose_mg * ones, d.infusion_min)
            )
        elif d.route == "oral":
            inputs.append(
                Input(
                    comp.index("gut_oral"),
                    d.start_min,
                    model.fgut * d.dose_mg * ones,
                    model.oral_zero_order_h * 60,
                )
            )
        else:
            for k in range(esketamine_devices(model, d.dose_mg)):
                frn = params["frn"] * (1.0 if k == 0 else model.frn_later_device_factor)
                t = d.start_min + k * model.device_interval_min
                inputs.append(Input(comp.index("nasal"), t, frn * model.device_mg))
                inputs.append(
                    Input(
                        comp.index("gut_swallowed"),
                        t,
                        (1 - frn) * model.fgut * model.device_mg,
                        model.swallowed_zero_order_h * 60,
                    )
                )
    system = diagonalise(comp.rates, comp.outputs, comp.depots)
    return Prepared(model.id, system, inputs, comp.output_names, assumptions, comp)


def prepare(
    model_id: str,
    doses: Sequence[Dose],
    patient: Patient,
    *,
    n_patients: int = 1,
    seed: int | None = None,
    assumed_cv: float = RACEMIC_ASSUMED_CV,
) -> Prepared:
    """Validate and build. With `seed` None every patient has the typical parameters;
    otherwise `n_patients` parameter sets are drawn (population mode)."""
    validate(model_id, doses, patient)
    if n_patients < 1:
        raise PKInputError("patients", f"must be at least 1, got {n_patients}")
    if not (math.isfinite(assumed_cv) and 0 <= assumed_cv <= 2):
        raise PKInputError("assumed_cv", f"must be between 0 and 2, got {assumed_cv:g}")
    rng = None if seed is None else np.random.default_rng(seed)
    if model_id in ESKETAMINE_MODELS:
        return _prepare_esketamine(
            ESKETAMINE_MODELS[model_id], doses, patient.age_y, n_patients, rng
        )
    assert patient.weight_kg is not None  # validate() guarantees it
    return _prepare_racemic(
        RACEMIC_MODELS[model_id], doses, patient.weight_kg, n_patients, rng, assumed_cv
    )
