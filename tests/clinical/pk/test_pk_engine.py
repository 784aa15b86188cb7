"""The closed-form engine against numerical ODE solutions, superposition, and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pk_reference_ode import (
    esketamine_events,
    esketamine_rhs,
    integrate,
    racemic_events,
    racemic_rhs,
)

from ketacare.clinical import pk
from ketacare.clinical.pk.models import RACEMIC_MODELS, RACEMIC_ROUTES
from ketacare.clinical.pk.solve import Input, diagonalise, evaluate
from ketacare.clinical.pk.solve import integrate as exact_area

TIMES = np.unique(np.concatenate([np.arange(0, 120, 0.5), np.arange(120, 1441, 7.0)]))
REL_TOL = 1e-6


def assert_close(closed: np.ndarray, reference: np.ndarray) -> None:
    """Relative error < 1e-6 wherever the concentration is not negligible (> 1e-3 of
    its peak; below that the ODE solver's absolute tolerance dominates)."""
    mask = reference > 1e-3 * reference.max()
    assert mask.sum() > 10
    rel = np.abs(closed[mask] / reference[mask] - 1)
    assert rel.max() < REL_TOL, f"max relative error {rel.max():.2e}"


CASES = [("iv", 0.0), ("iv", 40.0), *[(r, 0.0) for r in RACEMIC_ROUTES if r != "iv"]]


@pytest.mark.parametrize("model", list(RACEMIC_MODELS))
@pytest.mark.parametrize(("route", "infusion"), CASES)
def test_racemic_models_match_ode(model: str, route: str, infusion: float) -> None:
    weight, dose = 82.0, 41.0
    curve = pk.simulate(
        model, [pk.Dose(route, dose, 0.0, infusion)], pk.Patient(weight), times_min=TIMES
    )
    rhs, names, conc_per_mg = racemic_rhs(model, weight)
    ref = integrate(rhs, names, racemic_events(route, dose, 0.0, infusion), TIMES)[0]
    assert_close(curve.plasma_ng_ml, ref * conc_per_mg)


@pytest.mark.parametrize(
    ("route", "dose", "infusion"),
    [
        ("iv", 20.0, 0.0),
        ("iv", 20.0, 40.0),
        ("oral", 50.0, 0.0),
        ("intranasal", 56.0, 0.0),
        ("intranasal", 84.0, 0.0),
    ],
)
@pytest.mark.parametrize("age", [None, 72.0])
def test_perez_ruixo_matches_ode(
    route: str, dose: float, infusion: float, age: float | None
) -> None:
    curve = pk.simulate(
        "perez-ruixo-2021",
        [pk.Dose(route, dose, 0.0, infusion)],
        pk.Patient(age_y=age),
        times_min=TIMES,
    )
    rhs, names = esketamine_rhs(age)
    amounts = integrate(rhs, names, esketamine_events(route, dose, 0.0, infusion), TIMES)
    assert curve.metabolite_ng_ml is not None
    assert_close(curve.plasma_ng_ml, amounts[3] / 192.0 * 1000)  # Vc 192 L
    assert_close(curve.metabolite_ng_ml, amounts[7] / 70.0 * 1000)  # Vcn 70 L


def test_repeated_doses_equal_one_simulation_of_the_whole_course() -> None:
    """Superposition: a mixed course (IV infusions, an IM top-up, oral) equals the sum of
    its doses simulated one by one, and one ODE integration of the whole course."""
    weight = 70.0
    course = [
        pk.Dose("iv", 35.0, 0.0, 40.0),
        pk.Dose("im", 20.0, 90.0),
        pk.Dose("iv", 35.0, 600.0, 40.0),
        pk.Dose("oral", 100.0, 1000.0),
    ]
    times = np.arange(0, 2000, 1.0)
    whole = pk.simulate("domino", course, pk.Patient(weight), times_min=times).plasma_ng_ml
    one_by_one = sum(
        pk.simulate("domino", [d], pk.Patient(weight), times_min=times).plasma_ng_ml for d in course
    )
    np.testing.assert_allclose(whole, one_by_one, rtol=1e-10, atol=1e-9)
    rhs, names, conc_per_mg = racemic_rhs("domino", weight)
    events = [
        e for d in course for e in racemic_events(d.route, d.dose_mg, d.start_min, d.infusion_min)
    ]
    assert_close(whole, integrate(rhs, names, events, times)[0] * conc_per_mg)


def test_repeated_esketamine_sessions_match_ode() -> None:
    course = pk.repeat_dose(pk.Dose("intranasal", 84.0), every_min=3.5 * 1440, count=2)
    times = np.arange(0, 10 * 1440, 5.0)
    curve = pk.simulate("perez-ruixo-2021", course, times_min=times)
    rhs, names = esketamine_rhs()
    events = [e for d in course for e in esketamine_events(d.route, d.dose_mg, d.start_min, 0)]
    amounts = integrate(rhs, names, events, times)
    assert_close(curve.plasma_ng_ml, amounts[3] / 192.0 * 1000)
    assert curve.metabolite_ng_ml is not None
    assert_close(curve.metabolite_ng_ml, amounts[7] / 70.0 * 1000)


def test_exact_auc_matches_fine_trapezoid() -> None:
    prepared = pk.prepare("domino", [pk.Dose("iv", 35.0, 0.0, 40.0)], pk.Patient(70))
    t = np.linspace(0, 1440, 1_440_001)
    conc = evaluate(prepared.system, prepared.inputs, t)[0, 0]
    area = exact_area(prepared.system, prepared.inputs, 1440.0)[0, 0]
    assert area == pytest.approx(np.trapezoid(conc, t), rel=1e-7)


def test_domino_end_of_infusion_as_in_reference() -> None:
    """Reference s.5: domino predicts ~240 ng/mL at 40 min for 0.5 mg/kg over 40 min, 70 kg
    (the measured value is ~185 ng/mL; the model is not tuned to it)."""
    curve = pk.simulate(
        "domino", [pk.Dose("iv", 35.0, 0.0, 40.0)], pk.Patient(70), times_min=[40.0]
    )
    assert curve.plasma_ng_ml[0] == pytest.approx(240, rel=0.01)


def test_near_coincident_eigenvalues_stay_finite() -> None:
    """A depot whose rate equals a disposition eigenvalue makes V singular; the depot is
    nudged by 1e-7 and the answer stays within 1e-5 of the neighbouring exact solution."""
    k = 0.05
    rates = np.array([[[-k, 0.0], [k, -k]]])  # depot -> central, both rate k: Jordan block
    outputs = np.array([[[0.0, 1.0]]])
    system = diagonalise(rates, outputs, depots=[0])
    t = np.array([0.0, 10.0, 30.0, 100.0])
    got = evaluate(system, [Input(0, 0.0, np.array([1.0]))], t)[0, 0]
    np.testing.assert_allclose(got, k * t * np.exp(-k * t), rtol=1e-5, atol=1e-12)


dose_st = st.floats(min_value=0.1, max_value=500.0)
weight_st = st.floats(min_value=20.0, max_value=300.0)


@settings(max_examples=40, deadline=None)
@given(
    model=st.sampled_from(list(RACEMIC_MODELS)),
    route=st.sampled_from(RACEMIC_ROUTES),
    dose=dose_st,
    factor=st.floats(min_value=0.01, max_value=100.0),
    weight=weight_st,
    infusion=st.sampled_from([0.0, 10.0, 40.0]),
)
def test_linear_in_dose_and_never_negative(
    model: str, route: str, dose: float, factor: float, weight: float, infusion: float
) -> None:
    infusion = infusion if route == "iv" else 0.0
    times = np.arange(0, 600, 3.0)

    def conc(mg: float) -> np.ndarray:
        return pk.simulate(
            model, [pk.Dose(route, mg, 0.0, infusion)], pk.Patient(weight), times_min=times
        ).plasma_ng_ml

    base, scaled = conc(dose), conc(dose * factor)
    assert np.all(base >= 0)
    np.testing.assert_allclose(scaled, factor * base, rtol=1e-9, atol=1e-12 * scaled.max())


@settings(max_examples=25, deadline=None)
@given(
    route=st.sampled_from(["iv", "oral"]),
    dose=dose_st,
    factor=st.floats(min_value=0.01, max_value=100.0),
    age=st.one_of(st.none(), st.floats(min_value=18, max_value=100)),
)
def test_esketamine_linear_in_dose_for_iv_and_oral(
    route: str, dose: float, factor: float, age: float | None
) -> None:
    times = np.arange(0, 600, 3.0)

    def conc(mg: float) -> tuple[np.ndarray, np.ndarray]:
        c = pk.simulate(
            "perez-ruixo-2021", [pk.Dose(route, mg)], pk.Patient(age_y=age), times_min=times
        )
        assert c.metabolite_ng_ml is not None
        return c.plasma_ng_ml, c.metabolite_ng_ml

    (p1, m1), (p2, m2) = conc(dose), conc(dose * factor)
    assert np.all(p1 >= 0) and np.all(m1 >= 0)
    np.testing.assert_allclose(p2, factor * p1, rtol=1e-9, atol=1e-12 * p2.max())
    np.testing.assert_allclose(m2, factor * m1, rtol=1e-9, atol=1e-12 * m2.max())


@settings(max_examples=25, deadline=None)
@given(
    gap=st.floats(min_value=1.0, max_value=3000.0),
    first=dose_st,
    second=dose_st,
)
def test_superposition_property(gap: float, first: float, second: float) -> None:
    times = np.linspace(0, gap + 1440, 400)
    patient = pk.Patient(70)
    a = pk.Dose("iv", first, 0.0, 40.0)
    b = pk.Dose("sublingual", second, gap)
    both = pk.simulate("hijazi-2003", [a, b], patient, times_min=times).plasma_ng_ml
    parts = (
        pk.simulate("hijazi-2003", [a], patient, times_min=times).plasma_ng_ml
        + pk.simulate("hijazi-2003", [b], patient, times_min=times).plasma_ng_ml
    )
    np.testing.assert_allclose(both, parts, rtol=1e-9, atol=1e-12 * parts.max())
