"""Outcome classification between a baseline and a current total (clinical reference s.2).

Product defaults, each configurable through `OutcomeRules`:
- response: reduction from baseline >= 50%; partial response: 25-49%;
- worsened: a rise of >= 25% from baseline ([clinic default]: clinic setting
  `outcome_worsened_pct`, 5-100; published reliable-change amounts differ by instrument
  [check]);
- remission: per instrument (`Instrument.remission`), e.g. PHQ-9 < 5, QIDS-SR16 <= 5,
  MADRS <= 10, PCL-5 < 33 with a drop of >= 10 points.

Order (issue #14 item 2, [clinic default] reading of reference s.2): worsening is checked
first, so a rise of >= `worsened_pct` (or any rise from a baseline at the scale's floor,
where no percent exists) is `worsened` even when the total is still under the remission
cut-off. A baseline already at or below the remission cut-off cannot remit (remission
means reaching that range from outside it), nor can its fall count as a response: such a
course is `no_response` unless it worsened. Analytics never meets that case: its cohort
starts in clinical range, which lies above every remission cut-off (tested).

Percent change is measured from the scale's floor, not from zero, so that a scale whose
lowest total is 4 (BPRS positive subscale) is not credited with change it cannot show.
For every scale with a floor of 0 this is the usual (current - baseline) / baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from .instruments import Instrument, InstrumentInputError

Category = Literal["remission", "response", "partial_response", "no_response", "worsened"]

# Clinical reference s.2: "Worsened: a rise of >= 25% from baseline (clinic default)".
DEFAULT_WORSENED_PCT = 25
# What a clinic may set (`outcome_worsened_pct`) [clinic default]: below 5% a one-point
# wobble on a mid-range score would read as worsening.
WORSENED_PCT_RANGE = (5, 100)


@dataclass(frozen=True)
class OutcomeRules:
    response_pct: float = 50.0
    partial_response_pct: float = 25.0
    worsened_pct: float = DEFAULT_WORSENED_PCT
    # Overrides an instrument's remission ceiling, e.g. MADRS 12 as in the esketamine trials.
    remission_max_total: int | None = None

    def __post_init__(self) -> None:
        low, high = WORSENED_PCT_RANGE
        pct = self.worsened_pct
        if (isinstance(pct, bool) or not isinstance(pct, int | float) or not math.isfinite(pct)
                or not low <= pct <= high):
            raise ValueError(f"worsened_pct: {pct!r} is not a percentage from {low} to {high}")


@dataclass(frozen=True)
class Outcome:
    instrument: str
    baseline: int
    current: int
    change: int
    percent_change: float | None
    response: bool
    partial_response: bool
    remission: bool | None
    category: Category

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "baseline": self.baseline,
            "current": self.current,
            "change": self.change,
            "percent_change": self.percent_change,
            "response": self.response,
            "partial_response": self.partial_response,
            "remission": self.remission,
            "category": self.category,
        }


def _total(instrument: Instrument, value: int | str, which: str) -> int:
    try:
        total = int(str(value).strip())
    except ValueError:
        raise InstrumentInputError(
            instrument.id, f"{which} {value!r} is not a number"
        ) from None
    low, high = instrument.min_total, instrument.max_total
    if not low <= total <= high:
        raise InstrumentInputError(
            instrument.id, f"{which} {total} is out of range; totals run from {low} to {high}"
        )
    return total


def classify(
    instrument: Instrument,
    baseline: int | str,
    current: int | str,
    rules: OutcomeRules | None = None,
) -> Outcome:
    rules = rules or OutcomeRules()
    if not instrument.has_total:
        raise InstrumentInputError(
            instrument.id, "has no total score, so change from baseline is not defined"
        )
    base = _total(instrument, baseline, "baseline")
    now = _total(instrument, current, "current")
    change = now - base
    span = base - instrument.min_total
    if span > 0:
        percent: float | None = round(100.0 * change / span, 1)
    else:
        percent = None  # a baseline at the floor cannot improve; any rise is worsening
    reduction = -(percent or 0.0)
    response = percent is not None and reduction >= rules.response_pct
    partial = (
        percent is not None and rules.partial_response_pct <= reduction < rules.response_pct
    )
    worsened = change > 0 and (percent is None or percent >= rules.worsened_pct)

    remission: bool | None = None
    if instrument.remission is not None:
        ceiling = rules.remission_max_total
        if ceiling is None:
            ceiling = instrument.remission.max_total
        min_drop = instrument.remission.min_drop
        if base <= ceiling:  # already in remission range at baseline
            response = partial = False
            remission = False
        else:
            remission = now <= ceiling and (min_drop is None or -change >= min_drop)

    category: Category
    if worsened:
        category = "worsened"
    elif remission:
        category = "remission"
    elif response:
        category = "response"
    elif partial:
        category = "partial_response"
    else:
        category = "no_response"
    return Outcome(
        instrument=instrument.id,
        baseline=base,
        current=now,
        change=change,
        percent_change=percent,
        response=response,
        partial_response=partial,
        remission=remission,
        category=category,
    )
