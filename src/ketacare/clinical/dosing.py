"""Dose calculator (issue 4, item 2): from a protocol, a weight and a chosen dose, the dose
in mg, the volume to draw, or the number of esketamine devices.

Rules, in the order they are checked (each failure is a `DoseError` naming the field):
- weight-based protocols need a weight from 20 to 300 kg measured within
  `max_weight_age_days` of `today` (a clinic setting, default 30);
- the mg/kg (or fixed mg) must lie within the protocol's min..max, and the mg within its
  absolute maximum: outside them the dose is refused with the reason;
- above the protocol's usual range (but within its maximum) the dose needs a prescriber
  override with a non-empty reason; esketamine above the label's first dose on dose 1
  counts as above the usual range (label day 1: 56 mg);
- a protocol with age-dependent doses (EU SmPC: 28 mg on day 1 and 28 mg at all only
  from age 65; issue 14 item 8) needs `age_years`;
- esketamine is given in whole 28 mg devices from the protocol's options.

Volume rounding [product default, from syringe graduations, not a published standard]:
volumes of 1 mL and more are drawn in 0.1 mL steps, smaller volumes in 0.01 mL steps (a
1 mL syringe is graduated in 0.01 mL). The nearest step is taken (halves up), or the
step below when the nearest would carry the dose past the protocol's maximum, or past
its usual range when no override was given. The dose actually given is recomputed from
the rounded volume and reported next to the prescribed dose; a difference of 5% or more
adds a warning suggesting a lower concentration. The minimum is a check on the
prescription, not on rounding: the given dose may sit below it by less than one step.
A dose without a volume (oral or sublingual with no solution strength given) is rounded
the same way to 0.1 mg.

Concentrations: a protocol that lists the strengths it stocks (racemic ketamine 10, 50,
100 mg/mL) accepts only those; one that lists none (compounded oral and sublingual
solutions) accepts any strength from 1 to 100 mg/mL [product default]. Injectable routes
require one; esketamine devices take none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from .protocols import Protocol

WEIGHT_RANGE_KG = (20, 300)
MAX_WEIGHT_AGE_RANGE_DAYS = (0, 365)
FREE_CONCENTRATION_RANGE_MG_ML = (1, 100)
COARSE_FROM_ML = Decimal(1)
COARSE_STEP_ML = Decimal("0.1")
FINE_STEP_ML = Decimal("0.01")
MG_STEP = Decimal("0.1")
# Warnings only; the dose is still calculated [product defaults].
SMALL_VOLUME_ML = Decimal("0.1")
ROUNDING_WARN_PCT = 5


class DoseError(ValueError):
    """A dose that cannot be calculated. `str()` is one line naming the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class DoseLimits:
    """The protocol's limits in mg for one patient (weight-based limits times weight,
    capped at the absolute maximum)."""

    min_mg: float
    usual_max_mg: float
    max_mg: float


@dataclass(frozen=True)
class DoseResult:
    protocol_id: str
    drug: str
    route: str
    dose_mg: float  # what is given: recomputed from the drawn volume
    prescribed_mg: float  # before rounding to a drawable volume
    mg_per_kg: float | None  # as prescribed; None for fixed-mg protocols
    given_mg_per_kg: float | None  # dose_mg / weight
    weight_kg: float | None
    volume_ml: float | None  # None for esketamine and for doses without a strength
    concentration_mg_ml: float | None
    devices: int | None  # esketamine: whole 28 mg devices
    needs_override: bool
    override_reason: str | None
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol_id": self.protocol_id,
            "drug": self.drug,
            "route": self.route,
            "dose_mg": self.dose_mg,
            "prescribed_mg": self.prescribed_mg,
            "mg_per_kg": self.mg_per_kg,
            "given_mg_per_kg": self.given_mg_per_kg,
            "weight_kg": self.weight_kg,
            "volume_ml": self.volume_ml,
            "concentration_mg_ml": self.concentration_mg_ml,
            "devices": self.devices,
            "needs_override": self.needs_override,
            "override_reason": self.override_reason,
            "warnings": list(self.warnings),
        }


