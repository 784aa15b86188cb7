"""Wilson intervals, medians from histograms and the Kaplan-Meier estimator."""

from __future__ import annotations

import pytest

from ketacare.analytics.km import kaplan_meier, km_median
from ketacare.analytics.stats import median_from_histogram, wilson


def test_wilson_known_values() -> None:
    p, lo, hi = wilson(5, 10)
    assert p == 0.5
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    p, lo, hi = wilson(0, 20)
    assert p == 0 and lo == 0 and hi == pytest.approx(0.1611, abs=1e-4)
    assert wilson(0, 0) == (None, None, None)


def test_median_from_histogram() -> None:
    assert median_from_histogram({}) is None
    assert median_from_histogram({3: 1}) == 3
    assert median_from_histogram({1: 1, 2: 1, 5: 2}) == 3.5  # 1 2 5 5
    assert median_from_histogram({2: 3, 9: 1}) == 2


def test_kaplan_meier_textbook() -> None:
    # times 1,2,2+,3,4+ (+ censored): S = 4/5 at 1, then 4/5 * 2/3 at 3... check step by step
    rows = [(1, 1, 0), (2, 1, 1), (3, 1, 0), (4, 0, 1)]
    points = kaplan_meier(rows)
    assert [p["at_risk"] for p in points] == [5, 4, 2]
    s1 = 4 / 5
    s2 = s1 * 3 / 4
    s3 = s2 * 1 / 2
    assert [p["cumulative_response"] for p in points] == [
        round(1 - s1, 6),
        round(1 - s2, 6),
        round(1 - s3, 6),
    ]
    assert km_median(points) == 3
    assert kaplan_meier([]) == []
