"""Exact percentiles per time point of a population, one block of time points at a time.

A block is (rows = time points, columns = patients). `row_percentiles` selects in every
row (the reference, and the fallback). `PercentileTracker` follows each order statistic
from one block to the next and looks for it only among the few patients whose values in
the block come near where it is predicted to be; the result is np.percentile's bit for
bit either way (see `PercentileTracker`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .solve import ProductRows

FloatArray = NDArray[np.float64]
Rows = FloatArray | ProductRows  # (rows, patients), evaluated or not (washout)


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
    """Exact percentiles of successive blocks of rows whose values drift (the time points
    of a course), without selecting in every row.

    For the order statistics (k, k + 1) of one percentile, a bracket [a, b] is predicted for
    the whole block from their last two values (a straight line over the block's rows,
    widened by a relative margin and the last step). With each patient's minimum and
    maximum over the block (computed once per block and shared with the metrics), the
    patients split three ways: always below a (L), always above b (H), and the few others
    (S). In any row, if the (k - |L|)-th and (k + 1 - |L|)-th smallest of S's values lie
    in [a, b], every L value is below them and every H value above, so they are the row's
    k-th and (k + 1)-th smallest: exact. One partition of the small (rows x |S|) array per
    block and percentile; four passes over the patients per block and percentile instead
    of a selection in every row. A row where the check fails (the values jumped, e.g. when
    an infusion starts) is selected in full (`row_percentiles`' method) and the margin
    widens; a margin holding too many patients narrows. The bracket only chooses where to
    look: the result is np.percentile's bit for bit."""

    MAX_INSIDE = 1 / 256  # share of the patients in S above which the margin narrows

    def __init__(self, n: int, percentiles: Sequence[float]) -> None:
        self.n = n
        self.pos = _positions(n, percentiles)
        self.kths = sorted({p for p, _, _ in self.pos} | {x for _, x, _ in self.pos})
        # (k-th, (k+1)-th) of each percentile on the last row and on the row before it
        self.last: FloatArray | None = None
        self.before: FloatArray | None = None
        self.width = np.full(len(self.pos), 1e-3)
        weights = np.array([t for _, _, t in self.pos])[:, None]
        self._t, self._one_minus_t, self._upper = weights, 1 - weights, weights >= 0.5
        self._ge = np.empty(n, dtype=bool)
        self._le = np.empty(n, dtype=bool)
        self.stats = {"rows": 0, "exact_rows": 0, "inside": 0}

    def rows(
        self, block: Rows, bmin: FloatArray | None = None, bmax: FloatArray | None = None
    ) -> FloatArray:
        """Percentiles of each row of block (rows, n): (len(percentiles), rows).
        bmin / bmax: block.min(axis=0) / block.max(axis=0) if the caller has them. An
        unevaluated washout block (`ProductRows`) is only evaluated where looked at."""
        n_rows = block.shape[0]
        if self.before is None or bmin is None or bmax is None:
            block = np.asarray(block)
        found = np.empty((len(self.pos), 2, n_rows))
        start = 0
        while self.before is None and start < n_rows:  # two rows to draw the first line
            found[:, :, start] = self._exact(block[start])
            start += 1
        if start < n_rows:
            sub = np.asarray(block)[start:] if start else block
            if start or bmin is None or bmax is None:
                values = np.asarray(sub)
                bmin, bmax = values.min(axis=0), values.max(axis=0)
            self._tracked(sub, bmin, bmax, found[:, :, start:])
        self.stats["rows"] += n_rows
        # `_lerp` of every row and percentile at once: elementwise the same operations
        low, high = found[:, 0], found[:, 1]
        diff = high - low
        return np.where(self._upper, high - diff * self._one_minus_t, low + diff * self._t)

    def _exact(self, row: FloatArray) -> FloatArray:
        """(k-th, (k+1)-th) of each percentile by selection in the whole row."""
        values = row.copy()
        _select(values, 0, self.n, self.kths)
        pair = values[[[p, x] for p, x, _ in self.pos]]
        self.before, self.last = self.last, pair
        self.stats["exact_rows"] += 1
        return pair

    def _tracked(self, block: Rows, bmin: FloatArray, bmax: FloatArray, found: FloatArray) -> None:
        assert self.last is not None and self.before is not None
        n_rows = block.shape[0]
        missed = np.zeros(n_rows, dtype=bool)
        last, step = self.last.tolist(), (self.last - self.before).tolist()  # (percentiles, 2)
        for i in range(len(self.pos)):
            (lo, hi), (d_lo, d_hi) = last[i], step[i]
            a = lo + min(d_lo, n_rows * d_lo) - abs(d_lo)
            b = hi + max(d_hi, n_rows * d_hi) + abs(d_hi)
            w = float(self.width[i])
            a, b = a - w * abs(a) - 1e-300, b + w * abs(b) + 1e-300
            pair = self._among_near(block, bmin, bmax, i, a, b)
            if pair is None:
                missed[:] = True
            else:
                found[i, 0], found[i, 1] = pair
                if pair[0].min() < a or pair[1].max() > b:
                    missed |= (pair[0] < a) | (pair[1] > b)
        if missed.any():
            self.width = np.minimum(self.width * 8, 1.0)
        for r in np.flatnonzero(missed):
            found[:, :, r] = self._exact(block[int(r)])
        self.before, self.last = (
            (found[:, :, -2], found[:, :, -1]) if n_rows > 1 else (self.last, found[:, :, -1])
        )
        self.before, self.last = self.before.copy(), self.last.copy()

    def _among_near(
        self,
        block: Rows,
        bmin: FloatArray,
        bmax: FloatArray,
        i: int,
        a: float,
        b: float,
    ) -> tuple[FloatArray, FloatArray] | None:
        """Per row, the candidates for percentile i's k-th and (k+1)-th smallest among the
        patients that come into [a, b] in the block, or None if the ranks cannot lie there."""
        n, ge = self.n, self._ge
        k, k1, _ = self.pos[i]
        np.greater_equal(bmax, a, out=ge)
        n_below = n - int(np.count_nonzero(ge))
        j, j1 = k - n_below, k1 - n_below
        if j < 0:
            return None
        np.less_equal(bmin, b, out=self._le)
        np.logical_and(ge, self._le, out=ge)
        near = np.flatnonzero(ge)
        if j1 >= near.size:
            return None
        self.stats["inside"] += near.size
        if near.size > self.MAX_INSIDE * n:
            self.width[i] = max(self.width[i] / 2, 1e-9)
        values = block.take(near, axis=1)
        values.partition(j, axis=1)  # one kth: numpy's fast quickselect
        return values[:, j], (values[:, j] if j1 == j else values[:, j1:].min(axis=1))
