from __future__ import annotations

import json
import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ketacare.clinical.dosing import DoseError, DoseResult, calculate_dose, limits
from ketacare.clinical.protocols import get

TODAY = date(2025, 3, 10)
IV = get("iv-induction")
ESK = get("esketamine")


def iv(**kw: Any) -> DoseResult:
    args: dict[str, Any] = {
        "weight_kg": 70.0,
        "weight_measured_on": TODAY,
        "today": TODAY,
        "concentration_mg_ml": 10.0,
    }
    args.update(kw)
    return calculate_dose(IV, **args)


def esk(**kw: Any) -> DoseResult:
    args: dict[str, Any] = {"weight_kg": None, "weight_measured_on": None, "today": TODAY}
    args.update(kw)
    return calculate_dose(ESK, **args)


def refused(field: str, text: str, protocol_id: str = "iv-induction", **kw: Any) -> None:
    args: dict[str, Any] = {
        "weight_kg": 70.0,
        "weight_measured_on": TODAY,
        "today": TODAY,
        "concentration_mg_ml": 10.0,
    }
    args.update(kw)
    with pytest.raises(DoseError) as info:
        calculate_dose(get(protocol_id), **args)
    assert info.value.field == field, str(info.value)
    assert text in str(info.value), str(info.value)
    assert "\n" not in str(info.value) and str(info.value).startswith(f"{field}: ")


# --- weight-based --------------------------------------------------------------------


def test_standard_iv_dose() -> None:
    r = iv()
    assert (r.dose_mg, r.prescribed_mg, r.mg_per_kg, r.volume_ml) == (35.0, 35.0, 0.5, 3.5)
    assert r.concentration_mg_ml == 10.0 and r.devices is None
    assert not r.needs_override and r.override_reason is None and r.warnings == ()
    json.dumps(r.as_dict())


def test_volume_rounds_to_tenths_from_1_ml_and_hundredths_below() -> None:
    r = iv(weight_kg=70.3)  # 35.15 mg at 10 mg/mL = 3.515 mL
    assert (r.volume_ml, r.dose_mg, r.prescribed_mg) == (3.5, 35.0, 35.15)
    r = iv(weight_kg=70.3, concentration_mg_ml=100.0)  # 0.3515 mL
    assert (r.volume_ml, r.dose_mg) == (0.35, 35.0)
    r = iv(weight_kg=33.3, mg_per_kg=0.1)  # 3.33 mg at 10 mg/mL = 0.333 mL
    assert (r.volume_ml, r.dose_mg) == (0.33, 3.3)
    r = iv(weight_kg=20.0)  # 10 mg = exactly 1 mL
    assert (r.volume_ml, r.dose_mg) == (1.0, 10.0)
    r = iv(weight_kg=70.5)  # 35.25 mg = 3.525 mL: nearest 0.1 mL is 3.5
    assert r.volume_ml == 3.5


def test_halves_round_up_when_within_limits() -> None:
    r = iv(weight_kg=71.0, mg_per_kg=0.35)  # 24.85 mg at 10 mg/mL = 2.485 mL
    assert r.volume_ml == 2.5 and r.dose_mg == 25.0
    r = iv(weight_kg=70.0, mg_per_kg=0.35, concentration_mg_ml=100.0)  # 0.245 mL
    assert r.volume_ml == 0.25


def test_rounding_never_goes_past_the_usual_range_without_override() -> None:
    r = iv(weight_kg=106.0, concentration_mg_ml=50.0)  # 53 mg = 1.06 mL; 1.1 mL = 55 mg
    assert (r.volume_ml, r.dose_mg, r.prescribed_mg) == (1.0, 50.0, 53.0)
    assert r.dose_mg <= 0.5 * 106
    assert any("gives 50 mg, not the prescribed 53 mg" in w for w in r.warnings)


