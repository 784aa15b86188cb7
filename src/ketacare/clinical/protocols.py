"""Treatment protocols as data (clinical reference s.3 and s.4; issue 4, item 1).

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
product defaults each clinic can change; they are not published standards.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal

from .eligibility import (
    DBP_LIMIT_MMHG,
    OLDER_AGE_YEARS,
    ROUTES,
    SBP_LIMIT_MMHG,
    SBP_LIMIT_OLDER_MMHG,
)

Drug = Literal["racemic_ketamine", "esketamine"]
DoseBasis = Literal["mg_per_kg", "fixed_mg"]
PhaseName = Literal["induction", "maintenance"]
# What the observation clock counts from: the first nasal spray device (esketamine
# label), the end of an infusion (IV), or the dose (IM, SC, oral, sublingual).
ObservationFrom = Literal["first_device", "end_of_infusion", "dose"]

DRUGS: dict[str, str] = {"racemic_ketamine": "Racemic ketamine", "esketamine": "Esketamine"}
ESKETAMINE_ROUTE = "esketamine_nasal"

# Racemic ketamine hydrochloride strengths commonly stocked (reference s.3 / issue 4).
RACEMIC_CONCENTRATIONS_MG_ML: tuple[float, ...] = (10.0, 50.0, 100.0)

# Spravato label: each device delivers 28 mg (two sprays); 5 min between devices.
ESKETAMINE_DEVICE_MG = 28
ESKETAMINE_DEVICE_INTERVAL_MIN = 5
# Spravato label: observe at least 2 hours after dosing, until clinically stable.
ESKETAMINE_OBSERVATION_MIN = 120


class ProtocolError(ValueError):
    """A protocol that cannot be used. `str()` is one line naming the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _fail(field_name: str, message: str) -> typing.NoReturn:
    raise ProtocolError(field_name, message)


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
    route: str  # a key of eligibility.ROUTES
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
        out = _plain(self)
        assert isinstance(out, dict)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Protocol:
        """Build and validate a protocol from `as_dict()` output (or edited JSON).

        Unknown keys are refused (a misspelt limit must not be silently ignored);
        keys with a default may be left out.
        """
        built = _build(cls, data, "")
        assert isinstance(built, Protocol)
        return built

    def copy_as(self, new_id: str, name: str) -> Protocol:
        """A clinic's editable copy, validated like any protocol."""
        return replace(self, id=new_id, name=name)


# --- shipped defaults ----------------------------------------------------------------

_PHILLIPS = (
    "Phillips JL et al. Am J Psychiatry 2019;176:401-409: racemic ketamine 0.5 mg/kg IV "
    "over 40 min, 6 infusions thrice weekly, then weekly maintenance x4 (reference s.3)"
)
_SPRAVATO = "Spravato (esketamine) nasal spray label: dosing, observation, blood pressure"
_REF_S4 = "clinical-reference.md s.4: pre-dose hold, in-session alerts, observation"
_ALERTS_CHECK = (
    "In-session alert thresholds (SBP >= 180, DBP >= 110, SpO2 < 92, HR > 130 or < 50) "
    "are clinic defaults, not from a guideline [check]."
)
_HOLD_ALL_ROUTES = (
    "The pre-dose BP hold (SBP > 140, > 150 from 65, DBP > 90) is from the esketamine "
    "label and trials; it is used as the clinic default for this route [check]."
)
_CADSS_CHECK = (
    "Discharge waits while a recorded CADSS-6 total is above 0: a clinic default, no "
    "published discharge cut-off [check]."
)
_ABS_MAX_CHECK = (
    "Absolute mg maximum is a product default that caps weight-based doses in heavy "
    "patients (some clinics dose on adjusted body weight instead) [check]."
)
_INJECTABLE = DoseRule(
    basis="mg_per_kg",
    max_mg=100,
    default_mg_per_kg=0.5,
    min_mg_per_kg=0.1,
    usual_max_mg_per_kg=0.5,
    max_mg_per_kg=0.75,
    concentrations_mg_ml=RACEMIC_CONCENTRATIONS_MG_ML,
    concentration_required=True,
)

