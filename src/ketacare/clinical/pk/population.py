"""Population mode: many virtual patients on one regimen, summarised without ever holding
the full (patients x time) matrix.

The closed-form engine streams blocks of a few time points for all patients
(`solve.grid_blocks`); each block updates per-patient running metrics (Cmax, Tmax, AUC,
time above a threshold) and is reduced to percentiles per time point before the next one
is computed. 100,000 patients x 30,240 minutes would be 24 GB as one float64 array; this
keeps a few MB.

In washout (one mode left, no infusion: most of a long course) a block comes with each
patient's exact minimum and maximum and is not evaluated in full
(`solve.grid_blocks_extremes`): the metrics and the percentile tracker compute only the
columns they look at, the same values bit for bit.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .curves import MIN_PER_H, analytes, time_grid
from .models import RACEMIC_ASSUMED_CV
from .percentiles import PercentileTracker, Rows, row_percentiles
from .regimen import NO_PATIENT, Dose, Patient, PKInputError, Prepared, prepare
from .solve import Extremes, FloatArray, decay_table, grid_blocks_extremes, integrate

__all__ = [
    "PatientMetrics",
    "PercentileTracker",
    "PopulationResult",
    "row_percentiles",
    "run_population",
    "simulate_population",
]

DEFAULT_PERCENTILES: tuple[float, ...] = (5.0, 50.0, 95.0)
# ~0.5 M values per block: big enough that numpy's per-call overhead vanishes, small
# enough to stay in cache-friendly territory.
BLOCK_ELEMENTS = 1 << 19
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PatientMetrics:
    """Per-patient exposure over the simulated window, one value per patient."""

    cmax_ng_ml: FloatArray
    tmax_min: FloatArray
    auc_ng_h_ml: FloatArray  # exact integral from 0 to the last grid time
    time_above_min: FloatArray  # grid points above the threshold x step


@dataclass(frozen=True)
class PopulationResult:
    model: str
    n_patients: int
    seed: int
    time_min: FloatArray
    percentiles: tuple[float, ...]
    # output name ("plasma", "metabolite") -> (len(percentiles), T) in ng/mL
    bands: dict[str, FloatArray]
    metrics: dict[str, PatientMetrics]
    threshold_ng_ml: float
    analyte: str
    metabolite: str | None
    assumptions: list[str] = field(default_factory=list)


class _Running:
    """Running per-patient metrics of one output over a range of the grid."""

    def __init__(self, n_patients: int, threshold: float) -> None:
        self.cmax = np.full(n_patients, -np.inf)
        self.kmax = np.zeros(n_patients, dtype=np.int64)
        self.n_above = np.zeros(n_patients, dtype=np.int64)
        self.threshold = threshold
        self._mask = np.empty(n_patients, dtype=bool)
        # the last block raised no Cmax and nobody was above the threshold in it
        self._still = False

    def update(
        self,
        k0: int,
        block: Rows,
        bmin: FloatArray,
        bmax: FloatArray,
        falling: bool = False,
    ) -> None:
        """block (rows, patients); bmin / bmax: its minimum / maximum per patient; falling:
        no patient's maximum is above its maximum in the previous block (washout)."""
        if falling and self._still:
            # every maximum is at most the last block's, which raised no Cmax and stayed at
            # or below the threshold: this block can do neither
            return
        mask = self._mask
        better = np.flatnonzero(np.greater(bmax, self.cmax, out=mask))
        if better.size:
            # Only patients whose peak moved need an argmax: after the first dose these are
            # few, so Tmax costs almost nothing over a long course.
            self.kmax[better] = k0 + np.argmax(block.take(better, axis=1), axis=0)
            self.cmax[better] = bmax[better]
        # Most of a course is washout far below the threshold: skip the count there.
        above_somewhere = bool(bmax.max() > self.threshold)
        self._still = not better.size and not above_somewhere
        if above_somewhere:
            # above the threshold at least once in the block ...
            above = np.flatnonzero(np.greater(bmax, self.threshold, out=mask))
            crossing = above[bmin[above] <= self.threshold]  # ... but not all the time
            self.n_above[above] += block.shape[0]
            self.n_above[crossing] -= np.count_nonzero(
                block.take(crossing, axis=1) <= self.threshold, axis=0
            )

    def merge(self, later: _Running) -> None:
        """Fold in the metrics of a later range of the grid (ties keep the earlier Tmax)."""
        better = later.cmax > self.cmax
        self.cmax[better] = later.cmax[better]
        self.kmax[better] = later.kmax[better]
        self.n_above += later.n_above


EXTREMES_CHUNK = 1 << 14  # patients: a (rows x chunk) slice of a block stays in L2 cache


