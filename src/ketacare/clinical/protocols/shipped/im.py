"""IM racemic ketamine: a shipped protocol (data)."""

from __future__ import annotations

from dataclasses import replace

from ..model import Phase, Protocol, ScheduleRule
from .common import ABS_MAX_CHECK, ALERTS_CHECK, CADSS_CHECK, HOLD_ALL_ROUTES, INJECTABLE, REF_S4

PROTOCOL = Protocol(
    id="im",
    name="IM ketamine",
    drug="racemic_ketamine",
    route="im",
    indication="Treatment-resistant depression",
    # 0.5-1 mg/kg; KAP up to 0.75 mg/kg + optional 20-40 mg top-up (reference s.3).
    dose=replace(
        INJECTABLE,
        default_mg_per_kg=0.5,
        min_mg_per_kg=0.5,
        usual_max_mg_per_kg=0.75,
        max_mg_per_kg=1.0,
    ),
    schedule=ScheduleRule(
        # "Series as clinic defines" (reference s.3): 6 sessions, 1-3 a week [check].
        phases=(Phase(name="induction", title="Series", per_week=(1, 3), sessions=6),),
    ),
    # No published figure in the reference: 60 min after the injection [check].
    observation_min=60,
    observation_from="dose",
    sources=("clinical-reference.md s.3: IM 0.5-1 mg/kg; KAP up to 0.75 mg/kg", REF_S4),
    check_notes=(
        "Series length (6, 1-3 a week) is a clinic default: the reference leaves it "
        "to the clinic [check].",
        "Observation of 60 min after an IM dose is a clinic default [check].",
        "Above 0.75 mg/kg (KAP's usual ceiling) needs a prescriber override [check]. "
        "KAP top-ups (20-40 mg) are separate doses, not modelled here.",
        ABS_MAX_CHECK + " IM: 100 mg.",
        HOLD_ALL_ROUTES,
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
