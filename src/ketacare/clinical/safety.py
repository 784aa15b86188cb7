"""Safety rules for the session day (clinical reference s.4; issue 4, item 4).

- `predose_check`: hold (or prescriber review) before dosing when SBP > 140 (> 150 from
  age 65) or DBP > 90 - esketamine label and phase 3 trials, the clinic default for every
  route. A hold is lifted only by a prescriber override with a reason.
- `needs_second_check`, `lot_problems`, `stock_mismatch`: the dose itself, before it is
  recorded: a second clinician for IV, an unexpired lot with a number, stock of the
  protocol's drug.
- `vital_alerts`: in-session readings that need the prescriber at once; clinic defaults
  [check, not from a guideline]: SBP >= 180, DBP >= 110, SpO2 < 92%, HR > 130 or < 50.
  Each rule fires at its threshold and not on the safe side of it.
- `discharge_check`: every discharge criterion with what is still unmet:
  * vitals back within the clinic's range, defined here as no in-session alert and BP
    not above the pre-dose hold limits [check: product definition; the reference says
    only "clinically stable"]; BP, HR and SpO2 must be recorded;
  * dissociation resolved: the clinician confirms, and a CADSS-6 total, if recorded, is
    not above the protocol's `discharge_max_cadss6` (clinic default 0) [check];
  * an escort is present;
  * observation long enough: esketamine at least 120 min from the first device (label);
    IV 30 min after the end of the infusion (clinic default [check]); other routes per
    protocol, from the dose.

The numbers live in the protocol (`protocols.HoldThresholds`, `AlertThresholds`,
`observation_min`); these functions only apply them. Readings are whole numbers within
`VITAL_RANGES`; anything else is a `SafetyInputError` naming the field and the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from .protocols import DRUGS, AlertThresholds, HoldThresholds, Protocol

# Plausible readings; outside them the entry is almost certainly a typing error.
VITAL_RANGES: dict[str, tuple[int, int]] = {
    "sbp": (50, 300),
    "dbp": (20, 200),
    "hr": (20, 250),
    "spo2": (50, 100),
    "rr": (4, 60),
}
VITAL_UNITS: dict[str, str] = {
    "sbp": "mmHg",
    "dbp": "mmHg",
    "hr": "beats/min",
    "spo2": "%",
    "rr": "breaths/min",
}
AGE_RANGE = (0, 120)
CADSS6_RANGE = (0, 24)
# Recorded at discharge before a patient may leave (REMS: BP before discharge) [check].
DISCHARGE_VITALS = ("sbp", "dbp", "hr", "spo2")

Severity = Literal["high"]

_CLOCK_START = {
    "first_device": "the first device",
    "end_of_infusion": "the end of the infusion",
    "dose": "the dose",
}


class SafetyInputError(ValueError):
    """A reading or input that cannot be judged. `str()` is one line naming the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _check_whole(field: str, value: object, bounds: tuple[int, int], unit: str) -> None:
    low, high = bounds
    allowed = f"a whole number from {low} to {high} {unit}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SafetyInputError(field, f"{value!r} is not {allowed}")
    if not low <= value <= high:
        raise SafetyInputError(field, f"{value} is out of range; allowed is {allowed}")


@dataclass(frozen=True)
class Vitals:
    """One set of readings; any may be missing. Validated on creation."""

    sbp: int | None = None
    dbp: int | None = None
    hr: int | None = None
    spo2: int | None = None
    rr: int | None = None

    def __post_init__(self) -> None:
        for name, bounds in VITAL_RANGES.items():
            value = getattr(self, name)
            if value is not None:
                _check_whole(name, value, bounds, VITAL_UNITS[name])
        if self.sbp is not None and self.dbp is not None and self.sbp <= self.dbp:
            # Almost always the two numbers swapped on entry.
            raise SafetyInputError(
                "sbp",
                f"systolic {self.sbp} must be above diastolic {self.dbp} (were they swapped?)",
            )


# --- before dosing -------------------------------------------------------------------


@dataclass(frozen=True)
class HoldDecision:
    hold: bool
    reasons: tuple[str, ...]
    sbp_limit: int
    dbp_limit: int
    # Set only when there is a hold to override.
    override_reason: str | None = None

    @property
    def may_dose(self) -> bool:
        return not self.hold or self.override_reason is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "hold": self.hold,
            "reasons": list(self.reasons),
            "sbp_limit": self.sbp_limit,
            "dbp_limit": self.dbp_limit,
            "override_reason": self.override_reason,
            "may_dose": self.may_dose,
        }


