"""The discharge checklist of a session day (issue 13, item 4): every criterion, its rule in
words (shown before it is applied), whether it is met, and where it comes from.

`safety.discharge_check` judges vitals, dissociation, the escort and the observation time;
this module adds what the Spravato REMS and the esketamine label ask beyond those and
lays everything out as one list, in the order a nurse works through it:

1. observation time: esketamine at least 120 min from the first device (label, REMS);
   IV 30 min after the end of the infusion, other routes per protocol (clinic defaults
   [check]);
2. sedation resolved: the last MOAA/S is 5 ("responds readily to name", the trials'
   sedation scale [check]) or a prescriber has documented their judgement that it has
   resolved. Source: Spravato REMS (FDA, updated 2024-12-31): monitor "until sedation,
   dissociation and respiratory depression have resolved";
3. breathing: SpO2 at or above the clinic threshold at the last check (REMS: respiratory
   depression, a pulse oximeter on site; threshold = the protocol's in-session SpO2
   alert limit, 92% [check, clinic default]);
4. vitals within limits: BP, HR and SpO2 recorded, no in-session alert, BP not above
   the pre-dose limits (`safety.discharge_check`; product definition [check]);
5. esketamine and IV only: a BP reading 30 to 50 min after dosing started (esketamine
   label: reassess BP at ~40 min; REMS form: BP ~40 min after; IV: BP peaks at ~40 min,
   Yale series);
6. dissociation resolved per the clinician, and a CADSS-6 total, if recorded, at most the
   protocol's `discharge_max_cadss6` (clinic default 0 [check]);
7. an escort takes the patient home (label: no driving until the next day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import safety
from .protocols import Protocol
from .routes import ESKETAMINE_ROUTE

# Window of the label's "~40 min" BP reassessment, minutes after dosing started.
BP_RECHECK_WINDOW_MIN = (30, 50)
BP_RECHECK_ROUTES = ("iv", ESKETAMINE_ROUTE)
MOAAS_RESOLVED = 5

SOURCES = {
    "observation": "Esketamine label and Spravato REMS (2 h); IV and other routes: clinic "
                   "default [check]",
    "sedation": "Spravato REMS (FDA, 2024-12-31): monitor until sedation has resolved",
    "spo2": "Spravato REMS: respiratory depression resolved, pulse oximetry; threshold is "
            "the clinic's SpO2 alert limit [check]",
    "vitals": "Esketamine label: clinically stable before leaving; limits are clinic "
              "defaults [check]",
    "bp_recheck": "Esketamine label: reassess BP at ~40 min; REMS form: BP ~40 min after "
                  "dosing",
    "dissociation": "Spravato REMS: until dissociation has resolved; CADSS-6 limit is a "
                    "clinic default [check]",
    "escort": "Esketamine label: no driving until the next day; escort home",
}
# Which of safety.discharge_check's unmet codes belong to which criterion.
_GROUP = {"vitals_missing": "vitals", "vitals_alert": "vitals", "bp_above_predose": "vitals",
          "dissociation": "dissociation", "escort": "escort", "observation": "observation"}
_CLOCK = {"first_device": "the first device", "end_of_infusion": "the end of the infusion",
          "dose": "the dose"}


@dataclass(frozen=True)
class Criterion:
    code: str
    rule: str  # what is required, in words, shown before it is applied
    met: bool
    detail: str  # why it is not met (empty when met)
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "rule": self.rule, "met": self.met, "detail": self.detail,
                "source": self.source}


@dataclass(frozen=True)
class Checklist:
    items: tuple[Criterion, ...]
    observed_min: float | None
    earliest_at: datetime | None

    @property
    def ready(self) -> bool:
        return all(c.met for c in self.items)

    @property
    def unmet(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.items if not c.met)

    def message(self) -> str:
        return "; ".join(c.detail for c in self.unmet)

    def as_dict(self) -> dict[str, Any]:
        return {"ready": self.ready, "items": [c.as_dict() for c in self.items],
                "observed_min": self.observed_min,
                "earliest_at": self.earliest_at.isoformat() if self.earliest_at else None}


def rules(protocol: Protocol, spo2_min: int | None = None) -> list[tuple[str, str]]:
    """(code, rule in words) for every criterion that applies to the protocol."""
    cap = protocol.discharge_max_cadss6
    threshold = spo2_min if spo2_min is not None else protocol.alerts.spo2_below
    low, high = BP_RECHECK_WINDOW_MIN
    out = [
        ("observation", f"At least {protocol.observation_min} min of observation from "
                        f"{_CLOCK[protocol.observation_from]}"),
        ("sedation", f"Sedation resolved: last MOAA/S {MOAAS_RESOLVED} (responds readily to "
                     "name), or the prescriber's documented judgement"),
        ("spo2", f"SpO2 at or above {threshold}% at the last check"),
        ("vitals", "Vitals within limits: BP, HR and SpO2 recorded, no alert, BP not above "
                   "the pre-dose limit"),
    ]
    if protocol.route in BP_RECHECK_ROUTES:
        out.append(("bp_recheck", f"A BP reading {low}-{high} min after dosing started"))
    out.append(("dissociation", "Dissociation resolved per the clinician"
                + (f", and CADSS-6 at most {cap} if recorded" if cap is not None else "")))
    out.append(("escort", "An escort takes the patient home"))
    return out


def check(
    protocol: Protocol,
    *,
    vitals: safety.Vitals,
    age_years: int | None,
    moaas: int | None,
    sedation_judgement: str | None,
    dissociation_resolved: bool | None,
    cadss6_total: int | None,
    escort_present: bool | None,
    observation_started_at: datetime | None,
    bp_minutes: list[int],
    now: datetime,
    spo2_min: int | None = None,
) -> Checklist:
    """The checklist; ready only when every criterion is met. `bp_minutes`: minutes after
    dosing started at which both BP values were recorded; `vitals` the last monitoring set."""
    if moaas is not None and (isinstance(moaas, bool) or not isinstance(moaas, int)
                              or not 0 <= moaas <= MOAAS_RESOLVED):
        raise safety.SafetyInputError("moaas", f"{moaas!r} is not a whole number from 0 to 5")
    base = safety.discharge_check(
        protocol, vitals=vitals, age_years=age_years,
        dissociation_resolved=dissociation_resolved, escort_present=escort_present,
        observation_started_at=observation_started_at, now=now, cadss6_total=cadss6_total)
    problems: dict[str, list[str]] = {}
    for u in base.unmet:
        problems.setdefault(_GROUP[u.code], []).append(u.message)
    judgement = (sedation_judgement or "").strip()
    if moaas != MOAAS_RESOLVED and not judgement:
        problems["sedation"] = [
            "Sedation not rated" if moaas is None
            else f"MOAA/S {moaas} < {MOAAS_RESOLVED}: sedation not resolved (or a prescriber "
                 "documents their judgement)"]
    threshold = spo2_min if spo2_min is not None else protocol.alerts.spo2_below
    if vitals.spo2 is None:
        problems["spo2"] = ["SpO2 not recorded at the last check"]
    elif vitals.spo2 < threshold:
        problems["spo2"] = [f"SpO2 {vitals.spo2}% < {threshold}% at the last check"]
    low, high = BP_RECHECK_WINDOW_MIN
    if protocol.route in BP_RECHECK_ROUTES and not any(low <= m <= high for m in bp_minutes):
        problems["bp_recheck"] = [f"No BP reading {low}-{high} min after dosing started"]
    items = tuple(
        Criterion(code, rule, code not in problems, "; ".join(problems.get(code, [])),
                  SOURCES[code])
        for code, rule in rules(protocol, spo2_min)
    )
    return Checklist(items, base.observed_min, base.earliest_at)
