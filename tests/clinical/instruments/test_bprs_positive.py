"""BPRS positive subscale: 4 items rated 1-7, total 4-28, no bands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, get

BPRS = get("bprs-positive")


def test_shape() -> None:
    assert [i.label for i in BPRS.items] == [
        "Conceptual disorganisation",
        "Hallucinatory behaviour",
        "Suspiciousness",
        "Unusual thought content",
    ]
    assert all(i.allowed == (1, 2, 3, 4, 5, 6, 7) for i in BPRS.items)
    assert (BPRS.min_total, BPRS.max_total) == (4, 28)
    assert BPRS.rater == "clinician"
    assert BPRS.bands == ()
    assert BPRS.full_text_bundled is False
    assert any("[check]" in note for note in BPRS.check_notes)


@pytest.mark.parametrize(
    ("values", "total"), [([1, 1, 1, 1], 4), ([1, 1, 1, 2], 5), ([7, 7, 7, 6], 27), ([7] * 4, 28)]
)
def test_totals_without_severity(values: list[int], total: int) -> None:
    result = BPRS.score(values)
    assert (result.total, result.min, result.max) == (total, 4, 28)
    assert result.severity is None
    assert result.flags == ()


@given(st.lists(st.integers(1, 7), min_size=4, max_size=4))
def test_total_in_range(values: list[int]) -> None:
    result = BPRS.score(values)
    assert result.total == sum(values)
    assert 4 <= result.total <= 28


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0, 1, 1, 1], "bprs-positive item 1: 0 is out of range; allowed values are 1, 2, 3, 4, "
         "5, 6, 7"),
        ([1, 1, 1, 8], "bprs-positive item 4: 8 is out of range"),
        ([1, 1, 1], "bprs-positive: expected 4 values (items 1-4), got 3"),
        ([1, "seven", 1, 1], "bprs-positive item 2: 'seven' is not a number"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        BPRS.score(values)
    assert fragment in str(info.value)
