"""Small-group suppression cannot be beaten by differencing: the period filter is whole
calendar months, and a count (or a denominator's rest) below the clinic's threshold is
"fewer than k" with no rate. The issue's example: rapid response 0/8 up to 5 October and
1/9 up to 12 October revealed one patient's result."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketacare.accounts.staff import staff_for
from ketacare.analytics.filters import OutcomeFilters
from ketacare.analytics.suppression import rate_words, suppress_rate

from .test_dashboard_filters import PHQ9_BASELINE, PHQ9_NOT, PHQ9_RESPONDED, _cell, _treated

pytestmark = pytest.mark.django_db


def _shown(k: int, n: int, k_min: int = 5) -> str:
    rate = suppress_rate({"k": k, "n": n, "rate": k / n, "ci95_low": 0.0, "ci95_high": 1.0},
                         k_min)
    return rate_words(rate) if rate.get("fewer_than") else f"{rate['k']}/{rate['n']}"


def test_the_issues_two_cells_no_longer_differ_in_their_numerator() -> None:
    before, after = _shown(0, 8), _shown(1, 9)
    assert (before, after) == ("fewer than 5 of 8", "fewer than 5 of 9")
    assert _shown(8, 9) == "all but fewer than 5 of 9"  # the rest is small: hidden too
    assert _shown(2, 3) == "fewer than 5 assessed"
    assert _shown(5, 10) == "5/10"
    assert _shown(1, 9, k_min=2) == "fewer than 2 of 9"


def test_period_filters_snap_to_whole_months(clinic_a) -> None:
    form = OutcomeFilters(clinic_a, {"started_from": "2026-10-05", "started_to": "2026-10-12"})
    assert form.is_valid()
    assert form.cleaned_data["started_from"] == date(2026, 10, 1)
    assert form.cleaned_data["started_to"] == date(2026, 10, 31)
    assert form.data["started_to"] == "2026-10-31"  # the form shows the month it used
    leap = OutcomeFilters(clinic_a, {"started_to": "2028-02-03"})
    assert leap.is_valid() and leap.cleaned_data["started_to"] == date(2028, 2, 29)


def test_differencing_two_periods_a_week_apart_reveals_nothing(
        client, clinic_a, prescriber_a, analyst_a) -> None:
    """Eight patients who did not respond start on the 3rd of a month, one who did on the
    10th: "up to the 5th" and "up to the 12th" are the same month, so the same view."""
    staff = staff_for(prescriber_a, clinic_a)
    month = (clinic_a.today() - timedelta(days=62)).replace(day=1)
    _treated(staff, 8, "depression", "iv-induction", month.replace(day=3), "phq9",
             PHQ9_BASELINE, PHQ9_NOT)
    _treated(staff, 1, "depression", "iv-induction", month.replace(day=10), "phq9",
             PHQ9_BASELINE, PHQ9_RESPONDED)
    client.force_login(analyst_a)
    early = client.get(f"/outcomes/?started_to={month.replace(day=5)}").content.decode()
    late = client.get(f"/outcomes/?started_to={month.replace(day=12)}").content.decode()
    assert _cell(early, "phq9") == _cell(late, "phq9")
    assert "fewer than 5 of 9" in _cell(late, "phq9") and "%" not in _cell(late, "phq9")
    assert "1/9" not in late and "0/8" not in early


def test_a_clinic_with_a_lower_threshold_sees_the_figures(client, clinic_a, prescriber_a,
                                                          analyst_a) -> None:
    clinic_a.settings = {"analytics_min_patients": 2}
    clinic_a.save()
    staff = staff_for(prescriber_a, clinic_a)
    start = clinic_a.today() - timedelta(days=40)
    _treated(staff, 4, "depression", "iv-induction", start, "phq9", PHQ9_BASELINE,
             PHQ9_RESPONDED)
    _treated(staff, 2, "depression", "iv-induction", start, "phq9", PHQ9_BASELINE, PHQ9_NOT)
    client.force_login(analyst_a)
    cell = _cell(client.get("/outcomes/").content.decode(), "phq9")
    assert "4/6" in cell and "67%" in cell
