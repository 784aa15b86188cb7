"""Every instrument in the registry, checked against the clinical reference (s.1, s.2).

Properties that hold for all of them: item numbers 1..n, bands that tile the total range,
totals always in range for valid answers, and one actionable error for invalid ones.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import (
    Instrument,
    InstrumentInputError,
    all_instruments,
    get,
)

# id -> (items incl. optional, allowed values of scored items, total range, rater, has_total)
REFERENCE: dict[str, tuple[int, tuple[int, int], tuple[int, int], str, bool]] = {
    "phq9": (10, (0, 3), (0, 27), "self", True),
    "gad7": (7, (0, 3), (0, 21), "self", True),
    "pcl5": (20, (0, 4), (0, 80), "self", True),
    "qids-sr16": (16, (0, 3), (0, 27), "self", True),
    "madrs": (10, (0, 6), (0, 60), "clinician", True),
    "cadss": (23, (0, 4), (0, 92), "clinician", True),
    "cadss6": (6, (0, 4), (0, 24), "clinician", True),
    "bprs-positive": (4, (1, 7), (4, 28), "clinician", True),
    # No total: the result has min/max None. Items 1-4 also take "declined" (code 2, NIMH
    # toolkit), so the item sums run 0-9.
    "asq": (5, (0, 1), (0, 9), "clinician_or_self", False),
}
# (panel, total) LOINC codes where the reference gives them.
LOINC = {
    "phq9": ("44249-1", "44261-6"),
    "gad7": ("69737-5", "70274-6"),
    "pcl5": ("101697-1", "101698-9"),
}
ITEM_LOINC = {"phq9", "gad7"}
# id -> (remission max_total, min_drop, in-clinical-range minimum), reference s.2.
OUTCOME = {
    "phq9": (4, None, 10),
    "gad7": (4, None, 10),
    "pcl5": (32, 10, 33),
    "qids-sr16": (5, None, 11),
    "madrs": (10, None, 20),
}
WITH_BANDS = {"phq9", "gad7", "qids-sr16", "madrs"}
BUNDLED = {"phq9", "gad7", "pcl5", "asq"}
TONE_ORDER = ["ok", "low", "mid", "high", "critical"]

INSTRUMENTS = all_instruments()
IDS = [i.id for i in INSTRUMENTS]
by_id = pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)


def test_registry_holds_exactly_the_reference_instruments() -> None:
    assert sorted(IDS) == sorted(REFERENCE)
    for instrument_id in REFERENCE:
        assert get(instrument_id).id == instrument_id


def test_unknown_instrument_names_the_known_ones() -> None:
    with pytest.raises(InstrumentInputError) as info:
        get("hamd")
    assert str(info.value).startswith("hamd: unknown instrument; known instruments are ")
    for instrument_id in REFERENCE:
        assert instrument_id in str(info.value)


@by_id
def test_shape_matches_reference(instrument: Instrument) -> None:
    count, (low, high), (min_total, max_total), rater, has_total = REFERENCE[instrument.id]
    assert len(instrument.items) == count
    assert [i.number for i in instrument.items] == list(range(1, count + 1))
    for item in instrument.scored_items:
        declined = tuple(o.value for o in item.options if o.word == "declined")
        assert item.allowed == (*range(low, high + 1), *declined), item.number
    assert (instrument.min_total, instrument.max_total) == (min_total, max_total)
    assert instrument.rater == rater
    assert instrument.has_total is has_total
    assert instrument.name and instrument.short_name and instrument.source
    assert instrument.license
    # optional items come last, so a shorter answer list is always the required items
    optional = [i.optional for i in instrument.items]
    assert optional == sorted(optional)


@by_id
def test_bands_tile_the_total_range(instrument: Instrument) -> None:
    bands = instrument.bands
    if instrument.id not in WITH_BANDS:
        assert bands == ()
        return
    _, _, (min_total, max_total), _, _ = REFERENCE[instrument.id]
    assert bands[0].low == min_total
    assert bands[-1].high == max_total
    for below, above in zip(bands, bands[1:], strict=False):
        assert above.low == below.high + 1
    assert all(b.low <= b.high for b in bands)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", b.label) for b in bands)
    assert len({b.label for b in bands}) == len(bands)
    tones = [TONE_ORDER.index(b.tone) for b in bands]
    assert tones == sorted(tones) and len(set(tones)) == len(tones)
    assert bands[0].tone == "ok"
    for total in range(min_total, max_total + 1):
        assert instrument.band_for(total) is not None


@by_id
def test_loinc_codes_where_the_reference_gives_them(instrument: Instrument) -> None:
    assert (instrument.loinc_panel, instrument.loinc_total) == LOINC.get(
        instrument.id, (None, None)
    )
    codes = [i.loinc for i in instrument.items]
    if instrument.id in ITEM_LOINC:
        assert all(codes) and len(set(codes)) == len(codes)
        for code in codes:
            assert code is not None and re.fullmatch(r"\d{4,6}-\d", code)
    else:
        assert not any(codes)


@by_id
def test_outcome_settings(instrument: Instrument) -> None:
    if instrument.id not in OUTCOME:
        assert instrument.remission is None
        assert instrument.clinical_range_min is None
        return
    max_total, min_drop, clinical_min = OUTCOME[instrument.id]
    assert instrument.remission is not None
    assert (instrument.remission.max_total, instrument.remission.min_drop) == (
        max_total,
        min_drop,
    )
    assert instrument.remission.source
    assert instrument.clinical_range_min == clinical_min


@by_id
def test_text_only_where_the_license_allows(instrument: Instrument) -> None:
    assert instrument.full_text_bundled is (instrument.id in BUNDLED)
    for item in instrument.items:
        assert item.label
        if instrument.full_text_bundled:
            assert item.text, item.number
        else:
            assert item.text is None, item.number
            # neutral numeric options: no copyrighted anchor wording
            assert [o.label for o in item.options] == [str(v) for v in item.allowed]
    if not instrument.full_text_bundled:
        assert "[check]" in instrument.license
        assert any("[check]" in note for note in instrument.check_notes)


@by_id
def test_self_report_options_are_labelled(instrument: Instrument) -> None:
    if instrument.rater == "clinician":
        return
    if instrument.full_text_bundled:
        for item in instrument.items:
            assert all(not o.label.isdigit() for o in item.options)


def valid_answers(instrument: Instrument) -> st.SearchStrategy[list[int]]:
    """Any answer list the instrument accepts (ASQ: item 5 only after a yes)."""
    if instrument.id == "asq":
        screen = st.lists(st.integers(0, 1), min_size=4, max_size=4)
        return screen.flatmap(
            lambda s: st.tuples(st.integers(0, 1)).map(lambda a: [*s, *a]) if any(s) else st.just(s)
        )
    required = [st.sampled_from(i.allowed) for i in instrument.items if not i.optional]
    optional = [st.sampled_from(i.allowed) for i in instrument.items if i.optional]
    return st.tuples(*required).flatmap(
        lambda head: st.one_of(
            st.just(list(head)), st.tuples(*optional).map(lambda tail: [*head, *tail])
        )
        if optional
        else st.just(list(head))
    )


@by_id
@given(data=st.data())
def test_valid_answers_score_in_range(instrument: Instrument, data: Any) -> None:
    values = data.draw(valid_answers(instrument))
    result = instrument.score(values)
    _, _, (min_total, max_total), _, has_total = REFERENCE[instrument.id]
    assert result.instrument == instrument.id
    if has_total:
        assert (result.min, result.max) == (min_total, max_total)
        assert result.total is not None and min_total <= result.total <= max_total
        assert (result.band is not None) is (instrument.id in WITH_BANDS)
        if result.band is not None:
            assert result.band.low <= result.total <= result.band.high
    else:
        assert result.total is None and result.category is not None
        assert (result.min, result.max) == (None, None)
    out = result.as_dict()
    assert {"instrument", "total", "min", "max", "severity", "flags"} <= set(out)
    assert all(isinstance(code, str) for code in out["flags"])
    # strings, as the CLI and forms send them, score the same
    assert instrument.score([f" {v} " for v in values]) == result


@by_id
@given(data=st.data())
def test_out_of_range_value_names_instrument_item_and_allowed(
    instrument: Instrument, data: Any
) -> None:
    values = data.draw(valid_answers(instrument))
    index = data.draw(st.integers(0, len(values) - 1))
    item = instrument.items[index]
    bad = data.draw(
        st.integers(-1000, 1000).filter(lambda v: v not in item.allowed), label="bad value"
    )
    values[index] = bad
    with pytest.raises(InstrumentInputError) as info:
        instrument.score(values)
    allowed = ", ".join(o.word or str(o.value) for o in item.options)
    assert info.value.instrument == instrument.id
    assert info.value.item == item.number
    assert str(info.value) == (
        f"{instrument.id} item {item.number}: {bad} is out of range; allowed values are {allowed}"
    )


@by_id
@given(data=st.data())
def test_non_number_names_instrument_item_and_allowed(instrument: Instrument, data: Any) -> None:
    values: list[int | str] = list(data.draw(valid_answers(instrument)))
    index = data.draw(st.integers(0, len(values) - 1))
    bad = data.draw(st.sampled_from(["", "x", "1.5", "two", "--1", "3a", "None"]))
    values[index] = bad
    item = instrument.items[index]
    with pytest.raises(InstrumentInputError) as info:
        instrument.score(values)
    allowed = ", ".join(o.word or str(o.value) for o in item.options)
    assert str(info.value) == (
        f"{instrument.id} item {item.number}: {bad!r} is not a number; allowed values are "
        f"{allowed}"
    )


@by_id
def test_wrong_counts(instrument: Instrument) -> None:
    low = instrument.items[0].min
    for count in (0, instrument.required_count - 1, len(instrument.items) + 1):
        with pytest.raises(InstrumentInputError) as info:
            instrument.score([low] * count)
        message = str(info.value)
        assert message.startswith(f"{instrument.id}: expected {instrument.required_count}")
        assert message.endswith(f"got {count}")
        assert info.value.item is None
