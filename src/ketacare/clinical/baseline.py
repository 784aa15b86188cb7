"""The baseline of a course's outcome: which score every change is measured from.

Rule (clinical reference s.2, "Baseline"): the latest assessment of the instrument at or
before the first treatment session of the course, no older than 30 days. "The first
session" is the moment dosing started in it (the first dose's start): a score given hours
after the first dose on the same day is already a treatment score, not a baseline.

Without such a score there is no valid baseline: the outcome is not classified (pages and
letters say "no valid baseline") and no rise-from-baseline alert is raised. Before a
course's first dose there is no baseline yet, for the same reason.

This is the one implementation the app uses (self-report alerts, the chart, the progress
letter). The analytics engine runs the same rule as an Ibis expression over epoch seconds
(analytics/definitions.py, `windows`): both are tested to pick the same score.

Ties at the same instant pick the higher total, as the analytics key does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

# Clinical reference s.2: "no older than 30 days".
BASELINE_MAX_AGE = timedelta(days=30)
NO_VALID_BASELINE = "no valid baseline"
# Printed in letters and pages (the source is in this module's docstring).
RULE_TEXT = (
    "Baseline: the latest score at or before the first dose of the course, no older than "
    "30 days; without one there is no valid baseline."
)

S = TypeVar("S")


def window(dosing_start: datetime) -> tuple[datetime, datetime]:
    """The inclusive window a baseline score must fall in."""
    return dosing_start - BASELINE_MAX_AGE, dosing_start


def choose(
    scores: Iterable[S],
    dosing_start: datetime | None,
    *,
    at: Callable[[S], datetime],
    total: Callable[[S], int],
) -> S | None:
    """The baseline among `scores` (any objects; `at` and `total` read them), or None.

    `dosing_start` is the start of the course's first dose; None (no dose yet, or no
    course) means there is no baseline."""
    if dosing_start is None:
        return None
    low, high = window(dosing_start)
    eligible = [s for s in scores if low <= at(s) <= high]
    return max(eligible, key=lambda s: (at(s), total(s)), default=None)
