from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical import instruments
from ketacare.clinical.instruments import InstrumentInputError
from ketacare.clinical.outcomes import (
    DEFAULT_WORSENED_PCT,
    WORSENED_PCT_RANGE,
    OutcomeRules,
    classify,
)

PHQ9 = instruments.get("phq9")


@pytest.mark.parametrize(
    ("baseline", "current", "category", "response", "partial"),
    [
        (20, 10, "response", True, False),  # exactly 50%
        (20, 11, "partial_response", False, True),  # 45%
        (20, 15, "partial_response", False, True),  # exactly 25%
        (20, 16, "no_response", False, False),  # 20%
        (20, 24, "no_response", False, False),  # +20%: not yet worsened
        (20, 25, "worsened", False, False),  # exactly +25%
        (20, 4, "remission", True, False),
        (8, 5, "partial_response", False, True),
    ],
)
def test_phq9_thresholds(baseline, current, category, response, partial) -> None:
    out = classify(PHQ9, baseline, current)
    assert (out.category, out.response, out.partial_response) == (category, response, partial)


def test_remission_is_per_instrument() -> None:
    assert classify(PHQ9, 20, 4).remission is True
    assert classify(PHQ9, 20, 5).remission is False
    qids = instruments.get("qids-sr16")
    assert classify(qids, 20, 5).remission is True
    assert classify(qids, 20, 6).remission is False
    madrs = instruments.get("madrs")
    assert classify(madrs, 30, 10).remission is True
    assert classify(madrs, 30, 11).remission is False
    assert classify(madrs, 30, 12, OutcomeRules(remission_max_total=12)).remission is True
    gad7 = instruments.get("gad7")
    assert classify(gad7, 15, 4).remission is True and classify(gad7, 15, 5).remission is False


def test_pcl5_remission_needs_below_33_and_a_10_point_drop() -> None:
    pcl5 = instruments.get("pcl5")
    assert classify(pcl5, 42, 32).remission is True
    assert classify(pcl5, 41, 32).remission is False  # drop of 9
    assert classify(pcl5, 50, 33).remission is False  # not below 33


def test_no_remission_rule_gives_none() -> None:
    assert classify(instruments.get("cadss"), 20, 5).remission is None


def test_floor_baseline_has_no_percent_and_any_rise_worsens() -> None:
    out = classify(PHQ9, 0, 6)
    assert out.percent_change is None and out.category == "worsened"
    # Worsening is checked before remission: any rise from a baseline of 0 is worsening,
    # even while the total stays under the remission ceiling.
    for current in (1, 3, 4):
        out = classify(PHQ9, 0, current)
        assert (out.category, out.remission) == ("worsened", False), current
    out = classify(PHQ9, 0, 0)
    assert (out.category, out.remission) == ("no_response", False)


@pytest.mark.parametrize(
    ("baseline", "current", "category"),
    [
        (4, 0, "no_response"),  # at the PHQ-9 cut-off (< 5): already in remission range
        (4, 2, "no_response"),
        (4, 4, "no_response"),
        (4, 5, "worsened"),  # +25% from 4
        (3, 4, "worsened"),  # +33%
        (5, 4, "remission"),  # first baseline above the cut-off: remission possible
        (5, 0, "remission"),
    ],
)
def test_baseline_in_remission_range_is_never_remission(baseline, current, category) -> None:
    out = classify(PHQ9, baseline, current)
    assert out.category == category
    assert out.remission is (category == "remission")
    if baseline <= 4 and category == "no_response":
        assert not out.response and not out.partial_response


def test_baseline_in_remission_range_other_instruments() -> None:
    qids = instruments.get("qids-sr16")  # remission <= 5
    assert classify(qids, 5, 0).category == "no_response"
    assert classify(qids, 6, 5).category == "remission"
    madrs = instruments.get("madrs")
    assert classify(madrs, 10, 8).category == "no_response"  # default ceiling 10
    assert classify(madrs, 11, 8).category == "remission"
    assert classify(madrs, 12, 8, OutcomeRules(remission_max_total=12)).category == (
        "no_response")
    assert classify(madrs, 13, 8, OutcomeRules(remission_max_total=12)).category == (
        "remission")


def test_worsening_is_checked_before_remission() -> None:
    """A rise the clinic calls worsening is never reported as remission, whatever the rule."""
    madrs = instruments.get("madrs")
    out = classify(madrs, 8, 10, OutcomeRules(worsened_pct=25.0))
    assert out.category == "worsened" and out.remission is False


def test_percent_is_measured_from_the_scale_floor() -> None:
    bprs = instruments.get("bprs-positive")  # floor 4
    out = classify(bprs, 12, 8)
    assert out.percent_change == -50.0 and out.response is True


def test_bad_totals_are_refused() -> None:
    with pytest.raises(InstrumentInputError, match="current 28 is out of range"):
        classify(PHQ9, 10, 28)
    with pytest.raises(InstrumentInputError, match="baseline 'ten' is not a number"):
        classify(PHQ9, "ten", 3)


@given(st.integers(0, 27), st.integers(0, 27))
def test_categories_are_exclusive_and_consistent(baseline: int, current: int) -> None:
    out = classify(PHQ9, baseline, current)
    assert not (out.response and out.partial_response)
    assert out.change == current - baseline
    if out.category == "response":
        assert out.response and not out.remission
    if out.category == "worsened":
        assert current > baseline
    if out.remission:
        assert out.category == "remission" and current < 5 and baseline >= 5
    if current > baseline and (baseline == 0 or (current - baseline) * 4 >= baseline):
        assert out.category == "worsened"
    if baseline < 5:
        assert out.category in ("worsened", "no_response")


@pytest.mark.parametrize(
    ("baseline", "current", "pct", "category"),
    [
        (20, 25, 25, "worsened"),  # +25%: the product default
        (20, 25, 50, "no_response"),  # the same rise under a clinic's 50%
        (16, 23, 50, "no_response"),  # +43.75%
        (16, 24, 50, "worsened"),  # exactly +50%
        (0, 1, 50, "worsened"),  # from the floor any rise worsens, whatever the threshold
        (4, 5, 50, "no_response"),  # in remission range at baseline, +25% < 50%
        (4, 6, 50, "worsened"),  # +50%
    ],
)
def test_worsening_follows_the_clinic_threshold(baseline, current, pct, category) -> None:
    """Issue #14 item 2: "a rise >= the clinic's threshold" (clinic setting
    `outcome_worsened_pct`, product default 25%, clinical reference s.2)."""
    assert DEFAULT_WORSENED_PCT == 25 and OutcomeRules().worsened_pct == DEFAULT_WORSENED_PCT
    assert WORSENED_PCT_RANGE == (5, 100)
    assert classify(PHQ9, baseline, current, OutcomeRules(worsened_pct=pct)).category == category


@pytest.mark.parametrize("pct", [0, 4, 101, -25, float("nan")])
def test_worsening_threshold_out_of_range_is_refused(pct: float) -> None:
    with pytest.raises(ValueError, match="^worsened_pct: .* from 5 to 100"):
        OutcomeRules(worsened_pct=pct)
