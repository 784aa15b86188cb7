from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.protocols import AlertThresholds, HoldThresholds, get
from ketacare.clinical.safety import (
    VITAL_RANGES,
    DischargeDecision,
    SafetyInputError,
    Vitals,
    discharge_check,
    predose_check,
    vital_alerts,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
GOOD = Vitals(sbp=128, dbp=80, hr=76, spo2=97, rr=14)


# --- pre-dose hold -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "age", "hold", "reasons"),
    [
        (140, 90, 40, False, ()),
        (141, 90, 40, True, ("SBP 141 > 140",)),
        (140, 91, 40, True, ("DBP 91 > 90",)),
        (150, 95, 40, True, ("SBP 150 > 140", "DBP 95 > 90")),
        (145, 85, 64, True, ("SBP 145 > 140",)),
        (145, 85, 65, False, ()),
        (150, 85, 65, False, ()),
        (151, 85, 65, True, ("SBP 151 > 150 (age 65+)",)),
        (152, 85, 80, True, ("SBP 152 > 150 (age 65+)",)),
        (141, 85, None, True, ("SBP 141 > 140 (age not recorded: under-65 limit)",)),
        (140, 90, None, False, ()),
    ],
)
def test_predose_hold(
    sbp: int, dbp: int, age: int | None, hold: bool, reasons: tuple[str, ...]
) -> None:
    d = predose_check(sbp, dbp, age)
    assert (d.hold, d.reasons) == (hold, reasons)
    assert d.may_dose is not hold
    assert d.sbp_limit == (150 if age is not None and age >= 65 else 140) and d.dbp_limit == 90


def test_hold_with_and_without_override() -> None:
    held = predose_check(160, 95, 50)
    assert held.hold and not held.may_dose and held.override_reason is None
    over = predose_check(160, 95, 50, override_reason=" white-coat; home BP 130/80 ")
    assert over.hold and over.may_dose and over.override_reason == "white-coat; home BP 130/80"
    blank = predose_check(160, 95, 50, override_reason="  ")
    assert not blank.may_dose and blank.override_reason is None
    # an override without a hold is not recorded
    assert predose_check(120, 80, 50, override_reason="x").override_reason is None
    assert over.as_dict()["may_dose"] is True
    with pytest.raises(SafetyInputError, match="^override_reason: 1 must be text$"):
        predose_check(160, 95, 50, override_reason=1)  # type: ignore[arg-type]


def test_clinic_thresholds() -> None:
    t = HoldThresholds(sbp_above=150, sbp_above_older=160, older_age_years=70, dbp_above=95)
    assert not predose_check(150, 95, 69, t).hold
    assert predose_check(151, 95, 69, t).hold
    assert not predose_check(160, 95, 70, t).hold
    assert predose_check(140, 96, 70, t).reasons == ("DBP 96 > 95",)


def test_predose_input_errors() -> None:
    with pytest.raises(SafetyInputError, match="^sbp: required before dosing$"):
        predose_check(None, 80, 40)  # type: ignore[arg-type]
    with pytest.raises(
        SafetyInputError,
        match=r"^sbp: systolic 80 must be above diastolic 120 \(were they swapped\?\)$",
    ):
        predose_check(80, 120, 40)
    with pytest.raises(
        SafetyInputError,
        match="^age_years: 121 is out of range; allowed is a whole number from 0 to 120 years$",
    ):
        predose_check(120, 80, 121)


# --- vitals validation ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(VITAL_RANGES))
def test_vital_ranges(name: str) -> None:
    low, high = VITAL_RANGES[name]
    if name == "sbp":
        Vitals(sbp=low)
        Vitals(sbp=high)
    else:
        Vitals(**{name: low})
        Vitals(**{name: high})
    for bad in (low - 1, high + 1):
        with pytest.raises(SafetyInputError) as info:
            Vitals(**{name: bad})
        assert str(info.value).startswith(
            f"{name}: {bad} is out of range; allowed is a whole number from {low} to {high} "
        )
    wrongs: tuple[Any, ...] = (True, 98.5, "98")
    for wrong in wrongs:
        with pytest.raises(
            SafetyInputError, match=rf"^{name}: .* is not a whole number from {low} to {high}"
        ):
            Vitals(**{name: wrong})


