"""Concentration-effect ranges and published reference points, as data for charts.

Clinical reference s.5. The ranges are for plasma racemic ketamine; esketamine is roughly
twice as potent at the NMDA receptor, so the same bands are NOT an esketamine scale (the UI
labels them as racemic)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

UM_KETAMINE_NG_ML = 237.7  # 1 uM ketamine = 237.7 ng/mL (reference s.5)


@dataclass(frozen=True)
class EffectBand:
    label: str
    low_ng_ml: float
    high_ng_ml: float
    analyte: str = "racemic ketamine"
    source: str = "clinical reference s.5 (concentration-effect ranges)"


EFFECT_BANDS: tuple[EffectBand, ...] = (
    EffectBand("analgesia", 70.0, 160.0),
    EffectBand("dissociative / psychotomimetic", 100.0, 250.0),
    EffectBand("awakening", 640.0, 750.0),  # "~640-750 ng/mL"
    EffectBand("anaesthesia", 1200.0, 2400.0),
)


@dataclass(frozen=True)
class ReferencePoint:
    label: str
    time_min: float
    # None where only the time of the peak is published (drawn as a vertical rule).
    conc_ng_ml: float | None
    scenario: str
    source: str
    route: str = "iv"  # shown beside racemic curves of this route


# Published racemic values shown beside the curves. The IV point is beside the `domino`
# prediction (~240 ng/mL at 40 min for 70 kg) and no model is tuned to it (reference s.5:
# "show both; do not tune a model to match"). The oral, sublingual and IM absorption
# shapes (routes.py) ARE calibrated to theirs: that is what an absorption assumption is for.
REFERENCE_POINTS: tuple[ReferencePoint, ...] = (
    ReferencePoint(
        "measured end of infusion (Zarate 2006)",
        40.0,
        185.0,
        "racemic ketamine 0.5 mg/kg IV over 40 min",
        "Zarate 2006, via Zanos 2018 Table 1 (clinical reference s.5)",
    ),
    ReferencePoint(
        "oral 0.5 mg/kg: Cmax (Grant 1981)",
        30.0,
        45.0,
        "racemic ketamine 0.5 mg/kg oral; Cmax 45 +/- 10 ng/mL near 30 min",
        "Grant 1981, via Zanos 2018 Table 1 (clinical reference s.8)",
        route="oral",
    ),
    ReferencePoint(
        "SL 25 mg: median Tmax (Rolan 2014)",
        45.0,
        None,
        "racemic ketamine 25 mg sublingual wafer; median Tmax 45 min (range 15-60)",
        "Rolan 2014, Br J Clin Pharmacol 77:1011, PMC4093926 (clinical reference s.8)",
        route="sublingual",
    ),
    ReferencePoint(
        "IM: peak ~20 min [check]",
        20.0,
        None,
        "racemic ketamine IM; peak plasma concentration about 20 min after injection",
        "[check, secondary] anaesthesia reviews (BJA Education 'Ketamine'; Miller's "
        "Anesthesia); primary: Clements, Nimmo & Grant, J Pharm Sci 1982;71:539",
        route="im",
    ),
)

def bands_as_data() -> list[dict[str, Any]]:
    return [asdict(b) for b in EFFECT_BANDS]


def reference_points_as_data() -> list[dict[str, Any]]:
    return [asdict(p) for p in REFERENCE_POINTS]
