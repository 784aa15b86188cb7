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
    conc_ng_ml: float
    scenario: str
    source: str


# Shown beside the `domino` prediction (~240 ng/mL at 40 min for 70 kg); no model is tuned
# to it (reference s.5: "show both; do not tune a model to match").
REFERENCE_POINTS: tuple[ReferencePoint, ...] = (
    ReferencePoint(
        "measured end of infusion (Zarate 2006)",
        40.0,
        185.0,
        "racemic ketamine 0.5 mg/kg IV over 40 min",
        "Zarate 2006, via Zanos 2018 Table 1 (clinical reference s.5)",
    ),
)


def bands_as_data() -> list[dict[str, Any]]:
    return [asdict(b) for b in EFFECT_BANDS]


def reference_points_as_data() -> list[dict[str, Any]]:
    return [asdict(p) for p in REFERENCE_POINTS]
