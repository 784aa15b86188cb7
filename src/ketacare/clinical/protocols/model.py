"""The shape of a treatment protocol (clinical reference s.3 and s.4; issue 4, item 1).

A `Protocol` says, for one drug and route: how the dose is chosen and its limits
(`DoseRule`), how sessions are spaced (`ScheduleRule`), how long a patient is watched
(observation), when vitals are taken, and the blood-pressure and vital-sign thresholds
the safety rules use. `dosing`, `schedules` and `safety` read protocols; they hold no
numbers of their own.

Clinic admins copy a shipped protocol and edit it, so a protocol is plain frozen
dataclasses that round-trip through a dict (and JSON): `Protocol.as_dict()` and
`Protocol.from_dict(d)`. Every construction is validated; errors are `ProtocolError`
whose `str()` is one line naming the field (dotted for nested fields, e.g.
`dose.max_mg`) and what is allowed.

Where a number is not from a primary source it is marked [check] in a comment and in the
protocol's `check_notes`, which the UI shows next to the protocol. Clinic defaults are
product defaults each clinic can change; they are not published standards. The shipped
protocols themselves are data, one module each, in `shipped/`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..eligibility import (
    DBP_LIMIT_MMHG,
    OLDER_AGE_YEARS,
    SBP_LIMIT_MMHG,
    SBP_LIMIT_OLDER_MMHG,
)
from ..routes import ESKETAMINE_ROUTE, ROUTES
from .deserialize import build, plain
from .errors import fail as _fail

Drug = Literal["racemic_ketamine", "esketamine"]
DoseBasis = Literal["mg_per_kg", "fixed_mg"]
PhaseName = Literal["induction", "maintenance"]
# What the observation clock counts from: the first nasal spray device (esketamine
# label), the end of an infusion (IV), or the dose (IM, SC, oral, sublingual).
ObservationFrom = Literal["first_device", "end_of_infusion", "dose"]

DRUGS: dict[str, str] = {"racemic_ketamine": "Racemic ketamine", "esketamine": "Esketamine"}

# Racemic ketamine hydrochloride strengths commonly stocked (reference s.3 / issue 4).
RACEMIC_CONCENTRATIONS_MG_ML: tuple[float, ...] = (10.0, 50.0, 100.0)

# Spravato label: each device delivers 28 mg (two sprays); 5 min between devices.
ESKETAMINE_DEVICE_MG = 28
ESKETAMINE_DEVICE_INTERVAL_MIN = 5
# Spravato label: observe at least 2 hours after dosing, until clinically stable.
ESKETAMINE_OBSERVATION_MIN = 120


# --- small validators ----------------------------------------------------------------


def _is_slug(value: str) -> bool:
    return bool(value) and all(c.islower() or c.isdigit() or c == "-" for c in value)


def _int_in(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(name, f"{value!r} is not a whole number from {low} to {high}")
    if not low <= value <= high:
        _fail(name, f"{value} is out of range; allowed is {low} to {high}")


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(name, f"{value!r} is not a number")
    if value <= 0:
        _fail(name, f"{value:g} must be above 0")


# --- thresholds used by the safety rules ---------------------------------------------


@dataclass(frozen=True)
class HoldThresholds:
    """Pre-dose hold or review when a reading is strictly above a limit.

    Esketamine label and its phase 3 trials (reference s.4): SBP > 140 (> 150 from age
    65) or DBP > 90. The reference uses the same as the clinic default for every route;
    the numbers are shared with eligibility screening.
    """

    sbp_above: int = SBP_LIMIT_MMHG
    sbp_above_older: int = SBP_LIMIT_OLDER_MMHG
    older_age_years: int = OLDER_AGE_YEARS
    dbp_above: int = DBP_LIMIT_MMHG

    def __post_init__(self) -> None:
        _int_in("sbp_above", self.sbp_above, 80, 250)
        _int_in("sbp_above_older", self.sbp_above_older, 80, 250)
        _int_in("older_age_years", self.older_age_years, 18, 120)
        _int_in("dbp_above", self.dbp_above, 40, 150)
        if self.sbp_above_older < self.sbp_above:
            _fail(
                "sbp_above_older",
                f"{self.sbp_above_older} must be at least sbp_above ({self.sbp_above})",
            )

    def sbp_limit(self, age_years: int | None) -> int:
        """The SBP limit for an age; an unknown age gets the stricter (younger) limit."""
        if age_years is not None and age_years >= self.older_age_years:
            return self.sbp_above_older
        return self.sbp_above


@dataclass(frozen=True)
class AlertThresholds:
    """In-session alerts: notify the prescriber at once.

    Clinic defaults from the reference s.4, explicitly "not from a guideline" [check]:
    SBP >= 180 or DBP >= 110, SpO2 < 92%, HR > 130 or < 50. The reference has no
    respiratory-rate rule, so none is on by default; a clinic may set one.
    """

    sbp_at_or_above: int = 180
    dbp_at_or_above: int = 110
    spo2_below: int = 92
    hr_above: int = 130
    hr_below: int = 50
    rr_below: int | None = None
    rr_above: int | None = None

    def __post_init__(self) -> None:
        _int_in("sbp_at_or_above", self.sbp_at_or_above, 100, 300)
        _int_in("dbp_at_or_above", self.dbp_at_or_above, 50, 200)
        _int_in("spo2_below", self.spo2_below, 50, 100)
        _int_in("hr_above", self.hr_above, 60, 250)
        _int_in("hr_below", self.hr_below, 20, 100)
        if self.hr_below >= self.hr_above:
            _fail("hr_below", f"{self.hr_below} must be below hr_above ({self.hr_above})")
        if self.rr_below is not None:
            _int_in("rr_below", self.rr_below, 4, 60)
        if self.rr_above is not None:
            _int_in("rr_above", self.rr_above, 4, 60)
        if (
            self.rr_below is not None
            and self.rr_above is not None
            and self.rr_below >= self.rr_above
        ):
            _fail("rr_below", f"{self.rr_below} must be below rr_above ({self.rr_above})")


# --- dose rule -----------------------------------------------------------------------


@dataclass(frozen=True)
class DoseRule:
    """How a dose is chosen and the limits it must respect.

    `basis="mg_per_kg"`: dose = weight x mg/kg. A mg/kg outside min..max is refused;
    above `usual_max_mg_per_kg` (up to max) needs a prescriber override with a reason.
    `basis="fixed_mg"`: a dose in mg (esketamine; sublingual). `options_mg`, if set, lists
    the only doses allowed; `device_mg` makes doses whole devices; `first_dose_mg` is the
    label's day-1 dose (more on dose 1 needs an override).
    `max_mg` is an absolute ceiling for any patient, on either basis.
    """

    basis: DoseBasis
    max_mg: float
    default_mg_per_kg: float | None = None
    min_mg_per_kg: float | None = None
    usual_max_mg_per_kg: float | None = None
    max_mg_per_kg: float | None = None
    default_mg: int | None = None
    min_mg: int | None = None
    usual_max_mg: int | None = None
    options_mg: tuple[int, ...] = ()
    first_dose_mg: int | None = None
    # EU SmPC (issue 14 item 8): from `older_age_years` the day-1 dose is
    # `first_dose_mg_older`, and the doses in `older_only_mg` are allowed only from that
    # age (28 mg). A protocol that sets either needs the patient's age to dose.
    first_dose_mg_older: int | None = None
    older_only_mg: tuple[int, ...] = ()
    older_age_years: int = OLDER_AGE_YEARS
    device_mg: int | None = None
    device_interval_min: int | None = None
    # Strengths the clinic stocks; a concentration must be one of them. Empty: any value
    # from 1 to 100 mg/mL (compounded oral and sublingual solutions vary).
    concentrations_mg_ml: tuple[float, ...] = ()
    # Injections are drawn from a vial, so the volume is part of the order.
    concentration_required: bool = False

    def __post_init__(self) -> None:
        _positive("max_mg", self.max_mg)
        if self.basis == "mg_per_kg":
            self._check_mg_per_kg()
        else:
            self._check_fixed()
        for i, c in enumerate(self.concentrations_mg_ml):
            _positive(f"concentrations_mg_ml[{i}]", c)
            if c > 1000:
                _fail(f"concentrations_mg_ml[{i}]", f"{c:g} mg/mL is above 1000 mg/mL")
        if self.concentration_required and self.device_mg is not None:
            _fail("concentration_required", "a device-dosed drug has no concentration to draw")

    def _check_mg_per_kg(self) -> None:
        names = ("min_mg_per_kg", "default_mg_per_kg", "usual_max_mg_per_kg", "max_mg_per_kg")
        values = [getattr(self, n) for n in names]
        for name, value in zip(names, values, strict=True):
            if value is None:
                _fail(name, "required when basis is mg_per_kg")
            _positive(name, value)
        for i in range(1, len(names)):
            if values[i - 1] > values[i]:
                _fail(
                    names[i], f"{values[i]:g} must be at least {names[i - 1]} ({values[i - 1]:g})"
                )
        for name in ("default_mg", "min_mg", "usual_max_mg", "first_dose_mg", "device_mg",
                     "first_dose_mg_older"):
            if getattr(self, name) is not None:
                _fail(name, "only for basis fixed_mg")
        for name in ("options_mg", "older_only_mg"):
            if getattr(self, name):
                _fail(name, "only for basis fixed_mg")

    def _check_fixed(self) -> None:
        for name in ("default_mg_per_kg", "min_mg_per_kg", "usual_max_mg_per_kg", "max_mg_per_kg"):
            if getattr(self, name) is not None:
                _fail(name, "only for basis mg_per_kg")
        for name in ("default_mg", "min_mg", "usual_max_mg"):
            value = getattr(self, name)
            if value is None:
                _fail(name, "required when basis is fixed_mg")
            _int_in(name, value, 1, 10_000)
        assert self.default_mg is not None and self.min_mg is not None  # for mypy
        assert self.usual_max_mg is not None
        if not self.min_mg <= self.default_mg <= self.usual_max_mg <= self.max_mg:
            _fail(
                "default_mg",
                f"need min_mg <= default_mg <= usual_max_mg <= max_mg, got {self.min_mg}, "
                f"{self.default_mg}, {self.usual_max_mg}, {self.max_mg:g}",
            )
        if self.device_mg is not None:
            _int_in("device_mg", self.device_mg, 1, 1000)
            if self.device_interval_min is None:
                _fail("device_interval_min", "required with device_mg")
            _int_in("device_interval_min", self.device_interval_min, 0, 60)
        for i, mg in enumerate(self.options_mg):
            _int_in(f"options_mg[{i}]", mg, self.min_mg, int(self.max_mg))
            if self.device_mg is not None and mg % self.device_mg:
                _fail(
                    f"options_mg[{i}]",
                    f"{mg} mg is not a whole number of {self.device_mg} mg devices",
                )
        if self.options_mg and self.default_mg not in self.options_mg:
            _fail("default_mg", f"{self.default_mg} mg is not one of options_mg")
        for name in ("first_dose_mg", "first_dose_mg_older"):
            value = getattr(self, name)
            if value is None:
                continue
            _int_in(name, value, self.min_mg, int(self.max_mg))
            if self.options_mg and value not in self.options_mg:
                _fail(name, f"{value} mg is not one of options_mg")
        _int_in("older_age_years", self.older_age_years, 18, 120)
        for i, mg in enumerate(self.older_only_mg):
            if mg not in self.options_mg:
                _fail(f"older_only_mg[{i}]", f"{mg} mg is not one of options_mg")
        if self.default_mg in self.older_only_mg:
            _fail("default_mg", f"{self.default_mg} mg is only for patients "
                  f"{self.older_age_years} and over")


# --- schedule rule -------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """One stretch of a course, counted in course weeks from the first session.

    Either `sessions` (a count: IV induction's 6) or `weeks` (a length: esketamine weeks
    1-4); neither means open-ended (esketamine week 9 onwards), allowed for the last
    phase only. `every_weeks` lists the allowed intervals between active weeks; the
    first is the default (esketamine week 9+: weekly or every 2 weeks).
    """

    name: PhaseName
    title: str
    per_week: tuple[int, int]  # (min, max) sessions in an active week
    sessions: int | None = None
    weeks: int | None = None
    every_weeks: tuple[int, ...] = (1,)
    # First to last session, inclusive, for a count phase run to its full count.
    window_days: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        lo, hi = self.per_week
        _int_in("per_week[0]", lo, 1, 7)
        _int_in("per_week[1]", hi, lo, 7)
        if self.sessions is not None and self.weeks is not None:
            _fail("sessions", "give sessions or weeks, not both")
        if self.sessions is not None:
            _int_in("sessions", self.sessions, 1, 200)
        if self.weeks is not None:
            _int_in("weeks", self.weeks, 1, 520)
        if not self.every_weeks:
            _fail("every_weeks", "needs at least one interval")
        for i, n in enumerate(self.every_weeks):
            _int_in(f"every_weeks[{i}]", n, 1, 12)
        if self.window_days is not None:
            if self.sessions is None:
                _fail("window_days", "only for a phase with a session count")
            _int_in("window_days[0]", self.window_days[0], 1, 365)
            _int_in("window_days[1]", self.window_days[1], self.window_days[0], 365)

    @property
    def open_ended(self) -> bool:
        return self.sessions is None and self.weeks is None


@dataclass(frozen=True)
class ScheduleRule:
    phases: tuple[Phase, ...]
    # How far to plan an open-ended last phase unless the caller says (product default).
    default_through_week: int | None = None

    def __post_init__(self) -> None:
        if not self.phases:
            _fail("phases", "needs at least one phase")
        for i, p in enumerate(self.phases[:-1]):
            if p.open_ended:
                _fail(f"phases[{i}]", "only the last phase may be open-ended")
        if self.phases[-1].open_ended and self.default_through_week is None:
            _fail("default_through_week", "required when the last phase is open-ended")
        if self.default_through_week is not None:
            _int_in("default_through_week", self.default_through_week, 1, 520)

    @property
    def weekdays_range(self) -> tuple[int, int]:
        """How many treatment weekdays the schedule needs: enough for the busiest
        phase's minimum, no more than any phase can use."""
        return (
            max(p.per_week[0] for p in self.phases),
            max(p.per_week[1] for p in self.phases),
        )