def limits(protocol: Protocol, weight_kg: float | None = None) -> DoseLimits:
    """Min, usual maximum and maximum in mg (weight needed for weight-based protocols)."""
    rule = protocol.dose
    if rule.basis == "fixed_mg":
        assert rule.min_mg is not None and rule.usual_max_mg is not None
        return DoseLimits(float(rule.min_mg), float(rule.usual_max_mg), float(rule.max_mg))
    if weight_kg is None:
        raise DoseError("weight_kg", f"required for weight-based protocol {protocol.id}")
    w = _dec(weight_kg)
    cap = _dec(rule.max_mg)
    return DoseLimits(
        float(min(_dec(rule.min_mg_per_kg) * w, cap)),
        float(min(_dec(rule.usual_max_mg_per_kg) * w, cap)),
        float(min(_dec(rule.max_mg_per_kg) * w, cap)),
    )


def calculate_dose(
    protocol: Protocol,
    *,
    weight_kg: float | None,
    weight_measured_on: date | None,
    today: date,
    mg_per_kg: float | None = None,
    fixed_mg: int | None = None,
    concentration_mg_ml: float | None = None,
    override_reason: str | None = None,
    max_weight_age_days: int = 30,
    dose_number: int = 1,
    age_years: int | None = None,
) -> DoseResult:
    """The dose for one session; see the module docstring for the rules."""
    if not isinstance(protocol, Protocol):
        raise DoseError("protocol", "must be a Protocol")
    _whole("dose_number", dose_number, 1, 10_000)
    reason = _reason(override_reason)
    if protocol.dose.basis == "mg_per_kg":
        return _weight_based(
            protocol,
            weight_kg=weight_kg,
            weight_measured_on=weight_measured_on,
            today=today,
            mg_per_kg=mg_per_kg,
            fixed_mg=fixed_mg,
            concentration_mg_ml=concentration_mg_ml,
            reason=reason,
            max_weight_age_days=max_weight_age_days,
        )
    return _fixed(
        protocol,
        mg_per_kg=mg_per_kg,
        fixed_mg=fixed_mg,
        concentration_mg_ml=concentration_mg_ml,
        reason=reason,
        dose_number=dose_number,
        age_years=age_years,
    )


def _weight_based(
    protocol: Protocol,
    *,
    weight_kg: float | None,
    weight_measured_on: date | None,
    today: date,
    mg_per_kg: float | None,
    fixed_mg: int | None,
    concentration_mg_ml: float | None,
    reason: str | None,
    max_weight_age_days: int,
) -> DoseResult:
    rule = protocol.dose
    assert rule.min_mg_per_kg is not None and rule.max_mg_per_kg is not None
    assert rule.usual_max_mg_per_kg is not None and rule.default_mg_per_kg is not None
    if fixed_mg is not None:
        raise DoseError(
            "fixed_mg", f"protocol {protocol.id} is dosed in mg/kg; give mg_per_kg instead"
        )
    w = _weight(weight_kg, weight_measured_on, today, max_weight_age_days, protocol.id)

    k = rule.default_mg_per_kg if mg_per_kg is None else mg_per_kg
    if isinstance(k, bool) or not isinstance(k, int | float) or not math.isfinite(k) or k <= 0:
        raise DoseError("mg_per_kg", f"{k!r} is not a positive number")
    if not rule.min_mg_per_kg <= k <= rule.max_mg_per_kg:
        raise DoseError(
            "mg_per_kg",
            f"{k:g} mg/kg is outside the range of protocol {protocol.id}: "
            f"{rule.min_mg_per_kg:g} to {rule.max_mg_per_kg:g} mg/kg",
        )
    prescribed = _dec(w) * _dec(k)
    cap = _dec(rule.max_mg)
    if prescribed > cap:
        most = (cap / _dec(w)).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
        raise DoseError(
            "mg_per_kg",
            f"{k:g} mg/kg x {w:g} kg = {_fmt(prescribed)} mg is above the maximum of "
            f"{rule.max_mg:g} mg for protocol {protocol.id} (at most {most} mg/kg at this weight)",
        )
    needs_override = k > rule.usual_max_mg_per_kg
    if needs_override and reason is None:
        raise DoseError(
            "override_reason",
            f"needs prescriber override: {k:g} mg/kg is above the usual "
            f"{rule.usual_max_mg_per_kg:g} mg/kg for protocol {protocol.id}; give a reason",
        )
    lim = limits(protocol, w)
    ceiling = _dec(lim.max_mg if needs_override else lim.usual_max_mg)
    dose, volume, conc, warnings = _measure(protocol, prescribed, concentration_mg_ml, ceiling)
    if needs_override:
        warnings.insert(
            0,
            f"Above the usual {rule.usual_max_mg_per_kg:g} mg/kg: prescriber override ({reason})",
        )
    return DoseResult(
        protocol_id=protocol.id,
        drug=protocol.drug,
        route=protocol.route,
        dose_mg=float(dose),
        prescribed_mg=float(prescribed),
        mg_per_kg=float(k),
        given_mg_per_kg=float(dose / _dec(w)),
        weight_kg=float(w),
        volume_ml=None if volume is None else float(volume),
        concentration_mg_ml=None if conc is None else float(conc),
        devices=None,
        needs_override=needs_override,
        override_reason=reason if needs_override else None,
        warnings=tuple(warnings),
    )


