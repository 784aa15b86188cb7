"""Issue 14 item 8: the EU SmPC esketamine protocol (dose by age), the label choice per
clinic, and the decision point at the end of induction."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ketacare.clinical import dosing, induction_review, protocols, schedules
from ketacare.clinical.protocols import Phase, Protocol, ProtocolError

EU = protocols.get("esketamine-eu")
US = protocols.get("esketamine")
TODAY = date(2026, 12, 7)


def dose(protocol: Protocol, *, age: int | None, number: int = 1, mg: int | None = None,
         reason: str | None = None) -> dosing.DoseResult:
    return dosing.calculate_dose(protocol, weight_kg=None, weight_measured_on=None,
                                 today=TODAY, fixed_mg=mg, override_reason=reason,
                                 dose_number=number, age_years=age)


def test_eu_protocol_round_trips_and_keeps_the_us_schedule() -> None:
    assert Protocol.from_dict(EU.as_dict()) == EU
    assert EU.schedule == US.schedule and EU.observation_min == 120
    assert EU.dose.options_mg == (28, 56, 84) and EU.review_after_induction
    assert any("SmPC" in s for s in EU.sources)


@pytest.mark.parametrize(("age", "first_mg"), [(64, 56), (65, 28), (80, 28)])
def test_eu_first_dose_by_age(age: int, first_mg: int) -> None:
    result = dose(EU, age=age)
    assert (result.dose_mg, result.devices) == (first_mg, first_mg // 28)


def test_eu_older_patient_needs_an_override_for_56_on_day_1() -> None:
    with pytest.raises(dosing.DoseError, match="^override_reason: .*first dose of 28 mg"):
        dose(EU, age=70, mg=56)
    assert dose(EU, age=70, mg=56, reason="tolerated 56 mg before").needs_override


@pytest.mark.parametrize("mg", [28, 56, 84])
def test_eu_older_patient_later_doses(mg: int) -> None:
    result = dose(EU, age=65, number=2, mg=mg)
    assert result.dose_mg == mg and not result.needs_override


@pytest.mark.parametrize("number", [1, 2])
def test_eu_28_mg_refused_under_65(number: int) -> None:
    with pytest.raises(dosing.DoseError, match="^fixed_mg: 28 mg is for patients 65 and over"):
        dose(EU, age=64, number=number, mg=28)


def test_eu_needs_the_age_and_the_us_label_does_not() -> None:
    with pytest.raises(dosing.DoseError, match="^age_years: required"):
        dose(EU, age=None)
    assert dose(US, age=None).dose_mg == 56
    assert dose(US, age=80).dose_mg == 56  # US: 56 mg on day 1 for every adult
    with pytest.raises(dosing.DoseError, match="^fixed_mg: 28 mg is not a dose"):
        dose(US, age=80, mg=28)


def test_older_dose_fields_are_validated() -> None:
    with pytest.raises(ProtocolError, match="^older_only_mg\\[0\\]: 42 mg is not one"):
        replace(EU.dose, older_only_mg=(42,))
    with pytest.raises(ProtocolError, match="^first_dose_mg_older: 42 mg is not one"):
        replace(EU.dose, first_dose_mg_older=42)
    with pytest.raises(ProtocolError, match="^default_mg: 28 mg is only for patients 65"):
        replace(EU.dose, default_mg=28)
    with pytest.raises(ProtocolError, match="^first_dose_mg_older: only for basis fixed_mg"):
        replace(protocols.get("iv-induction").dose, first_dose_mg_older=28)


def test_label_variant_per_clinic() -> None:
    assert protocols.DEFAULT_LABEL_VARIANT == "us"
    assert protocols.shipped_active("esketamine", "us")
    assert not protocols.shipped_active("esketamine-eu", "us")
    assert protocols.shipped_active("esketamine-eu", "eu")
    assert not protocols.shipped_active("esketamine", "eu")
    # Protocols that are not label variants are offered under either label.
    assert protocols.shipped_active("iv-induction", "eu")
    assert protocols.shipped_active("esketamine-si", "eu")
    with pytest.raises(ProtocolError, match="^esketamine_label: 'uk' is not allowed"):
        protocols.shipped_active("esketamine", "uk")


# --- the decision point ----------------------------------------------------------------


def labels(protocol: Protocol) -> list[str]:
    plan = schedules.generate(protocol, date(2026, 12, 7), frozenset({0, 3}))
    return [p.label for p in plan]


def test_us_and_eu_review_at_the_end_of_induction_si_does_not() -> None:
    assert induction_review.applies(US) and induction_review.applies(EU)
    assert not induction_review.applies(protocols.get("esketamine-si"))
    assert not induction_review.applies(protocols.get("iv-induction"))


def test_first_maintenance_session_waits_for_the_decision() -> None:
    names = labels(US)
    last_induction, first_maintenance = names[7], names[8]  # 4 weeks twice weekly
    assert induction_review.blocked(US, last_induction, "") is None
    assert "benefit review" in (induction_review.blocked(US, first_maintenance, "") or "")
    assert induction_review.blocked(US, first_maintenance, "continue") is None
    assert "stop" in (induction_review.blocked(US, first_maintenance, "stop") or "")
    assert induction_review.blocked(US, names[-1], "") is not None  # open-ended phase too


def test_decision_ready_when_no_induction_session_is_open() -> None:
    names = labels(US)
    open_ = [(label, i >= 7) for i, label in enumerate(names)]  # session 8 still planned
    assert not induction_review.ready(US, open_)
    done = [(label, i >= 8) for i, label in enumerate(names)]
    assert induction_review.ready(US, done)
    assert not induction_review.ready(protocols.get("esketamine-si"), done)


def test_review_needs_distinct_phase_titles() -> None:
    same = replace(US.schedule, phases=tuple(replace(p, title="Series")
                                             for p in US.schedule.phases))
    with pytest.raises(ProtocolError, match="^review_after_induction: .*different titles"):
        replace(US, schedule=same)
    only = replace(US.schedule, phases=(Phase(name="induction", title="Induction",
                                              per_week=(2, 2), weeks=4),),
                   default_through_week=None)
    with pytest.raises(ProtocolError, match="^review_after_induction: needs an induction"):
        replace(US, schedule=only)