# --- protocol ------------------------------------------------------------------------


@dataclass(frozen=True)
class Protocol:
    id: str
    name: str
    drug: Drug
    route: str  # a key of routes.ROUTES
    indication: str
    dose: DoseRule
    schedule: ScheduleRule
    observation_min: int
    observation_from: ObservationFrom
    infusion_min: int | None = None
    # Vitals every `vitals_every_min` from the start of dosing to the end of observation,
    # plus at `vitals_at_min` (BP peaks ~40 min after dosing: reference s.4).
    vitals_every_min: int = 15
    vitals_at_min: tuple[int, ...] = (40,)
    npo_food_min: int | None = None
    npo_liquids_min: int | None = None
    hold: HoldThresholds = field(default_factory=HoldThresholds)
    alerts: AlertThresholds = field(default_factory=AlertThresholds)
    # Discharge blocks while a CADSS-6 total above this is recorded; None: the
    # clinician's "dissociation resolved" alone decides.
    discharge_max_cadss6: int | None = 0
    # Esketamine labels (US and EU SmPC): evaluate the benefit at the end of induction
    # before maintenance. True: the first maintenance session cannot start until a
    # prescriber records that decision (`ketacare.clinical.induction_review`).
    review_after_induction: bool = False
    sources: tuple[str, ...] = ()
    check_notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _is_slug(self.id):
            _fail("id", f"{self.id!r} must be lowercase letters, digits and dashes")
        if not isinstance(self.name, str) or not self.name.strip():
            _fail("name", "must not be blank")
        if self.route not in ROUTES:
            _fail("route", f"{self.route!r} is not a route; allowed routes are {', '.join(ROUTES)}")
        if self.drug not in DRUGS:
            _fail("drug", f"{self.drug!r} is not a drug; allowed: {', '.join(DRUGS)}")
        esk_route = self.route == ESKETAMINE_ROUTE
        if (self.drug == "esketamine") != esk_route:
            _fail("drug", f"{self.drug} cannot be given by route {self.route}")
        if esk_route:
            if self.dose.basis != "fixed_mg" or self.dose.device_mg is None:
                _fail("dose.device_mg", "esketamine nasal spray is dosed in whole devices")
            if self.observation_min < ESKETAMINE_OBSERVATION_MIN:
                _fail(
                    "observation_min",
                    f"{self.observation_min} is below the label minimum of "
                    f"{ESKETAMINE_OBSERVATION_MIN} min for esketamine",
                )
        elif self.dose.device_mg is not None:
            _fail("dose.device_mg", f"devices are for nasal spray, not route {self.route}")
        if self.route == "iv":
            if self.infusion_min is None:
                _fail("infusion_min", "required for an IV infusion")
            _int_in("infusion_min", self.infusion_min, 1, 480)
        elif self.infusion_min is not None:
            _fail("infusion_min", f"only for IV infusions, not route {self.route}")
        expected_from = {"iv": "end_of_infusion", ESKETAMINE_ROUTE: "first_device"}.get(
            self.route, "dose"
        )
        if self.observation_from != expected_from:
            _fail(
                "observation_from",
                f"{self.observation_from!r} does not fit route {self.route}; use {expected_from!r}",
            )
        _int_in("observation_min", self.observation_min, 0, 24 * 60)
        _int_in("vitals_every_min", self.vitals_every_min, 1, 240)
        for i, m in enumerate(self.vitals_at_min):
            _int_in(f"vitals_at_min[{i}]", m, 1, 24 * 60)
        if self.npo_food_min is not None:
            _int_in("npo_food_min", self.npo_food_min, 0, 24 * 60)
        if self.npo_liquids_min is not None:
            _int_in("npo_liquids_min", self.npo_liquids_min, 0, 24 * 60)
        if self.discharge_max_cadss6 is not None:
            _int_in("discharge_max_cadss6", self.discharge_max_cadss6, 0, 24)
        if self.review_after_induction:
            self._check_review_phases()

    def _check_review_phases(self) -> None:
        """A review between induction and maintenance needs both, told apart by title
        (session labels carry the phase title)."""
        induction = {p.title for p in self.schedule.phases if p.name == "induction"}
        maintenance = {p.title for p in self.schedule.phases if p.name == "maintenance"}
        if not induction or not maintenance:
            _fail("review_after_induction", "needs an induction and a maintenance phase")
        if induction & maintenance:
            _fail("review_after_induction",
                  "induction and maintenance phases need different titles")

    @property
    def session_min(self) -> int:
        """Minutes from the start of dosing to the earliest possible discharge."""
        return (self.infusion_min or 0) + self.observation_min

    @property
    def vitals_minutes(self) -> tuple[int, ...]:
        """When to take vitals, in minutes from the start of dosing (pre-dose vitals
        are separate): every `vitals_every_min`, the extra times, and the end of
        observation."""
        end = self.session_min
        times = set(range(self.vitals_every_min, end + 1, self.vitals_every_min))
        times.update(m for m in self.vitals_at_min if m <= end)
        times.add(end)
        times.discard(0)
        return tuple(sorted(times))

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (lists for tuples), ready for JSON."""
        out = plain(self)
        assert isinstance(out, dict)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Protocol:
        """Build and validate a protocol from `as_dict()` output (or edited JSON).

        Unknown keys are refused (a misspelt limit must not be silently ignored);
        keys with a default may be left out.
        """
        built = build(cls, data, "")
        assert isinstance(built, Protocol)
        return built

    def copy_as(self, new_id: str, name: str) -> Protocol:
        """A clinic's editable copy, validated like any protocol."""
        return replace(self, id=new_id, name=name)
