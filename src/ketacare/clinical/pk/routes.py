"""How a dose reaches the racemic models' central compartment when the model has no
published absorption structure: first-order absorption from a depot with a bioavailability.

Bioavailabilities are the reference's (clinical-reference.md s.3, "Bioavailability").
Absorption rate constants are NOT published for these models: they are ASSUMPTIONS chosen
to give peak times of the size reported for each route, and every result that uses them
says so in its `assumptions`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FirstOrderRoute:
    route: str
    bioavailability: float
    ka_per_min: float
    f_source: str
    ka_source: str

    def assumption(self) -> str:
        return (
            f"{self.route}: first-order absorption into the central compartment, "
            f"F = {self.bioavailability:g} ({self.f_source}), "
            f"ka = {self.ka_per_min:g}/min (absorption half-life "
            f"{0.6931 / self.ka_per_min:.0f} min; {self.ka_source})"
        )


_KA_ASSUMED = "ASSUMED, not from the model's publication"

RACEMIC_ABSORPTION: dict[str, FirstOrderRoute] = {
    # IM ~0.93 [check, secondary] (reference s.3); fast depot, peak within ~20 min.
    "im": FirstOrderRoute(
        "im", 0.93, 0.10, "reference s.3, IM ~0.93 [check, secondary]", _KA_ASSUMED
    ),
    # The reference gives no SC figure: ASSUMED equal to IM (both parenteral depots that
    # are absorbed almost completely), with a slower depot than IM.
    "sc": FirstOrderRoute(
        "sc", 0.93, 0.05, "ASSUMED equal to IM: the reference gives no SC figure", _KA_ASSUMED
    ),
    # Oral ~0.17-0.23 (reference s.3): the midpoint; first pass is folded into F.
    "oral": FirstOrderRoute(
        "oral", 0.20, 0.025, "reference s.3, oral ~0.17-0.23, midpoint", _KA_ASSUMED
    ),
    # Sublingual ~0.29 (0.24-0.32) (reference s.3).
    "sublingual": FirstOrderRoute(
        "sublingual", 0.29, 0.035, "reference s.3, sublingual ~0.29 (0.24-0.32)", _KA_ASSUMED
    ),
    # Racemic intranasal 0.25-0.50 (reference s.3): the midpoint.
    "intranasal": FirstOrderRoute(
        "intranasal",
        0.375,
        0.07,
        "reference s.3, racemic intranasal 0.25-0.50, midpoint",
        _KA_ASSUMED,
    ),
}
