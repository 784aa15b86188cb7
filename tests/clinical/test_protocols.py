from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.eligibility import ROUTES
from ketacare.clinical.protocols import (
    DEFAULT_PROTOCOLS,
    AlertThresholds,
    DoseRule,
    HoldThresholds,
    Phase,
    Protocol,
    ProtocolError,
    ScheduleRule,
    for_route,
    get,
)

IDS = (
    "iv-induction",
    "iv-maintenance",
    "esketamine",
    "esketamine-si",
    "im",
    "sc",
    "oral",
    "sublingual",
    "esketamine-eu",
)


def edited(protocol_id: str, **changes: Any) -> dict[str, Any]:
    """A shipped protocol's dict with nested changes; keys are paths joined by "__"."""
    d = json.loads(json.dumps(get(protocol_id).as_dict()))
    for key, value in changes.items():
        target = d
        *parents, last = key.split("__")
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target[p]
        target[last] = value
    return d


# --- shipped data --------------------------------------------------------------------


def test_shipped_ids() -> None:
    assert tuple(DEFAULT_PROTOCOLS) == IDS


@pytest.mark.parametrize("pid", IDS)
def test_routes_and_drugs_match_eligibility(pid: str) -> None:
    p = get(pid)
    assert p.route in ROUTES
    assert (p.drug == "esketamine") == (p.route == "esketamine_nasal")
    assert p.id == pid and p.sources and p.check_notes


@pytest.mark.parametrize("pid", IDS)
def test_json_round_trip(pid: str) -> None:
    p = get(pid)
    text = json.dumps(p.as_dict())
    assert Protocol.from_dict(json.loads(text)) == p


def test_as_dict_uses_plain_types() -> None:
    d = get("esketamine").as_dict()
    assert d["dose"]["options_mg"] == [56, 84]
    assert d["schedule"]["phases"][0]["per_week"] == [2, 2]
    assert d["hold"]["sbp_above"] == 140


def test_iv_induction_numbers_from_the_reference() -> None:
    p = get("iv-induction")
    assert (p.dose.default_mg_per_kg, p.dose.min_mg_per_kg, p.dose.max_mg_per_kg) == (
        0.5,
        0.1,
        0.75,
    )
    assert p.infusion_min == 40 and p.observation_min == 30
    assert p.observation_from == "end_of_infusion"
    (phase,) = p.schedule.phases
    assert phase.sessions == 6 and phase.window_days == (12, 21) and phase.per_week == (2, 3)
    assert p.dose.concentrations_mg_ml == (10.0, 50.0, 100.0)
    assert p.dose.concentration_required


def test_esketamine_numbers_from_the_label() -> None:
    p = get("esketamine")
    assert p.dose.options_mg == (56, 84) and p.dose.first_dose_mg == 56
    assert p.dose.device_mg == 28 and p.dose.device_interval_min == 5
    assert p.observation_min == 120 and p.observation_from == "first_device"
    assert (p.npo_food_min, p.npo_liquids_min) == (120, 30)
    induction, weekly, later = p.schedule.phases
    assert (induction.per_week, induction.weeks) == ((2, 2), 4)
    assert (weekly.per_week, weekly.weeks) == ((1, 1), 4)
    assert later.open_ended and later.every_weeks == (1, 2)
    si = get("esketamine-si")
    assert si.dose.default_mg == 84 and si.dose.first_dose_mg is None
    assert si.schedule.phases[0].weeks == 4 and si.schedule.phases[0].per_week == (2, 2)


def test_other_routes_ranges() -> None:
    im, sc, oral, sl = get("im"), get("sc"), get("oral"), get("sublingual")
    assert (im.dose.min_mg_per_kg, im.dose.max_mg_per_kg) == (0.5, 1.0)
    assert (sc.dose.min_mg_per_kg, sc.dose.usual_max_mg_per_kg, sc.dose.max_mg_per_kg) == (
        0.25,
        0.9,
        1.0,
    )
    assert (oral.dose.min_mg_per_kg, oral.dose.max_mg_per_kg, oral.dose.max_mg) == (0.25, 7.0, 300)
    assert sl.dose.basis == "fixed_mg" and sl.dose.default_mg == 10
    assert sc.schedule.phases[0].weeks == 4 and sc.schedule.phases[0].per_week == (2, 2)


