"""Issue 14 items 4 and 5: the racemic ketamine labels' contraindications, the esketamine
label's screening questions, the pregnancy test and the expiry of a screening."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketacare.clinical.eligibility import (
    SCREENING_VALID_DAYS,
    EligibilityInputError,
    ScreeningFacts,
    assess,
    criteria_for,
    criterion,
    screening_expired,
)

ESK = "esketamine_nasal"
RACEMIC = ("iv", "im", "sc", "oral", "sublingual")


def no_to_all(route: str, **yes: bool) -> dict[str, bool]:
    answers = {c.code: False for c in criteria_for(route)}
    answers.update(yes)
    return answers


# --- item 4 ----------------------------------------------------------------------------


@pytest.mark.parametrize("route", RACEMIC)
@pytest.mark.parametrize(
    "code", ["pre_eclampsia", "untreated_hyperthyroidism", "hypertensive_encephalopathy"]
)
def test_racemic_label_contraindications(route: str, code: str) -> None:
    a = assess(route, no_to_all(route, **{code: True}))
    assert a.status == "ineligible"
    assert [(r.code, r.kind) for r in a.reasons] == [(code, "contraindication")]
    assert "ketamine hydrochloride label" in a.reasons[0].source


def test_hypertensive_encephalopathy_is_a_caution_for_esketamine_and_check_for_racemic() -> None:
    assert criterion(ESK, "hypertensive_encephalopathy").kind == "caution"
    assert "5.6" in criterion(ESK, "hypertensive_encephalopathy").source
    assert criterion("iv", "hypertensive_encephalopathy").check


def test_pre_eclampsia_and_hyperthyroidism_are_not_asked_for_esketamine() -> None:
    codes = {c.code for c in criteria_for(ESK)}
    assert not codes & {"pre_eclampsia", "untreated_hyperthyroidism"}


@pytest.mark.parametrize(
    ("sbp", "dbp", "contraindicated"),
    [
        (180, 100, False),  # at the limit: not above it
        (181, 80, True),
        (170, 101, True),
        (179, 99, False),
        (None, 101, True),
        (181, None, True),
    ],
)
@pytest.mark.parametrize("route", RACEMIC)
def test_bp_above_180_100_at_screening_is_a_racemic_contraindication(
    route: str, sbp: int | None, dbp: int | None, contraindicated: bool
) -> None:
    a = assess(route, no_to_all(route), ScreeningFacts(age_years=40, sbp_mmhg=sbp, dbp_mmhg=dbp))
    found = [r for r in a.reasons if r.code == "bp_above_180_100"]
    assert bool(found) == contraindicated
    if contraindicated:
        assert a.status == "ineligible" and found[0].kind == "contraindication"
        assert "180/100" in found[0].message
    else:
        assert a.status == "needs_review"  # still above the pre-dose hold limit


def test_bp_above_180_100_is_the_pre_dose_caution_only_for_esketamine() -> None:
    a = assess(ESK, no_to_all(ESK), ScreeningFacts(age_years=40, sbp_mmhg=190, dbp_mmhg=105))
    assert a.status == "needs_review"
    assert [r.code for r in a.reasons] == ["bp_above_predose_threshold"]


# --- item 5 ----------------------------------------------------------------------------

LABEL_QUESTIONS = (
    "substance_misuse_history",
    "ketamine_misuse_history",
    "cystitis",
    "cognitive_impairment",
    "hepatic_impairment_moderate",
    "hepatic_impairment_severe",
    "psychosis",
)


@pytest.mark.parametrize("route", [*RACEMIC, ESK])
@pytest.mark.parametrize("code", LABEL_QUESTIONS)
def test_label_screening_questions_need_review(route: str, code: str) -> None:
    a = assess(route, no_to_all(route, **{code: True}))
    assert a.status == "needs_review"
    assert [(r.code, r.kind) for r in a.reasons] == [(code, "caution")]
    assert "Spravato label" in a.reasons[0].source
    if route != ESK and code != "psychosis":
        assert a.reasons[0].check  # by analogy for racemic ketamine


def test_hepatic_messages_say_what_to_do() -> None:
    moderate = assess(ESK, no_to_all(ESK, hepatic_impairment_moderate=True)).reasons[0]
    severe = assess(ESK, no_to_all(ESK, hepatic_impairment_severe=True)).reasons[0]
    assert "longer monitoring" in moderate.message and "8.6" in moderate.source
    assert "Child-Pugh C" in severe.message and "not recommended" in severe.message


@pytest.mark.parametrize(
    ("result", "code"),
    [
        ("not_done", "pregnancy_test_not_done"),
        ("positive", "pregnancy_test_positive"),
        ("negative", None),
        ("not_applicable", None),
        (None, None),
    ],
)
@pytest.mark.parametrize("route", ["iv", ESK])
def test_pregnancy_test(route: str, result: str | None, code: str | None) -> None:
    a = assess(route, no_to_all(route), ScreeningFacts(pregnancy_test=result))  # type: ignore[arg-type]
    assert [r.code for r in a.reasons] == ([code] if code else [])
    assert a.status == ("needs_review" if code else "eligible")


def test_bad_pregnancy_test_and_alcohol_use_are_named() -> None:
    with pytest.raises(EligibilityInputError, match="^pregnancy_test: 'maybe' is not allowed"):
        ScreeningFacts(pregnancy_test="maybe")  # type: ignore[arg-type]
    with pytest.raises(EligibilityInputError, match="^alcohol_use: "):
        ScreeningFacts(alcohol_use="yes")  # type: ignore[arg-type]


def test_alcohol_use_is_no_finding() -> None:
    a = assess(ESK, no_to_all(ESK), ScreeningFacts(alcohol_use=True))
    assert a.status == "eligible"


@pytest.mark.parametrize(("days", "expired"), [(0, False), (89, False), (90, False),
                                               (91, True), (400, True)])
def test_screening_expires_after_the_clinic_setting(days: int, expired: bool) -> None:
    today = date(2026, 12, 6)
    assert SCREENING_VALID_DAYS == 90
    assert screening_expired(today - timedelta(days=days), today) is expired


def test_screening_expiry_setting_is_validated() -> None:
    today = date(2026, 12, 6)
    assert screening_expired(today - timedelta(days=8), today, 7)
    assert not screening_expired(today - timedelta(days=7), today, 7)
    for bad in (0, 366, True, "90"):
        with pytest.raises(EligibilityInputError, match="^screening_valid_days: "):
            screening_expired(today, today, bad)  # type: ignore[arg-type]
