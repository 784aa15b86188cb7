"""Sublingual racemic ketamine, low dose: a shipped protocol (data)."""

from __future__ import annotations

from ..model import DoseRule, Phase, Protocol, ScheduleRule
from .common import ALERTS_CHECK, CADSS_CHECK, HOLD_ALL_ROUTES, REF_S4

PROTOCOL = Protocol(
    id="sublingual",
    name="Sublingual ketamine, low dose",
    drug="racemic_ketamine",
    route="sublingual",
    indication="Depression (off-label)",
    # SL low dose 10 mg every 2-3 days, up to at-home programs (reference s.3).
    dose=DoseRule(
        basis="fixed_mg",
        max_mg=300,
        default_mg=10,
        min_mg=5,
        usual_max_mg=100,
    ),
    schedule=ScheduleRule(
        phases=(Phase(name="induction", title="Series", per_week=(2, 3), sessions=6),),
    ),
    observation_min=120,
    observation_from="dose",
    sources=(
        "clinical-reference.md s.3: sublingual low dose 10 mg every 2-3 days",
        REF_S4,
    ),
    check_notes=(
        "Minimum 5 mg, override above 100 mg and absolute maximum 300 mg are product "
        "defaults; the reference gives only 10 mg low dose and at-home programs [check].",
        "Observation of 120 min after a sublingual dose is a clinic default [check].",
        "Series of 6 sessions, 2-3 a week, is a clinic default [check].",
        HOLD_ALL_ROUTES,
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
