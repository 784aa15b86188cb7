"""GAD-7: bands, codes, bundled text, no flags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, get

GAD7 = get("gad7")

BANDS = [("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21)]


def answers(total: int) -> list[int]:
    values = []
    for _ in range(7):
        step = min(3, total)
        values.append(step)
        total -= step
    assert total == 0
    return values


@pytest.mark.parametrize(("label", "low", "high"), BANDS)
def test_band_edges(label: str, low: int, high: int) -> None:
    for total in (low, high):
        result = GAD7.score(answers(total))
        assert (result.total, result.severity) == (total, label)
    # one point outside the band is in the neighbouring band
    if low > 0:
        assert GAD7.score(answers(low - 1)).severity != label
    if high < 21:
        assert GAD7.score(answers(high + 1)).severity != label


def test_bands_and_tones() -> None:
    assert [(b.label, b.low, b.high) for b in GAD7.bands] == BANDS
    assert [b.tone for b in GAD7.bands] == ["ok", "low", "mid", "high"]


def test_codes_and_text() -> None:
    assert GAD7.loinc_panel == "69737-5"
    assert GAD7.loinc_total == "70274-6"
    assert [i.loinc for i in GAD7.items] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ]
    for item in GAD7.items:
        assert item.text
        assert [(o.value, o.label, o.loinc_answer) for o in item.options] == [
            (0, "Not at all", "LA6568-5"),
            (1, "Several days", "LA6569-3"),
            (2, "More than half the days", "LA6570-1"),
            (3, "Nearly every day", "LA6571-9"),
        ]
    assert GAD7.items[1].text == "Not being able to stop or control worrying"
    assert GAD7.full_text_bundled
    assert GAD7.rater == "self"
    assert GAD7.recall_period == "Over the last 2 weeks"


def test_outcome_settings() -> None:
    assert GAD7.remission is not None and GAD7.remission.max_total == 4
    assert GAD7.clinical_range_min == 10


@given(st.lists(st.integers(0, 3), min_size=7, max_size=7))
def test_total_in_range_no_flags(values: list[int]) -> None:
    result = GAD7.score(values)
    assert result.total == sum(values)
    assert (result.min, result.max) == (0, 21)
    assert result.flags == ()
    assert set(result.as_dict()) == {"instrument", "total", "min", "max", "severity", "flags"}


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0] * 6, "gad7: expected 7 values (items 1-7), got 6"),
        ([0] * 8, "got 8"),
        ([0] * 6 + [4], "gad7 item 7: 4 is out of range; allowed values are 0, 1, 2, 3"),
        ([0, "two"] + [0] * 5, "gad7 item 2: 'two' is not a number; allowed values are 0, 1"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        GAD7.score(values)
    assert fragment in str(info.value)
