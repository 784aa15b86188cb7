"""MADRS: Snaith bands, suicidal-thoughts flag (product default), remission settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, get, madrs

MADRS = get("madrs")
BANDS = [("normal", 0, 6), ("mild", 7, 19), ("moderate", 20, 34), ("severe", 35, 60)]


def answers(total: int, item10: int = 0) -> list[int]:
    values = [0] * 9 + [item10]
    remaining = total - item10
    for i in range(9):
        step = min(6, remaining)
        values[i] = step
        remaining -= step
    assert remaining == 0
    return values


@pytest.mark.parametrize(("label", "low", "high"), BANDS)
def test_band_edges(label: str, low: int, high: int) -> None:
    for total in (low, high):
        result = MADRS.score(answers(total, item10=6 if total > 54 else 0))
        assert (result.total, result.severity) == (total, label)


def test_bands_and_tones() -> None:
    assert [(b.label, b.low, b.high) for b in MADRS.bands] == BANDS
    assert [b.tone for b in MADRS.bands] == ["ok", "low", "mid", "high"]


def test_suicidal_thoughts_flag_edge() -> None:
    assert MADRS.score(answers(30, item10=1)).flags == ()
    result = MADRS.score(answers(2, item10=2))
    assert [f.code for f in result.flags] == ["suicidal_ideation"]
    assert result.severity == "normal"  # flagged whatever the total
    assert "[check]" in result.flags[0].message  # a product default, labelled as such


def test_flag_threshold_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    values = tuple(answers(2, item10=2))
    assert madrs.score(MADRS, values, flag_min=3).flags == ()
    assert madrs.score(MADRS, values, flag_min=1).flags != ()
    monkeypatch.setattr(madrs, "SUICIDAL_THOUGHTS_FLAG_MIN", 3)
    assert MADRS.score(values).flags == ()
    assert MADRS.score(answers(3, item10=3)).flags != ()


def test_reference_settings() -> None:
    assert [i.label for i in MADRS.items] == [
        "Apparent sadness", "Reported sadness", "Inner tension", "Reduced sleep",
        "Reduced appetite", "Concentration difficulties", "Lassitude", "Inability to feel",
        "Pessimistic thoughts", "Suicidal thoughts",
    ]
    assert all(item.allowed == tuple(range(7)) for item in MADRS.items)
    assert MADRS.rater == "clinician"
    assert MADRS.full_text_bundled is False
    assert MADRS.remission is not None and MADRS.remission.max_total == 10
    assert madrs.REMISSION_ESKETAMINE_TRIALS.max_total == 12
    assert MADRS.clinical_range_min == 20
    assert MADRS.loinc_panel is None
    assert any("[check]" in note for note in MADRS.check_notes)


@given(st.lists(st.integers(0, 6), min_size=10, max_size=10))
def test_total_in_range(values: list[int]) -> None:
    result = MADRS.score(values)
    assert result.total == sum(values)
    assert (result.min, result.max) == (0, 60)
    assert bool(result.flags) == (values[9] >= 2)
    assert result.severity is not None


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0] * 9, "madrs: expected 10 values (items 1-10), got 9"),
        ([0] * 9 + [7], "madrs item 10: 7 is out of range; allowed values are 0, 1, 2, 3, 4, "
         "5, 6"),
        ([0] * 9 + [""], "madrs item 10: '' is not a number"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        MADRS.score(values)
    assert fragment in str(info.value)
