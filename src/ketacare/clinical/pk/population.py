"""Population mode: many virtual patients on one regimen, summarised without ever holding
the full (patients x time) matrix.

The closed-form engine streams blocks of a few time points for all patients
(`solve.grid_blocks`); each block updates per-patient running metrics (Cmax, Tmax, AUC,
time above a threshold) and is reduced to percentiles per time point before the next one
is computed. 100,000 patients x 30,240 minutes would be 24 GB as one float64 array; this
keeps a few MB.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .curves import MIN_PER_H, analytes, time_grid
from .models import RACEMIC_ASSUMED_CV
from .regimen import NO_PATIENT, Dose, Patient, PKInputError, Prepared, prepare
from .solve import FloatArray, decay_table, grid_blocks, integrate

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

    def update(self, k0: int, block: FloatArray) -> None:
        bmax = block.max(axis=0)
        better = np.flatnonzero(bmax > self.cmax)
        if better.size:
            # Only patients whose peak moved need an argmax: after the first dose these are
            # few, so Tmax costs almost nothing over a long course.
            self.kmax[better] = k0 + np.argmax(block[:, better], axis=0)
            self.cmax[better] = bmax[better]
        # Most of a course is washout far below the threshold: skip the count there.
        if bmax.max() > self.threshold:
            self.n_above += np.count_nonzero(block > self.threshold, axis=0)

    def merge(self, later: _Running) -> None:
        """Fold in the metrics of a later range of the grid (ties keep the earlier Tmax)."""
        better = later.cmax > self.cmax
        self.cmax[better] = later.cmax[better]
        self.kmax[better] = later.kmax[better]
        self.n_above += later.n_above


def _positions(n: int, percentiles: Sequence[float]) -> list[tuple[int, int, float]]:
    """(previous index, next index, weight) of each percentile, computed as numpy's default
    'linear' method does ((n - 1) * q / 100, floored, the next index clipped to n - 1), so
    that the result is bit-for-bit np.percentile's."""
    out = []
    for q in percentiles:
        virtual = (n - 1) * (np.float64(q) / 100)
        prev = min(int(np.floor(virtual)), n - 1)
        out.append((prev, min(prev + 1, n - 1), float(virtual - prev)))
    return out


