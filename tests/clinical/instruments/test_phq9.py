"""PHQ-9: bands, the item-9 flag, the unscored item 10, input errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, get

PHQ9 = get("phq9")


def answers(total: int, item9: int = 0) -> list[int]:
    """Nine answers summing to `total`, with item 9 fixed so the flag is controlled."""
    values = [0] * 8 + [item9]
    remaining = total - item9
    for i in range(8):
        step = min(3, remaining)
        values[i] = step
        remaining -= step
    assert remaining == 0
    return values


BANDS = [
    ("minimal", 0, 4),
    ("mild", 5, 9),
    ("moderate", 10, 14),
    ("moderately_severe", 15, 19),
    ("severe", 20, 27),
]


@pytest.mark.parametrize(("label", "low", "high"), BANDS)
def test_band_edges(label: str, low: int, high: int) -> None:
    for total in (low, high):
        item9 = 3 if total > 24 else 0
        result = PHQ9.score(answers(total, item9))
        assert result.total == total
        assert result.severity == label


def test_bands_match_reference() -> None:
    assert [(b.label, b.low, b.high) for b in PHQ9.bands] == BANDS


def test_item9_flag_edge() -> None:
    assert PHQ9.score(answers(5, item9=0)).flags == ()
    flagged = PHQ9.score(answers(5, item9=1))
    assert [f.code for f in flagged.flags] == ["suicidal_ideation"]
    assert flagged.severity == "mild"  # the flag is raised regardless of the total


def test_item9_flag_at_lowest_total() -> None:
    result = PHQ9.score([0] * 8 + [1])
    assert result.total == 1
    assert result.severity == "minimal"
    assert result.as_dict()["flags"] == ["suicidal_ideation"]


def test_item10_recorded_not_summed() -> None:
    nine = PHQ9.score([1] * 9)
    ten = PHQ9.score([1] * 9 + [3])
    assert nine.total == ten.total == 9
    assert ten.extras == {"difficulty": 3}
    assert "difficulty" not in nine.as_dict()
    assert ten.as_dict()["difficulty"] == 3


def test_range_and_codes() -> None:
    assert (PHQ9.min_total, PHQ9.max_total) == (0, 27)
    assert PHQ9.loinc_panel == "44249-1"
    assert PHQ9.loinc_total == "44261-6"
    assert [i.loinc for i in PHQ9.items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
        "44258-2", "44252-5", "44253-3", "44260-8", "69722-7",
    ]
    assert [o.loinc_answer for o in PHQ9.items[0].options] == [
        "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9",
    ]
    assert PHQ9.remission is not None and PHQ9.remission.max_total == 4
    assert PHQ9.clinical_range_min == 10


@given(st.lists(st.integers(0, 3), min_size=9, max_size=10))
def test_total_is_sum_of_items_1_to_9(values: list[int]) -> None:
    result = PHQ9.score(values)
    assert result.total == sum(values[:9])
    assert 0 <= result.total <= 27
    assert (result.min, result.max) == (0, 27)
    assert bool(result.flags) == (values[8] > 0)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0] * 8, "expected 9 or 10 values (items 1-9, optional item 10), got 8"),
        ([0] * 11, "got 11"),
        ([0] * 8 + [4], "phq9 item 9: 4 is out of range; allowed values are 0, 1, 2, 3"),
        ([0] * 9 + [-1], "phq9 item 10: -1 is out of range"),
        (["a"] + [0] * 8, "phq9 item 1: 'a' is not a number; allowed values are 0, 1, 2, 3"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        PHQ9.score(values)
    assert fragment in str(info.value)
    assert info.value.instrument == "phq9"


def test_string_values_accepted() -> None:
    assert PHQ9.score(["1", " 2", "3 "] + ["0"] * 6).total == 6
