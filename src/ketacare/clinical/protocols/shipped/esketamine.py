"""Esketamine nasal spray, US label schedule: a shipped protocol (data)."""

from __future__ import annotations

from ...routes import ESKETAMINE_ROUTE
from ..model import (
    ESKETAMINE_DEVICE_INTERVAL_MIN,
    ESKETAMINE_DEVICE_MG,
    ESKETAMINE_OBSERVATION_MIN,
    DoseRule,
    Phase,
    Protocol,
    ScheduleRule,
)
from .common import ALERTS_CHECK, CADSS_CHECK, REF_S4, SPRAVATO_LABEL

PROTOCOL = Protocol(
    id="esketamine",
    name="Esketamine nasal spray (Spravato), label schedule",
    drug="esketamine",
    route=ESKETAMINE_ROUTE,
    indication="Treatment-resistant depression",
    dose=DoseRule(
        # Label: day 1 56 mg; then 56 or 84 mg; 28 mg devices 5 min apart.
        basis="fixed_mg",
        max_mg=84,
        default_mg=56,
        min_mg=56,
        usual_max_mg=84,
        options_mg=(56, 84),
        first_dose_mg=56,
        device_mg=ESKETAMINE_DEVICE_MG,
        device_interval_min=ESKETAMINE_DEVICE_INTERVAL_MIN,
    ),
    schedule=ScheduleRule(
        phases=(
            # Label: weeks 1-4 twice weekly; weeks 5-8 once weekly; week 9 on
            # once weekly or every 2 weeks (every 2 weeks: weeks 10, 12, ...).
            Phase(name="induction", title="Induction", per_week=(2, 2), weeks=4),
            Phase(name="maintenance", title="Maintenance", per_week=(1, 1), weeks=4),
            Phase(
                name="maintenance",
                title="Maintenance",
                per_week=(1, 1),
                every_weeks=(1, 2),
            ),
        ),
        # Plan 12 weeks ahead by default [product default].
        default_through_week=12,
    ),
    observation_min=ESKETAMINE_OBSERVATION_MIN,
    observation_from="first_device",
    # Label: no food for 2 h and no liquids for 30 min before dosing.
    npo_food_min=120,
    npo_liquids_min=30,
    # Label: evaluate therapeutic benefit at the end of induction (issue 14 item 8).
    review_after_induction=True,
    sources=(SPRAVATO_LABEL, REF_S4),
    check_notes=(
        "84 mg as the first dose is off-label (label day 1: 56 mg) and needs a "
        "prescriber override.",
        "US label: 56 mg on day 1 for every adult. The EU SmPC (patients 65 and "
        "over start at 28 mg) is the protocol esketamine-eu.",
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
