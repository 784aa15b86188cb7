"""Population mode: streamed percentiles and metrics equal a direct computation; the
benchmark runs (shape only, no timing); the web-facing scenario function."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from ketacare.clinical import pk
from ketacare.clinical.pk.population import PercentileTracker, row_percentiles, run_population
from ketacare.clinical.pk.solve import (
    ModalSystem,
    ProductBlock,
    decay_table,
    evaluate,
    grid_blocks,
    grid_blocks_extremes,
)

ROOT = Path(__file__).resolve().parents[3]


PERCENTILE_SETS = [(5, 50, 95), (0, 100), (2.5, 97.5, 50, 50.1), (33.3,), (95, 5)]


def test_row_percentiles_equal_numpy_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 7, 20, 1000, 1001):
        block = rng.lognormal(size=(4, n))
        for qs in PERCENTILE_SETS:
            np.testing.assert_array_equal(
                row_percentiles(block, qs), np.percentile(block, qs, axis=1)
            )


def _drifting_rows(rng: np.random.Generator, n: int, t: int) -> np.ndarray:
    """Rows like a course's time points: patients decay at their own rates, with a jump
    (a dose) a third of the way, ties (all zero) at the start and repeated values."""
    rate = rng.lognormal(-4, 0.5, size=n)
    amp = rng.lognormal(3, 0.7, size=n)
    times = np.arange(t, dtype=np.float64)[:, None]
    rows = amp * np.exp(-rate * times)
    rows[t // 3 :] += 2 * amp * np.exp(-rate * (times[t // 3 :] - t // 3))
    rows[:2] = 0.0
    rows[5, : n // 2] = rows[5, 0]
    return rows


@pytest.mark.parametrize("n", [1, 2, 9, 500, 5001])
@pytest.mark.parametrize("step", [1, 5, 7])
def test_percentile_tracker_equals_numpy_bit_for_bit(n: int, step: int) -> None:
    rng = np.random.default_rng(n)
    rows = _drifting_rows(rng, n, 120)
    for qs in PERCENTILE_SETS:
        tracker = PercentileTracker(n, qs)
        got = np.concatenate(
            [tracker.rows(rows[i : i + step]) for i in range(0, 120, step)], axis=1
        )
        np.testing.assert_array_equal(got, np.percentile(rows, qs, axis=1))
        if n >= 500:  # most rows came from the bracket, not from a full selection
            assert tracker.stats["exact_rows"] < 120 // 3


def test_percentile_tracker_uses_the_callers_extremes() -> None:
    rows = _drifting_rows(np.random.default_rng(0), 1000, 60)
    tracker = PercentileTracker(1000, (5, 50, 95))
    got = []
    for i in range(0, 60, 5):
        block = rows[i : i + 5]
        got.append(tracker.rows(block, block.min(axis=0), block.max(axis=0)))
    np.testing.assert_array_equal(
        np.concatenate(got, axis=1), np.percentile(rows, (5, 50, 95), axis=1)
    )


@pytest.mark.parametrize(
    ("model", "doses", "patient"),
    [
        (
            "domino",
            [pk.Dose("iv", 35.0, 0.0, 40.0), pk.Dose("iv", 35.0, 2880.0, 40.0)],
            pk.Patient(70),
        ),
        ("clements-250", [pk.Dose("oral", 150.0), pk.Dose("im", 30.0, 333.3)], pk.Patient(60)),
        (
            "perez-ruixo-2021",
            [pk.Dose("intranasal", 84.0), pk.Dose("intranasal", 56.0, 5040.0)],
            pk.Patient(age_y=70),
        ),
    ],
)
@pytest.mark.parametrize("workers", [1, 2])
def test_streamed_population_equals_direct(
    model: str, doses: list[pk.Dose], patient: pk.Patient, workers: int
) -> None:
    prepared = pk.prepare(model, doses, patient, n_patients=300, seed=7)
    n_times, step = 3 * 1440, 2.0
    bands, metrics = run_population(
        prepared, n_times, step, threshold_ng_ml=20.0, workers=workers, block_rows=17
    )
    times = np.arange(n_times, dtype=np.float64) * step
    direct = evaluate(prepared.system, prepared.inputs, times)  # (P, o, T)
    for o, name in enumerate(prepared.output_names):
        conc = direct[:, o, :]
        np.testing.assert_allclose(
            bands[name], np.percentile(conc, [5, 50, 95], axis=0), rtol=1e-6, atol=1e-9
        )
        m = metrics[name]
        np.testing.assert_allclose(m.cmax_ng_ml, conc.max(axis=1), rtol=1e-12)
        np.testing.assert_array_equal(m.tmax_min, times[conc.argmax(axis=1)])
        np.testing.assert_allclose(m.auc_ng_h_ml, np.trapezoid(conc, times, axis=1) / 60, rtol=2e-3)
        np.testing.assert_array_equal(m.time_above_min, (conc > 20.0).sum(axis=1) * step)


WASHOUT_CASES = [
    (
        "domino",
        [pk.Dose("iv", 35.0, 0.0, 40.0), pk.Dose("iv", 35.0, 1000.0, 40.0)],
        pk.Patient(70),
    ),
    ("clements-250", [pk.Dose("oral", 150.0), pk.Dose("im", 30.0, 333.3)], pk.Patient(60)),
    (
        "perez-ruixo-2021",
        [pk.Dose("intranasal", 84.0), pk.Dose("intranasal", 56.0, 1500.0)],
        pk.Patient(age_y=70),
    ),
]


@pytest.mark.parametrize(("model", "doses", "patient"), WASHOUT_CASES)
@pytest.mark.parametrize("variant", ["as is", "negated", "two outputs", "mixed signs"])
@pytest.mark.parametrize("rows", [1, 5, 16])
def test_washout_extremes_equal_the_blocks_extremes_bit_for_bit(
    model: str, doses: list[pk.Dose], patient: pk.Patient, variant: str, rows: int
) -> None:
    """The extremes that come without reading the block are block.min / block.max exactly;
    the blocks themselves are grid_blocks' (negated outputs: coefficients below zero; extra
    outputs: several outputs in washout at once)."""
    prepared = pk.prepare(model, doses, patient, n_patients=200, seed=5)
    system = prepared.system
    extra = {
        "as is": [],
        "negated": None,
        "two outputs": [2.0 * system.outputs],
        "mixed signs": [-system.outputs],
    }[variant]
    if extra is None:
        system = ModalSystem(system.eigvals, system.to_modes, -system.outputs)
    elif extra:
        system = ModalSystem(
            system.eigvals, system.to_modes, np.concatenate([system.outputs, *extra], axis=1)
        )
    negate = variant in ("negated", "mixed signs")
    n_times, step = 2 * 1440, 1.0
    plain = grid_blocks(system, prepared.inputs, n_times, step, rows)
    known = n_blocks = n_falling = 0
    last_max = None
    for (k, block, ext), (k2, block2) in zip(
        grid_blocks_extremes(system, prepared.inputs, n_times, step, rows), plain, strict=True
    ):
        assert k == k2
        np.testing.assert_array_equal(block, block2)
        n_blocks += 1
        if ext is not None:
            known += 1
            np.testing.assert_array_equal(ext.low, block.min(axis=1))
            np.testing.assert_array_equal(ext.high, block.max(axis=1))
            if ext.falling:  # no maximum above the previous block's
                n_falling += 1
                assert last_max is not None and np.all(ext.high <= last_max)
        last_max = block.max(axis=1)
    assert n_falling == 0 or not negate  # falling is only claimed for c >= 0
    # lazy: washout blocks come unevaluated; wherever they are looked at, the same values
    rng = np.random.default_rng(rows)
    n_lazy = 0
    for (_, lazy, ext), (_, block) in zip(
        grid_blocks_extremes(system, prepared.inputs, n_times, step, rows, lazy=True),
        grid_blocks(system, prepared.inputs, n_times, step, rows),
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(lazy), block)
        if isinstance(lazy, ProductBlock):
            n_lazy += 1
            assert ext is not None and lazy.shape == block.shape
            cols = rng.choice(block.shape[2], size=17)
            for o in range(block.shape[0]):
                np.testing.assert_array_equal(lazy[o].take(cols, axis=1), block[o][:, cols])
                np.testing.assert_array_equal(lazy[o][rows - 1], block[o][rows - 1])
                np.testing.assert_array_equal(np.asarray(lazy[o]), block[o])
    assert n_lazy == known
    # perez-ruixo-2021's slow modes (the metabolite's) outlive two days: no washout yet
    assert known > 0 or model == "perez-ruixo-2021"
    if model == "domino":  # IV: most of the course is washout
        assert known > n_blocks // 2
        assert n_falling > n_blocks // 2 or negate


def test_one_term_product_is_the_sum_of_products() -> None:
    """In washout the block is np.multiply(c, d), which must give einsum's values."""
    rng = np.random.default_rng(11)
    c = rng.normal(size=(2, 1, 999)) * 10.0 ** rng.integers(-300, 300, size=(2, 1, 999))
    d = np.exp(-rng.random((1, 7, 999)) * 50)
    np.testing.assert_array_equal(np.multiply(c, d), np.einsum("onp,nbp->obp", c, d))


