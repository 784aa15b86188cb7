"""IV ketamine maintenance: a shipped protocol (data)."""

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
    id="iv-maintenance",
    name="IV ketamine maintenance (weekly x4)",
    drug="racemic_ketamine",
    route="iv",
    indication="Treatment-resistant depression, after response to induction",
    dose=INJECTABLE,
    schedule=ScheduleRule(
        phases=(
            # Individualised; weekly x4 as in Phillips 2019 (reference s.3).
            Phase(name="maintenance", title="Maintenance", per_week=(1, 1), sessions=4),
        ),
    ),
    infusion_min=40,
    observation_min=30,
    observation_from="end_of_infusion",
    sources=(PHILLIPS_2019, REF_S4),
    check_notes=(
        "Maintenance is individualised; weekly x4 is an example from Phillips 2019.",
        "Observation of 30 min after the end of the infusion is a clinic default [check].",
        "Doses above 0.5 mg/kg (up to 0.75) need a prescriber override: a clinic "
        "default [check].",
        ABS_MAX_CHECK + " IV: 100 mg.",
        HOLD_ALL_ROUTES,
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