def _fixed(
    protocol: Protocol,
    *,
    mg_per_kg: float | None,
    fixed_mg: int | None,
    concentration_mg_ml: float | None,
    reason: str | None,
    dose_number: int,
    age_years: int | None,
) -> DoseResult:
    rule = protocol.dose
    assert rule.usual_max_mg is not None
    if mg_per_kg is not None:
        raise DoseError(
            "mg_per_kg", f"protocol {protocol.id} is dosed in fixed mg; give fixed_mg instead"
        )
    mg, first = _fixed_mg(protocol, fixed_mg, dose_number, age_years)
    needs_override, warnings = _fixed_override(protocol, mg, first, reason)
    devices: int | None = None
    dose = _dec(mg)
    volume: Decimal | None = None
    conc: Decimal | None = None
    if rule.device_mg is not None:
        if concentration_mg_ml is not None:
            raise DoseError(
                "concentration_mg_ml",
                f"does not apply: protocol {protocol.id} is given in {rule.device_mg} mg devices",
            )
        devices = mg // rule.device_mg
    else:
        ceiling = _dec(rule.max_mg if needs_override else rule.usual_max_mg)
        dose, volume, conc, more = _measure(protocol, dose, concentration_mg_ml, ceiling)
        warnings += more
    return DoseResult(
        protocol_id=protocol.id,
        drug=protocol.drug,
        route=protocol.route,
        dose_mg=float(dose),
        prescribed_mg=float(mg),
        mg_per_kg=None,
        given_mg_per_kg=None,
        weight_kg=None,
        volume_ml=None if volume is None else float(volume),
        concentration_mg_ml=None if conc is None else float(conc),
        devices=devices,
        needs_override=needs_override,
        override_reason=reason if needs_override else None,
        warnings=tuple(warnings),
    )


def _fixed_mg(protocol: Protocol, fixed_mg: int | None, dose_number: int,
              age_years: int | None) -> tuple[int, int | None]:
    """The fixed dose asked for (or the protocol's first/default dose) after the label's
    hard checks, and the label's first dose when this is dose 1."""
    rule = protocol.dose
    assert rule.min_mg is not None and rule.default_mg is not None
    older = _older(protocol, age_years)
    first = rule.first_dose_mg if dose_number == 1 else None
    if first is not None and older and rule.first_dose_mg_older is not None:
        first = rule.first_dose_mg_older
    mg = fixed_mg if fixed_mg is not None else (first or rule.default_mg)
    if isinstance(mg, bool) or not isinstance(mg, int):
        raise DoseError("fixed_mg", f"{mg!r} is not a whole number of mg")
    if mg in rule.older_only_mg and not older:
        raise DoseError(
            "fixed_mg",
            f"{mg} mg is for patients {rule.older_age_years} and over in protocol "
            f"{protocol.id}; age {age_years}",
        )
    if rule.options_mg and mg not in rule.options_mg:
        raise DoseError(
            "fixed_mg",
            f"{mg} mg is not a dose of protocol {protocol.id}; allowed: "
            f"{', '.join(str(o) for o in rule.options_mg)} mg",
        )
    if not rule.min_mg <= mg <= rule.max_mg:
        raise DoseError(
            "fixed_mg",
            f"{mg} mg is outside the range of protocol {protocol.id}: "
            f"{rule.min_mg} to {rule.max_mg:g} mg",
        )
    if rule.device_mg is not None and mg % rule.device_mg:
        raise DoseError("fixed_mg", f"{mg} mg is not a whole number of {rule.device_mg} mg devices")
    return mg, first


