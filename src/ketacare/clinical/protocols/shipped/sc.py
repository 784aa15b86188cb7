"""SC racemic ketamine (KADS schedule): a shipped protocol (data)."""

from __future__ import annotations

from dataclasses import replace

from ..model import Phase, Protocol, ScheduleRule
from .common import ABS_MAX_CHECK, ALERTS_CHECK, CADSS_CHECK, HOLD_ALL_ROUTES, INJECTABLE, REF_S4

PROTOCOL = Protocol(
    id="sc",
    name="SC ketamine (KADS schedule)",
    drug="racemic_ketamine",
    route="sc",
    indication="Treatment-resistant depression",
    # 0.25-1 mg/kg (Glue 2017/2018); KADS 0.5-0.9 mg/kg twice weekly x4 weeks.
    dose=replace(
        INJECTABLE,
        default_mg_per_kg=0.5,
        min_mg_per_kg=0.25,
        usual_max_mg_per_kg=0.9,
        max_mg_per_kg=1.0,
    ),
    schedule=ScheduleRule(
        phases=(Phase(name="induction", title="Induction", per_week=(2, 2), weeks=4),),
    ),
    observation_min=60,
    observation_from="dose",
    sources=(
        "Glue P et al. J Psychopharmacol 2017 (SC 0.25-1 mg/kg, ascending)",
        "KADS trial: SC 0.5-0.9 mg/kg twice weekly x4 weeks (reference s.3)",
        REF_S4,
    ),
    check_notes=(
        "Observation of 60 min after an SC dose is a clinic default [check].",
        "Above 0.9 mg/kg (KADS upper dose) needs a prescriber override [check].",
        ABS_MAX_CHECK + " SC: 100 mg.",
        HOLD_ALL_ROUTES,
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
