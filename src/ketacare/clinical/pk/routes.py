"""How a dose reaches the racemic models' central compartment when the model has no
published absorption structure: a bioavailable fraction F enters a depot at a constant
rate over `zero_order_min` (0 = all at once), and leaves it first-order (`ka_per_min`).

Bioavailabilities are the reference's (clinical-reference.md s.3, "Bioavailability").
The absorption shape is NOT published for these models. For oral, sublingual and IM it is
CALIBRATED (issue #14 item 13) so that the `domino` model, 70 kg, reproduces published
racemic peak times (and the peak concentration where one is published):

- oral 0.5 mg/kg: Cmax 45 +/- 10 ng/mL near 30 min (Grant 1981, via Zanos 2018
  Table 1; reference s.8);
- sublingual 25 mg wafer: median Tmax 45 min, range 15-60 (Rolan 2014, PMC4093926;
  reference s.8);
- IM 0.5 mg/kg: peak about 20 min after injection. [check, secondary]: anaesthesia
  reviews (BJA Education "Ketamine"; Miller's Anesthesia); the primary human IM data
  (Clements, Nimmo & Grant, J Pharm Sci 1982;71:539) were not available to us.

A first-order depot alone cannot do this: `domino`'s central volume is small and its
distribution fast, so a ka slow enough to peak at 30 min (0.008/min) gives an oral Cmax of
12 ng/mL. A zero-order input over about the observed Tmax, then a fast first-order step,
gives both (the test suite checks the tolerance). SC and intranasal are not calibrated:
their values are ASSUMPTIONS and say so.
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
    # Minutes over which the absorbed amount enters the depot (0 = a bolus into it).
    zero_order_min: float = 0.0

    def assumption(self) -> str:
        shape = (f"entering over {self.zero_order_min:g} min (zero-order), then "
                 if self.zero_order_min else "")
        return (
            f"{self.route}: absorption into the central compartment, "
            f"F = {self.bioavailability:g} ({self.f_source}), {shape}"
            f"ka = {self.ka_per_min:g}/min (absorption half-life "
            f"{0.6931 / self.ka_per_min:.0f} min; {self.ka_source})"
        )


_KA_ASSUMED = "ASSUMED, not from the model's publication"
# Calibrated on `domino`; with another racemic model the same shape is only an assumption.
_CALIBRATED = ("ASSUMED shape, calibrated so that the domino model matches published racemic "
               "{what} (docs/pk.md); not from any model's publication")

RACEMIC_ABSORPTION: dict[str, FirstOrderRoute] = {
    # IM ~0.93 [check, secondary] (reference s.3). Peak about 20 min [check, secondary].
    "im": FirstOrderRoute(
        "im", 0.93, 0.10, "reference s.3, IM ~0.93 [check, secondary]",
        _CALIBRATED.format(what="IM Tmax ~20 min [check, secondary]"), zero_order_min=20.0,
    ),
    # The reference gives no SC figure: ASSUMED equal to IM in F (both parenteral depots
    # absorbed almost completely) and a little slower than the calibrated IM depot.
    "sc": FirstOrderRoute(
        "sc", 0.93, 0.05, "ASSUMED equal to IM: the reference gives no SC figure",
        _KA_ASSUMED + " (slower than IM)", zero_order_min=25.0,
    ),
    # Oral ~0.17-0.23 (reference s.3): the midpoint; first pass is folded into F.
    # 0.5 mg/kg: Cmax 45 +/- 10 ng/mL near 30 min (Grant 1981, reference s.8).
    "oral": FirstOrderRoute(
        "oral", 0.20, 0.06, "reference s.3, oral ~0.17-0.23, midpoint",
        _CALIBRATED.format(what="oral Cmax 45 ng/mL near 30 min, Grant 1981"),
        zero_order_min=30.0,
    ),
    # Sublingual ~0.29 (0.24-0.32) (reference s.3). 25 mg: median Tmax 45 min (Rolan 2014).
    "sublingual": FirstOrderRoute(
        "sublingual", 0.29, 0.10, "reference s.3, sublingual ~0.29 (0.24-0.32)",
        _CALIBRATED.format(what="sublingual median Tmax 45 min, Rolan 2014"),
        zero_order_min=45.0,
    ),
    # Racemic intranasal 0.25-0.50 (reference s.3): the midpoint. Not calibrated.
    "intranasal": FirstOrderRoute(
        "intranasal",
        0.375,
        0.07,
        "reference s.3, racemic intranasal 0.25-0.50, midpoint",
        _KA_ASSUMED,
    ),
}
