"""QIDS-SR16: nine domains, total = sum of domain maxima (0-27), bands, item-12 flag."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.instruments import InstrumentInputError, get, qids_sr16
from ketacare.clinical.outcomes import classify

QIDS = get("qids-sr16")

# Written out again here (not imported) so the test checks the module against the reference.
DOMAINS = {
    "sleep": (1, 2, 3, 4),
    "mood": (5,),
    "appetite_weight": (6, 7, 8, 9),
    "concentration": (10,),
    "self_view": (11,),
    "suicidal_ideation": (12,),
    "interest": (13,),
    "energy": (14,),
    "psychomotor": (15, 16),
}
BANDS = [
    ("none", 0, 5),
    ("mild", 6, 10),
    ("moderate", 11, 15),
    ("severe", 16, 20),
    ("very_severe", 21, 27),
]
ANSWERS = st.lists(st.integers(0, 3), min_size=16, max_size=16)


def answers(total: int) -> list[int]:
    """16 answers whose domain total is `total`; item 12 is used last (it raises the flag)."""
    values = [0] * 16
    order = [d for d in DOMAINS if d != "suicidal_ideation"] + ["suicidal_ideation"]
    for domain in order:
        step = min(3, total)
        values[DOMAINS[domain][-1] - 1] = step  # last item of the domain, to test max()
        total -= step
    assert total == 0
    return values


@pytest.mark.parametrize(("label", "low", "high"), BANDS)
def test_band_edges(label: str, low: int, high: int) -> None:
    for total in (low, high):
        result = QIDS.score(answers(total))
        assert (result.total, result.severity) == (total, label)


def test_bands_and_tones() -> None:
    assert [(b.label, b.low, b.high) for b in QIDS.bands] == BANDS
    assert [b.tone for b in QIDS.bands] == ["ok", "low", "mid", "high", "critical"]


def test_total_is_not_sum_of_items() -> None:
    result = QIDS.score([3] * 16)
    assert result.total == 27
    assert (result.min, result.max) == (0, 27)
    assert result.severity == "very_severe"


def test_range_properties_follow_domains() -> None:
    """Instrument.min_total/max_total would be 0-48 if they summed the 16 items."""
    assert (QIDS.min_total, QIDS.max_total) == (0, 27)


def test_outcomes_use_domain_range() -> None:
    assert classify(QIDS, 27, 5).remission is True
    with pytest.raises(InstrumentInputError, match="27"):
        classify(QIDS, 28, 5)


@pytest.mark.parametrize("domain", list(DOMAINS))
def test_each_domain_takes_the_max_of_its_items(domain: str) -> None:
    for position, item in enumerate(DOMAINS[domain]):
        values = [0] * 16
        values[item - 1] = 2
        for other in DOMAINS[domain][:position]:
            values[other - 1] = 1  # lower ratings of the same domain do not add up
        domains = QIDS.score(values).extras["domains"]
        assert domains == {d: (2 if d == domain else 0) for d in DOMAINS}


def test_domains_extra_keys_and_order() -> None:
    out = QIDS.score([0] * 16).as_dict()
    assert list(out["domains"]) == list(DOMAINS)
    assert set(out) == {"instrument", "total", "min", "max", "severity", "flags", "domains"}


def test_appetite_pair_answered_once() -> None:
    """The form asks only one of 6/7 and one of 8/9; a 0 for the other changes nothing."""
    values = [0] * 16
    values[6] = 3  # increased appetite
    values[7] = 2  # decreased weight
    assert QIDS.score(values).extras["domains"]["appetite_weight"] == 3


def test_suicide_item_flag_edge() -> None:
    assert QIDS.score(answers(20)).flags == ()  # 20 points without item 12
    values = [0] * 16
    values[11] = 1
    result = QIDS.score(values)
    assert [f.code for f in result.flags] == ["suicidal_ideation"]
    assert result.severity == "none"  # flagged whatever the total
    assert "Item 12" in result.flags[0].message


def test_reference_settings() -> None:
    assert QIDS.remission is not None and QIDS.remission.max_total == 5
    assert "STAR*D" in QIDS.remission.source
    assert QIDS.clinical_range_min == 11
    assert QIDS.full_text_bundled is False
    assert all(item.text is None for item in QIDS.items)
    assert all([o.label for o in item.options] == ["0", "1", "2", "3"] for item in QIDS.items)
    assert QIDS.items[11].label == "Thoughts of death or suicide"
    assert QIDS.loinc_panel is None and QIDS.loinc_total is None
    assert any("license" in note.lower() and "[check]" in note for note in QIDS.check_notes)


@given(ANSWERS)
def test_total_equals_sum_of_domain_maxima(values: list[int]) -> None:
    result = QIDS.score(values)
    expected = {d: max(values[n - 1] for n in items) for d, items in DOMAINS.items()}
    assert result.extras["domains"] == expected
    assert result.total == sum(expected.values())
    assert 0 <= result.total <= 27
    assert result.total <= sum(values)
    assert bool(result.flags) == (values[11] > 0)
    assert result.severity == qids_sr16.INSTRUMENT.band_for(result.total).label  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0] * 15, "qids-sr16: expected 16 values (items 1-16), got 15"),
        ([0] * 17, "got 17"),
        ([0] * 11 + [4] + [0] * 4, "qids-sr16 item 12: 4 is out of range; allowed values are "
         "0, 1, 2, 3"),
        (["x"] + [0] * 15, "qids-sr16 item 1: 'x' is not a number"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        QIDS.score(values)
    assert fragment in str(info.value)
