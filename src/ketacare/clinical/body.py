"""Body measurements derived from the chart's entries (pure)."""

from __future__ import annotations


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body-mass index in kg/m2, to one decimal."""
    metres = height_cm / 100
    return round(weight_kg / (metres * metres), 1)
