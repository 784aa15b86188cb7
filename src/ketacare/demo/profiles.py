"""The demo's people: the two clinics, their staff, and Demo Clinic's case mix, with the
drug, diagnosis and therapy vocabularies the planner draws from. Data only.

Every person is made up by Faker from fixed seeds; none is a real patient.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ketacare.accounts.models import Role
from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.patients.models import Status

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

