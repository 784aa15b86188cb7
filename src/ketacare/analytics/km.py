"""Kaplan-Meier product-limit estimator over (day, events, censored) counts."""

from __future__ import annotations

from collections.abc import Iterable


def kaplan_meier(rows: Iterable[tuple[int, int, int]]) -> list[dict[str, float | int]]:
    """Points of the cumulative response curve, 1 - S(t), at each day with a response.

    Censored at day d means still followed at d (censoring counts after events on the day).
    """
    import numpy as np  # here: the home page's template tags import this module

    arr = np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)
    if arr.size == 0:
        return []
    days, events, censored = arr[:, 0], arr[:, 1], arr[:, 2]
    at_risk = (events + censored)[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = np.where(at_risk > 0, 1.0 - events / at_risk, 1.0)
    survival = np.cumprod(factors)
    out: list[dict[str, float | int]] = []
    for d, e, r, s in zip(days, events, at_risk, survival, strict=True):
        if e > 0:
            out.append(
                {
                    "day": int(d),
                    "at_risk": int(r),
                    "events": int(e),
                    "cumulative_response": round(1.0 - float(s), 6),
                }
            )
    return out


def km_median(points: list[dict[str, float | int]]) -> int | None:
    """First day the cumulative response reaches 50%, or None if it never does."""
    for p in points:
        if float(p["cumulative_response"]) >= 0.5:
            return int(p["day"])
    return None
