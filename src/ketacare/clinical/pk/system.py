"""Rate matrices of the models, for P patients at once (per-patient parameter arrays).

Compartment layouts
- racemic: central, peripheral 1, [peripheral 2], then one depot per extravascular route
  used by the regimen (each route has its own absorption rate).
- perez-ruixo-2021: the depots of the routes used (nasal + swallowed gut for intranasal,
  oral gut for oral), then central, peripheral 1, peripheral 2, liver (hepato-portal),
  noresketamine central, noresketamine peripheral.

Everything here is per minute, mg and ng/mL (1 mg/L = 1000 ng/mL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .models import EsketamineModel, RacemicModel
from .solve import FloatArray

MG_PER_L_TO_NG_PER_ML = 1000.0
PER_H_TO_PER_MIN = 1.0 / 60.0


@dataclass(frozen=True)
class Compartments:
    """A model for P patients: dA/dt = rates @ A; concentrations = outputs @ A."""

    names: tuple[str, ...]
    rates: FloatArray  # (P, n, n) per minute
    outputs: FloatArray  # (P, o, n) ng/mL per mg
    output_names: tuple[str, ...]
    depots: tuple[int, ...]

    def index(self, name: str) -> int:
        return self.names.index(name)


def _flow(rates: FloatArray, src: int, dst: int, k: FloatArray) -> None:
    """First-order transfer src -> dst (dst < 0: out of the system) at rate k (P,)."""
    rates[:, src, src] -= k
    if dst >= 0:
        rates[:, dst, src] += k


def racemic_compartments(
    model: RacemicModel, params: Mapping[str, FloatArray], routes: Sequence[str]
) -> Compartments:
    """params: v1_l, k10, k12, k21, k13, k31 (per min) and ka_<route> for each route."""
    n_pat = len(params["v1_l"])
    names = ["central", "peripheral1"]
    if model.n_disposition == 3:
        names.append("peripheral2")
    extravascular = [r for r in routes if r != "iv"]
    names += [f"depot_{r}" for r in extravascular]
    n = len(names)
    rates = np.zeros((n_pat, n, n))
    _flow(rates, 0, -1, params["k10"])
    _flow(rates, 0, 1, params["k12"])
    _flow(rates, 1, 0, params["k21"])
    if model.n_disposition == 3:
        _flow(rates, 0, 2, params["k13"])
        _flow(rates, 2, 0, params["k31"])
    depots = []
    for route in extravascular:
        d = names.index(f"depot_{route}")
        _flow(rates, d, 0, params[f"ka_{route}"])
        depots.append(d)
    outputs = np.zeros((n_pat, 1, n))
    outputs[:, 0, 0] = MG_PER_L_TO_NG_PER_ML / params["v1_l"]
    return Compartments(tuple(names), rates, outputs, ("plasma",), tuple(depots))


ESKETAMINE_DISPOSITION = (
    "central",
    "peripheral1",
    "peripheral2",
    "liver",
    "metabolite_central",
    "metabolite_peripheral",
)
# Depots each route feeds; only the depots of the routes in a regimen are built, so a
# nasal course does not carry the (empty) oral-gut mode through every evaluation.
ESKETAMINE_ROUTE_DEPOTS: dict[str, tuple[str, ...]] = {
    "iv": (),
    "intranasal": ("nasal", "gut_swallowed"),
    "oral": ("gut_oral",),
}


def esketamine_compartments(
    model: EsketamineModel, params: Mapping[str, FloatArray], routes: Sequence[str]
) -> Compartments:
    """Perez-Ruixo 2021 structure (reference s.5). params hold the Table 3 names of
    `EsketamineModel` in L, L/h and 1/h, one value per patient; converted here to per min.

    Elimination: both kel (other pathways) and kmet (-> noresketamine) act on the liver
    compartment, the site of first pass. This reading reproduces Table 4 within 0.5%
    (tests/clinical/pk); putting kel on the central compartment misses AUC by ~60%.
    Noresketamine is formed mass for mass (no molecular-weight correction), which is what
    reproduces Table 4's noresketamine Cmax.
    """
    n_pat = len(params["vc_l"])
    depot_names = [
        d for r in ESKETAMINE_ROUTE_DEPOTS for d in ESKETAMINE_ROUTE_DEPOTS[r] if r in routes
    ]
    names = (*depot_names, *ESKETAMINE_DISPOSITION)
    i = {name: k for k, name in enumerate(names)}
    n = len(names)
    per_min = PER_H_TO_PER_MIN
    vc, vh = params["vc_l"], params["vh_l"]
    rates = np.zeros((n_pat, n, n))
    if "nasal" in i:
        _flow(rates, i["nasal"], i["central"], params["ka_nasal_per_h"] * per_min)
        _flow(rates, i["gut_swallowed"], i["liver"], params["ka_swallowed_per_h"] * per_min)
    if "gut_oral" in i:
        _flow(rates, i["gut_oral"], i["liver"], params["ka_oral_per_h"] * per_min)
    _flow(rates, i["central"], i["peripheral1"], params["q1_l_h"] / vc * per_min)
    _flow(rates, i["peripheral1"], i["central"], params["q1_l_h"] / params["vp1_l"] * per_min)
    _flow(rates, i["central"], i["peripheral2"], params["q2_l_h"] / vc * per_min)
    _flow(rates, i["peripheral2"], i["central"], params["q2_l_h"] / params["vp2_l"] * per_min)
    _flow(rates, i["central"], i["liver"], params["qh_l_h"] / vc * per_min)
    _flow(rates, i["liver"], i["central"], params["qh_l_h"] / vh * per_min)
    _flow(rates, i["liver"], -1, params["kel_per_h"] * per_min)
    _flow(rates, i["liver"], i["metabolite_central"], params["kmet_per_h"] * per_min)
    vcn = params["vcn_l"]
    _flow(rates, i["metabolite_central"], -1, params["cln_l_h"] / vcn * per_min)
    _flow(
        rates, i["metabolite_central"], i["metabolite_peripheral"], params["q3_l_h"] / vcn * per_min
    )
    _flow(
        rates,
        i["metabolite_peripheral"],
        i["metabolite_central"],
        params["q3_l_h"] / params["vpn_l"] * per_min,
    )
    outputs = np.zeros((n_pat, 2, n))
    outputs[:, 0, i["central"]] = MG_PER_L_TO_NG_PER_ML / vc
    outputs[:, 1, i["metabolite_central"]] = MG_PER_L_TO_NG_PER_ML / vcn
    depots = tuple(i[d] for d in depot_names)
    return Compartments(names, rates, outputs, ("plasma", "metabolite"), depots)
