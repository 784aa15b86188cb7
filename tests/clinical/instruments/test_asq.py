"""ASQ: the three result categories, their flags, and every rule about item 5."""

from __future__ import annotations

import itertools

import pytest

from ketacare.clinical.instruments import InstrumentInputError, get

ASQ = get("asq")
SCREENS = list(itertools.product((0, 1), repeat=4))


def test_negative() -> None:
    result = ASQ.score([0, 0, 0, 0])
    assert result.total is None
    assert result.category == result.severity == "negative"
    assert result.flags == ()
    assert result.as_dict() == {
        "instrument": "asq", "total": None, "min": None, "max": None,
        "severity": "negative", "flags": [],
    }


@pytest.mark.parametrize("screen", [s for s in SCREENS if any(s)])
def test_positive_non_acute(screen: tuple[int, ...]) -> None:
    result = ASQ.score([*screen, 0])
    assert result.severity == "positive_non_acute"
    assert [f.code for f in result.flags] == ["suicide_risk"]
    assert result.total is None


@pytest.mark.parametrize("screen", [s for s in SCREENS if any(s)])
def test_positive_acute(screen: tuple[int, ...]) -> None:
    result = ASQ.score([*screen, 1])
    assert result.severity == "positive_acute"
    assert [f.code for f in result.flags] == ["suicide_risk", "suicide_risk_acute"]
    assert all(f.tone == "critical" for f in result.flags)


def test_flag_messages_say_what_to_do() -> None:
    flags = {f.code: f.message for f in ASQ.score([1, 0, 0, 0, 1]).flags}
    assert "brief suicide safety assessment" in flags["suicide_risk"]
    assert "must not leave" in flags["suicide_risk_acute"]
    assert "STAT" in flags["suicide_risk_acute"]


def test_item5_given_with_all_no_is_an_error() -> None:
    for acuity in (0, 1):
        with pytest.raises(InstrumentInputError) as info:
            ASQ.score([0, 0, 0, 0, acuity])
        assert info.value.item == 5
        assert str(info.value) == (
            "asq item 5: asked only when any of items 1-4 is yes; leave it out"
        )


@pytest.mark.parametrize("screen", [s for s in SCREENS if any(s)])
def test_item5_missing_after_a_yes_is_an_error(screen: tuple[int, ...]) -> None:
    with pytest.raises(InstrumentInputError) as info:
        ASQ.score(list(screen))
    assert info.value.item == 5
    assert str(info.value) == (
        "asq item 5: required when any of items 1-4 is yes; allowed values are 0, 1"
    )


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([0, 0, 0], "asq: expected 4 or 5 values (items 1-4, optional item 5), got 3"),
        ([0, 0, 0, 0, 0, 0], "got 6"),
        ([0, 3, 0, 0], "asq item 2: 3 is out of range; allowed values are 0, 1, declined"),
        ([1, 0, 0, 0, 2], "asq item 5: 2 is out of range; allowed values are 0, 1"),
        (["yes", 0, 0, 0], "asq item 1: 'yes' is not a number; allowed values are 0, 1, "
                           "declined"),
        ([1, 0, 0, 0, "declined"], "asq item 5: 'declined' is not a number; allowed values "
                                   "are 0, 1"),
    ],
)
def test_bad_input(values: list[int | str], fragment: str) -> None:
    with pytest.raises(InstrumentInputError) as info:
        ASQ.score(values)
    assert fragment in str(info.value)


def test_shape() -> None:
    assert ASQ.has_total is False
    assert ASQ.rater == "clinician_or_self"
    assert ASQ.full_text_bundled
    assert [i.optional for i in ASQ.items] == [False] * 4 + [True]
    assert ASQ.required_count == 4
    assert all([(o.value, o.label) for o in i.options]
               == [(0, "No"), (1, "Yes"), (2, "Declined to answer")] for i in ASQ.items[:4])
    assert [(o.value, o.label) for o in ASQ.items[4].options] == [(0, "No"), (1, "Yes")]
    assert ASQ.items[4].text == "Are you having thoughts of killing yourself right now?"
    assert all(i.text for i in ASQ.items)
    assert ASQ.bands == () and ASQ.remission is None


def test_strings_accepted() -> None:
    assert ASQ.score(["0", "1", "0", "0", "0"]).severity == "positive_non_acute"


# NIMH ASQ toolkit: a patient who declines to answer any of items 1-4 screens positive,
# and item 5 is then asked (clinical reference s.8).
@pytest.mark.parametrize("declined_item", [1, 2, 3, 4])
@pytest.mark.parametrize("token", ["declined", "DECLINED", " declined ", "2", 2])
def test_declined_counts_as_yes(declined_item: int, token: int | str) -> None:
    values: list[int | str] = [0, 0, 0, 0]
    values[declined_item - 1] = token
    result = ASQ.score([*values, 0])
    assert result.severity == "positive_non_acute"
    assert [f.code for f in result.flags] == ["suicide_risk"]
    assert ASQ.score([*values, 1]).severity == "positive_acute"


@pytest.mark.parametrize("declined_item", [1, 2, 3, 4])
def test_declined_makes_item5_required(declined_item: int) -> None:
    values: list[int | str] = [0, 0, 0, 0]
    values[declined_item - 1] = "declined"
    with pytest.raises(InstrumentInputError) as info:
        ASQ.score(values)
    assert info.value.item == 5
    assert "required when any of items 1-4 is yes" in str(info.value)


def test_declined_is_stored_as_code_2() -> None:
    assert ASQ.validate(["declined", 0, 0, 0, 0]) == (2, 0, 0, 0, 0)
    assert ASQ.items[0].option_label(2) == "Declined to answer"


def test_acuity_item_cannot_be_declined() -> None:
    with pytest.raises(InstrumentInputError) as info:
        ASQ.score([1, 0, 0, 0, 2])
    assert info.value.item == 5