def _extremes(block: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each column's minimum and maximum over the rows, a slice of columns at a time so
    that the second reduction reads the slice from cache, not from memory."""
    n = block.shape[1]
    low, high = np.empty(n), np.empty(n)
    for c in range(0, n, EXTREMES_CHUNK):
        part = block[:, c : c + EXTREMES_CHUNK]
        np.min(part, axis=0, out=low[c : c + EXTREMES_CHUNK])
        np.max(part, axis=0, out=high[c : c + EXTREMES_CHUNK])
    return low, high


def _block_extremes(
    rows: Rows, extremes: Extremes | None, o: int
) -> tuple[FloatArray, FloatArray, bool]:
    """Output o's minimum and maximum per patient over the block, and whether no maximum
    can be above the previous block's: from the closed form in washout, else read."""
    if extremes is None:
        return (*_extremes(np.asarray(rows)), False)
    return extremes.low[o], extremes.high[o], extremes.falling


def _workers_default() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def run_population(
    prepared: Prepared,
    n_times: int,
    step_min: float,
    *,
    threshold_ng_ml: float = 100.0,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    progress: Progress | None = None,
    workers: int | None = None,
    block_rows: int | None = None,
) -> tuple[dict[str, FloatArray], dict[str, PatientMetrics]]:
    """Stream a prepared population over the grid k * step_min, k < n_times.

    The grid is cut into one contiguous range per worker thread; numpy releases the GIL in
    the sum-of-products, the reductions and the partitions, so ranges run in parallel.
    Each range keeps its own running metrics, merged at the end."""
    system = prepared.system
    n_pat = system.n_patients
    n_out = len(prepared.output_names)
    rows = block_rows or max(1, min(n_times, BLOCK_ELEMENTS // max(1, n_pat)))
    n_workers = max(1, min(workers or _workers_default(), n_times // rows or 1))
    table = decay_table(system, rows, step_min)
    bands = {name: np.empty((len(percentiles), n_times)) for name in prepared.output_names}
    cuts = [n_times * w // n_workers for w in range(n_workers + 1)]
    done = [0] * n_workers
    lock = threading.Lock()

    def run_range(w: int) -> list[_Running]:
        running = [_Running(n_pat, threshold_ng_ml) for _ in range(n_out)]
        trackers = [PercentileTracker(n_pat, percentiles) for _ in range(n_out)]
        blocks = grid_blocks_extremes(
            system,
            prepared.inputs,
            n_times,
            step_min,
            rows,
            k_start=cuts[w],
            k_stop=cuts[w + 1],
            table=table,
            lazy=True,
        )
        for k0, block, extremes in blocks:
            for o, name in enumerate(prepared.output_names):
                # each patient's extremes over the block: Cmax, time above and the
                # percentiles' pre-selection all start from them (in washout they come
                # from the closed form without reading the block)
                bmin, bmax, falling = _block_extremes(block[o], extremes, o)
                running[o].update(k0, block[o], bmin, bmax, falling)
                bands[name][:, k0 : k0 + block.shape[1]] = trackers[o].rows(block[o], bmin, bmax)
            if progress is not None:
                with lock:
                    done[w] += block.shape[1]
                    progress(sum(done), n_times)
        return running

    if n_workers == 1:
        parts = [run_range(0)]
    else:
        with ThreadPoolExecutor(n_workers) as pool:
            parts = list(pool.map(run_range, range(n_workers)))
    merged = parts[0]
    for part in parts[1:]:
        for o in range(n_out):
            merged[o].merge(part[o])
    for values in bands.values():
        # exact zeros (before the first dose reaches a compartment) come out as +-1e-16
        np.maximum(values, 0.0, out=values)
    # AUC in closed form (exact integral of the sums of exponentials) from 0 to the last
    # grid time: cheaper and more accurate than summing the grid.
    auc = integrate(system, prepared.inputs, (n_times - 1) * step_min) / MIN_PER_H
    metrics = {
        name: PatientMetrics(
            cmax_ng_ml=merged[o].cmax,
            tmax_min=merged[o].kmax.astype(np.float64) * step_min,
            auc_ng_h_ml=auc[:, o],
            time_above_min=merged[o].n_above.astype(np.float64) * step_min,
        )
        for o, name in enumerate(prepared.output_names)
    }
    return bands, metrics


def simulate_population(
    model: str,
    doses: Sequence[Dose],
    patient: Patient = NO_PATIENT,
    *,
    patients: int = 1000,
    seed: int = 0,
    until_min: float = 24 * MIN_PER_H,
    step_min: float = 1.0,
    threshold_ng_ml: float = 100.0,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    assumed_cv: float = RACEMIC_ASSUMED_CV,
    progress: Progress | None = None,
) -> PopulationResult:
    """Draw `patients` parameter sets (log-normal IIV; see each model's assumptions) and
    return percentiles per time point and per-patient Cmax, Tmax, AUC, time above."""
    if patients < 1:
        raise PKInputError("patients", f"must be at least 1, got {patients}")
    if not (math.isfinite(threshold_ng_ml) and threshold_ng_ml >= 0):
        raise PKInputError("threshold_ng_ml", f"must be >= 0, got {threshold_ng_ml:g}")
    for q in percentiles:
        if not 0 <= q <= 100:
            raise PKInputError("percentiles", f"must be between 0 and 100, got {q:g}")
    times = time_grid(until_min, step_min)
    prepared = prepare(model, doses, patient, n_patients=patients, seed=seed, assumed_cv=assumed_cv)
    bands, metrics = run_population(
        prepared,
        times.size,
        step_min,
        threshold_ng_ml=threshold_ng_ml,
        percentiles=percentiles,
        progress=progress,
    )
    parent, metabolite = analytes(model)
    return PopulationResult(
        model=model,
        n_patients=patients,
        seed=seed,
        time_min=times,
        percentiles=tuple(percentiles),
        bands=bands,
        metrics=metrics,
        threshold_ng_ml=threshold_ng_ml,
        analyte=parent,
        metabolite=metabolite,
        assumptions=prepared.assumptions,
    )