@pytest.mark.parametrize(("workers", "rows"), [(1, 5), (2, 5), (2, 7), (3, 1)])
def test_population_bands_unchanged_by_the_washout_extremes(workers: int, rows: int) -> None:
    """run_population's bands and metrics equal a direct reduction of the same blocks (the
    later workers start in washout, on unevaluated blocks)."""
    prepared = pk.prepare(*WASHOUT_CASES[0][:2], WASHOUT_CASES[0][2], n_patients=400, seed=2)
    n_times, step = 2 * 1440, 1.0
    bands, metrics = run_population(
        prepared, n_times, step, threshold_ng_ml=50.0, workers=workers, block_rows=rows
    )
    table = decay_table(prepared.system, rows, step)
    cuts = [n_times * w // workers for w in range(workers + 1)]  # each worker's range
    conc = np.concatenate(
        [
            block[0].copy()
            for w in range(workers)
            for _, block in grid_blocks(
                prepared.system,
                prepared.inputs,
                n_times,
                step,
                rows,
                k_start=cuts[w],
                k_stop=cuts[w + 1],
                table=table,
            )
        ]
    )  # (T, P)
    np.testing.assert_array_equal(
        bands["plasma"], np.maximum(np.percentile(conc, [5, 50, 95], axis=1), 0.0)
    )
    m = metrics["plasma"]
    np.testing.assert_array_equal(m.cmax_ng_ml, conc.max(axis=0))
    np.testing.assert_array_equal(m.tmax_min, conc.argmax(axis=0) * step)
    np.testing.assert_array_equal(m.time_above_min, (conc > 50.0).sum(axis=0) * step)


def test_population_is_reproducible_and_varies() -> None:
    doses = [pk.Dose("intranasal", 56.0)]
    a = pk.simulate_population(
        "perez-ruixo-2021", doses, patients=200, seed=1, until_min=240, step_min=5
    )
    b = pk.simulate_population(
        "perez-ruixo-2021", doses, patients=200, seed=1, until_min=240, step_min=5
    )
    c = pk.simulate_population(
        "perez-ruixo-2021", doses, patients=200, seed=2, until_min=240, step_min=5
    )
    np.testing.assert_array_equal(a.bands["plasma"], b.bands["plasma"])
    assert not np.array_equal(a.bands["plasma"], c.bands["plasma"])
    p5, p50, p95 = a.bands["plasma"][:, 8]
    assert 0 < p5 < p50 < p95
    assert a.bands["metabolite"].shape == (3, 49)
    # the typical patient sits near the middle of the population
    typical = pk.simulate("perez-ruixo-2021", doses, times_min=[40.0]).plasma_ng_ml[0]
    assert p5 < typical < p95


def test_racemic_population_without_assumed_variability_is_the_typical_patient() -> None:
    doses = [pk.Dose("iv", 35.0, 0.0, 40.0)]
    r = pk.simulate_population(
        "domino", doses, pk.Patient(70), patients=50, seed=0, assumed_cv=0.0, until_min=120
    )
    typical = pk.simulate("domino", doses, pk.Patient(70), until_min=120).plasma_ng_ml
    for band in r.bands["plasma"]:
        np.testing.assert_allclose(band, typical, rtol=1e-6)
    assert any("ASSUMED" in a for a in r.assumptions)


def test_compare_scenarios_for_the_web_page() -> None:
    data = pk.compare_scenarios(
        [
            pk.Scenario("domino", "iv", 35.0, weight_kg=70, infusion_min=40),
            pk.Scenario("hijazi-2003", "im", 50.0, weight_kg=70, label="IM 50"),
            pk.Scenario("perez-ruixo-2021", "intranasal", 56.0, age_y=45),
        ],
        until_min=240,
        step_min=2,
    )
    assert len(data["time_min"]) == 121
    labels = [s["label"] for s in data["series"]]
    assert labels[1] == "IM 50" and len(set(labels)) == 3
    for s in data["series"]:
        assert len(s["plasma_ng_ml"]) == 121 and s["assumptions"]
    assert data["series"][2]["metabolite_ng_ml"] is not None
    assert [b["label"] for b in data["effect_bands"]][0] == "analgesia"
    assert data["effect_bands"][1]["low_ng_ml"] == 100.0
    assert data["reference_points"][0]["conc_ng_ml"] == 185.0
    with pytest.raises(pk.PKInputError) as err:
        pk.compare_scenarios([pk.Scenario("domino", "iv", 35.0)])
    assert err.value.field == "weight_kg"


def _bench_module():  # type: ignore[no-untyped-def]
    path = ROOT / "bench" / "pk" / "population.py"
    spec = importlib.util.spec_from_file_location("ketacare_bench_pk_population", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_smoke() -> None:
    bench = _bench_module()
    out = bench.run_benchmark(patients=200, seed=3, workers=2, ivp_sample=1, quiet=True)
    assert out["bands_shape"] == (3, 30_240)
    assert out["metrics_shape"] == (200,)
    assert out["baselines"]["LSODA"]["max_rel_err"] < 1e-5
    m = out["metrics"]
    assert np.all(m.cmax_ng_ml > 0) and np.all(m.time_above_min >= 0)
    assert np.all(np.diff(out["bands"], axis=0) >= 0)  # p5 <= p50 <= p95
