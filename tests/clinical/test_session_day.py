"""The session page's rules (`clinical.session_day`, issue 18): due monitoring readings
with their +/-5 min window, the step to open at, and the PK model of each route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical import protocols
from ketacare.clinical.routes import ESKETAMINE_ROUTE, PK_ROUTE
from ketacare.clinical.session_day import (
    MONITORING_WINDOW_MIN,
    current_step,
    dose_scenario,
    monitoring_due,
)

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_a_reading_within_five_minutes_covers_its_minute() -> None:
    due = monitoring_due((0, 15, 30), [4, 20], dose_started_at=START,
                         now=START + timedelta(minutes=36))
    assert [(d.minute, d.done, d.overdue) for d in due] == [
        (0, True, False), (15, True, False), (30, False, True)]
    assert due[1].at == START + timedelta(minutes=15)


def test_a_reading_is_overdue_only_after_its_window() -> None:
    at = [monitoring_due((30,), [], dose_started_at=START,
                         now=START + timedelta(minutes=m))[0].overdue for m in (35, 35.5)]
    assert at == [False, True]


@given(st.integers(0, 240), st.lists(st.integers(0, 300), max_size=6))
def test_done_means_a_reading_within_the_window(minute: int, taken: list[int]) -> None:
    (due,) = monitoring_due((minute,), taken, dose_started_at=START, now=START)
    assert due.done is any(abs(minute - t) <= MONITORING_WINDOW_MIN for t in taken)


@pytest.mark.parametrize(("state", "step"), [
    ({}, "checkin"),
    ({"checked_in": True}, "vitals"),
    ({"checked_in": True, "predose_vitals": True}, "vitals"),  # on hold
    ({"checked_in": True, "predose_vitals": True, "hold_cleared": True}, "dose"),
    ({"checked_in": True, "dosed": True}, "monitoring"),
    ({"checked_in": True, "dosed": True, "discharge_ready": True}, "discharge"),
    ({"checked_in": True, "dosed": True, "discharged": True}, "sign"),
])
def test_the_page_opens_at_the_first_step_still_to_do(state: dict[str, bool],
                                                      step: str) -> None:
    flags = dict.fromkeys(("checked_in", "dosed", "predose_vitals", "hold_cleared",
                           "discharged", "discharge_ready"), False)
    assert current_step(**{**flags, **state}) == step


def test_every_treatment_route_has_a_pk_model() -> None:
    routes = {p.route for p in protocols.DEFAULT_PROTOCOLS.values()}
    assert routes <= set(PK_ROUTE)
    spray = dose_scenario(ESKETAMINE_ROUTE, 56, weight_kg=None, age_years=70,
                          infusion_min=None, label="x")
    assert (spray.model, spray.route, spray.infusion_min) == (
        "perez-ruixo-2021", "intranasal", 0.0)
    iv = dose_scenario("iv", 35, weight_kg=70, age_years=12, infusion_min=40, label="x")
    assert (iv.model, iv.route, iv.age_y, iv.infusion_min) == ("domino", "iv", 18, 40.0)
