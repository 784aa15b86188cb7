"""IV ketamine induction: a shipped protocol (data)."""

from __future__ import annotations

from ..model import Phase, Protocol, ScheduleRule
from .common import (
    ABS_MAX_CHECK,
    ALERTS_CHECK,
    CADSS_CHECK,
    HOLD_ALL_ROUTES,
    INJECTABLE,
    PHILLIPS_2019,
    REF_S4,
)

PROTOCOL = Protocol(
    id="iv-induction",
    name="IV ketamine induction (6 infusions)",
    drug="racemic_ketamine",
    route="iv",
    indication="Treatment-resistant depression",
    # 0.5 mg/kg standard, range used 0.1-0.75 (reference s.3). Above 0.5 needs an
    # override: 0.5 is the studied dose [check: clinic default]. 100 mg cap [check].
    dose=INJECTABLE,
    schedule=ScheduleRule(
        phases=(
            Phase(
                name="induction",
                title="Induction",
                per_week=(2, 3),
                sessions=6,
                # 6 infusions within 12-21 days: Mon/Wed/Fri over 12 days, or
                # twice weekly for 3 weeks (reference s.3, Phillips 2019).
                window_days=(12, 21),
            ),
        ),
    ),
    infusion_min=40,
    # Observe until discharge criteria are met; 30 min after the end of the
    # infusion is a clinic default (reference s.4) [check].
    observation_min=30,
    observation_from="end_of_infusion",
    sources=(PHILLIPS_2019, REF_S4),
    check_notes=(
        "Observation of 30 min after the end of the infusion is a clinic default [check].",
        "Doses above 0.5 mg/kg (up to 0.75) need a prescriber override: a clinic "
        "default [check].",
        ABS_MAX_CHECK + " IV: 100 mg.",
        HOLD_ALL_ROUTES,
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
