"""Small statistics over the integer counts the engines return."""

from __future__ import annotations

import math
from collections.abc import Mapping

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float | None, float | None, float | None]:
    """Rate and 95% Wilson score interval (Wilson 1927); (None, None, None) when n == 0."""
    if n == 0:
        return None, None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def median_from_histogram(counts: Mapping[int, int]) -> float | None:
    """Median of integer values given as value -> count (mean of the two middle values)."""
    total = sum(counts.values())
    if total == 0:
        return None
    values = sorted(counts)
    lo_rank, hi_rank = (total - 1) // 2, total // 2
    seen = 0
    lo = hi = None
    for v in values:
        nxt = seen + counts[v]
        if lo is None and lo_rank < nxt:
            lo = v
        if hi_rank < nxt:
            hi = v
            break
        seen = nxt
    assert lo is not None and hi is not None
    return (lo + hi) / 2