def test_expected_ranges() -> None:
    assert VITAL_RANGES == {
        "sbp": (50, 300),
        "dbp": (20, 200),
        "hr": (20, 250),
        "spo2": (50, 100),
        "rr": (4, 60),
    }


# --- in-session alerts ---------------------------------------------------------------


def alerts(**kw: Any) -> list[str]:
    args: dict[str, Any] = {"sbp": None, "dbp": None, "hr": None, "spo2": None, "rr": None}
    args.update(kw)
    return [a.code for a in vital_alerts(**args)]


@pytest.mark.parametrize(
    ("reading", "fires"),
    [
        ({"sbp": 180}, "sbp_high"),
        ({"sbp": 179}, None),
        ({"sbp": 181}, "sbp_high"),
        ({"dbp": 110}, "dbp_high"),
        ({"dbp": 109}, None),
        ({"spo2": 91}, "spo2_low"),
        ({"spo2": 92}, None),
        ({"spo2": 93}, None),
        ({"hr": 131}, "hr_high"),
        ({"hr": 130}, None),
        ({"hr": 49}, "hr_low"),
        ({"hr": 50}, None),
        ({"rr": 4}, None),  # no RR rule by default
        ({"rr": 60}, None),
    ],
)
def test_each_alert_fires_at_its_threshold_and_not_on_the_safe_side(
    reading: dict[str, int], fires: str | None
) -> None:
    assert alerts(**reading) == ([fires] if fires else [])


def test_alert_messages_and_severity() -> None:
    (a,) = vital_alerts(180, 100, None, None, None)
    assert (a.code, a.message, a.severity) == (
        "sbp_high",
        "SBP 180 >= 180: notify prescriber",
        "high",
    )
    (a,) = vital_alerts(None, None, None, 91, None)
    assert a.message == "SpO2 91% < 92%: notify prescriber"


def test_several_alerts_at_once_and_none_skipped() -> None:
    assert alerts(sbp=190, dbp=115, hr=135, spo2=88) == [
        "sbp_high",
        "dbp_high",
        "spo2_low",
        "hr_high",
    ]
    assert alerts() == []


def test_clinic_alert_thresholds_with_rr() -> None:
    t = AlertThresholds(rr_below=10, rr_above=24, hr_above=120)
    assert [a.code for a in vital_alerts(None, None, 121, None, 9, t)] == ["hr_high", "rr_low"]
    assert vital_alerts(None, None, 120, None, 10, t) == ()
    assert [a.code for a in vital_alerts(None, None, None, None, 25, t)] == ["rr_high"]


@given(
    sbp=st.one_of(st.none(), st.integers(150, 300)),
    dbp=st.one_of(st.none(), st.integers(20, 149)),
    hr=st.one_of(st.none(), st.integers(20, 250)),
    spo2=st.one_of(st.none(), st.integers(50, 100)),
)
def test_alerts_match_the_rules(
    sbp: int | None, dbp: int | None, hr: int | None, spo2: int | None
) -> None:
    codes = set(alerts(sbp=sbp, dbp=dbp, hr=hr, spo2=spo2))
    assert ("sbp_high" in codes) == (sbp is not None and sbp >= 180)
    assert ("dbp_high" in codes) == (dbp is not None and dbp >= 110)
    assert ("spo2_low" in codes) == (spo2 is not None and spo2 < 92)
    assert ("hr_high" in codes) == (hr is not None and hr > 130)
    assert ("hr_low" in codes) == (hr is not None and hr < 50)


# --- discharge -----------------------------------------------------------------------


def discharge(protocol_id: str = "esketamine", **kw: Any) -> DischargeDecision:
    args: dict[str, Any] = {
        "vitals": GOOD,
        "age_years": 45,
        "dissociation_resolved": True,
        "escort_present": True,
        "observation_started_at": NOW - timedelta(minutes=125),
        "now": NOW,
    }
    args.update(kw)
    return discharge_check(get(protocol_id), **args)


def unmet(d: DischargeDecision) -> list[str]:
    return [u.code for u in d.unmet]