def predose_check(
    sbp: int,
    dbp: int,
    age_years: int | None,
    thresholds: HoldThresholds | None = None,
    *,
    override_reason: str | None = None,
) -> HoldDecision:
    """Hold when a reading is strictly above its limit; an unknown age gets the stricter
    under-65 SBP limit. `override_reason` (a prescriber's) lets a held dose go ahead."""
    t = thresholds or HoldThresholds()
    v = Vitals(sbp=sbp, dbp=dbp)
    for name in ("sbp", "dbp"):
        if getattr(v, name) is None:
            raise SafetyInputError(name, "required before dosing")
    assert v.sbp is not None and v.dbp is not None
    if age_years is not None:
        _check_whole("age_years", age_years, AGE_RANGE, "years")
    limit = t.sbp_limit(age_years)
    reasons = []
    if v.sbp > limit:
        if age_years is None:
            who = f" (age not recorded: under-{t.older_age_years} limit)"
        elif age_years >= t.older_age_years:
            who = f" (age {t.older_age_years}+)"
        else:
            who = ""
        reasons.append(f"SBP {v.sbp} > {limit}{who}")
    if v.dbp > t.dbp_above:
        reasons.append(f"DBP {v.dbp} > {t.dbp_above}")
    hold = bool(reasons)
    reason = _reason(override_reason)
    return HoldDecision(
        hold=hold,
        reasons=tuple(reasons),
        sbp_limit=limit,
        dbp_limit=t.dbp_above,
        override_reason=reason if hold else None,
    )


# The dose itself, checked before it is recorded (issue 18: the rules `give_dose` and
# `preview_dose` apply). A second clinician checks every IV dose [product default, not
# in the clinical reference: IV doses are drawn up and pumped, the error-prone routes].
SECOND_CHECK_ROUTES = frozenset({"iv"})
SECOND_CHECK_MESSAGE = "IV doses need a second check: the second clinician signs here."


def needs_second_check(route: str) -> bool:
    """Whether a second clinician must co-sign a dose by this route."""
    return route in SECOND_CHECK_ROUTES


def lot_problems(lot: str, expiry: date, today: date) -> dict[str, str]:
    """Field -> message for a lot that may not be given: expired before today (a lot
    expiring today is still usable) or without a lot number."""
    problems: dict[str, str] = {}
    if expiry < today:
        problems["expiry"] = f"Lot expired on {expiry}."
    if not lot.strip():
        problems["lot"] = "Enter the lot number."
    return problems


def stock_mismatch(stock_drug: str, stock_label: str, protocol: Protocol) -> str | None:
    """Why stock of `stock_drug` (shown as `stock_label`) cannot give this protocol's
    dose, or None when it can."""
    if stock_drug == protocol.drug:
        return None
    return (f"This stock is {stock_label}; the protocol gives "
            f"{DRUGS[protocol.drug]}.")


# --- during the session --------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    code: str  # stable snake_case, e.g. "sbp_high"
    message: str
    # Every default rule means "notify the prescriber now" (reference s.4); one level.
    severity: Severity = "high"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "severity": self.severity}


def vital_alerts(
    sbp: int | None,
    dbp: int | None,
    hr: int | None,
    spo2: int | None,
    rr: int | None,
    thresholds: AlertThresholds | None = None,
) -> tuple[Alert, ...]:
    """Alerts for one set of readings; a missing reading raises nothing."""
    return _alerts(Vitals(sbp=sbp, dbp=dbp, hr=hr, spo2=spo2, rr=rr), thresholds)


def _alerts(v: Vitals, thresholds: AlertThresholds | None) -> tuple[Alert, ...]:
    t = thresholds or AlertThresholds()
    out: list[Alert] = []
    if v.sbp is not None and v.sbp >= t.sbp_at_or_above:
        out.append(Alert("sbp_high", f"SBP {v.sbp} >= {t.sbp_at_or_above}: notify prescriber"))
    if v.dbp is not None and v.dbp >= t.dbp_at_or_above:
        out.append(Alert("dbp_high", f"DBP {v.dbp} >= {t.dbp_at_or_above}: notify prescriber"))
    if v.spo2 is not None and v.spo2 < t.spo2_below:
        out.append(Alert("spo2_low", f"SpO2 {v.spo2}% < {t.spo2_below}%: notify prescriber"))
    if v.hr is not None and v.hr > t.hr_above:
        out.append(Alert("hr_high", f"HR {v.hr} > {t.hr_above}: notify prescriber"))
    if v.hr is not None and v.hr < t.hr_below:
        out.append(Alert("hr_low", f"HR {v.hr} < {t.hr_below}: notify prescriber"))
    if v.rr is not None and t.rr_below is not None and v.rr < t.rr_below:
        out.append(Alert("rr_low", f"RR {v.rr} < {t.rr_below}: notify prescriber"))
    if v.rr is not None and t.rr_above is not None and v.rr > t.rr_above:
        out.append(Alert("rr_high", f"RR {v.rr} > {t.rr_above}: notify prescriber"))
    return tuple(out)


