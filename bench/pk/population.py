"""Population PK benchmark (issue #6): 100,000 virtual patients on a 6-infusion IV
induction over 21 days at 1-minute resolution, summarised to percentiles per time point and
per-patient Cmax, Tmax, AUC and time above 100 ng/mL.

Prints wall time, peak memory, and ratios against baselines timed in the same run on the
same number of threads: per-patient `solve_ivp` (a sample split over as many processes as the
closed form has threads, scaled linearly), the closed form alone (the same blocks streamed
with every value evaluated, then dropped: no metrics, no percentiles; the population run
itself leaves washout blocks unevaluated except where its metrics and percentiles look, see
`solve.grid_blocks_extremes`) and the floor (bare `np.exp` over as many elements as the
closed form has exponential terms, patients x time points x modes).

    .venv/bin/python bench/pk/population.py               # full run (~1-3 min)
    .venv/bin/python bench/pk/population.py --patients 2000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ketacare.clinical import pk
from ketacare.clinical.pk.population import BLOCK_ELEMENTS, run_population
from ketacare.clinical.pk.solve import FloatArray, decay_table, grid_blocks

MODEL = "domino"
WEIGHT_KG = 70.0
DOSE_MG_KG = 0.5  # IV induction, 0.5 mg/kg over 40 min (clinical reference s.3)
INFUSION_MIN = 40.0
# Mon/Wed/Fri over 12 days: 6 infusions within 21 days (clinical reference s.3)
INFUSION_DAYS = (0, 2, 4, 7, 9, 11)
DAYS = 21
STEP_MIN = 1.0
N_TIMES = DAYS * 1440  # 30,240 time points: t = 0 .. 30,239 min
THRESHOLD_NG_ML = 100.0


def regimen() -> list[pk.Dose]:
    dose_mg = DOSE_MG_KG * WEIGHT_KG
    return [pk.Dose("iv", dose_mg, day * 1440.0, INFUSION_MIN) for day in INFUSION_DAYS]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def closed_form(prepared: pk.Prepared, workers: int) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    bands, metrics = run_population(
        prepared, N_TIMES, STEP_MIN, threshold_ng_ml=THRESHOLD_NG_ML, workers=workers
    )
    return time.perf_counter() - start, {"bands": bands, "metrics": metrics}


def closed_form_alone(prepared: pk.Prepared, workers: int) -> float:
    """The engine's closed form alone: the same blocks on the same threads and grid ranges
    as `run_population`, every value evaluated, each block dropped as soon as it is
    computed."""
    n_pat = prepared.system.n_patients
    rows = max(1, min(N_TIMES, BLOCK_ELEMENTS // n_pat))
    table = decay_table(prepared.system, rows, STEP_MIN)
    cuts = [N_TIMES * w // workers for w in range(workers + 1)]

    def run_range(w: int) -> None:
        for _ in grid_blocks(
            prepared.system,
            prepared.inputs,
            N_TIMES,
            STEP_MIN,
            rows,
            k_start=cuts[w],
            k_stop=cuts[w + 1],
            table=table,
        ):
            pass

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run_range, range(workers)))
    return time.perf_counter() - start


def floor_seconds(n_elements: int, n_patients: int, workers: int) -> float:
    """Bare np.exp over n_elements float64 values, in blocks the size the engine uses,
    split over the same number of threads."""
    rows = max(1, min(N_TIMES, BLOCK_ELEMENTS // n_patients))
    block = rows * n_patients
    x = -np.random.default_rng(0).random(block)
    n_blocks = max(1, n_elements // block)

    def part(count: int) -> None:
        out = np.empty_like(x)
        for _ in range(count):
            np.exp(x, out=out)

    shares = [n_blocks // workers + (w < n_blocks % workers) for w in range(workers)]
    start = time.perf_counter()
    if workers == 1:
        part(shares[0])
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(part, shares))
    return (time.perf_counter() - start) * n_elements / (n_blocks * block)


def ivp_patient(
    rates: FloatArray,
    out_per_mg: float,
    doses: list[pk.Dose],
    method: str,
    rtol: float,
    atol: float,
) -> FloatArray:
    """One patient, the textbook way: integrate dA/dt = K A + u(t) between dose events
    (restarting at each, so no step straddles a discontinuity), output on the grid."""
    grid = np.arange(N_TIMES, dtype=np.float64) * STEP_MIN
    events = sorted(
        {0.0, grid[-1]}
        | {d.start_min for d in doses}
        | {d.start_min + d.infusion_min for d in doses}
    )
    conc = np.zeros(N_TIMES)
    amounts = np.zeros(rates.shape[0])
    for a, b in zip(events[:-1], events[1:], strict=True):
        rate = np.zeros(rates.shape[0])
        for d in doses:
            if d.start_min <= a < d.start_min + d.infusion_min:
                rate[0] += d.dose_mg / d.infusion_min
        last = b == events[-1]
        inside = (grid >= a) & ((grid <= b) if last else (grid < b))
        t_eval = np.append(grid[inside], b) if not last else grid[inside]
        sol = solve_ivp(
            lambda _t, y, r=rate: rates @ y + r,
            (a, b),
            amounts,
            method=method,
            t_eval=t_eval,
            rtol=rtol,
            atol=atol,
        )
        conc[inside] = sol.y[0, : inside.sum()] * out_per_mg
        amounts = sol.y[:, -1]
    return conc


def _ivp_error(args: tuple[FloatArray, float, str, float, float, FloatArray]) -> float:
    """Solve one patient; its max relative error vs the closed form (where > 1 ng/mL)."""
    rates, out_per_mg, method, rtol, atol, reference = args
    conc = ivp_patient(rates, out_per_mg, regimen(), method, rtol, atol)
    mask = reference > 1.0
    return float(np.max(np.abs(conc[mask] / reference[mask] - 1)))


def ivp_baseline(
    prepared: pk.Prepared,
    sample: int,
    method: str,
    rtol: float,
    atol: float,
    reference: FloatArray,
    workers: int,
) -> tuple[float, float]:
    """Wall seconds per patient with the sample spread over `workers` processes (solve_ivp
    holds the GIL in its Python right-hand side: threads would not run in parallel), and
    the worst relative error vs the closed form."""
    comp = prepared.compartments
    assert comp is not None
    jobs = [
        (comp.rates[p], float(comp.outputs[p, 0, 0]), method, rtol, atol, reference[p])
        for p in range(sample)
    ]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_ivp_error, jobs[:workers]))  # start-up and imports: not timed
        start = time.perf_counter()
        errors = list(pool.map(_ivp_error, jobs))
        seconds = time.perf_counter() - start
    return seconds / sample, max(errors)


def run_benchmark(
    patients: int = 100_000,
    seed: int = 1,
    workers: int = 2,
    ivp_sample: int = 20,
    quiet: bool = False,
) -> dict[str, Any]:
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    say(
        f"population PK benchmark: {MODEL}, {WEIGHT_KG:g} kg, {DOSE_MG_KG:g} mg/kg IV over "
        f"{INFUSION_MIN:g} min on days {', '.join(map(str, INFUSION_DAYS))}; "
        f"{patients:,} patients x {N_TIMES:,} time points ({DAYS} days, {STEP_MIN:g} min)"
    )
    rss_before = _rss_mb()
    prepared = pk.prepare(MODEL, regimen(), pk.Patient(WEIGHT_KG), n_patients=patients, seed=seed)
    n_modes = prepared.system.n_modes
    wall, result = closed_form(prepared, workers)
    rss_peak = _rss_mb()
    alone = closed_form_alone(prepared, workers)
    values = patients * N_TIMES
    terms = values * n_modes
    say(
        f"closed form: {wall:.2f} s wall ({workers} thread(s)), "
        f"{wall / values * 1e9:.2f} ns per patient-time value; peak RSS {rss_peak:.0f} MB "
        f"(before run {rss_before:.0f} MB; a full float64 matrix would be "
        f"{values * 8 / 2**30:.1f} GiB)"
    )

    say(
        f"closed form alone (every value evaluated; same blocks and threads, no metrics or "
        f"percentiles): "
        f"{alone:.2f} s; the population run costs {wall / alone:.2f} x that"
    )
    floor_1 = floor_seconds(terms, patients, 1)
    floor_w = floor_seconds(terms, patients, workers) if workers > 1 else floor_1
    say(
        f"floor: np.exp over {terms:,} float64 values ({n_modes} exponential terms per "
        f"patient-time value): {floor_1:.2f} s on 1 thread, {floor_w:.2f} s on {workers}"
    )

    sample = min(ivp_sample, patients)
    reference = pk.solve.evaluate(
        prepared.system.take(slice(0, sample)),
        pk.solve.take_inputs(prepared.inputs, slice(0, sample)),
        np.arange(N_TIMES, dtype=np.float64) * STEP_MIN,
    )[:, 0, :]
    baselines = {}
    for method, rtol, atol in (("LSODA", 1e-8, 1e-10), ("RK45", 1e-6, 1e-9)):
        per_patient, err = ivp_baseline(prepared, sample, method, rtol, atol, reference, workers)
        baselines[method] = {
            "s_per_patient": per_patient,
            "max_rel_err": err,
            "rtol": rtol,
            "atol": atol,
            "scaled_s": per_patient * patients,
        }
        say(
            f"solve_ivp {method} (rtol {rtol:g}, atol {atol:g}): {per_patient * 1e3:.1f} ms "
            f"wall per patient ({sample} patients over {workers} process(es)), scaled to "
            f"{patients:,}: "
            f"{per_patient * patients:,.0f} s; its max relative error vs closed form {err:.1e}"
        )

    bands = result["bands"]["plasma"]
    m = result["metrics"]["plasma"]
    summary = {
        "patients": patients,
        "time_points": N_TIMES,
        "modes": n_modes,
        "wall_s": wall,
        "workers": workers,
        "peak_rss_mb": rss_peak,
        "floor_1_thread_s": floor_1,
        "floor_workers_s": floor_w,
        "closed_form_alone_s": alone,
        "ratio_to_closed_form_alone": wall / alone,
        "ratio_to_floor_same_threads": wall / floor_w,
        "ratio_to_floor_1_thread": wall / floor_1,
        "speedup_vs_lsoda": baselines["LSODA"]["scaled_s"] / wall,
        "speedup_vs_rk45": baselines["RK45"]["scaled_s"] / wall,
        "bands_shape": bands.shape,
        "metrics_shape": m.cmax_ng_ml.shape,
        "baselines": baselines,
        "bands": bands,
        "metrics": m,
    }
    say("")
    say("RESULTS")
    say(f"  wall time                     {wall:8.2f} s  ({workers} thread(s))")
    say(f"  peak memory (ru_maxrss)       {rss_peak:8.0f} MB  (target < 4096)")
    say(
        f"  speed-up vs solve_ivp LSODA   {summary['speedup_vs_lsoda']:8.0f} x  "
        f"(both on {workers}; target >= 1000)"
    )
    say(
        f"  speed-up vs solve_ivp RK45    {summary['speedup_vs_rk45']:8.0f} x  "
        "(solve_ivp's default method)"
    )
    say(
        f"  ratio to closed form alone    {summary['ratio_to_closed_form_alone']:8.2f} x  "
        f"(same {workers} thread(s); target <= 3)"
    )
    say(
        f"  ratio to np.exp floor         {summary['ratio_to_floor_same_threads']:8.2f} x  "
        f"(same {workers} thread(s))"
    )
    say(f"  ratio to 1-thread floor       {summary['ratio_to_floor_1_thread']:8.2f} x")
    peak_t = np.argmax(bands[1])
    say(
        f"  median curve peak             {bands[1, peak_t]:8.1f} ng/mL at t = {peak_t} min "
        f"(p5 {bands[0, peak_t]:.1f}, p95 {bands[2, peak_t]:.1f})"
    )
    for label, v in (
        ("Cmax ng/mL", m.cmax_ng_ml),
        ("Tmax min", m.tmax_min),
        ("AUC 0-21 d ng.h/mL", m.auc_ng_h_ml),
        (f"min above {THRESHOLD_NG_ML:g} ng/mL", m.time_above_min),
    ):
        p5, p50, p95 = np.percentile(v, [5, 50, 95])
        say(f"  per-patient {label:<20s} median {p50:9.1f}  [5-95%: {p5:.1f}-{p95:.1f}]")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="threads (machine has 2 cores)")
    parser.add_argument(
        "--ivp-sample", type=int, default=20, help="patients solved with solve_ivp for the baseline"
    )
    args = parser.parse_args(argv)
    run_benchmark(args.patients, args.seed, args.workers, args.ivp_sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