@pytest.mark.parametrize("pid", IDS)
def test_safety_thresholds_are_the_clinic_defaults(pid: str) -> None:
    p = get(pid)
    assert p.hold == HoldThresholds(
        sbp_above=140, sbp_above_older=150, older_age_years=65, dbp_above=90
    )
    assert (p.alerts.sbp_at_or_above, p.alerts.dbp_at_or_above) == (180, 110)
    assert (p.alerts.spo2_below, p.alerts.hr_above, p.alerts.hr_below) == (92, 130, 50)
    assert any("[check]" in n and "alert" in n for n in p.check_notes)


def test_vitals_schedule() -> None:
    assert get("iv-induction").vitals_minutes == (15, 30, 40, 45, 60, 70)
    assert get("esketamine").vitals_minutes == (15, 30, 40, 45, 60, 75, 90, 105, 120)
    assert get("im").vitals_minutes[-1] == get("im").session_min == 60


def test_weekdays_range() -> None:
    assert get("iv-induction").schedule.weekdays_range == (2, 3)
    assert get("esketamine").schedule.weekdays_range == (2, 2)
    assert get("iv-maintenance").schedule.weekdays_range == (1, 1)


def test_for_route_and_get() -> None:
    assert {p.id for p in for_route("esketamine_nasal")} == {
        "esketamine", "esketamine-si", "esketamine-eu"}
    assert {p.id for p in for_route("iv")} == {"iv-induction", "iv-maintenance"}
    with pytest.raises(ProtocolError, match="^protocol: 'ect' is not a protocol; allowed: iv-"):
        get("ect")