def _fixed_override(protocol: Protocol, mg: int, first: int | None,
                    reason: str | None) -> tuple[bool, list[str]]:
    """Whether a fixed dose needs a prescriber's override (above the usual maximum, or
    above the label's first dose on dose 1), refused without a reason; the warnings."""
    usual = protocol.dose.usual_max_mg
    assert usual is not None
    warnings: list[str] = []
    above_usual = mg > usual
    needs_override = above_usual or (first is not None and mg > first)
    why = (
        f"{mg} mg is above the usual {usual} mg"
        if above_usual
        else f"{mg} mg on dose 1 is above the label's first dose of {first} mg"
    )
    if needs_override and reason is None:
        raise DoseError(
            "override_reason",
            f"needs prescriber override: {why} for protocol {protocol.id}; give a reason",
        )
    if needs_override:
        warnings.append(f"{why[0].upper()}{why[1:]}: prescriber override ({reason})")
    elif first is not None and mg < first:
        warnings.append(f"{mg} mg on dose 1 is below the label's first dose of {first} mg")
    return needs_override, warnings


# --- pieces ----------------------------------------------------------------------------


def _older(protocol: Protocol, age_years: int | None) -> bool:
    """Whether the protocol's older-patient doses apply; refuses a missing age only when
    the protocol has such doses."""
    rule = protocol.dose
    if rule.first_dose_mg_older is None and not rule.older_only_mg:
        return False
    if age_years is None:
        raise DoseError(
            "age_years",
            f"required: protocol {protocol.id} doses patients {rule.older_age_years} and "
            "over differently",
        )
    _whole("age_years", age_years, 0, 120)
    return age_years >= rule.older_age_years


def _weight(
    weight_kg: float | None,
    measured_on: date | None,
    today: date,
    max_age_days: int,
    protocol_id: str,
) -> float:
    low, high = WEIGHT_RANGE_KG
    if weight_kg is None:
        raise DoseError(
            "weight_kg", f"required for weight-based protocol {protocol_id}; record a weight"
        )
    if (
        isinstance(weight_kg, bool)
        or not isinstance(weight_kg, int | float)
        or not math.isfinite(weight_kg)
    ):
        raise DoseError("weight_kg", f"{weight_kg!r} is not a number from {low} to {high} kg")
    if not low <= weight_kg <= high:
        raise DoseError(
            "weight_kg", f"{weight_kg:g} is out of range; allowed is {low} to {high} kg"
        )
    _whole("max_weight_age_days", max_age_days, *MAX_WEIGHT_AGE_RANGE_DAYS)
    if not isinstance(today, date):
        raise DoseError("today", f"{today!r} is not a date")
    if measured_on is None:
        raise DoseError(
            "weight_measured_on",
            f"required: the date the weight was measured (within {max_age_days} days)",
        )
    if not isinstance(measured_on, date):
        raise DoseError("weight_measured_on", f"{measured_on!r} is not a date")
    day = measured_on.date() if isinstance(measured_on, datetime) else measured_on
    now = today.date() if isinstance(today, datetime) else today
    age = (now - day).days
    if age < 0:
        raise DoseError(
            "weight_measured_on", f"{day.isoformat()} is after today ({now.isoformat()})"
        )
    if age > max_age_days:
        raise DoseError(
            "weight_measured_on",
            f"weight from {day.isoformat()} is {age} days old; it must be measured within "
            f"{max_age_days} days (clinic setting)",
        )
    return float(weight_kg)