def _select(row: FloatArray, lo: int, hi: int, kths: list[int]) -> None:
    """Nested single-kth partitions of row[lo:hi]: afterwards row[k] is the k-th smallest
    for every k in kths. Each call partitions only the stretch between two kths already in
    place (the middle one first: about 2 n element visits for three percentiles), and a
    single kth uses numpy's SIMD quickselect, several times faster than a multi-kth one."""
    if not kths:
        return
    mid = kths[len(kths) // 2]
    row[lo:hi].partition(mid - lo)
    _select(row, lo, mid, [k for k in kths if k < mid])
    _select(row, mid + 1, hi, [k for k in kths if k > mid])


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's percentile interpolation, same operations in the same order."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def row_percentiles(block: FloatArray, percentiles: Sequence[float]) -> FloatArray:
    """Exact percentiles of each row (one row = one time point, columns = patients),
    (len(percentiles), rows): equal to np.percentile(block, q, axis=1), bit for bit.

    Per row, one partition per distinct order statistic (nested, see `_select`) on a copy;
    the order statistic just above a partitioned one (needed to interpolate) is the
    minimum of the stretch up to the next one."""
    rows = block.copy()
    n = rows.shape[1]
    pos = _positions(n, percentiles)
    kths = sorted({prev for prev, _, _ in pos})
    out = np.empty((len(pos), rows.shape[0]))
    for r in range(rows.shape[0]):
        row = rows[r]
        _select(row, 0, n, kths)
        for i, (prev, nxt, t) in enumerate(pos):
            stop = min((k for k in kths if k > prev), default=n - 1)
            # a 1-D contiguous min is several times faster than an axis-1 min of a 2-D slice
            out[i, r] = _lerp(float(row[prev]), float(row[nxt : stop + 1].min()), t)
    return out


class PercentileTracker:
    """Exact percentiles of successive rows whose values drift (the time points of a
    course): each order statistic is looked for only near where it was on the last row.

    For the order statistics (k, k + 1) of one percentile, last seen at (lo, hi), a bracket
    [a, b] a little wider is tried: if #{x < a} <= k and #{x <= b} > k + 1, both lie among
    the few values inside the bracket, at ranks k - #{x < a} and k + 1 - #{x < a}. Those
    values are found among the patients inside the previous row's (wider) net when that
    holds all of them (their number is known from the two counts), else by one scan. Two
    comparisons and counts per row and percentile instead of partitions of the whole row.
    A miss (the values jumped, e.g. when an infusion starts) computes the row with
    `row_percentiles` and widens the bracket; a bracket holding too many values narrows.
    The result is np.percentile's bit for bit either way: the bracket only chooses where
    to look."""

    NET = 4.0  # the net of patients kept for the next row is this many brackets wide
    MAX_INSIDE = 1 / 256  # share of the row above which the bracket narrows

    def __init__(self, n: int, percentiles: Sequence[float]) -> None:
        self.n = n
        self.pos = _positions(n, percentiles)
        self.last: list[tuple[float, float]] | None = None
        self.before: list[tuple[float, float]] | None = None  # the row before last
        self.width = [1e-3] * len(self.pos)
        self.nets: list[NDArray[np.intp] | None] = [None] * len(self.pos)
        pad = -n % 8  # the masks are scanned 8 bytes at a time
        self._mask = np.zeros(n + pad, dtype=bool)

    def rows(self, block: FloatArray) -> FloatArray:
        out = np.empty((len(self.pos), block.shape[0]))
        for r in range(block.shape[0]):
            out[:, r] = self._row(block[r])
        return out

    def _exact(self, row: FloatArray) -> list[float]:
        values = row.copy()
        kths = sorted({p for p, _, _ in self.pos} | {x for _, x, _ in self.pos})
        _select(values, 0, self.n, kths)
        self.before, self.last = (
            self.last,
            [(float(values[p]), float(values[x])) for p, x, _ in self.pos],
        )
        self.nets = [None] * len(self.pos)
        return [_lerp(lo, hi, t) for (lo, hi), (_, _, t) in zip(self.last, self.pos, strict=True)]

    def _row(self, row: FloatArray) -> list[float]:
        if self.last is None:
            return self._exact(row)
        found: list[tuple[float, float]] = []
        before = self.before or self.last
        for i, ((k, k1, _), (lo, hi), (lo0, hi0)) in enumerate(
            zip(self.pos, self.last, before, strict=True)
        ):
            # a straight line through the last two rows: the bracket then only has to
            # cover the curve's bend over one step, not its slope
            pair = self._bracketed(row, i, k, k1, 2 * lo - lo0, 2 * hi - hi0)
            if pair is None:
                self.width[i] = min(self.width[i] * 8, 1.0)
                return self._exact(row)
            found.append(pair)
        self.before, self.last = self.last, found
        return [_lerp(lo, hi, t) for (lo, hi), (_, _, t) in zip(found, self.pos, strict=True)]

    def _bracketed(
        self, row: FloatArray, i: int, k: int, k1: int, lo: float, hi: float
    ) -> tuple[float, float] | None:
        w = self.width[i]
        a, b = lo - w * abs(lo) - 1e-300, hi + w * abs(hi) + 1e-300
        n_below = int(np.count_nonzero(row < a))
        if n_below > k:
            return None
        n_inside = int(np.count_nonzero(row <= b)) - n_below
        if n_below + n_inside <= k1:
            return None
        values = None
        net = self.nets[i]
        if net is not None:
            cand = row[net]
            values = cand[(cand >= a) & (cand <= b)]
            if values.size != n_inside:
                values = None  # someone outside the net entered the bracket
        if values is None:
            wide = self.NET * w
            a_net, b_net = lo - wide * abs(lo) - 1e-300, hi + wide * abs(hi) + 1e-300
            mask = self._mask
            np.logical_and(row >= a_net, row <= b_net, out=mask[: self.n])
            words = np.flatnonzero(mask.view(np.uint64))
            near = (words[:, None] * 8 + np.arange(8)).ravel()
            self.nets[i] = net = near[mask[near]]
            cand = row[net]
            values = cand[(cand >= a) & (cand <= b)]
        if n_inside > self.MAX_INSIDE * self.n:
            self.width[i] = max(w / 2, 1e-9)
        j, j1 = k - n_below, k1 - n_below
        values.partition(j)
        nxt = values[j] if j1 == j else values[j1:].min()
        return float(values[j]), float(nxt)


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
        blocks = grid_blocks(
            system,
            prepared.inputs,
            n_times,
            step_min,
            rows,
            k_start=cuts[w],
            k_stop=cuts[w + 1],
            table=table,
        )
        for k0, block in blocks:
            for o, name in enumerate(prepared.output_names):
                running[o].update(k0, block[o])
                bands[name][:, k0 : k0 + block.shape[1]] = trackers[o].rows(block[o])
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
