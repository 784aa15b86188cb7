"""CADSS (23 subjective items): 0-4 each, total 0-92, no bands, labels only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, cadss, get

CADSS = get("cadss")


def test_shape() -> None:
    assert len(CADSS.items) == 23
    assert [i.number for i in CADSS.items] == list(range(1, 24))
    assert all(i.allowed == (0, 1, 2, 3, 4) for i in CADSS.items)
    assert (CADSS.min_total, CADSS.max_total) == (0, 92)
    assert CADSS.rater == "clinician"
    assert CADSS.bands == ()
    assert CADSS.remission is None


def test_labels_only() -> None:
    assert CADSS.full_text_bundled is False
    assert all(i.text is None for i in CADSS.items)
    labels = [i.label for i in CADSS.items]
    assert len(set(labels)) == 23 and all(labels)
    assert labels == [cadss.LABELS[n] for n in range(1, 24)]
    assert any("[check]" in note for note in CADSS.check_notes)


@pytest.mark.parametrize("total", [0, 1, 46, 91, 92])
def test_totals_without_severity(total: int) -> None:
    values = [4] * (total // 4) + ([total % 4] if total % 4 else [])
    values += [0] * (23 - len(values))
    result = CADSS.score(values)
    assert result.total == total
    assert result.severity is None
    assert result.flags == ()
    assert (result.min, result.max) == (0, 92)


@given(st.lists(st.integers(0, 4), min_size=23, max_size=23))
def test_total_in_range(values: list[int]) -> None:
    result = CADSS.score(values)
    assert result.total == sum(values)
    assert 0 <= result.total <= 92


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0] * 22, "cadss: expected 23 values (items 1-23), got 22"),
        ([0] * 24, "got 24"),
        ([0] * 22 + [5], "cadss item 23: 5 is out of range; allowed values are 0, 1, 2, 3, 4"),
        ([0] * 14 + ["high"] + [0] * 8, "cadss item 15: 'high' is not a number"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        CADSS.score(values)
    assert fragment in str(info.value)