def test_rounding_never_goes_past_the_maximum_with_override() -> None:
    r = iv(weight_kg=70.6, mg_per_kg=0.75, concentration_mg_ml=50.0, override_reason="titration")
    # 52.95 mg = 1.059 mL; 1.1 mL would be 55 mg > 0.75 mg/kg
    assert (r.volume_ml, r.dose_mg) == (1.0, 50.0)
    assert r.given_mg_per_kg is not None and r.given_mg_per_kg <= 0.75


def test_small_volume_warns_and_suggests_a_lower_strength() -> None:
    r = iv(weight_kg=20.3, mg_per_kg=0.1, concentration_mg_ml=100.0)  # 2.03 mg = 0.0203 mL
    assert (r.volume_ml, r.dose_mg) == (0.02, 2.0)
    assert r.given_mg_per_kg is not None and r.given_mg_per_kg < 0.1  # by less than one step
    assert any("under 0.1 mL" in w and "use 10 mg/mL" in w for w in r.warnings)


def test_weight_missing_or_stale() -> None:
    refused("weight_kg", "required for weight-based protocol iv-induction", weight_kg=None)
    refused("weight_measured_on", "required", weight_measured_on=None)
    refused(
        "weight_measured_on",
        "is 31 days old; it must be measured within 30 days (clinic setting)",
        weight_measured_on=TODAY - timedelta(days=31),
    )
    assert iv(weight_measured_on=TODAY - timedelta(days=30)).dose_mg == 35.0
    refused(
        "weight_measured_on",
        "within 7 days",
        weight_measured_on=TODAY - timedelta(days=8),
        max_weight_age_days=7,
    )
    refused("weight_measured_on", "is after today", weight_measured_on=TODAY + timedelta(days=1))
    refused("max_weight_age_days", "allowed is 0 to 365", max_weight_age_days=-1)


@pytest.mark.parametrize("weight", [19.9, 300.1, 0, -70])
def test_weight_out_of_range(weight: float) -> None:
    refused("weight_kg", "allowed is 20 to 300 kg", weight_kg=weight)


@pytest.mark.parametrize("weight", [True, "70", math.nan, math.inf])
def test_weight_not_a_number(weight: object) -> None:
    refused("weight_kg", "is not a number from 20 to 300 kg", weight_kg=weight)


def test_weight_edges_are_allowed() -> None:
    assert iv(weight_kg=20).dose_mg == 10.0
    assert iv(weight_kg=200).dose_mg == 100.0  # 0.5 mg/kg x 200 kg = the 100 mg maximum


def test_mg_per_kg_outside_the_protocol_range_is_refused() -> None:
    refused(
        "mg_per_kg",
        "0.09 mg/kg is outside the range of protocol iv-induction: 0.1 to 0.75",
        mg_per_kg=0.09,
    )
    refused("mg_per_kg", "0.76 mg/kg is outside", mg_per_kg=0.76, override_reason="x")
    refused("mg_per_kg", "is not a positive number", mg_per_kg=-0.5)
    refused("mg_per_kg", "is not a positive number", mg_per_kg=math.nan)
    assert iv(mg_per_kg=0.1).dose_mg == 7.0
    # 52.5 mg = 5.25 mL: 5.3 mL would pass 0.75 mg/kg, so 5.2 mL (52 mg) is drawn.
    r = iv(mg_per_kg=0.75, override_reason="partial response")
    assert (r.prescribed_mg, r.volume_ml, r.dose_mg) == (52.5, 5.2, 52.0)


def test_above_the_usual_range_needs_an_override_with_a_reason() -> None:
    assert not iv(mg_per_kg=0.5).needs_override  # at the usual maximum: no override
    refused(
        "override_reason",
        "needs prescriber override: 0.51 mg/kg is above the usual 0.5",
        mg_per_kg=0.51,
    )
    refused("override_reason", "needs prescriber override", mg_per_kg=0.6, override_reason="   ")
    r = iv(mg_per_kg=0.6, override_reason=" partial response at 0.5 ")
    assert r.needs_override and r.override_reason == "partial response at 0.5"
    assert r.dose_mg == 42.0 and "prescriber override (partial response at 0.5)" in r.warnings[0]
    assert iv(override_reason="not needed").override_reason is None
    refused("override_reason", "must be text", mg_per_kg=0.6, override_reason=1)


