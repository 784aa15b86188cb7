"""Oral racemic ketamine: a shipped protocol (data)."""

from __future__ import annotations

from ..model import DoseRule, Phase, Protocol, ScheduleRule
from .common import ALERTS_CHECK, CADSS_CHECK, HOLD_ALL_ROUTES, REF_S4

PROTOCOL = Protocol(
    id="oral",
    name="Oral ketamine",
    drug="racemic_ketamine",
    route="oral",
    indication="Depression (off-label)",
    # Oral 0.25-7 mg/kg or 25-300 mg (reference s.3); 2-2.5 mg/kg oral ~ the IV
    # dose. Default 0.5 mg/kg (start low) and override above 3 mg/kg [check].
    dose=DoseRule(
        basis="mg_per_kg",
        max_mg=300,
        default_mg_per_kg=0.5,
        min_mg_per_kg=0.25,
        usual_max_mg_per_kg=3.0,
        max_mg_per_kg=7.0,
    ),
    schedule=ScheduleRule(
        # At-home programs: 4-6 sessions (reference s.3) [check].
        phases=(Phase(name="induction", title="Series", per_week=(1, 3), sessions=6),),
    ),
    observation_min=120,
    observation_from="dose",
    sources=("clinical-reference.md s.3: oral 0.25-7 mg/kg or 25-300 mg", REF_S4),
    check_notes=(
        "Default 0.5 mg/kg and the override above 3 mg/kg are product defaults [check].",
        "Absolute maximum 300 mg is the top of the reference's 25-300 mg range [check].",
        "Observation of 120 min after an oral dose is a clinic default [check].",
        "Series of 6 sessions, 1-3 a week, is a clinic default [check].",
        HOLD_ALL_ROUTES,
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
