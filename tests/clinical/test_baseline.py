"""The baseline rule (clinical reference s.2) at its edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical import baseline

DOSE = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
S = timedelta(seconds=1)
D = timedelta(days=1)


def pick(scores: list[tuple[datetime, int]], start: datetime | None = DOSE):
    return baseline.choose(scores, start, at=lambda s: s[0], total=lambda s: s[1])


@pytest.mark.parametrize(
    ("offset", "chosen"),
    [
        (-30 * D, True),  # exactly 30 days before the first dose
        (-30 * D - S, False),  # a second older
        (timedelta(0), True),  # at the dosing start
        (S, False),  # a second after the first dose started
        (timedelta(hours=3), False),  # same day, after the dose: the old rule took it
    ],
)
def test_window_edges(offset: timedelta, chosen: bool) -> None:
    assert (pick([(DOSE + offset, 12)]) is not None) is chosen


def test_latest_in_window_wins() -> None:
    scores = [(DOSE - 20 * D, 20), (DOSE - 2 * D, 15), (DOSE + D, 3), (DOSE - 40 * D, 25)]
    assert pick(scores) == (DOSE - 2 * D, 15)


def test_tie_at_the_same_instant_takes_the_higher_total() -> None:
    assert pick([(DOSE - D, 9), (DOSE - D, 14)]) == (DOSE - D, 14)


def test_no_dose_or_no_score_in_window_means_no_baseline() -> None:
    assert pick([(DOSE - D, 12)], None) is None
    assert pick([(DOSE - 31 * D, 12), (DOSE + D, 10)]) is None  # no first-score fallback
    assert pick([]) is None


@given(st.lists(st.tuples(st.integers(-40 * 86400, 5 * 86400), st.integers(0, 27)),
                max_size=12))
def test_choice_is_in_window_and_latest(raw: list[tuple[int, int]]) -> None:
    scores = [(DOSE + timedelta(seconds=s), t) for s, t in raw]
    got = pick(scores)
    inside = [s for s in scores if DOSE - 30 * D <= s[0] <= DOSE]
    if not inside:
        assert got is None
    else:
        assert got is not None and got in inside
        assert all(s[0] <= got[0] for s in inside)