# --- discharge -----------------------------------------------------------------------


@dataclass(frozen=True)
class Unmet:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class DischargeDecision:
    ready: bool
    unmet: tuple[Unmet, ...]
    observed_min: float | None  # minutes since the observation clock started
    earliest_at: datetime | None  # when observation alone would allow discharge

    def as_dict(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "unmet": [u.as_dict() for u in self.unmet],
            "observed_min": self.observed_min,
            "earliest_at": self.earliest_at.isoformat() if self.earliest_at else None,
        }


def discharge_check(
    protocol: Protocol,
    *,
    vitals: Vitals,
    age_years: int | None,
    dissociation_resolved: bool | None,
    escort_present: bool | None,
    observation_started_at: datetime | None,
    now: datetime,
    cadss6_total: int | None = None,
) -> DischargeDecision:
    """Ready to leave only when nothing is unmet; every unmet item is listed, in the
    order a nurse works through them. `observation_started_at` is the first device
    (esketamine), the end of the infusion (IV) or the dose (other routes)."""
    if not isinstance(vitals, Vitals):
        raise SafetyInputError("vitals", "must be Vitals")
    if age_years is not None:
        _check_whole("age_years", age_years, AGE_RANGE, "years")
    if cadss6_total is not None:
        _check_whole("cadss6_total", cadss6_total, CADSS6_RANGE, "points")
    _aware("now", now)
    unmet: list[Unmet] = []

    missing = [
        n.upper() if n != "spo2" else "SpO2" for n in DISCHARGE_VITALS if getattr(vitals, n) is None
    ]
    if missing:
        unmet.append(
            Unmet("vitals_missing", f"Discharge vitals not recorded: {', '.join(missing)}")
        )
    alerts = _alerts(vitals, protocol.alerts)
    if alerts:
        unmet.append(
            Unmet("vitals_alert", "Vitals out of range: " + "; ".join(a.message for a in alerts))
        )
    if vitals.sbp is not None and vitals.dbp is not None:
        hold = predose_check(vitals.sbp, vitals.dbp, age_years, protocol.hold)
        if hold.hold:
            unmet.append(
                Unmet(
                    "bp_above_predose",
                    "BP above the pre-dose limit: " + "; ".join(hold.reasons),
                )
            )

    cap = protocol.discharge_max_cadss6
    if dissociation_resolved is not True:
        unmet.append(Unmet("dissociation", "Dissociation not confirmed resolved by the clinician"))
    elif cadss6_total is not None and cap is not None and cadss6_total > cap:
        unmet.append(Unmet("dissociation", f"CADSS-6 {cadss6_total} > {cap}: not yet resolved"))

    if escort_present is not True:
        unmet.append(Unmet("escort", "No escort present to take the patient home"))

    clock = _CLOCK_START[protocol.observation_from]
    observed: float | None = None
    earliest: datetime | None = None
    if observation_started_at is None:
        unmet.append(Unmet("observation", f"Time of {clock} not recorded: observation not started"))
    else:
        _aware("observation_started_at", observation_started_at)
        if observation_started_at > now:
            raise SafetyInputError(
                "observation_started_at",
                f"{observation_started_at.isoformat()} is after now ({now.isoformat()})",
            )
        earliest = observation_started_at + timedelta(minutes=protocol.observation_min)
        observed = (now - observation_started_at).total_seconds() / 60
        if now < earliest:
            unmet.append(
                Unmet(
                    "observation",
                    f"Observed {int(observed)} min since {clock}; at least "
                    f"{protocol.observation_min} min required",
                )
            )
    return DischargeDecision(
        ready=not unmet, unmet=tuple(unmet), observed_min=observed, earliest_at=earliest
    )


def _aware(field: str, value: object) -> None:
    if not isinstance(value, datetime):
        raise SafetyInputError(field, f"{value!r} is not a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise SafetyInputError(field, "must be timezone-aware (times are stored in UTC)")


def _reason(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SafetyInputError("override_reason", f"{value!r} must be text")
    return value.strip() or None