def test_absolute_maximum_in_mg() -> None:
    refused(
        "mg_per_kg",
        "0.75 mg/kg x 140 kg = 105 mg is above the maximum of 100 mg for protocol "
        "iv-induction (at most 0.714 mg/kg at this weight)",
        weight_kg=140.0,
        mg_per_kg=0.75,
        override_reason="x",
    )
    assert iv(weight_kg=140.0, mg_per_kg=0.7, override_reason="x").dose_mg == 98.0


def test_concentration_rules() -> None:
    refused(
        "concentration_mg_ml",
        "25 mg/mL is not stocked for protocol iv-induction; allowed: 10, 50, 100",
        concentration_mg_ml=25.0,
    )
    refused(
        "concentration_mg_ml",
        "required for route iv; stocked: 10, 50, 100",
        concentration_mg_ml=None,
    )
    refused("concentration_mg_ml", "must be above 0", concentration_mg_ml=0.0)
    refused("concentration_mg_ml", "must be above 0", concentration_mg_ml=-10.0)
    refused("concentration_mg_ml", "is not a number", concentration_mg_ml=math.inf)
    assert iv(concentration_mg_ml=50).volume_ml == 0.7  # an int strength is fine


def test_oral_without_a_strength_gives_mg_only() -> None:
    r = calculate_dose(get("oral"), weight_kg=70.3, weight_measured_on=TODAY, today=TODAY)
    assert (r.prescribed_mg, r.dose_mg, r.volume_ml, r.concentration_mg_ml) == (
        35.15,
        35.2,
        None,
        None,
    )
    r = calculate_dose(
        get("oral"), weight_kg=80, weight_measured_on=TODAY, today=TODAY, concentration_mg_ml=12.5
    )
    assert (r.dose_mg, r.volume_ml) == (40.0, 3.2)
    refused("concentration_mg_ml", "allowed is 1 to 100 mg/mL", "oral", concentration_mg_ml=150.0)


def test_oral_limits() -> None:
    refused(
        "override_reason",
        "above the usual 3 mg/kg",
        "oral",
        mg_per_kg=3.5,
        concentration_mg_ml=None,
    )
    refused(
        "mg_per_kg",
        "above the maximum of 300 mg",
        "oral",
        mg_per_kg=5.0,
        override_reason="x",
        concentration_mg_ml=None,
    )
    r = calculate_dose(
        get("oral"),
        weight_kg=40,
        weight_measured_on=TODAY,
        today=TODAY,
        mg_per_kg=7.0,
        override_reason="x",
    )
    assert r.dose_mg == 280.0


def test_wrong_kind_of_dose() -> None:
    refused("fixed_mg", "is dosed in mg/kg; give mg_per_kg instead", fixed_mg=35)
    with pytest.raises(DoseError, match="^mg_per_kg: protocol esketamine is dosed in fixed mg"):
        esk(mg_per_kg=0.5)
    refused("dose_number", "allowed is 1 to 10000", dose_number=0)


# --- fixed mg --------------------------------------------------------------------------


def test_esketamine_first_dose_is_56_mg_in_two_devices() -> None:
    r = esk()
    assert (r.dose_mg, r.devices, r.volume_ml, r.mg_per_kg) == (56.0, 2, None, None)
    assert not r.needs_override


def test_esketamine_later_doses() -> None:
    assert esk(fixed_mg=84, dose_number=2).devices == 3
    assert esk(fixed_mg=56, dose_number=5).devices == 2
    assert esk(dose_number=2).dose_mg == 56.0  # the protocol's default