def _measure(
    protocol: Protocol,
    prescribed: Decimal,
    concentration_mg_ml: float | None,
    ceiling_mg: Decimal,
) -> tuple[Decimal, Decimal | None, Decimal | None, list[str]]:
    """(dose to give, volume, concentration, warnings) for a dose in mg."""
    rule = protocol.dose
    warnings: list[str] = []
    if concentration_mg_ml is None:
        if rule.concentration_required:
            stocked = ", ".join(f"{c:g}" for c in rule.concentrations_mg_ml)
            raise DoseError(
                "concentration_mg_ml",
                f"required for route {protocol.route}; stocked: {stocked} mg/mL",
            )
        dose = _snap(prescribed, MG_STEP, Decimal(1), ceiling_mg)
        if dose is None:  # cannot happen: every protocol minimum is at least 0.1 mg
            raise DoseError("dose_mg", f"{_fmt(prescribed)} mg is too small to give")
        return dose, None, None, warnings

    conc = _concentration(protocol, concentration_mg_ml)
    exact_ml = prescribed / conc
    step = COARSE_STEP_ML if exact_ml >= COARSE_FROM_ML else FINE_STEP_ML
    volume = _snap(exact_ml, step, conc, ceiling_mg)
    if volume is None:
        raise DoseError(
            "concentration_mg_ml",
            f"{_fmt(prescribed)} mg at {_fmt(conc)} mg/mL is under the smallest drawable "
            f"volume ({step} mL); use a lower concentration",
        )
    dose = volume * conc
    if prescribed and abs(dose - prescribed) * 100 / prescribed >= ROUNDING_WARN_PCT:
        warnings.append(
            f"Rounding the volume to {_fmt(volume)} mL gives {_fmt(dose)} mg, "
            f"not the prescribed {_fmt(prescribed)} mg; consider a lower concentration"
        )
    if volume < SMALL_VOLUME_ML:
        lower = [c for c in rule.concentrations_mg_ml if _dec(c) < conc]
        hint = f"; use {min(lower):g} mg/mL" if lower else ""
        warnings.append(
            f"{_fmt(volume)} mL is under {SMALL_VOLUME_ML} mL and hard to draw accurately{hint}"
        )
    return dose, volume, conc, warnings


def _concentration(protocol: Protocol, value: float) -> Decimal:
    stocked = protocol.dose.concentrations_mg_ml
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DoseError("concentration_mg_ml", f"{value!r} is not a number")
    if value <= 0:
        raise DoseError("concentration_mg_ml", f"{value:g} must be above 0 mg/mL")
    if stocked:
        if value not in stocked:
            raise DoseError(
                "concentration_mg_ml",
                f"{value:g} mg/mL is not stocked for protocol {protocol.id}; allowed: "
                f"{', '.join(f'{c:g}' for c in stocked)} mg/mL",
            )
    else:
        low, high = FREE_CONCENTRATION_RANGE_MG_ML
        if not low <= value <= high:
            raise DoseError(
                "concentration_mg_ml",
                f"{value:g} is out of range; allowed is {low} to {high} mg/mL",
            )
    return _dec(value)


def _snap(exact: Decimal, step: Decimal, scale: Decimal, high: Decimal) -> Decimal | None:
    """The multiple of `step` nearest `exact` (halves up), or the next one down when the
    nearest x `scale` would be above `high`; None when that leaves nothing to give."""
    down = (exact / step).to_integral_value(rounding=ROUND_FLOOR) * step
    up = down if down == exact else down + step
    nearest = up if up - exact <= exact - down else down
    # down - step only guards against Decimal division rounding `exact` up by 1e-28.
    for candidate in (nearest, down, down - step):
        if candidate * scale <= high:
            return candidate if candidate > 0 else None
    return None


def _reason(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DoseError("override_reason", f"{value!r} must be text")
    return value.strip() or None


def _whole(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DoseError(name, f"{value!r} is not a whole number from {low} to {high}")
    if not low <= value <= high:
        raise DoseError(name, f"{value} is out of range; allowed is {low} to {high}")


def _dec(value: float | int | None) -> Decimal:
    # str() gives the shortest decimal that round-trips, so 70.3 kg is 70.3, not
    # 70.2999999999999971578...; order between floats is kept.
    assert value is not None
    return Decimal(str(value))


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"