# --- validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"dose__max_mg_per_kgs": 1}, "dose.max_mg_per_kgs", "unknown field"),
        ({"dose__max_mg": "100"}, "dose.max_mg", "must be a number"),
        ({"dose__max_mg": True}, "dose.max_mg", "must be a number"),
        ({"dose__max_mg": 0}, "dose.max_mg", "must be above 0"),
        ({"dose__usual_max_mg_per_kg": 0.8}, "dose.max_mg_per_kg", "at least usual_max"),
        ({"dose__min_mg_per_kg": 0.6}, "dose.default_mg_per_kg", "at least min_mg_per_kg"),
        ({"dose__default_mg_per_kg": None}, "dose.default_mg_per_kg", "required"),
        ({"drug": "ketamine"}, "drug", "is not allowed"),
        ({"drug": "esketamine"}, "drug", "cannot be given by route iv"),
        ({"route": "rectal"}, "route", "not a route"),
        ({"infusion_min": None}, "infusion_min", "required for an IV"),
        ({"observation_from": "dose"}, "observation_from", "use 'end_of_infusion'"),
        ({"vitals_every_min": 0}, "vitals_every_min", "allowed is 1 to 240"),
        ({"id": "IV Induction"}, "id", "lowercase"),
        ({"name": "  "}, "name", "blank"),
        ({"hold__sbp_above": "140"}, "hold.sbp_above", "whole number"),
        ({"hold__sbp_above_older": 130}, "hold.sbp_above_older", "at least sbp_above"),
        ({"alerts__hr_above": 70, "alerts__hr_below": 80}, "alerts.hr_below", "below hr_above"),
        ({"schedule__phases": []}, "schedule.phases", "at least one phase"),
        ({"schedule__phases__0__per_week": [3, 2]}, "schedule.phases[0].per_week[1]", "3 to 7"),
        ({"schedule__phases__0__per_week": [2]}, "schedule.phases[0].per_week", "2 values"),
        ({"sources": "Phillips"}, "sources", "must be a list"),
    ],
)
def test_from_dict_errors_name_the_field(changes: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(ProtocolError) as info:
        Protocol.from_dict(edited("iv-induction", **changes))
    assert info.value.field == field
    assert text in str(info.value)
    assert "\n" not in str(info.value) and str(info.value).startswith(f"{field}: ")


def test_missing_required_field() -> None:
    d = edited("iv-induction")
    del d["name"]
    with pytest.raises(ProtocolError, match="^name: required$"):
        Protocol.from_dict(d)


def test_fields_with_defaults_may_be_left_out() -> None:
    d = edited("iv-induction")
    for key in ("hold", "alerts", "vitals_at_min", "check_notes"):
        del d[key]
    p = Protocol.from_dict(d)
    assert p.hold == HoldThresholds() and p.alerts == AlertThresholds() and p.check_notes == ()


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"observation_min": 90}, "observation_min", "label minimum of 120"),
        ({"dose__options_mg": [56, 70]}, "dose.options_mg[1]", "whole number of 28 mg devices"),
        ({"dose__first_dose_mg": 28}, "dose.first_dose_mg", "allowed is 56 to 84"),
        (
            {"dose__concentrations_mg_ml": [10], "dose__concentration_required": True},
            "dose.concentration_required",
            "no concentration",
        ),
        (
            {"dose__device_mg": None, "dose__device_interval_min": None},
            "dose.device_mg",
            "whole devices",
        ),
        ({"dose__device_interval_min": None}, "dose.device_interval_min", "required"),
        (
            {"schedule__phases__1__weeks": None},
            "schedule.phases[1]",
            "only the last phase may be open-ended",
        ),
        ({"schedule__default_through_week": None}, "schedule.default_through_week", "required"),
    ],
)
def test_esketamine_rules(changes: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(ProtocolError) as info:
        Protocol.from_dict(edited("esketamine", **changes))
    assert info.value.field == field and text in str(info.value)


def test_copy_as_makes_an_editable_copy() -> None:
    mine = get("iv-induction").copy_as("iv-induction-clinic-a", "IV induction (clinic A)")
    assert mine.dose == get("iv-induction").dose and mine.id == "iv-induction-clinic-a"
    again = Protocol.from_dict(replace(mine, observation_min=45).as_dict())
    assert again.observation_min == 45
    with pytest.raises(ProtocolError, match="^id: "):
        get("iv-induction").copy_as("Clinic A!", "x")


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ProtocolError, match="^max_mg_per_kg: required"):
        DoseRule(
            basis="mg_per_kg",
            max_mg=100,
            default_mg_per_kg=0.5,
            min_mg_per_kg=0.1,
            usual_max_mg_per_kg=0.5,
        )
    with pytest.raises(ProtocolError, match="^default_mg_per_kg: only for basis mg_per_kg"):
        DoseRule(
            basis="fixed_mg",
            max_mg=84,
            default_mg=56,
            min_mg=56,
            usual_max_mg=84,
            default_mg_per_kg=0.5,
        )
    with pytest.raises(ProtocolError, match="^sessions: give sessions or weeks, not both"):
        Phase(name="induction", title="x", per_week=(2, 2), sessions=6, weeks=3)
    with pytest.raises(ProtocolError, match="^window_days: only for a phase with a session"):
        Phase(name="induction", title="x", per_week=(2, 2), weeks=3, window_days=(12, 21))
    with pytest.raises(ProtocolError, match="^phases: needs at least one phase"):
        ScheduleRule(phases=())


@given(
    st.lists(
        st.floats(0.01, 10, allow_nan=False).map(lambda x: round(x, 3)), min_size=4, max_size=4
    ),
    st.integers(1, 1000),
)
def test_any_valid_dose_rule_round_trips(values: list[float], max_mg: int) -> None:
    lo, default, usual, hi = sorted(values)
    p = replace(
        get("iv-induction"),
        dose=replace(
            get("iv-induction").dose,
            min_mg_per_kg=lo,
            default_mg_per_kg=default,
            usual_max_mg_per_kg=usual,
            max_mg_per_kg=hi,
            max_mg=float(max_mg),
        ),
    )
    assert Protocol.from_dict(json.loads(json.dumps(p.as_dict()))) == p


def test_a_stored_protocol_is_built_once_per_distinct_content() -> None:
    """A session-day page read its course's protocol four times, each a full build and
    validation of the stored dict (~1 ms; issue 17). Protocols are frozen: one build
    serves every reader of the same content, and different content is built anew."""
    from ketacare.clinical.protocols import stored

    data = get("iv-induction").as_dict()
    first = stored(data)
    assert first == get("iv-induction")
    assert stored(json.loads(json.dumps(data))) is first
    changed = stored(dict(data, observation_min=45))
    assert changed is not first and changed.observation_min == 45
    with pytest.raises(ProtocolError, match="observation_min"):
        stored(dict(data, observation_min=-5))
    with pytest.raises(ProtocolError, match="observation_min"):
        stored(dict(data, observation_min=-5))