def test_esketamine_84_on_dose_1_needs_an_override_and_warns() -> None:
    with pytest.raises(
        DoseError, match="^override_reason: needs prescriber override: 84 mg on dose 1"
    ):
        esk(fixed_mg=84)
    r = esk(fixed_mg=84, override_reason="prior tolerance at 84 mg elsewhere")
    assert r.needs_override and r.devices == 3
    assert "84 mg on dose 1 is above the label's first dose of 56 mg" in r.warnings[0]


@pytest.mark.parametrize("mg", [28, 70, 112, 0, -56])
def test_esketamine_doses_outside_the_options(mg: int) -> None:
    with pytest.raises(
        DoseError,
        match=rf"^fixed_mg: {mg} mg is not a dose of protocol esketamine; allowed: 56, 84 mg$",
    ):
        esk(fixed_mg=mg, dose_number=2)


def test_esketamine_rejects_non_integer_and_concentration() -> None:
    with pytest.raises(DoseError, match="^fixed_mg: 56.0 is not a whole number of mg"):
        esk(fixed_mg=56.0)
    with pytest.raises(DoseError, match="^concentration_mg_ml: does not apply"):
        esk(concentration_mg_ml=10.0)


def test_esketamine_ignores_weight() -> None:
    assert esk(weight_kg=500.0, weight_measured_on=date(2000, 1, 1)).devices == 2


def test_esketamine_si_starts_at_84_mg() -> None:
    r = calculate_dose(get("esketamine-si"), weight_kg=None, weight_measured_on=None, today=TODAY)
    assert (r.dose_mg, r.devices, r.needs_override) == (84.0, 3, False)
    r = calculate_dose(
        get("esketamine-si"), weight_kg=None, weight_measured_on=None, today=TODAY, fixed_mg=56
    )
    assert r.devices == 2


def test_sublingual_fixed_mg() -> None:
    sl = get("sublingual")

    def dose(**kw: Any) -> DoseResult:
        return calculate_dose(sl, weight_kg=None, weight_measured_on=None, today=TODAY, **kw)

    assert dose().dose_mg == 10.0
    assert dose(fixed_mg=100).needs_override is False
    with pytest.raises(DoseError, match="^override_reason: needs prescriber override: 150 mg"):
        dose(fixed_mg=150)
    assert dose(fixed_mg=150, override_reason="x").needs_override
    with pytest.raises(
        DoseError,
        match="^fixed_mg: 400 mg is outside the range of protocol sublingual: 5 to 300 mg",
    ):
        dose(fixed_mg=400, override_reason="x")
    with pytest.raises(DoseError, match="^fixed_mg: 4 mg is outside"):
        dose(fixed_mg=4)
    r = dose(fixed_mg=25, concentration_mg_ml=30.0)  # 0.8333 mL -> 0.83 mL = 24.9 mg
    assert (r.volume_ml, r.dose_mg, r.prescribed_mg) == (0.83, 24.9, 25.0)


def test_limits_helper() -> None:
    lim = limits(IV, 150.0)
    assert (lim.min_mg, lim.usual_max_mg, lim.max_mg) == (15.0, 75.0, 100.0)
    assert limits(ESK).max_mg == 84.0
    with pytest.raises(DoseError, match="^weight_kg: required"):
        limits(IV)


# --- properties ----------------------------------------------------------------------

INJECTABLE = ("iv-induction", "im", "sc")
weights = st.floats(20, 300, allow_nan=False).map(lambda w: round(w, 1))
strengths = st.sampled_from([10.0, 50.0, 100.0])


def _step_mg(volume_ml: float, conc: float) -> float:
    return (0.1 if volume_ml >= 1 else 0.01) * conc


