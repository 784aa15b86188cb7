"""IV infusion preparation (issue 14 item 12): from the dose and the volume drawn
(`dosing.calculate_dose`), the bag and the pump rate.

How the bag is made up [clinic default]: the drawn ketamine is added to a bag of 0.9%
sodium chloride of the clinic's bag volume (setting `iv_bag_volume_ml`, default 100 mL,
allowed 20-1000 mL) without first removing an equal volume, and the pump runs the whole
contents over the protocol's infusion time (0.5 mg/kg over 40 min in the reference s.3).
So:
- total volume (mL) = bag volume + volume drawn;
- pump rate (mL/h) = total volume x 60 / infusion minutes, rounded half up to 0.1 mL/h
  (the resolution of common volumetric pumps [check]);
- bag concentration (mg/mL) = dose / total volume, to 0.01 mg/mL, shown for the label.
Bag overfill (a "100 mL" bag holds a few mL more [check]) is not counted: the rate runs
the labelled volume over the infusion time, and a pump programmed by volume to be
infused (VTBI) stops at it. Each failure is a `DoseError` naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .dosing import DoseError

IV_BAG_VOLUME_ML = 100  # [clinic default]
IV_BAG_RANGE_ML = (20, 1000)
INFUSION_RANGE_MIN = (1, 480)
RATE_STEP_ML_H = Decimal("0.1")
CONC_STEP_MG_ML = Decimal("0.01")


@dataclass(frozen=True)
class IvPreparation:
    dose_mg: float
    draw_ml: float  # ketamine drawn from the vial and added to the bag
    bag_ml: int  # the bag's labelled volume before the drug is added
    total_ml: float  # what the pump infuses (the VTBI)
    infusion_min: int
    rate_ml_h: float
    bag_mg_ml: float  # concentration in the bag, for its label


def _positive(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DoseError(name, f"{value!r} is not a number")
    if value <= 0:
        raise DoseError(name, f"{value:g} must be above 0")
    return Decimal(str(value))


def _whole(name: str, value: object, bounds: tuple[int, int], unit: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DoseError(name, f"{value!r} is not a whole number from {low} to {high} {unit}")
    return value


def iv_preparation(
    dose_mg: float, draw_ml: float, *, infusion_min: int, bag_volume_ml: int = IV_BAG_VOLUME_ML
) -> IvPreparation:
    """The bag and pump rate for one infusion; see the module docstring."""
    dose = _positive("dose_mg", dose_mg)
    draw = _positive("draw_ml", draw_ml)
    minutes = _whole("infusion_min", infusion_min, INFUSION_RANGE_MIN, "min")
    bag = _whole("bag_volume_ml", bag_volume_ml, IV_BAG_RANGE_ML, "mL")
    total = Decimal(bag) + draw
    rate = (total * 60 / Decimal(minutes)).quantize(RATE_STEP_ML_H, rounding=ROUND_HALF_UP)
    conc = (dose / total).quantize(CONC_STEP_MG_ML, rounding=ROUND_HALF_UP)
    return IvPreparation(
        dose_mg=float(dose),
        draw_ml=float(draw),
        bag_ml=bag,
        total_ml=float(total),
        infusion_min=minutes,
        rate_ml_h=float(rate),
        bag_mg_ml=float(conc),
    )
