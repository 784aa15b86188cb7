"""What a patient is asked to answer, and when: measurement rules anchored to a course.

Pure Python (no Django), so the rules can be read by a clinician and tested exhaustively.
Dates are the clinic's calendar dates; a session carries a date, not a time, so "24 hours
after a session" is the day after it.

The rules (issue #5, product defaults; every number is a clinic setting):
- **baseline**: before the first session; opens `baseline_lead_days` before it and closes
  on the day of the session (the baseline is the pre-session measurement of session 1;
  reference s.2 accepts a baseline up to 30 days old).
- **pre_session**: each later session; opens `pre_session_lead_days` before it, closes on
  its day.
- **rapid_response**: the day after the first session (reference s.2: 12-36 h).
- **post_induction**: the day after the last induction session.
- **maintenance_weekly**: during maintenance, whenever a week would pass without any
  measurement, one more is asked for (so the gap between measurements is never over
  `maintenance_every_days`).

"The clock resets" (issue #5): rules read the sessions as they are now. A moved session
moves its measurements; a missed or cancelled session has none, and the first or last
session that still counts becomes the anchor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

Kind = Literal[
    "baseline", "pre_session", "rapid_response", "post_induction", "maintenance_weekly"
]
KINDS: tuple[Kind, ...] = (
    "baseline", "pre_session", "rapid_response", "post_induction", "maintenance_weekly"
)
KIND_LABELS = {
    "baseline": "Baseline",
    "pre_session": "Before session",
    "rapid_response": "24 h after first session",
    "post_induction": "After induction",
    "maintenance_weekly": "Weekly (maintenance)",
    "manual": "Sent by staff",
    "kiosk": "In clinic",
}
# Session states that take no measurement (the session did not happen).
NOT_HELD = frozenset({"missed", "cancelled"})

# Instrument per primary condition (issue #5); QIDS-SR16 is optional, off by default.
DEFAULT_INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "depression": ("phq9",),
    "anxiety": ("gad7",),
    "ptsd": ("pcl5",),
    "other": ("phq9",),  # also a patient with no condition recorded
}


@dataclass(frozen=True)
class SessionFact:
    number: int
    day: date
    phase: str = "induction"  # "induction" or "maintenance" (a label containing it is fine)
    status: str = "planned"

    @property
    def held(self) -> bool:
        return self.status not in NOT_HELD

    @property
    def maintenance(self) -> bool:
        return "maintenance" in self.phase.lower()


@dataclass(frozen=True)
class Rules:
    baseline_lead_days: int = 7
    pre_session_lead_days: int = 1
    after_session_window_days: int = 2  # rapid / post-induction: open the day after, 2 days
    maintenance_every_days: int = 7
    maintenance_window_days: int = 3
    instruments: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_INSTRUMENTS)
    )

    def __post_init__(self) -> None:
        for name in ("baseline_lead_days", "pre_session_lead_days"):
            if not 0 <= getattr(self, name) <= 30:
                raise ValueError(f"{name} must be 0-30 days, got {getattr(self, name)}")
        for name in ("after_session_window_days", "maintenance_every_days",
                     "maintenance_window_days"):
            if not 1 <= getattr(self, name) <= 30:
                raise ValueError(f"{name} must be 1-30 days, got {getattr(self, name)}")

    @classmethod
    def from_settings(cls, data: Mapping[str, Any]) -> Rules:
        """Rules from a clinic's settings (keys `selfreport_<field>`); unknown keys ignored."""
        kwargs: dict[str, Any] = {}
        for name in ("baseline_lead_days", "pre_session_lead_days", "after_session_window_days",
                     "maintenance_every_days", "maintenance_window_days"):
            if f"selfreport_{name}" in data:
                kwargs[name] = int(data[f"selfreport_{name}"])
        if "selfreport_instruments" in data:
            merged = dict(DEFAULT_INSTRUMENTS)
            merged.update({k: tuple(v) for k, v in data["selfreport_instruments"].items()})
            kwargs["instruments"] = merged
        return cls(**kwargs)

    def instruments_for(self, condition: str) -> tuple[str, ...]:
        return tuple(self.instruments.get(condition) or self.instruments.get("other", ("phq9",)))


@dataclass(frozen=True, order=True)
class Due:
    """One measurement: answerable from `opens` to `closes` (both inclusive)."""

    opens: date
    kind: Kind
    key: str  # stable within a course: one request per key and instrument
    closes: date
    session_number: int | None = None

    def open_on(self, day: date) -> bool:
        return self.opens <= day <= self.closes


def plan(sessions: Iterable[SessionFact], rules: Rules | None = None) -> list[Due]:
    """Every measurement of a course, in date order."""
    rules = rules or Rules()
    held = sorted((s for s in sessions if s.held), key=lambda s: (s.day, s.number))
    if not held:
        return []
    out: list[Due] = []
    first = held[0]
    out.append(Due(first.day - timedelta(days=rules.baseline_lead_days), "baseline",
                   "baseline", first.day, first.number))
    for s in held[1:]:
        out.append(Due(s.day - timedelta(days=rules.pre_session_lead_days), "pre_session",
                       f"pre:{s.number}", s.day, s.number))
    window = timedelta(days=rules.after_session_window_days - 1)
    day_after = first.day + timedelta(days=1)
    out.append(Due(day_after, "rapid_response", "rapid", day_after + window, first.number))
    induction = [s for s in held if not s.maintenance]
    if induction and induction[-1] is not first:
        last = induction[-1]
        after = last.day + timedelta(days=1)
        out.append(Due(after, "post_induction", "post_induction", after + window, last.number))
    out.extend(_weekly(held, out, rules))
    return sorted(out)


def _weekly(held: list[SessionFact], so_far: list[Due], rules: Rules) -> list[Due]:
    maintenance = [s for s in held if s.maintenance]
    if not maintenance:
        return []
    step = timedelta(days=rules.maintenance_every_days)
    window = timedelta(days=rules.maintenance_window_days - 1)
    end = maintenance[-1].day
    # Measurements already asked for, by the day they open; weekly ones fill the gaps.
    asked = sorted({d.opens for d in so_far})
    cursor = max((d for d in asked if d <= maintenance[0].day), default=maintenance[0].day)
    out: list[Due] = []
    while cursor + step <= end:
        following = next((d for d in asked if d > cursor), None)
        if following is not None and following <= cursor + step:
            cursor = following
            continue
        cursor = cursor + step
        out.append(Due(cursor, "maintenance_weekly", f"weekly:{cursor.isoformat()}",
                       cursor + window))
    return out


def open_on(dues: Iterable[Due], day: date) -> list[Due]:
    return [d for d in dues if d.open_on(day)]