def test_ready_when_everything_is_met() -> None:
    d = discharge()
    assert d.ready and d.unmet == () and d.observed_min == 125.0
    assert d.earliest_at == NOW - timedelta(minutes=5)
    assert d.as_dict()["ready"] is True


def test_esketamine_not_before_120_min_from_first_device() -> None:
    start = NOW - timedelta(minutes=120)
    assert discharge(observation_started_at=start).ready
    d = discharge(observation_started_at=start + timedelta(seconds=1))
    assert unmet(d) == ["observation"]
    assert (
        d.unmet[0].message == "Observed 119 min since the first device; at least 120 min required"
    )


def test_iv_observation_counts_from_the_end_of_infusion() -> None:
    assert discharge("iv-induction", observation_started_at=NOW - timedelta(minutes=30)).ready
    d = discharge("iv-induction", observation_started_at=NOW - timedelta(minutes=29))
    assert (
        d.unmet[0].message
        == "Observed 29 min since the end of the infusion; at least 30 min required"
    )
    d = discharge("iv-induction", observation_started_at=None)
    assert (
        d.unmet[0].message
        == "Time of the end of the infusion not recorded: observation not started"
    )


def test_each_unmet_item() -> None:
    assert unmet(discharge(vitals=Vitals(sbp=128, dbp=80))) == ["vitals_missing"]
    assert (
        discharge(vitals=Vitals(sbp=128, dbp=80)).unmet[0].message
        == "Discharge vitals not recorded: HR, SpO2"
    )
    assert unmet(discharge(vitals=Vitals(sbp=128, dbp=80, hr=76, spo2=91))) == ["vitals_alert"]
    assert unmet(discharge(vitals=Vitals(sbp=145, dbp=80, hr=76, spo2=97))) == ["bp_above_predose"]
    assert discharge(vitals=Vitals(sbp=145, dbp=80, hr=76, spo2=97), age_years=70).ready
    both = discharge(vitals=Vitals(sbp=185, dbp=80, hr=76, spo2=97))
    assert unmet(both) == ["vitals_alert", "bp_above_predose"]
    assert unmet(discharge(dissociation_resolved=None)) == ["dissociation"]
    assert unmet(discharge(dissociation_resolved=False)) == ["dissociation"]
    assert unmet(discharge(escort_present=False)) == ["escort"]
    assert unmet(discharge(escort_present=None)) == ["escort"]
    assert unmet(discharge(observation_started_at=None)) == ["observation"]


def test_cadss6_at_discharge() -> None:
    assert discharge(cadss6_total=0).ready
    d = discharge(cadss6_total=1)
    assert unmet(d) == ["dissociation"] and d.unmet[0].message == "CADSS-6 1 > 0: not yet resolved"
    lenient = replace(get("esketamine"), discharge_max_cadss6=None)
    assert discharge_check(
        lenient,
        vitals=GOOD,
        age_years=45,
        dissociation_resolved=True,
        escort_present=True,
        observation_started_at=NOW - timedelta(minutes=121),
        now=NOW,
        cadss6_total=5,
    ).ready
    with pytest.raises(SafetyInputError, match="^cadss6_total: 25 is out of range"):
        discharge(cadss6_total=25)


def test_everything_unmet_lists_everything() -> None:
    d = discharge(
        vitals=Vitals(),
        dissociation_resolved=False,
        escort_present=False,
        observation_started_at=None,
    )
    assert unmet(d) == ["vitals_missing", "dissociation", "escort", "observation"]
    assert not d.ready and d.observed_min is None and d.earliest_at is None


def test_discharge_input_errors() -> None:
    with pytest.raises(SafetyInputError, match="^now: must be timezone-aware"):
        discharge(now=datetime(2025, 3, 10, 12, 0))
    with pytest.raises(SafetyInputError, match="^observation_started_at: must be timezone-aware"):
        discharge(observation_started_at=datetime(2025, 3, 10, 10, 0))
    with pytest.raises(SafetyInputError, match="^observation_started_at: .* is after now"):
        discharge(observation_started_at=NOW + timedelta(minutes=1))
    with pytest.raises(SafetyInputError, match="^vitals: must be Vitals$"):
        discharge(vitals={"sbp": 120})
