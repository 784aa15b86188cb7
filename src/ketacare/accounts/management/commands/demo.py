"""`ketacare demo`: two clinics, their staff and synthetic patients for a fresh install.

Idempotent: a re-run resets the demo users' password and changes nothing else. Patients are
generated from fixed seeds, so every run plans the same people under the same MRNs and only
creates the ones that are missing. Everything is written through the patient actions with a
demo staff member, so demo data passes the same validation and lands in the same audit trail
as real data. Every person is made up by Faker; none is a real patient.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from faker import Faker

from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.accounts.staff import Staff
from ketacare.clinical import eligibility
from ketacare.clinical.routes import ESKETAMINE_ROUTE, ROUTES
from ketacare.consent import demo as consent_demo
from ketacare.patients import actions
from ketacare.patients.models import (
    Decision,
    Diagnosis,
    Medication,
    MedicationCategory,
    Patient,
    PriorTreatment,
    Sex,
    Status,
    TreatmentKind,
    Weight,
)
from ketacare.rems import demo as rems_demo
from ketacare.selfreport import demo as selfreport_demo
from ketacare.treatment import demo as treatment_demo

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SEED = 2026
PASSWORD_ENV = "KETACARE_DEMO_PASSWORD"  # noqa: S105 (the variable's name, not a secret)


@dataclass(frozen=True)
class ClinicSpec:
    name: str
    time_zone: str
    state: str  # for a plausible (made-up) address in the clinic's time zone
    mrn_prefix: str
    first_mrn: int
    seed: int


DEMO = ClinicSpec("Demo Clinic", "America/New_York", "MA", "DC", 101, SEED)
OTHER = ClinicSpec("Other Clinic", "America/Los_Angeles", "CA", "OC", 1, SEED + 1)

USERS: tuple[tuple[str, ClinicSpec, Role], ...] = (
    ("demo-admin", DEMO, Role.ADMIN),
    ("demo-prescriber", DEMO, Role.PRESCRIBER),
    ("demo-nurse", DEMO, Role.NURSE),
    ("demo-analyst", DEMO, Role.ANALYST),
    ("other-prescriber", OTHER, Role.PRESCRIBER),
)

# Demo Clinic's case mix: (condition, status) counts; the special cases below are part of it.
DEMO_CONDITIONS = {"depression": 32, "ptsd": 16, "anxiety": 12}
DEMO_STATUSES = {
    Status.REFERRED: 10, Status.SCREENING: 12, Status.ACTIVE: 18, Status.MAINTENANCE: 12,
    Status.DISCHARGED: 8,
}
OTHER_PROFILES = (
    ("depression", Status.ACTIVE, None), ("depression", Status.SCREENING, None),
    ("ptsd", Status.MAINTENANCE, None), ("ptsd", Status.REFERRED, None),
    ("anxiety", Status.ACTIVE, None),
)

# Patients a prescriber must look at twice: each gives the screening a finding to show.
SPECIALS: tuple[tuple[str, str, str], ...] = (
    ("psychosis_history", "depression", Status.ACTIVE),
    ("uncontrolled_hypertension", "depression", Status.SCREENING),
    ("aneurysm", "depression", Status.SCREENING),
    ("possible_pregnancy", "depression", Status.SCREENING),
    ("maoi_phenelzine", "depression", Status.MAINTENANCE),
    ("maoi_tranylcypromine", "depression", Status.ACTIVE),
    ("substance_use", "ptsd", Status.DISCHARGED),
    ("white_coat_bp", "ptsd", Status.ACTIVE),
    ("glaucoma", "anxiety", Status.MAINTENANCE),
)
MAOI_SPECIALS = frozenset({"maoi_phenelzine", "maoi_tranylcypromine"})
# Cases that only make sense in treatment-resistant depression (MAOIs; esketamine).
TRD_SPECIALS = MAOI_SPECIALS | {"aneurysm"}

PRIMARY_CODES: dict[str, tuple[tuple[str, str, int], ...]] = {
    "depression": (
        ("F33.1", "Major depressive disorder, recurrent, moderate", 35),
        ("F33.2", "Major depressive disorder, recurrent severe without psychotic features", 35),
        ("F32.2", "Major depressive disorder, single episode, severe without psychotic "
                  "features", 18),
        ("F32.1", "Major depressive disorder, single episode, moderate", 12),
    ),
    "ptsd": (
        ("F43.12", "Post-traumatic stress disorder, chronic", 65),
        ("F43.10", "Post-traumatic stress disorder, unspecified", 35),
    ),
    "anxiety": (
        ("F41.1", "Generalized anxiety disorder", 70),
        ("F41.0", "Panic disorder [episodic paroxysmal anxiety]", 30),
    ),
}
DESCRIPTIONS = {code: text for codes in PRIMARY_CODES.values() for code, text, _ in codes} | {
    "F40.10": "Social phobia, unspecified",
    "F51.5": "Nightmare disorder",
    "G47.00": "Insomnia, unspecified",
    "F90.0": "Attention-deficit hyperactivity disorder, predominantly inattentive type",
    "F10.20": "Alcohol dependence, uncomplicated",
    "I10": "Essential (primary) hypertension",
    "I67.1": "Cerebral aneurysm, nonruptured",
    "H40.9": "Unspecified glaucoma",
}
# Comorbid (secondary) diagnoses by primary condition, with their chance.
COMORBID: dict[str, tuple[tuple[str, float], ...]] = {
    "depression": (("F41.1", 0.30), ("F43.10", 0.10), ("F41.0", 0.08), ("G47.00", 0.10)),
    "ptsd": (("F33.1", 0.45), ("F41.0", 0.15), ("F51.5", 0.15), ("G47.00", 0.15)),
    "anxiety": (("F33.1", 0.25), ("F40.10", 0.15), ("G47.00", 0.10)),
}

# Antidepressants with an adequate dose (for "adequate dose for an adequate time").
ANTIDEPRESSANTS: dict[str, str] = {
    "sertraline": "150 mg daily", "escitalopram": "20 mg daily", "fluoxetine": "40 mg daily",
    "paroxetine": "40 mg daily", "citalopram": "40 mg daily",
    "venlafaxine XR": "225 mg daily", "duloxetine": "60 mg daily",
    "desvenlafaxine": "100 mg daily", "bupropion XL": "300 mg daily",
    "mirtazapine": "30 mg at night", "vortioxetine": "20 mg daily",
    "nortriptyline": "100 mg daily",
}
FIRST_LINE = ("sertraline", "escitalopram", "fluoxetine", "citalopram", "paroxetine")
PTSD_DRUGS = ("sertraline", "paroxetine", "venlafaxine XR", "fluoxetine")
ANXIETY_DRUGS = ("escitalopram", "sertraline", "paroxetine", "venlafaxine XR", "duloxetine")
INTOLERANCE = ("nausea", "sexual side effects", "insomnia and agitation", "weight gain",
               "emotional blunting", "headaches", "sedation")
AUGMENTATION = (
    ("aripiprazole", "5 mg daily"), ("lithium", "900 mg daily, level 0.7 mmol/L"),
    ("quetiapine XR", "150 mg at night"),
)
PSYCHOTHERAPY = {
    "depression": (("CBT", "16 weekly sessions"), ("interpersonal therapy", "12 sessions"),
                   ("behavioural activation", "10 sessions")),
    "ptsd": (("prolonged exposure", "12 sessions"),
             ("cognitive processing therapy", "12 sessions"), ("EMDR", "10 sessions")),
    "anxiety": (("CBT", "14 weekly sessions"), ("ACT", "10 sessions"),
                ("applied relaxation", "8 sessions")),
}
BENZODIAZEPINES = (
    ("lorazepam", "0.5 mg up to twice daily as needed"), ("clonazepam", "0.5 mg twice daily"),
    ("alprazolam", "0.25 mg three times daily as needed"), ("diazepam", "5 mg as needed"),
)
STIMULANTS = (
    ("lisdexamfetamine", "40 mg each morning"), ("methylphenidate ER", "36 mg each morning"),
    ("amphetamine/dextroamphetamine XR", "20 mg each morning"),
)
RELATIONSHIPS = ("spouse", "partner", "parent", "sibling", "friend", "adult child")

# Routes screened, taken in turn per condition so every demo shows the whole mix. Esketamine
# is approved for depression, so PTSD and anxiety never get a nasal spray screening.
ROUTE_TURNS = {
    "depression": ("iv", ESKETAMINE_ROUTE, "iv", "im", ESKETAMINE_ROUTE, "iv",
                   "sublingual", "iv", ESKETAMINE_ROUTE, "oral"),
    "ptsd": ("iv", "im", "iv", "sublingual", "iv"),
    "anxiety": ("iv", "sublingual", "im", "iv", "oral"),
}


@dataclass
class ScreeningPlan:
    route: str
    findings: frozenset[str]
    bp: tuple[int, int]
    decision: tuple[str, str] | None = None
    by_prescriber: bool = False


@dataclass
class PatientPlan:
    mrn: str
    demographics: dict[str, Any]
    age_years: int
    diagnoses: list[tuple[str, bool]] = field(default_factory=list)  # (ICD-10 code, primary)
    weights: list[tuple[date, Decimal]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    medications: list[dict[str, Any]] = field(default_factory=list)
    screenings: list[ScreeningPlan] = field(default_factory=list)


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


class Planner:
    """Plans one clinic's patients. Pure: the same seed and day give the same plans."""

    def __init__(self, spec: ClinicSpec, today: date) -> None:
        self.spec = spec
        self.today = today
        # A different stream from Faker's, which is seeded with the same number.
        self.rng = random.Random(f"{spec.seed}-plan")  # noqa: S311 (reproducible on purpose)
        self.fake = Faker("en_US")
        self.fake.seed_instance(spec.seed)
        self.sexes: list[Sex] = []
        self.routes = {c: itertools.cycle(turns) for c, turns in ROUTE_TURNS.items()}

    def plan(self, profiles: list[tuple[str, str, str | None]]) -> list[PatientPlan]:
        # About 3 in 5 women, as in the ketamine trials for depression and PTSD; dealt from a
        # shuffled deck so a small clinic gets the mix too.
        women = round(len(profiles) * 0.6)
        self.sexes = [Sex.FEMALE] * women + [Sex.MALE] * (len(profiles) - women)
        self.rng.shuffle(self.sexes)
        return [
            self._patient(f"{self.spec.mrn_prefix}-{self.spec.first_mrn + i:06d}", *profile)
            for i, profile in enumerate(profiles)
        ]

    def _days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def _demographics(self, special: str | None) -> dict[str, Any]:
        rng, fake = self.rng, self.fake
        sex = self.sexes.pop()
        age = rng.randint(20, 72)
        if special == "possible_pregnancy":
            sex, age = Sex.FEMALE, rng.randint(24, 36)
        elif special == "glaucoma":
            age = rng.randint(58, 70)
        given = fake.first_name_female() if sex == Sex.FEMALE else fake.first_name_male()
        family = fake.last_name()
        gender, pronouns = "", ""
        roll = rng.random()
        if special is None and roll < 0.03:
            gender, pronouns = "Non-binary", "they/them"
        elif special is None and roll < 0.05:
            gender, pronouns = (
                ("Transgender man", "he/him") if sex == Sex.FEMALE
                else ("Transgender woman", "she/her")
            )
        elif roll < 0.45:
            pronouns = "she/her" if sex == Sex.FEMALE else "he/him"
        mean_cm, sd_cm = (163, 7) if sex == Sex.FEMALE else (177, 7.5)
        height = min(max(rng.gauss(mean_cm, sd_cm), 147), 200)
        data: dict[str, Any] = {
            "given_name": given,
            "family_name": family,
            "date_of_birth": self.today - timedelta(days=age * 365 + rng.randint(5, 360)),
            "sex_at_birth": sex,
            "gender_identity": gender,
            "pronouns": pronouns,
            "email": f"{_slug(given)}.{_slug(family)}{rng.randint(1, 99)}@"
                     f"{rng.choice(('example.com', 'example.org', 'example.net'))}",
            "mobile": fake.numerify("(%##) 555-01##"),
            "height_cm": Decimal(f"{height:.1f}"),
        }
        if rng.random() < 0.85:
            data |= {
                "escort_name": f"{fake.first_name()} {fake.last_name()}",
                "escort_phone": fake.numerify("(%##) 555-01##"),
                "escort_relationship": rng.choice(RELATIONSHIPS),
            }
        return data

    def _patient(self, mrn: str, condition: str, status: str,
                 special: str | None) -> PatientPlan:
        rng = self.rng
        data = self._demographics(special) | {"status": status}
        dob, today = data["date_of_birth"], self.today
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
        p = PatientPlan(mrn, data, age)
        # Primary diagnosis, then comorbidities.
        primary = _weighted(rng, tuple((c, w) for c, _, w in PRIMARY_CODES[condition]))
        p.diagnoses.append((primary, True))
        for code, chance in COMORBID[condition]:
            if len(p.diagnoses) < 3 and code != primary and rng.random() < chance:
                p.diagnoses.append((code, False))
        self._weights(p, status)
        on_antidepressant = self._treatments(p, condition, special)
        self._medications(p, condition, special, on_antidepressant)
        self._specials_history(p, special)
        if status != Status.REFERRED:
            p.screenings = self._screenings(p, condition, status, special)
        return p

    def _weights(self, p: PatientPlan, status: str) -> None:
        height_m = float(p.demographics["height_cm"]) / 100
        bmi = min(max(self.rng.gauss(27.5, 5), 19), 42)
        base = min(max(bmi * height_m * height_m, 47), 136)
        # In treatment: a recent weight for dosing; otherwise anything in the last 60 days.
        recent = status in (Status.ACTIVE, Status.MAINTENANCE)
        days = sorted(
            {self.rng.randint(0, 20 if recent else 60)}
            | {self.rng.randint(0, 60) for _ in range(self.rng.randint(0, 2))}
        )
        for d in days:
            kg = min(max(base + self.rng.uniform(-1.5, 1.5), 45), 140)
            p.weights.append((self.today - timedelta(days=d), Decimal(f"{kg:.1f}")))

    def _treatments(self, p: PatientPlan, condition: str, special: str | None) -> bool:
        """Prior treatments, oldest first. True when the last antidepressant is ongoing."""
        rng = self.rng
        if condition == "depression":
            n_trials = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
            pool: tuple[str, ...] = tuple(ANTIDEPRESSANTS)
            adequate_chance = 0.8
        else:
            n_trials = rng.choice((0, 1, 1, 2, 2, 3))
            pool = PTSD_DRUGS if condition == "ptsd" else ANXIETY_DRUGS
            adequate_chance = 0.7
        if special in TRD_SPECIALS:
            n_trials, adequate_chance = max(n_trials, 3), 1.0
        drugs = [rng.choice([d for d in FIRST_LINE if d in pool] or list(pool))]
        drugs += rng.sample([d for d in pool if d != drugs[0]], k=max(n_trials - 1, 0))
        drugs = drugs[:n_trials]
        # An MAOI is never taken with another antidepressant.
        ongoing = bool(drugs) and rng.random() < 0.75 and special not in MAOI_SPECIALS
        trials: list[dict[str, Any]] = []
        for i, drug in enumerate(drugs):
            trial: dict[str, Any] = {"kind": TreatmentKind.ANTIDEPRESSANT, "name": drug}
            if ongoing and i == len(drugs) - 1:
                trial |= {"detail": f"{ANTIDEPRESSANTS[drug]}, ongoing", "adequate": True,
                          "outcome": "partial", "weeks": None}
            elif rng.random() < adequate_chance:
                weeks = rng.randint(8, 30)
                trial |= {"detail": f"{ANTIDEPRESSANTS[drug]}, {weeks} weeks",
                          "adequate": True, "weeks": weeks,
                          "outcome": rng.choice(("none", "none", "partial"))}
            else:
                weeks = rng.randint(2, 5)
                trial |= {"detail": f"stopped after {weeks} weeks: {rng.choice(INTOLERANCE)}",
                          "adequate": False, "outcome": "intolerant", "weeks": weeks}
            trials.append(trial)
        # Laid out backwards from the most recent trial: an ongoing one began 4 to 12 months
        # ago; a finished one ended months ago (over a year before an MAOI, which needs a
        # washout after any other antidepressant).
        if ongoing:
            start = self.today - timedelta(weeks=rng.randint(16, 52))
        elif trials:
            ago = rng.randint(40, 80) if special in MAOI_SPECIALS else rng.randint(6, 40)
            start = self.today - timedelta(weeks=ago + trials[-1]["weeks"])
        for i in reversed(range(len(trials))):
            weeks = trials[i].pop("weeks")
            if i < len(trials) - 1:
                start -= timedelta(weeks=weeks + rng.randint(2, 26))
            trials[i] |= {"started_on": start,
                          "ended_on": None if weeks is None else start + timedelta(weeks=weeks)}
        p.treatments += trials
        if condition == "depression" and len(drugs) >= 2 and rng.random() < 0.4:
            name, dose = rng.choice(AUGMENTATION)
            started, weeks = self._days_ago(400, 1500), rng.randint(6, 16)
            p.treatments.append({
                "kind": TreatmentKind.AUGMENTATION, "name": name,
                "detail": f"{dose}, {weeks} weeks", "started_on": started,
                "ended_on": started + timedelta(weeks=weeks),
                "outcome": rng.choice(("none", "partial", "intolerant")),
            })
        if rng.random() < {"depression": 0.75, "ptsd": 0.9, "anxiety": 0.85}[condition]:
            name, detail = rng.choice(PSYCHOTHERAPY[condition])
            started = self._days_ago(300, 2500)
            p.treatments.append({
                "kind": TreatmentKind.PSYCHOTHERAPY, "name": name, "detail": detail,
                "started_on": started, "ended_on": started + timedelta(weeks=16),
                "outcome": rng.choice(("none", "partial", "partial", "response")),
            })
        if condition == "depression" and rng.random() < 0.2:
            started = self._days_ago(200, 1200)
            p.treatments.append({
                "kind": TreatmentKind.TMS, "name": "rTMS",
                "detail": "36 sessions, 10 Hz left DLPFC", "started_on": started,
                "ended_on": started + timedelta(weeks=7),
                "outcome": rng.choice(("none", "partial")),
            })
        if condition == "depression" and rng.random() < 0.08:
            started = self._days_ago(400, 2000)
            p.treatments.append({
                "kind": TreatmentKind.ECT, "name": "ECT",
                "detail": "10 sessions, right unilateral ultrabrief",
                "started_on": started, "ended_on": started + timedelta(weeks=4),
                "outcome": rng.choice(("partial", "intolerant")),
            })
        return ongoing

    def _medications(self, p: PatientPlan, condition: str, special: str | None,
                     on_antidepressant: bool) -> None:
        rng = self.rng
        if on_antidepressant:
            ongoing = next(t for t in p.treatments
                           if t["kind"] == TreatmentKind.ANTIDEPRESSANT and t["ended_on"] is None)
            p.medications.append({
                "name": ongoing["name"], "dose": ANTIDEPRESSANTS[ongoing["name"]],
                "category": MedicationCategory.ANTIDEPRESSANT,
                "started_on": ongoing["started_on"],
            })
        if special in MAOI_SPECIALS:
            name, dose = (("phenelzine", "45 mg daily in 3 doses")
                          if special == "maoi_phenelzine"
                          else ("tranylcypromine", "30 mg daily in 2 doses"))
            last_stopped = max(t["ended_on"] for t in p.treatments
                               if t["kind"] == TreatmentKind.ANTIDEPRESSANT)
            p.medications.append({
                "name": name, "dose": dose, "category": MedicationCategory.MAOI,
                "started_on": last_stopped + timedelta(weeks=rng.randint(2, 6))})
        benzo_chance = {"depression": 0.15, "ptsd": 0.25, "anxiety": 0.5}[condition]
        if rng.random() < benzo_chance:
            name, dose = rng.choice(BENZODIAZEPINES)
            p.medications.append({"name": name, "dose": dose,
                                  "category": MedicationCategory.BENZODIAZEPINE,
                                  "started_on": self._days_ago(60, 1500)})
        if condition == "depression" and rng.random() < 0.12:
            name, dose = rng.choice(STIMULANTS)
            p.diagnoses.append(("F90.0", False))
            p.medications.append({"name": name, "dose": dose,
                                  "category": MedicationCategory.PSYCHOSTIMULANT,
                                  "started_on": self._days_ago(180, 2500)})
        if ("G47.00", False) in p.diagnoses and rng.random() < 0.5:
            p.medications.append({"name": "zolpidem", "dose": "5 mg at night as needed",
                                  "category": MedicationCategory.HYPNOTIC,
                                  "started_on": self._days_ago(60, 700)})
        if condition == "ptsd" and rng.random() < 0.35:
            p.medications.append({"name": "prazosin", "dose": "2 mg at night (nightmares)",
                                  "category": MedicationCategory.OTHER,
                                  "started_on": self._days_ago(60, 900)})
        if condition == "depression" and rng.random() < 0.06:
            p.medications.append({"name": "lamotrigine", "dose": "100 mg daily",
                                  "category": MedicationCategory.MOOD_STABILISER,
                                  "started_on": self._days_ago(60, 900)})

    def _specials_history(self, p: PatientPlan, special: str | None) -> None:
        if special == "psychosis_history":
            p.treatments.append({
                "kind": TreatmentKind.OTHER, "name": "olanzapine",
                "detail": "10 mg daily for a psychotic episode during a severe depression",
                "started_on": self.today - timedelta(days=6 * 365),
                "ended_on": self.today - timedelta(days=6 * 365 - 150), "outcome": "response",
            })
        elif special == "uncontrolled_hypertension":
            p.diagnoses.append(("I10", False))
            p.medications += [
                {"name": "amlodipine", "dose": "10 mg daily",
                 "category": MedicationCategory.OTHER, "started_on": self._days_ago(200, 900)},
                {"name": "lisinopril", "dose": "20 mg daily",
                 "category": MedicationCategory.OTHER, "started_on": self._days_ago(30, 90)},
            ]
        elif special == "aneurysm":
            p.diagnoses.append(("I67.1", False))
        elif special == "substance_use":
            p.diagnoses.append(("F10.20", False))
        elif special == "glaucoma":
            p.diagnoses.append(("H40.9", False))
            p.medications.append({"name": "latanoprost eye drops", "dose": "1 drop each eye "
                                  "at night", "category": MedicationCategory.OTHER,
                                  "started_on": self._days_ago(300, 1500)})

    def _bp(self) -> tuple[int, int]:
        return self.rng.randint(106, 136), self.rng.randint(66, 86)

    def _screenings(self, p: PatientPlan, condition: str, status: str,
                    special: str | None) -> list[ScreeningPlan]:
        rng = self.rng
        trials = sum(1 for t in p.treatments
                     if t["kind"] == TreatmentKind.ANTIDEPRESSANT and t.get("adequate"))
        route = next(self.routes[condition])
        if route == ESKETAMINE_ROUTE and trials < 2:
            route = "iv"  # the nasal spray is for treatment-resistant depression
        label = ROUTES[route]
        approve = (Decision.APPROVED,
                   f"Screening clear. {_indication(condition, trials)} Approve {label}, "
                   "induction per clinic protocol.")
        match special:
            case "psychosis_history":
                return [ScreeningPlan("iv", frozenset({"psychosis"}), self._bp(), (
                    Decision.APPROVED,
                    "One psychotic episode six years ago during a severe depression, treated "
                    "with olanzapine; no psychotic symptoms since and none on examination. "
                    "Approve IV ketamine at the low end of the dose range, monitor "
                    "dissociation closely, stop if perceptual symptoms persist after dosing."),
                    by_prescriber=True)]
            case "uncontrolled_hypertension":
                return [ScreeningPlan("iv", frozenset({"uncontrolled_hypertension"}),
                                      (164, 100))]
            case "aneurysm":
                return [
                    ScreeningPlan(ESKETAMINE_ROUTE,
                                  frozenset({"aneurysmal_vascular_disease"}), self._bp(), (
                        Decision.DECLINED,
                        "Known unruptured cerebral aneurysm (4 mm, under neurosurgical "
                        "surveillance): contraindicated on the Spravato label. Not approved; "
                        "re-screened for IV ketamine pending neurosurgery advice."),
                        by_prescriber=True),
                    ScreeningPlan("iv", frozenset({"aneurysmal_vascular_disease"}), self._bp(),
                                  by_prescriber=True),
                ]
            case "possible_pregnancy":
                return [ScreeningPlan(route, frozenset({"pregnancy"}), self._bp())]
            case "substance_use":
                return [ScreeningPlan("iv", frozenset({"active_substance_use_disorder"}),
                                      self._bp(), (
                    Decision.DECLINED,
                    "Drinking daily with two relapses this year. Not approved while the "
                    "alcohol use disorder is active; referred to addiction services and "
                    "discharged, welcome to re-refer after three months of stability."))]
            case "white_coat_bp":
                return [ScreeningPlan("iv", frozenset(), (148, 92), (
                    Decision.APPROVED,
                    "Clinic reading 148/92; repeat 128/82 after 10 minutes seated and home "
                    "readings normal. Approve IV ketamine; recheck blood pressure before "
                    "each dose per protocol."))]
            case "glaucoma":
                return [ScreeningPlan("im", frozenset({"raised_intraocular_pressure"}),
                                      self._bp(), (
                    Decision.APPROVED,
                    "Primary open-angle glaucoma, pressures controlled on latanoprost; "
                    "ophthalmology has no objection. Approve IM ketamine."))]
        if status == Status.SCREENING and rng.random() < 0.5:
            return [ScreeningPlan(route, frozenset(), self._bp())]  # awaiting a decision
        return [ScreeningPlan(route, frozenset(), self._bp(), approve,
                              by_prescriber=rng.random() < 0.3)]


