"""The session day's rules the session page applies (issue 18: out of the view):

- `monitoring_due`: the protocol's monitoring readings (minutes after the dose starts),
  each done when a reading was taken within `MONITORING_WINDOW_MIN` of its minute and
  overdue once that window has passed without one [product default: +/-5 min, not in the
  clinical reference];
- `current_step`: the step a nurse opening the page should see, the first still to do;
- `dose_scenario`: the pharmacokinetic model and route that draw a dose's predicted
  plasma curve (clinical reference s.5: Domino for racemic ketamine by every route,
  Perez-Ruixo 2021 for esketamine nasal spray).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .routes import PK_ROUTE, pk_model

if TYPE_CHECKING:
    from .pk import Scenario

MONITORING_WINDOW_MIN = 5

# The ages the models were fitted on bound the age passed to them (adults).
PK_AGE_RANGE = (18, 100)


@dataclass(frozen=True)
class DueReading:
    minute: int  # after the dose started
    at: datetime
    done: bool
    overdue: bool


def monitoring_due(schedule_min: Sequence[int], taken_min: Iterable[int], *,
                   dose_started_at: datetime, now: datetime) -> list[DueReading]:
    """Each scheduled reading with whether a reading taken at `taken_min` covers it."""
    taken = set(taken_min)
    elapsed = (now - dose_started_at).total_seconds() / 60
    due = []
    for minute in schedule_min:
        done = any(abs(minute - m) <= MONITORING_WINDOW_MIN for m in taken)
        due.append(DueReading(
            minute=minute, at=dose_started_at + timedelta(minutes=minute), done=done,
            overdue=not done and elapsed > minute + MONITORING_WINDOW_MIN))
    return due


def current_step(*, checked_in: bool, dosed: bool, predose_vitals: bool, hold_cleared: bool,
                 discharged: bool, discharge_ready: bool) -> str:
    """checkin, vitals, dose, monitoring, discharge or sign: the first one still to do."""
    if not checked_in:
        return "checkin"
    if not dosed:
        return "dose" if predose_vitals and hold_cleared else "vitals"
    if not discharged:
        return "discharge" if discharge_ready else "monitoring"
    return "sign"


def dose_scenario(route: str, dose_mg: float, *, weight_kg: float | None, age_years: int,
                  infusion_min: int | None, label: str) -> Scenario:
    """The predicted-curve scenario of one dose by a treatment route."""
    # The simulator loads numpy/scipy: imported on use, so the session page's module (and
    # the URL configuration every `ketacare` command imports) does not load it.
    from .pk import Scenario

    low, high = PK_AGE_RANGE
    return Scenario(model=pk_model(route), route=PK_ROUTE[route], dose_mg=dose_mg,
                       weight_kg=weight_kg, age_y=max(low, min(age_years, high)),
                       infusion_min=float(infusion_min or 0), label=label)
