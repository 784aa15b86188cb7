"""Esketamine nasal spray, EU SmPC schedule: the US label protocol with the SmPC's doses
by age (a shipped protocol; data)."""

from __future__ import annotations

from dataclasses import replace

from .common import ALERTS_CHECK, CADSS_CHECK, REF_S4
from .esketamine import PROTOCOL as US_LABEL

# EU SmPC, section 4.2 (Spravato 28 mg nasal spray; reference s.8; Janssen UK prescribing
# information): adults < 65 start at 56 mg, then 56 or 84 mg; adults >= 65 start at
# 28 mg, then 28, 56 or 84 mg; all dose changes in 28 mg steps; same weeks as the US
# label (twice weekly weeks 1-4, weekly weeks 5-8, weekly or every 2 weeks from week 9);
# evaluate benefit at the end of induction.
PROTOCOL = replace(
    US_LABEL,
    id="esketamine-eu",
    name="Esketamine nasal spray (Spravato), EU SmPC schedule",
    indication="Treatment-resistant depression, with an SSRI or SNRI",
    dose=replace(
        US_LABEL.dose,
        min_mg=28,
        options_mg=(28, 56, 84),
        first_dose_mg_older=28,
        older_only_mg=(28,),
    ),
    sources=(
        "Spravato EU SmPC 4.2: posology by age (< 65: 56 mg day 1, then 56 or 84 mg; "
        ">= 65: 28 mg day 1, then 28, 56 or 84 mg)",
        REF_S4,
    ),
    check_notes=(
        "84 mg as the first dose is above the SmPC's day-1 dose and needs a prescriber "
        "override.",
        "28 mg is allowed only from age 65 (SmPC); under 65 the doses are 56 or 84 mg.",
        ALERTS_CHECK,
        CADSS_CHECK,
    ),
)