DEFAULT_PROTOCOLS: dict[str, Protocol] = {
    p.id: p
    for p in (
        Protocol(
            id="iv-induction",
            name="IV ketamine induction (6 infusions)",
            drug="racemic_ketamine",
            route="iv",
            indication="Treatment-resistant depression",
            # 0.5 mg/kg standard, range used 0.1-0.75 (reference s.3). Above 0.5 needs an
            # override: 0.5 is the studied dose [check: clinic default]. 100 mg cap [check].
            dose=_INJECTABLE,
            schedule=ScheduleRule(
                phases=(
                    Phase(
                        name="induction",
                        title="Induction",
                        per_week=(2, 3),
                        sessions=6,
                        # 6 infusions within 12-21 days: Mon/Wed/Fri over 12 days, or
                        # twice weekly for 3 weeks (reference s.3, Phillips 2019).
                        window_days=(12, 21),
                    ),
                ),
            ),
            infusion_min=40,
            # Observe until discharge criteria are met; 30 min after the end of the
            # infusion is a clinic default (reference s.4) [check].
            observation_min=30,
            observation_from="end_of_infusion",
            sources=(_PHILLIPS, _REF_S4),
            check_notes=(
                "Observation of 30 min after the end of the infusion is a clinic default [check].",
                "Doses above 0.5 mg/kg (up to 0.75) need a prescriber override: a clinic "
                "default [check].",
                _ABS_MAX_CHECK + " IV: 100 mg.",
                _HOLD_ALL_ROUTES,
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
        Protocol(
            id="iv-maintenance",
            name="IV ketamine maintenance (weekly x4)",
            drug="racemic_ketamine",
            route="iv",
            indication="Treatment-resistant depression, after response to induction",
            dose=_INJECTABLE,
            schedule=ScheduleRule(
                phases=(
                    # Individualised; weekly x4 as in Phillips 2019 (reference s.3).
                    Phase(name="maintenance", title="Maintenance", per_week=(1, 1), sessions=4),
                ),
            ),
            infusion_min=40,
            observation_min=30,
            observation_from="end_of_infusion",
            sources=(_PHILLIPS, _REF_S4),
            check_notes=(
                "Maintenance is individualised; weekly x4 is an example from Phillips 2019.",
                "Observation of 30 min after the end of the infusion is a clinic default [check].",
                "Doses above 0.5 mg/kg (up to 0.75) need a prescriber override: a clinic "
                "default [check].",
                _ABS_MAX_CHECK + " IV: 100 mg.",
                _HOLD_ALL_ROUTES,
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
        Protocol(
            id="esketamine",
            name="Esketamine nasal spray (Spravato), label schedule",
            drug="esketamine",
            route=ESKETAMINE_ROUTE,
            indication="Treatment-resistant depression",
            dose=DoseRule(
                # Label: day 1 56 mg; then 56 or 84 mg; 28 mg devices 5 min apart.
                basis="fixed_mg",
                max_mg=84,
                default_mg=56,
                min_mg=56,
                usual_max_mg=84,
                options_mg=(56, 84),
                first_dose_mg=56,
                device_mg=ESKETAMINE_DEVICE_MG,
                device_interval_min=ESKETAMINE_DEVICE_INTERVAL_MIN,
            ),
            schedule=ScheduleRule(
                phases=(
                    # Label: weeks 1-4 twice weekly; weeks 5-8 once weekly; week 9 on
                    # once weekly or every 2 weeks (every 2 weeks: weeks 10, 12, ...).
                    Phase(name="induction", title="Induction", per_week=(2, 2), weeks=4),
                    Phase(name="maintenance", title="Maintenance", per_week=(1, 1), weeks=4),
                    Phase(
                        name="maintenance",
                        title="Maintenance",
                        per_week=(1, 1),
                        every_weeks=(1, 2),
                    ),
                ),
                # Plan 12 weeks ahead by default [product default].
                default_through_week=12,
            ),
            observation_min=ESKETAMINE_OBSERVATION_MIN,
            observation_from="first_device",
            # Label: no food for 2 h and no liquids for 30 min before dosing.
            npo_food_min=120,
            npo_liquids_min=30,
            # Label: evaluate therapeutic benefit at the end of induction (issue 14 item 8).
            review_after_induction=True,
            sources=(_SPRAVATO, _REF_S4),
            check_notes=(
                "84 mg as the first dose is off-label (label day 1: 56 mg) and needs a "
                "prescriber override.",
                "US label: 56 mg on day 1 for every adult. The EU SmPC (patients 65 and "
                "over start at 28 mg) is the protocol esketamine-eu.",
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
        Protocol(
            id="esketamine-si",
            name="Esketamine nasal spray (Spravato), MDD with suicidal ideation",
            drug="esketamine",
            route=ESKETAMINE_ROUTE,
            indication="Major depressive disorder with acute suicidal ideation or behaviour",
            dose=DoseRule(
                # Label: 84 mg twice weekly for 4 weeks; reduce to 56 mg if not tolerated.
                basis="fixed_mg",
                max_mg=84,
                default_mg=84,
                min_mg=56,
                usual_max_mg=84,
                options_mg=(56, 84),
                device_mg=ESKETAMINE_DEVICE_MG,
                device_interval_min=ESKETAMINE_DEVICE_INTERVAL_MIN,
            ),
            schedule=ScheduleRule(
                phases=(Phase(name="induction", title="Induction", per_week=(2, 2), weeks=4),),
            ),
            observation_min=ESKETAMINE_OBSERVATION_MIN,
            observation_from="first_device",
            npo_food_min=120,
            npo_liquids_min=30,
            sources=(_SPRAVATO, _REF_S4),
            check_notes=(
                "56 mg is the label's reduction for tolerability, not in the clinical "
                "reference's table [check].",
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
        Protocol(
            id="im",
            name="IM ketamine",
            drug="racemic_ketamine",
            route="im",
            indication="Treatment-resistant depression",
            # 0.5-1 mg/kg; KAP up to 0.75 mg/kg + optional 20-40 mg top-up (reference s.3).
            dose=replace(
                _INJECTABLE,
                default_mg_per_kg=0.5,
                min_mg_per_kg=0.5,
                usual_max_mg_per_kg=0.75,
                max_mg_per_kg=1.0,
            ),
            schedule=ScheduleRule(
                # "Series as clinic defines" (reference s.3): 6 sessions, 1-3 a week [check].
                phases=(Phase(name="induction", title="Series", per_week=(1, 3), sessions=6),),
            ),
            # No published figure in the reference: 60 min after the injection [check].
            observation_min=60,
            observation_from="dose",
            sources=("clinical-reference.md s.3: IM 0.5-1 mg/kg; KAP up to 0.75 mg/kg", _REF_S4),
            check_notes=(
                "Series length (6, 1-3 a week) is a clinic default: the reference leaves it "
                "to the clinic [check].",
                "Observation of 60 min after an IM dose is a clinic default [check].",
                "Above 0.75 mg/kg (KAP's usual ceiling) needs a prescriber override [check]. "
                "KAP top-ups (20-40 mg) are separate doses, not modelled here.",
                _ABS_MAX_CHECK + " IM: 100 mg.",
                _HOLD_ALL_ROUTES,
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
        Protocol(
            id="sc",
            name="SC ketamine (KADS schedule)",
            drug="racemic_ketamine",
            route="sc",
            indication="Treatment-resistant depression",
            # 0.25-1 mg/kg (Glue 2017/2018); KADS 0.5-0.9 mg/kg twice weekly x4 weeks.
            dose=replace(
                _INJECTABLE,
                default_mg_per_kg=0.5,
                min_mg_per_kg=0.25,
                usual_max_mg_per_kg=0.9,
                max_mg_per_kg=1.0,
            ),
            schedule=ScheduleRule(
                phases=(Phase(name="induction", title="Induction", per_week=(2, 2), weeks=4),),
            ),
            observation_min=60,
            observation_from="dose",
            sources=(
                "Glue P et al. J Psychopharmacol 2017 (SC 0.25-1 mg/kg, ascending)",
                "KADS trial: SC 0.5-0.9 mg/kg twice weekly x4 weeks (reference s.3)",
                _REF_S4,
            ),
            check_notes=(
                "Observation of 60 min after an SC dose is a clinic default [check].",
                "Above 0.9 mg/kg (KADS upper dose) needs a prescriber override [check].",
                _ABS_MAX_CHECK + " SC: 100 mg.",
                _HOLD_ALL_ROUTES,
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
        Protocol(
            id="oral",
            name="Oral ketamine",
            drug="racemic_ketamine",
            route="oral",
            indication="Depression (off-label)",
            # Oral 0.25-7 mg/kg or 25-300 mg (reference s.3); 2-2.5 mg/kg oral ~ the IV
            # dose. Default 0.5 mg/kg (start low) and override above 3 mg/kg [check].
            dose=DoseRule(
                basis="mg_per_kg",
                max_mg=300,
                default_mg_per_kg=0.5,
                min_mg_per_kg=0.25,
                usual_max_mg_per_kg=3.0,
                max_mg_per_kg=7.0,
            ),
            schedule=ScheduleRule(
                # At-home programs: 4-6 sessions (reference s.3) [check].
                phases=(Phase(name="induction", title="Series", per_week=(1, 3), sessions=6),),
            ),
            observation_min=120,
            observation_from="dose",
            sources=("clinical-reference.md s.3: oral 0.25-7 mg/kg or 25-300 mg", _REF_S4),
            check_notes=(
                "Default 0.5 mg/kg and the override above 3 mg/kg are product defaults [check].",
                "Absolute maximum 300 mg is the top of the reference's 25-300 mg range [check].",
                "Observation of 120 min after an oral dose is a clinic default [check].",
                "Series of 6 sessions, 1-3 a week, is a clinic default [check].",
                _HOLD_ALL_ROUTES,
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
        Protocol(
            id="sublingual",
            name="Sublingual ketamine, low dose",
            drug="racemic_ketamine",
            route="sublingual",
            indication="Depression (off-label)",
            # SL low dose 10 mg every 2-3 days, up to at-home programs (reference s.3).
            dose=DoseRule(
                basis="fixed_mg",
                max_mg=300,
                default_mg=10,
                min_mg=5,
                usual_max_mg=100,
            ),
            schedule=ScheduleRule(
                phases=(Phase(name="induction", title="Series", per_week=(2, 3), sessions=6),),
            ),
            observation_min=120,
            observation_from="dose",
            sources=(
                "clinical-reference.md s.3: sublingual low dose 10 mg every 2-3 days",
                _REF_S4,
            ),
            check_notes=(
                "Minimum 5 mg, override above 100 mg and absolute maximum 300 mg are product "
                "defaults; the reference gives only 10 mg low dose and at-home programs [check].",
                "Observation of 120 min after a sublingual dose is a clinic default [check].",
                "Series of 6 sessions, 2-3 a week, is a clinic default [check].",
                _HOLD_ALL_ROUTES,
                _ALERTS_CHECK,
                _CADSS_CHECK,
            ),
        ),
    )
}


_US_ESKETAMINE = DEFAULT_PROTOCOLS["esketamine"]
# EU SmPC, section 4.2 (Spravato 28 mg nasal spray; reference s.8; Janssen UK prescribing
# information): adults < 65 start at 56 mg, then 56 or 84 mg; adults >= 65 start at
# 28 mg, then 28, 56 or 84 mg; all dose changes in 28 mg steps; same weeks as the US
# label (twice weekly weeks 1-4, weekly weeks 5-8, weekly or every 2 weeks from week 9);
# evaluate benefit at the end of induction.
DEFAULT_PROTOCOLS["esketamine-eu"] = replace(
    _US_ESKETAMINE,
    id="esketamine-eu",
    name="Esketamine nasal spray (Spravato), EU SmPC schedule",
    indication="Treatment-resistant depression, with an SSRI or SNRI",
    dose=replace(
        _US_ESKETAMINE.dose,
        min_mg=28,
        options_mg=(28, 56, 84),
        first_dose_mg_older=28,
        older_only_mg=(28,),
    ),
    sources=(
        "Spravato EU SmPC 4.2: posology by age (< 65: 56 mg day 1, then 56 or 84 mg; "
        ">= 65: 28 mg day 1, then 28, 56 or 84 mg)",
        _REF_S4,
    ),
    check_notes=(
        "84 mg as the first dose is above the SmPC's day-1 dose and needs a prescriber "
        "override.",
        "28 mg is allowed only from age 65 (SmPC); under 65 the doses are 56 or 84 mg.",
        _ALERTS_CHECK,
        _CADSS_CHECK,
    ),
)

# Which label a shipped esketamine protocol follows; a clinic uses one (setting
# `esketamine_label`, [clinic default] "us"): the other's shipped copy is inactive.
LABEL_VARIANTS: dict[str, str] = {"us": "US prescribing information", "eu": "EU SmPC"}
DEFAULT_LABEL_VARIANT = "us"
LABEL_PROTOCOLS: dict[str, str] = {"esketamine": "us", "esketamine-eu": "eu"}


def shipped_active(protocol_id: str, variant: str) -> bool:
    """Whether a shipped protocol is offered in a clinic using label `variant`."""
    if variant not in LABEL_VARIANTS:
        _fail("esketamine_label", f"{variant!r} is not allowed; allowed: "
              f"{', '.join(LABEL_VARIANTS)}")
    return LABEL_PROTOCOLS.get(protocol_id, variant) == variant


def get(protocol_id: str) -> Protocol:
    """A shipped protocol by id."""
    try:
        return DEFAULT_PROTOCOLS[protocol_id]
    except (KeyError, TypeError):
        raise ProtocolError(
            "protocol",
            f"{protocol_id!r} is not a protocol; allowed: {', '.join(DEFAULT_PROTOCOLS)}",
        ) from None


def for_route(route: str) -> tuple[Protocol, ...]:
    return tuple(p for p in DEFAULT_PROTOCOLS.values() if p.route == route)


# --- dict round trip -----------------------------------------------------------------


def _plain(obj: object) -> object:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [_plain(v) for v in obj]
    return obj


def _build(tp: Any, value: object, path: str) -> object:
    """Turn plain data into `tp`, checking types; errors name the dotted path."""
    where = path or "protocol"
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return _build(inner, value, path)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            _fail(where, f"{value!r} is not allowed; allowed: {', '.join(map(str, allowed))}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            _fail(where, f"must be a list, got {type(value).__name__}")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            _fail(where, f"must be a list of {len(args)} values, got {len(value)}")
        return tuple(
            _build(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if is_dataclass(tp):
        return _build_dataclass(tp, value, path)
    if tp is bool:
        if not isinstance(value, bool):
            _fail(where, f"{value!r} must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(where, f"{value!r} must be a whole number")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(where, f"{value!r} must be a number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            _fail(where, f"{value!r} must be text")
        return value
    raise TypeError(f"unsupported field type {tp!r} at {where}")  # a bug here, not bad input


def _build_dataclass(cls: Any, value: object, path: str) -> object:
    if not isinstance(value, Mapping):
        _fail(path or "protocol", f"must be an object, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    prefix = f"{path}." if path else ""
    unknown = [k for k in value if k not in known]
    if unknown:
        _fail(
            f"{prefix}{unknown[0]}",
            f"unknown field; allowed fields are {', '.join(known)}",
        )
    kwargs: dict[str, object] = {}
    for name, f in known.items():
        if name in value:
            kwargs[name] = _build(hints[name], value[name], f"{prefix}{name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            _fail(f"{prefix}{name}", "required")
    try:
        return cls(**kwargs)
    except ProtocolError as e:
        # Validation inside a nested dataclass names its own field; add the path.
        if path and not e.field.startswith(prefix):
            raise ProtocolError(f"{prefix}{e.field}", e.message) from None
        raise