@given(
    pid=st.sampled_from(INJECTABLE),
    weight=weights,
    fraction=st.floats(0, 1),
    conc=strengths,
)
def test_any_valid_dose_stays_within_the_limits(
    pid: str, weight: float, fraction: float, conc: float
) -> None:
    rule = get(pid).dose
    assert rule.min_mg_per_kg is not None and rule.max_mg_per_kg is not None
    k = round(rule.min_mg_per_kg + fraction * (rule.max_mg_per_kg - rule.min_mg_per_kg), 3)
    assume(Decimal(str(weight)) * Decimal(str(k)) <= Decimal(str(rule.max_mg)))
    r = calculate_dose(
        get(pid),
        weight_kg=weight,
        weight_measured_on=TODAY,
        today=TODAY,
        mg_per_kg=k,
        concentration_mg_ml=conc,
        override_reason="titrated",
    )
    assert r.volume_ml is not None and r.volume_ml > 0
    # volume x concentration == the dose given
    assert math.isclose(r.volume_ml * conc, r.dose_mg, rel_tol=1e-9)
    # never past the maximum (nor the usual ceiling when no override was needed)
    lim = limits(get(pid), weight)
    ceiling = lim.max_mg if r.needs_override else lim.usual_max_mg
    assert r.dose_mg <= ceiling + 1e-9 and r.dose_mg <= rule.max_mg
    # within one drawable step of the prescription
    assert abs(r.dose_mg - r.prescribed_mg) <= _step_mg(r.volume_ml, conc) + 1e-9
    # the volume is on the grid
    step = 0.1 if r.volume_ml >= 1 else 0.01
    assert math.isclose(round(r.volume_ml / step) * step, r.volume_ml, abs_tol=1e-9)


@given(
    pid=st.sampled_from((*INJECTABLE, "oral")),
    weight=weights,
    k=st.floats(0.01, 10, allow_nan=False).map(lambda x: round(x, 2)),
    reason=st.sampled_from([None, "clinical reason"]),
)
def test_refusal_if_and_only_if_out_of_limits(
    pid: str, weight: float, k: float, reason: str | None
) -> None:
    rule = get(pid).dose
    assert rule.min_mg_per_kg is not None and rule.max_mg_per_kg is not None
    assert rule.usual_max_mg_per_kg is not None
    out_of_limits = (
        not rule.min_mg_per_kg <= k <= rule.max_mg_per_kg
        or Decimal(str(weight)) * Decimal(str(k)) > Decimal(str(rule.max_mg))
        or (k > rule.usual_max_mg_per_kg and reason is None)
    )
    conc = 10.0 if rule.concentration_required else None
    try:
        r = calculate_dose(
            get(pid),
            weight_kg=weight,
            weight_measured_on=TODAY,
            today=TODAY,
            mg_per_kg=k,
            concentration_mg_ml=conc,
            override_reason=reason,
        )
    except DoseError as e:
        assert out_of_limits, str(e)
        assert e.field in ("mg_per_kg", "override_reason")
    else:
        assert not out_of_limits
        assert r.needs_override == (k > rule.usual_max_mg_per_kg)
        assert r.dose_mg <= rule.max_mg


@given(
    pid=st.sampled_from(("esketamine", "esketamine-si")),
    mg=st.sampled_from([28, 56, 84, 112]),
    dose_number=st.integers(1, 40),
)
def test_esketamine_devices_are_whole(pid: str, mg: int, dose_number: int) -> None:
    try:
        r = calculate_dose(
            get(pid),
            weight_kg=None,
            weight_measured_on=None,
            today=TODAY,
            fixed_mg=mg,
            dose_number=dose_number,
            override_reason="reason",
        )
    except DoseError as e:
        assert mg not in get(pid).dose.options_mg and e.field == "fixed_mg"
    else:
        assert isinstance(r.devices, int) and r.devices * 28 == r.dose_mg == mg
        assert r.volume_ml is None


@given(weight=st.floats(20, 200), days=st.integers(0, 400), max_age=st.integers(0, 365))
def test_weight_age_rule(weight: float, days: int, max_age: int) -> None:
    try:
        iv(
            weight_kg=weight,
            weight_measured_on=TODAY - timedelta(days=days),
            max_weight_age_days=max_age,
        )
    except DoseError as e:
        assert days > max_age and e.field == "weight_measured_on"
    else:
        assert days <= max_age
