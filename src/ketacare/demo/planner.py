"""Plans the demo clinics' patients: demographics, diagnoses, weights, prior treatments,
medications and screenings. Pure: the same seed and day give the same plans, so every run
of `ketacare demo` plans the same people under the same MRNs."""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker

from ketacare.clinical.routes import ESKETAMINE_ROUTE, ROUTES
from ketacare.patients.models import Decision, MedicationCategory, Sex, Status, TreatmentKind

from .profiles import (
    ANTIDEPRESSANTS,
    ANXIETY_DRUGS,
    AUGMENTATION,
    BENZODIAZEPINES,
    COMORBID,
    FIRST_LINE,
    INTOLERANCE,
    MAOI_SPECIALS,
    PRIMARY_CODES,
    PSYCHOTHERAPY,
    PTSD_DRUGS,
    RELATIONSHIPS,
    ROUTE_TURNS,
    STIMULANTS,
    TRD_SPECIALS,
    ClinicSpec,
)


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
        self._other_treatments(p, condition, len(drugs))
        return ongoing

    def _other_treatments(self, p: PatientPlan, condition: str, n_drugs: int) -> None:
        """Augmentation, psychotherapy, rTMS and ECT, after the antidepressant trials."""
        rng = self.rng
        if condition == "depression" and n_drugs >= 2 and rng.random() < 0.4:
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

