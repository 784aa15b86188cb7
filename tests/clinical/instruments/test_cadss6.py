"""CADSS-6: items 1, 2, 6, 7, 15, 22 of the CADSS - not the first six."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, cadss, cadss6, get

CADSS = get("cadss")
CADSS6 = get("cadss6")
SELECTED = (1, 2, 6, 7, 15, 22)


def test_uses_the_published_items_not_the_first_six() -> None:
    assert cadss6.CADSS_ITEMS == SELECTED
    assert [i.label for i in CADSS6.items] == [
        f"(CADSS {n}) {cadss.LABELS[n]}" for n in SELECTED
    ]
    first_six = [f"(CADSS {n}) {cadss.LABELS[n]}" for n in range(1, 7)]
    assert [i.label for i in CADSS6.items] != first_six
    assert "(CADSS 15)" in CADSS6.items[4].label
    assert "(CADSS 22)" in CADSS6.items[5].label


def test_shape() -> None:
    assert [i.number for i in CADSS6.items] == [1, 2, 3, 4, 5, 6]
    assert all(i.allowed == (0, 1, 2, 3, 4) for i in CADSS6.items)
    assert (CADSS6.min_total, CADSS6.max_total) == (0, 24)
    assert CADSS6.bands == ()
    assert CADSS6.full_text_bundled is False
    assert CADSS6.rater == "clinician"


@pytest.mark.parametrize("total", [0, 1, 12, 23, 24])
def test_totals_without_severity(total: int) -> None:
    values = [4] * (total // 4) + ([total % 4] if total % 4 else [])
    values += [0] * (6 - len(values))
    result = CADSS6.score(values)
    assert (result.total, result.severity, result.flags) == (total, None, ())
    assert (result.min, result.max) == (0, 24)


@given(st.lists(st.integers(0, 4), min_size=23, max_size=23))
def test_short_form_equals_the_selected_full_scale_items(full: list[int]) -> None:
    short = [full[n - 1] for n in SELECTED]
    total = CADSS6.score(short).total
    assert total == sum(full[n - 1] for n in SELECTED)
    assert total is not None and total <= CADSS.score(full).total  # type: ignore[operator]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0] * 5, "cadss6: expected 6 values (items 1-6), got 5"),
        ([0] * 23, "got 23"),
        ([0] * 5 + [-1], "cadss6 item 6: -1 is out of range; allowed values are 0, 1, 2, 3, 4"),
        (["1.0"] + [0] * 5, "cadss6 item 1: '1.0' is not a number"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        CADSS6.score(values)
    assert fragment in str(info.value)
