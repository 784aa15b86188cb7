"""Closed-form solution of linear compartment models, vectorised over patients and time.

A model is dA/dt = K A + u(t), with A the drug amount (mg) in each compartment. K is
diagonalised once per patient, K = V diag(lam) V^-1, so in modal coordinates m = V^-1 A
every mode is independent: dm_j/dt = lam_j m_j + rho_j(t). Doses are boluses and
zero-order (constant-rate) inputs, so between two dose events the input is constant and
each mode has the exact solution

    m_j(t0 + tau) = (m_j(t0) + rho_j / lam_j) exp(lam_j tau) - rho_j / lam_j.

Concentrations are fixed linear combinations of the modes (sums of exponentials). Several
doses are therefore exact superposition without any time stepping: the only loop is over
dose events (a handful), never over time steps (Abuhelwa, Foster & Upton 2015 give the same
closed forms for the common models; this is their general matrix form).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Two eigenvalues closer than this (relative) make V nearly singular; the depots of such a
# patient are nudged by NUDGE (relative), which changes concentrations by ~1e-7 at most.
_MIN_RELATIVE_GAP = 1e-9
_NUDGE = 1e-7


@dataclass(frozen=True)
class Input:
    """One input into one compartment: a bolus (duration 0) or a zero-order input of
    `amount_mg` spread evenly over `duration_min`. `amount_mg` has one value per patient."""

    compartment: int
    start_min: float
    amount_mg: FloatArray
    duration_min: float = 0.0


@dataclass(frozen=True)
class ModalSystem:
    """A diagonalised model for P patients with n compartments and o outputs."""

    eigvals: FloatArray  # (P, n), 1/min, all negative, fastest (most negative) first
    to_modes: FloatArray  # (P, n, n): mode amounts per mg in each compartment (V^-1)
    outputs: FloatArray  # (P, o, n): output concentration (ng/mL) per unit mode amount

    @property
    def n_patients(self) -> int:
        return int(self.eigvals.shape[0])

    @property
    def n_modes(self) -> int:
        return int(self.eigvals.shape[1])

    @property
    def n_outputs(self) -> int:
        return int(self.outputs.shape[1])

    def take(self, rows: slice) -> ModalSystem:
        return ModalSystem(self.eigvals[rows], self.to_modes[rows], self.outputs[rows])


def diagonalise(rates: FloatArray, outputs: FloatArray, depots: Sequence[int] = ()) -> ModalSystem:
    """Eigen-decompose K for every patient at once.

    rates: (P, n, n) per minute; outputs: (P, o, n) ng/mL per mg in each compartment.
    `depots` are absorption compartments whose whole column may be scaled to separate a
    coincident eigenvalue (scaling a depot's column keeps its mass balance).
    """
    rates = np.array(rates, dtype=np.float64)  # copy: nudging must not touch the caller's
    for _ in range(4):
        lam_c, vec_c = np.linalg.eig(rates)
        # Compartment models with reversible exchange and one-way depots have real
        # eigenvalues; anything else is a modelling error, not a numerical accident.
        scale = np.abs(lam_c).max(axis=1, keepdims=True)
        if np.any(np.abs(lam_c.imag) > 1e-9 * scale):
            raise ValueError("rate matrix has complex eigenvalues: not a compartment model")
        lam = lam_c.real
        ordered = np.sort(lam, axis=1)
        gaps = np.diff(ordered, axis=1) / np.abs(ordered[:, 1:])
        bad = (gaps < _MIN_RELATIVE_GAP).any(axis=1) if gaps.size else np.zeros(len(lam), bool)
        if not bad.any() or not depots:
            break
        for d in depots:
            rates[bad, :, d] *= 1.0 + _NUDGE
    # Fastest mode first for every patient, so "the modes that have died out" is always a
    # leading slice (grid_blocks drops it without copying).
    order = np.argsort(lam, axis=1)
    lam = np.take_along_axis(lam, order, axis=1)
    vec = np.take_along_axis(vec_c.real, order[:, None, :], axis=2)
    to_modes = np.linalg.inv(vec)
    return ModalSystem(lam, to_modes, np.asarray(outputs, dtype=np.float64) @ vec)


@dataclass(frozen=True)
class _Segment:
    start: float
    end: float  # np.inf for the last
    bolus: FloatArray  # (P, n) mg added at `start`
    rate: FloatArray  # (P, n) mg/min during [start, end)


def _segments(inputs: Sequence[Input], n_patients: int, n_cmt: int) -> list[_Segment]:
    """Split time at every start and end of an input: inside a segment the input is
    constant, which is what makes the closed form exact."""
    points = sorted(
        {i.start_min for i in inputs}
        | {i.start_min + i.duration_min for i in inputs if i.duration_min > 0}
    )
    segments = []
    for k, start in enumerate(points):
        end = points[k + 1] if k + 1 < len(points) else np.inf
        bolus = np.zeros((n_patients, n_cmt))
        rate = np.zeros((n_patients, n_cmt))
        for i in inputs:
            amount = np.broadcast_to(np.asarray(i.amount_mg, dtype=np.float64), (n_patients,))
            if i.duration_min <= 0:
                if i.start_min == start:
                    bolus[:, i.compartment] += amount
            elif i.start_min <= start < i.start_min + i.duration_min:
                rate[:, i.compartment] += amount / i.duration_min
        segments.append(_Segment(start, end, bolus, rate))
    return segments


def _project(to_modes: FloatArray, amounts: FloatArray) -> FloatArray:
    return np.einsum("pnc,pc->pn", to_modes, amounts)


def evaluate(system: ModalSystem, inputs: Sequence[Input], times_min: FloatArray) -> FloatArray:
    """Concentrations (P, o, T) at arbitrary times (minutes, any order).

    At the instant of a bolus the value is the one just after it (right-continuous)."""
    times = np.asarray(times_min, dtype=np.float64)
    n_pat, n_modes = system.eigvals.shape
    # Bound the (P, n, T) work array to ~32 MB by processing patients in chunks.
    per_patient = max(1, n_modes * max(1, times.size))
    chunk = max(1, 4_000_000 // per_patient)
    if n_pat > chunk:
        parts = [
            evaluate(system.take(rows), take_inputs(inputs, rows), times)
            for rows in (slice(a, a + chunk) for a in range(0, n_pat, chunk))
        ]
        return np.concatenate(parts, axis=0)

    lam = system.eigvals
    out = np.zeros((n_pat, system.n_outputs, times.size))
    modes = np.zeros((n_pat, n_modes))
    for seg in _segments(inputs, n_pat, system.to_modes.shape[2]):
        modes = modes + _project(system.to_modes, seg.bolus)
        offset = _project(system.to_modes, seg.rate) / lam  # rho / lam
        inside = (times >= seg.start) & (times < seg.end)
        if inside.any():
            tau = times[inside] - seg.start
            decay = np.exp(lam[:, :, None] * tau[None, None, :])
            out[:, :, inside] = (
                np.einsum("pon,pnt->pot", system.outputs, (modes + offset)[:, :, None] * decay)
                - np.einsum("pon,pn->po", system.outputs, offset)[:, :, None]
            )
        if np.isfinite(seg.end):
            modes = (modes + offset) * np.exp(lam * (seg.end - seg.start)) - offset
    # Where the exact value is 0 (before absorption reaches a compartment) the sum of
    # exponentials leaves rounding noise of ~1e-16 of the dose scale, possibly negative.
    return np.maximum(out, 0.0, out=out)


def take_inputs(inputs: Sequence[Input], rows: slice) -> list[Input]:
    return [
        Input(
            i.compartment,
            i.start_min,
            np.atleast_1d(np.asarray(i.amount_mg, dtype=np.float64))[rows]
            if np.ndim(i.amount_mg)
            else np.asarray(i.amount_mg, dtype=np.float64),
            i.duration_min,
        )
        for i in inputs
    ]


def decay_table(system: ModalSystem, block_rows: int, step_min: float) -> FloatArray:
    """exp(lam * tau) for the offsets tau = 0, step, ... inside one block: (n, B, P).

    It is the same for every block of the grid, so it is computed once and shared."""
    lam_t = np.ascontiguousarray(system.eigvals.T)
    steps = np.arange(block_rows, dtype=np.float64) * step_min
    return np.exp(lam_t[:, None, :] * steps[None, :, None])


# A term below 2**-60 of another term of the same sum is below the sum's own rounding error
# (2**-52 relative) by a factor 256: dropping it leaves the float64 result unchanged.
_NEGLIGIBLE = 2.0**-60


def _dead_modes(coef: FloatArray, const: FloatArray, lead: int) -> int:
    """How many leading (fastest) modes are negligible for every patient and output.

    Compared with the slowest mode's term (plus the constant infusion term), a faster
    mode's share only shrinks within a segment, so a mode once dropped stays negligible.
    Between doses of a long course only the slowest mode survives: this is what makes
    washout cheap."""
    n_modes = coef.shape[1]
    if lead >= n_modes - 1:
        return lead  # the slowest mode always stays: nothing left to check
    scale = np.abs(coef[:, -1]) + np.abs(const[:, 0])  # (o, P)
    while lead < n_modes - 1 and bool(np.all(np.abs(coef[:, lead]) <= _NEGLIGIBLE * scale)):
        lead += 1
    return lead


class Extremes(NamedTuple):
    """A block's minimum and maximum over its rows per output and patient, (o, P)."""

    low: FloatArray
    high: FloatArray
    # every patient's maximum is at most its maximum in the previous block of the stream
    falling: bool = False


class ProductRows:
    """Rows x patients values fl(c[p] * d[i, p]) of one output in a washout block, computed
    only where they are looked at: columns (`take`), a row (`[r]`), or all (`np.asarray`).
    Each value is the same single product the full block holds, bit for bit."""

    def __init__(self, c: FloatArray, d: FloatArray) -> None:
        self.c, self.d = c, d  # (P,), (rows, P)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.d.shape[0]), int(self.d.shape[1]))

    def take(self, indices: NDArray[np.intp], axis: int) -> FloatArray:
        """The columns `indices` (axis must be 1, the patients): (rows, len(indices))."""
        if axis != 1:
            raise ValueError("ProductRows takes patients (axis 1) only")
        return np.multiply(self.c[indices], self.d.take(indices, axis=1))

    def __getitem__(self, row: int) -> FloatArray:
        return np.multiply(self.c, self.d[row])

    def __array__(self, dtype: object = None, copy: object = None) -> FloatArray:
        return np.multiply(self.c, self.d)


class ProductBlock:
    """A washout block (o, rows, P) left unevaluated (`grid_blocks_extremes(lazy=True)`):
    block[o] is that output's `ProductRows`."""

    def __init__(self, c: FloatArray, d: FloatArray) -> None:
        self.c, self.d = c, d  # (o, P), (rows, P)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (int(self.c.shape[0]), int(self.d.shape[0]), int(self.d.shape[1]))

    def __getitem__(self, output: int) -> ProductRows:
        return ProductRows(self.c[output], self.d)

    def __array__(self, dtype: object = None, copy: object = None) -> FloatArray:
        return np.multiply(self.c[:, None, :], self.d[None, :, :])


def grid_blocks(
    system: ModalSystem,
    inputs: Sequence[Input],
    n_times: int,
    step_min: float,
    block_rows: int,
    *,
    k_start: int = 0,
    k_stop: int | None = None,
    table: FloatArray | None = None,
) -> Iterator[tuple[int, FloatArray]]:
    """Stream concentrations on the uniform grid t_k = k * step_min for k_start <= k < k_stop
    (default: the whole grid of n_times points).

    Yields (k0, block) with block of shape (o, b, P): time-major so that each row holds one
    time point for every patient (what percentiles need). Only b <= block_rows rows exist at
    once, so memory is O(P * block_rows) whatever the length of the course. The block is a
    reused buffer: consume it before asking for the next one.

    Within a block, m_j(t_k + i step) = m_j(t_k) exp(lam_j i step): the exponentials are the
    shared `decay_table`, and moving to the next block multiplies the amplitudes by
    exp(lam_j block_rows step). Both are exact; no time stepping approximates anything.
    Modes that have decayed below float64 resolution of the sum are skipped.
    """
    for k, block, _ in grid_blocks_extremes(
        system,
        inputs,
        n_times,
        step_min,
        block_rows,
        k_start=k_start,
        k_stop=k_stop,
        table=table,
        extremes=False,
    ):
        assert isinstance(block, np.ndarray)  # lazy blocks only on request
        yield k, block


class _Washout:
    """Each mode's largest and smallest decay factor over a full block, per patient, and
    what `grid_blocks_extremes` derives from them for a washout block."""

    def __init__(self, decay: FloatArray, advance: FloatArray, block_rows: int) -> None:
        self.rows = block_rows
        self.d_max = decay[:, :block_rows].max(axis=1)  # (n, P)
        self.d_min = decay[:, :block_rows].min(axis=1)
        n_modes = decay.shape[0]
        # the largest is exp(0) = 1 (the block's first row): then c * d_max is c itself
        self.unit_max = [bool(np.all(self.d_max[j] == 1.0)) for j in range(n_modes)]
        self.shrinks = [bool(np.all(advance[0, j] <= 1.0)) for j in range(n_modes)]

    def extremes(self, c: FloatArray, j: int, nonnegative: bool, falls: bool) -> Extremes:
        """Minimum and maximum over the block of fl(c * d[i]) for mode j, c: (o, P)."""
        if nonnegative:
            high = c if self.unit_max[j] else c * self.d_max[j]
            return Extremes(c * self.d_min[j], high, falls)
        high, low = c * self.d_max[j], c * self.d_min[j]
        return Extremes(np.minimum(high, low), np.maximum(high, low))


def _segment_blocks(
    coef: FloatArray,
    const: FloatArray,
    decay: FloatArray,
    advance: FloatArray,
    buf: FloatArray,
    starts: range,
    k_hi: int,
    washout: _Washout | None,
    lazy: bool,
) -> Iterator[tuple[int, FloatArray | ProductBlock, Extremes | None]]:
    """The blocks of one constant-input segment (see `grid_blocks_extremes`); coef (o, n, P)
    is advanced in place from block to block."""
    n_modes = coef.shape[1]
    has_const = bool(np.any(const))  # only while an infusion runs
    lead = 0  # modes [0, lead) have died out for every patient and output
    signs: tuple[int, bool] | None = None  # (lead, all coefficients >= 0)
    falls = False  # the previous block was washout with c >= 0 and the same mode
    for k in starts:
        b = min(starts.step, k_hi - k)  # the step is the block's rows
        block = buf[:, :b, :]
        lead = _dead_modes(coef, const, lead)
        ext: Extremes | None = None
        out: FloatArray | ProductBlock = block
        if lead == n_modes - 1 and not has_const:
            if washout is not None and b == washout.rows:
                c = coef[:, lead]  # (o, P)
                if signs is None or signs[0] != lead:
                    # advancing multiplies by exp(...) > 0: the signs stay
                    signs = (lead, bool(np.all(c >= 0)))
                ext = washout.extremes(c, lead, signs[1], falls)
            if lazy and ext is not None:
                out = ProductBlock(coef[:, lead], decay[lead, :b])
            else:
                # washout: one product per value, what the sum of products gives for one
                # term, at twice its speed
                np.multiply(coef[:, lead:], decay[lead:, :b], out=block)
        else:
            # One sum-of-products pass in C, no temporaries: the hot loop.
            np.einsum("onp,nbp->obp", coef[:, lead:], decay[lead:, :b], out=block)
            if has_const:
                block += const
        yield k, out, ext
        coef[:, lead:] *= advance[:, lead:]  # dead modes are never read again
        # the next block's maxima are at most this one's: c >= 0 times exp(...) <= 1
        falls = ext is not None and washout is not None and washout.shrinks[lead]
        falls = falls and signs is not None and signs[1]


def grid_blocks_extremes(
    system: ModalSystem,
    inputs: Sequence[Input],
    n_times: int,
    step_min: float,
    block_rows: int,
    *,
    k_start: int = 0,
    k_stop: int | None = None,
    table: FloatArray | None = None,
    extremes: bool = True,
    lazy: bool = False,
) -> Iterator[tuple[int, FloatArray | ProductBlock, Extremes | None]]:
    """`grid_blocks`, each block with its exact minimum and maximum over the rows per output
    and patient when they come without reading the block, else None.

    They do in washout, most of a long course: with no input running and one mode left,
    block[o, i, p] is the single product fl(c[o, p] * d[i, p]) of the mode's coefficient
    and its decay over the block (d = `decay_table`, the same for every block). Rounding is
    monotone, so for c >= 0 the largest product is fl(c * max_i d[i, p]) and the smallest
    fl(c * min_i d[i, p]) (the other way round for c < 0): two products per patient, exact
    bit for bit, instead of two passes over the block (one when max_i d[i, p] is exp(0) = 1:
    then the maximum is c itself). They are valid until the next block is asked for, like
    the block.

    From one such block to the next, c is multiplied by exp(lam * block) <= 1: with c >= 0
    it can only shrink (rounding is monotone), and so can each patient's maximum. Such
    blocks say so (`Extremes.falling`): a running maximum that the previous block did not
    raise cannot be raised by them.

    lazy: a washout block whose extremes are known is not evaluated; it comes as a
    `ProductBlock`, whose values are computed only where the consumer looks (the same
    products, bit for bit). Most of a long course is then never written out in full."""
    stop = n_times if k_stop is None else min(k_stop, n_times)
    lam = system.eigvals  # (P, n)
    n_pat, n_modes = lam.shape
    n_out = system.n_outputs
    grid = np.arange(n_times, dtype=np.float64) * step_min
    out_t = np.ascontiguousarray(system.outputs.transpose(1, 2, 0))  # (o, n, P)
    decay = decay_table(system, block_rows, step_min) if table is None else table
    advance = np.exp(lam.T * (block_rows * step_min))[None, :, :]  # (1, n, P)
    buf = np.empty((n_out, block_rows, n_pat))
    washout = _Washout(decay, advance, block_rows) if extremes else None

    segments = _segments(inputs, n_pat, system.to_modes.shape[2])
    first = int(np.searchsorted(grid, segments[0].start, "left")) if segments else n_times
    for k in range(k_start, min(first, stop), block_rows):  # before the first dose: zero
        b = min(block_rows, first - k, stop - k)
        zeros = np.zeros((n_out, n_pat))
        yield k, np.zeros((n_out, b, n_pat)), (Extremes(zeros, zeros) if extremes else None)

    modes = np.zeros((n_pat, n_modes))
    for seg in segments:
        modes = modes + _project(system.to_modes, seg.bolus)
        offset = _project(system.to_modes, seg.rate) / lam
        k_lo = int(np.searchsorted(grid, seg.start, "left"))
        k_hi = int(np.searchsorted(grid, seg.end, "left")) if np.isfinite(seg.end) else n_times
        k_lo, k_hi = max(k_lo, k_start), min(k_hi, stop)
        if k_hi > k_lo:
            # coef[o, j, p]: output weight x (m_j + rho_j / lam_j) at the first grid point
            amp = (modes + offset) * np.exp(lam * (grid[k_lo] - seg.start))
            coef = out_t * amp.T[None, :, :]
            const = -np.einsum("onp,np->op", out_t, offset.T)[:, None, :]  # (o, 1, P)
            yield from _segment_blocks(
                coef, const, decay, advance, buf, range(k_lo, k_hi, block_rows), k_hi, washout, lazy
            )
        if stop <= 0 or not np.isfinite(seg.end) or seg.end > grid[stop - 1]:
            break  # no grid point of this range lies in a later segment
        modes = (modes + offset) * np.exp(lam * (seg.end - seg.start)) - offset


def integrate(system: ModalSystem, inputs: Sequence[Input], t_end_min: float) -> FloatArray:
    """Exact area under each output from 0 to t_end (P, o), in ng/mL x min.

    Each mode integrates in closed form over a constant-input segment:
    int_0^L (a e^(lam tau) - q) dtau = a (e^(lam L) - 1) / lam - q L."""
    lam = system.eigvals
    n_pat, n_modes = lam.shape
    area = np.zeros((n_pat, n_modes))
    modes = np.zeros((n_pat, n_modes))
    for seg in _segments(inputs, n_pat, system.to_modes.shape[2]):
        if seg.start >= t_end_min:
            break
        modes = modes + _project(system.to_modes, seg.bolus)
        offset = _project(system.to_modes, seg.rate) / lam
        length = min(seg.end, t_end_min) - seg.start
        amp = modes + offset
        area += amp * np.expm1(lam * length) / lam - offset * length
        modes = amp * np.exp(lam * length) - offset
    return np.einsum("pon,pn->po", system.outputs, area)