def _indication(condition: str, trials: int) -> str:
    if condition == "depression" and trials >= 2:
        return f"Treatment-resistant depression ({trials} adequate antidepressant trials)."
    return {"depression": "Major depression with inadequate response to treatment.",
            "ptsd": "Chronic PTSD with persistent symptoms despite treatment.",
            "anxiety": "Anxiety disorder with persistent symptoms despite treatment."}[condition]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def demo_profiles() -> list[tuple[str, str, str | None]]:
    """Demo Clinic's (condition, status, special case) per patient, in MRN order."""
    rng = random.Random(f"{SEED}-profiles")  # noqa: S311 (reproducible on purpose)
    conditions = [c for c, n in DEMO_CONDITIONS.items() for _ in range(n)]
    statuses: list[str] = [s for s, n in DEMO_STATUSES.items() for _ in range(n)]
    profiles: list[tuple[str, str, str | None]] = []
    for special, condition, status in SPECIALS:
        conditions.remove(condition)
        statuses.remove(status)
        profiles.append((condition, status, special))
    rng.shuffle(conditions)
    rng.shuffle(statuses)
    profiles += [(c, s, None) for c, s in zip(conditions, statuses, strict=True)]
    rng.shuffle(profiles)
    return profiles


class Command(BaseCommand):
    help = "Create the demo clinics, staff and synthetic patients; print the demo password."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(12)
        # Hashed once for all five users: Argon2 is deliberately slow, and the demo users
        # share one password by design.
        encoded = make_password(password)
        names = Faker("en_US")
        names.seed_instance(SEED - 1)
        clinics = {spec.name: self._clinic(spec, names) for spec in (DEMO, OTHER)}
        users: dict[str, User] = {}
        for username, spec, role in USERS:
            users[username] = self._user(username, names, encoded)
            Membership.objects.get_or_create(
                user=users[username], clinic=clinics[spec.name], role=role)

        demo, other = clinics[DEMO.name], clinics[OTHER.name]
        admin = Staff(users["demo-admin"], demo, frozenset({Role.ADMIN}))
        nurse = Staff(users["demo-nurse"], demo, frozenset({Role.NURSE}))
        prescriber = Staff(users["demo-prescriber"], demo, frozenset({Role.PRESCRIBER}))
        other_prescriber = Staff(users["other-prescriber"], other,
                                 frozenset({Role.PRESCRIBER}))

        today = datetime.now(ZoneInfo(DEMO.time_zone)).date()
        demo_plans = Planner(DEMO, today).plan(demo_profiles())
        created = {DEMO.name: self._populate(demo, demo_plans, admin, nurse, prescriber)}
        today = datetime.now(ZoneInfo(OTHER.time_zone)).date()
        other_plans = Planner(OTHER, today).plan(list(OTHER_PROFILES))
        created[OTHER.name] = self._populate(other, other_plans, other_prescriber,
                                             other_prescriber, other_prescriber)
        courses = treatment_demo.populate(prescriber, nurse)
        rems_demo.populate(prescriber)  # issue 14 item 7: esketamine patients REMS-enrolled
        responses = selfreport_demo.populate(demo, prescriber)
        consent_demo.populate(nurse, self.stdout.write)

        self.stdout.write("Demo data ready.")
        for clinic in clinics.values():
            total = Patient.objects.filter(clinic=clinic).count()
            self.stdout.write(f"  {clinic.name} ({clinic.time_zone}): {total} patients, "
                              f"{created[clinic.name]} added now")
        self.stdout.write(f"  Treatment courses started now: {courses} (session 1 today)")
        self.stdout.write(f"  Self-report responses added now: {responses}")
        self.stdout.write("Users (sign in at /accounts/login/):")
        for username, spec, role in USERS:
            self.stdout.write(f"  {username:<17} {role.label:<13} {spec.name}")
        self.stdout.write(f"Password for all demo users: {password}")

    def _clinic(self, spec: ClinicSpec, names: Faker) -> Clinic:
        address = (f"{names.building_number()} {names.street_name()}, Suite "
                   f"{names.random_int(100, 450)}\n{names.city()}, {spec.state} "
                   f"{names.zipcode_in_state(spec.state)}")
        clinic, _ = Clinic.objects.get_or_create(
            name=spec.name, defaults={"time_zone": spec.time_zone, "address": address})
        return clinic

    def _user(self, username: str, names: Faker, encoded_password: str) -> User:
        # Drawn whether or not the user exists, so every run sees the same names.
        first, last = names.first_name(), names.last_name()
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last,
                                         "email": f"{username}@example.org"})
        user.password = encoded_password
        user.save(update_fields=["password"])
        return user

    def _populate(self, clinic: Clinic, plans: list[PatientPlan], intake: Staff, nurse: Staff,
                  prescriber: Staff) -> int:
        existing = set(Patient.objects.filter(
            clinic=clinic, mrn__in=[p.mrn for p in plans]).values_list("mrn", flat=True))
        missing = [p for p in plans if p.mrn not in existing]
        for plan in missing:
            self._create(plan, intake, nurse, prescriber)
        return len(missing)

    def _create(self, plan: PatientPlan, intake: Staff, nurse: Staff, prescriber: Staff) -> None:
        patient = actions.create_patient(intake, {"mrn": plan.mrn, **plan.demographics})
        for code, primary in plan.diagnoses:
            actions.add_entry(prescriber, patient, Diagnosis(
                icd10_code=code, description=DESCRIPTIONS[code], primary=primary))
        for measured_on, kg in plan.weights:
            actions.add_entry(nurse, patient, Weight(weight_kg=kg, measured_on=measured_on))
        for treatment in plan.treatments:
            actions.add_entry(prescriber, patient, PriorTreatment(**treatment))
        for medication in plan.medications:
            actions.add_entry(nurse, patient, Medication(**medication))
        for s in plan.screenings:
            answers = {c.code: c.code in s.findings for c in eligibility.criteria_for(s.route)}
            facts = eligibility.ScreeningFacts(
                age_years=plan.age_years, sbp_mmhg=s.bp[0], dbp_mmhg=s.bp[1])
            screener = prescriber if s.by_prescriber else nurse
            screening = actions.record_screening(screener, patient, s.route, answers, facts)
            if s.decision:
                actions.decide_eligibility(prescriber, screening, *s.decision)
