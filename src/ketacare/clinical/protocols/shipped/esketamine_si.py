"""Esketamine nasal spray, MDD with acute suicidal ideation: a shipped protocol (data)."""

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
    id="esketamine-si",
    name="Esketamine nasal spray (Spravato), MDD with suicidal ideation",
    drug="esketamine",
    route=ESKETAMINE_ROUTE,
    indication="Major depressive disorder with acute suicidal ideation or behaviour",
    dose=DoseRule(
        # Label: 84 mg twice weekly for 4 weeks; reduce to 56 mg if not tolerated.
        basis="fixed_mg",
        max_mg=84,
        default_mg=84,
        min_mg=56,
        usual_max_mg=84,
        options_mg=(56, 84),
        device_mg=ESKETAMINE_DEVICE_MG,
        device_interval_min=ESKETAMINE_DEVICE_INTERVAL_MIN,
    ),
    schedule=ScheduleRule(
        phases=(Phase(name="induction", title="Induction", per_week=(2, 2), weeks=4),),
    ),
    observation_min=ESKETAMINE_OBSERVATION_MIN,
    observation_from="first_device",
    npo_food_min=120,
    npo_liquids_min=30,
    sources=(SPRAVATO_LABEL, REF_S4),
    check_notes=(
        "56 mg is the label's reduction for tolerability, not in the clinical "
        "reference's table [check].",
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
