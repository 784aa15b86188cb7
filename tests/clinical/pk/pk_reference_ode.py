"""Independent numerical references for the PK tests: each model's differential equations
written out by hand from the clinical reference (s.5), integrated with scipy's solve_ivp at
tight tolerances. Deliberately shares no code with the closed-form engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from ketacare.clinical.pk.models import PEREZ_RUIXO_2021, RACEMIC_MODELS
from ketacare.clinical.pk.routes import RACEMIC_ABSORPTION

Array = NDArray[np.float64]
# (compartment name, start_min, amount_mg, duration_min) - duration 0 = bolus
Event = tuple[str, float, float, float]


def racemic_rhs(model_id: str, weight_kg: float) -> tuple[Callable[..., Array], list[str], float]:
    m = RACEMIC_MODELS[model_id]
    names = ["central", "p1", "p2", *[f"depot_{r}" for r in RACEMIC_ABSORPTION]]
    ka = {f"depot_{r}": a.ka_per_min for r, a in RACEMIC_ABSORPTION.items()}
    v1 = m.v1_l_per_kg * weight_kg

    def rhs(a: Array, u: Array) -> Array:
        c, p1, p2 = a[0], a[1], a[2]
        d = np.zeros_like(a)
        absorbed = 0.0
        for i, name in enumerate(names[3:], start=3):
            d[i] = -ka[name] * a[i] + u[i]
            absorbed += ka[name] * a[i]
        d[0] = -(m.k10 + m.k12 + m.k13) * c + m.k21 * p1 + m.k31 * p2 + absorbed + u[0]
        d[1] = m.k12 * c - m.k21 * p1
        d[2] = m.k13 * c - m.k31 * p2
        return d

    return rhs, names, 1000.0 / v1


def racemic_events(route: str, dose_mg: float, start: float, infusion_min: float) -> list[Event]:
    if route == "iv":
        return [("central", start, dose_mg, infusion_min)]
    a = RACEMIC_ABSORPTION[route]
    return [(f"depot_{route}", start, a.bioavailability * dose_mg, a.zero_order_min)]


def esketamine_rhs(age_y: float | None = None) -> tuple[Callable[..., Array], list[str]]:
    """Perez-Ruixo 2021 as read from the reference: L, L/h, 1/h converted to minutes."""
    p = PEREZ_RUIXO_2021
    h = 1 / 60
    qh = p.qh_l_h - (2.19 * (age_y - 60) if age_y is not None and age_y > 60 else 0.0)
    names = ["nasal", "gut_sw", "gut_po", "c", "p1", "p2", "liver", "mc", "mp"]

    def rhs(a: Array, u: Array) -> Array:
        nasal, gsw, gpo, c, p1, p2, liv, mc, mp = a
        cc, cl = c / p.vc_l, liv / p.vh_l  # mg/L
        d = np.empty_like(a)
        d[0] = -p.ka_nasal_per_h * h * nasal + u[0]
        d[1] = -p.ka_swallowed_per_h * h * gsw + u[1]
        d[2] = -p.ka_oral_per_h * h * gpo + u[2]
        d[3] = (
            p.ka_nasal_per_h * h * nasal
            - (p.q1_l_h + p.q2_l_h + qh) * h * cc
            + p.q1_l_h * h * p1 / p.vp1_l
            + p.q2_l_h * h * p2 / p.vp2_l
            + qh * h * cl
            + u[3]
        )
        d[4] = p.q1_l_h * h * (cc - p1 / p.vp1_l)
        d[5] = p.q2_l_h * h * (cc - p2 / p.vp2_l)
        d[6] = (
            p.ka_swallowed_per_h * h * gsw
            + p.ka_oral_per_h * h * gpo
            + qh * h * (cc - cl)
            - (p.kel_per_h + p.kmet_per_h) * h * liv
        )
        d[7] = (
            p.kmet_per_h * h * liv
            - p.cln_l_h * h * mc / p.vcn_l
            - p.q3_l_h * h * (mc / p.vcn_l - mp / p.vpn_l)
        )
        d[8] = p.q3_l_h * h * (mc / p.vcn_l - mp / p.vpn_l)
        return d

    return rhs, names


def esketamine_events(route: str, dose_mg: float, start: float, infusion_min: float) -> list[Event]:
    p = PEREZ_RUIXO_2021
    if route == "iv":
        return [("c", start, dose_mg, infusion_min)]
    if route == "oral":
        return [("gut_po", start, p.fgut * dose_mg, p.oral_zero_order_h * 60)]
    events: list[Event] = []
    for k in range(round(dose_mg / 28)):
        frn = p.frn * (1 if k == 0 else p.frn_later_device_factor)
        t = start + 5.0 * k
        events += [
            ("nasal", t, 28 * frn, 0.0),
            ("gut_sw", t, 28 * (1 - frn) * p.fgut, p.swallowed_zero_order_h * 60),
        ]
    return events


def integrate(
    rhs: Callable[..., Array],
    names: Sequence[str],
    events: Sequence[Event],
    times: Array,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> Array:
    """Amounts (n, T) at `times`, integrating piecewise between input discontinuities."""
    idx = {n: i for i, n in enumerate(names)}
    n = len(names)
    cuts = sorted(
        {0.0, float(times.max())}
        | {e[1] for e in events}
        | {e[1] + e[3] for e in events if e[3] > 0}
    )
    out = np.zeros((n, times.size))
    a = np.zeros(n)
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        for name, start, amount, duration in events:
            if duration == 0 and start == lo:
                a[idx[name]] += amount
        u = np.zeros(n)
        for name, start, amount, duration in events:
            if duration > 0 and start <= lo < start + duration:
                u[idx[name]] += amount / duration
        last = hi == cuts[-1]
        inside = (times >= lo) & ((times <= hi) if last else (times < hi))
        t_eval = np.unique(np.append(times[inside], hi))
        sol = solve_ivp(
            lambda _t, y, u=u: rhs(y, u),
            (lo, hi),
            a,
            method="Radau",
            t_eval=t_eval,
            rtol=rtol,
            atol=atol,
        )
        assert sol.success, sol.message
        pos = np.searchsorted(sol.t, times[inside])
        out[:, inside] = sol.y[:, pos]
        a = sol.y[:, -1].copy()
    return out
