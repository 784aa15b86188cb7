"""What the chart shows, gathered once per page: the summary header and each tab's rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cached_property

from django.db.models import prefetch_related_objects

from ketacare.accounts.naming import People
from ketacare.clinical import body, diagnoses
from ketacare.compiled_reads import CompiledRead

from .models import (
    Diagnosis,
    EligibilityDecision,
    Medication,
    MedicationCategory,
    Patient,
    PriorTreatment,
    Screening,
    TreatmentKind,
    Weight,
)

# Asked on the Spravato REMS monitoring form (clinical reference s.4).
REMS_CATEGORIES = {
    MedicationCategory.BENZODIAZEPINE, MedicationCategory.HYPNOTIC, MedicationCategory.OPIOID,
    MedicationCategory.PSYCHOSTIMULANT, MedicationCategory.MAOI,
}
# Product default for "weight must be recent" before a dose; a clinic may change it.
WEIGHT_MAX_AGE_DAYS = 30

# The chart's lists, read on every chart and session page (ketacare.compiled_reads).
_weights = CompiledRead(lambda patient_id: Weight.objects.filter(patient_id=patient_id))
_diagnoses = CompiledRead(lambda patient_id: Diagnosis.objects.filter(patient_id=patient_id))
_treatments = CompiledRead(
    lambda patient_id: PriorTreatment.objects.filter(patient_id=patient_id))
# Also the dose step's interaction check (interactions.py), newest screening first.
patient_medications = CompiledRead(
    lambda patient_id: Medication.objects.filter(patient_id=patient_id))
patient_screenings = CompiledRead(
    lambda patient_id: Screening.objects.filter(patient_id=patient_id))


class Chart:
    def __init__(self, patient: Patient, today: date) -> None:
        self.patient = patient
        self.today = today

    def name_people(self) -> Chart:
        """Read the lists the chart page shows with the people who recorded each entry, in
        one query for all of them (a session page reads only the lists it needs, and names
        no one in them)."""
        entries = [*self.weights, *self.diagnoses, *self.treatments, *self.medications]
        (People().add(entries, "recorded_by", "error_by")
         .add(self.screenings, "screened_by")
         .add((d for s in self.screenings for d in s.decisions.all()), "decided_by").read())
        return self

    @property
    def age(self) -> int:
        return self.patient.age_on(self.today)

    @cached_property
    def weights(self) -> list[Weight]:
        return _weights(self.patient.pk)

    @cached_property
    def latest_weight(self) -> Weight | None:
        return next((w for w in self.weights if not w.entered_in_error), None)

    @property
    def weight_age_days(self) -> int | None:
        return (self.today - self.latest_weight.measured_on).days if self.latest_weight else None

    @property
    def weight_max_age_days(self) -> int:
        return int(self.patient.clinic.setting("weight_max_age_days", WEIGHT_MAX_AGE_DAYS))

    @property
    def weight_stale(self) -> bool:
        days = self.weight_age_days
        return days is None or days > self.weight_max_age_days

    @property
    def bmi(self) -> float | None:
        if self.latest_weight is None or self.patient.height_cm is None:
            return None
        return body.bmi(float(self.latest_weight.weight_kg), float(self.patient.height_cm))

    @cached_property
    def diagnoses(self) -> list[Diagnosis]:
        return _diagnoses(self.patient.pk)

    @property
    def active_diagnoses(self) -> list[Diagnosis]:
        return [d for d in self.diagnoses if not d.entered_in_error]

    @cached_property
    def treatments(self) -> list[PriorTreatment]:
        return _treatments(self.patient.pk)

    @property
    def adequate_trials(self) -> int:
        return sum(
            1 for t in self.treatments
            if t.kind == TreatmentKind.ANTIDEPRESSANT and t.adequate and not t.entered_in_error
        )

    @property
    def treatment_resistant(self) -> bool:
        return diagnoses.treatment_resistant(self.adequate_trials)

    @cached_property
    def medications(self) -> list[Medication]:
        return patient_medications(self.patient.pk)

    @property
    def current_medications(self) -> list[Medication]:
        return [m for m in self.medications if m.stopped_on is None and not m.entered_in_error]

    @property
    def rems_medications(self) -> list[Medication]:
        return [m for m in self.current_medications if m.category in REMS_CATEGORIES]

    @cached_property
    def screenings(self) -> list[Screening]:
        # Each screening is given its patient (and clinic), so `expired` reads neither.
        screenings = patient_screenings(self.patient.pk)
        for s in screenings:
            s.patient = self.patient
        prefetch_related_objects(screenings, "decisions")
        return screenings

    @property
    def latest_by_route(self) -> list[tuple[Screening, EligibilityDecision | None]]:
        """The newest screening of each route with its newest decision."""
        seen: set[str] = set()
        out = []
        for s in self.screenings:
            if s.route in seen:
                continue
            seen.add(s.route)
            decisions = list(s.decisions.all())
            out.append((s, decisions[0] if decisions else None))
        return out

    @property
    def expired_screening_ids(self) -> set[int]:
        """Screenings too old to start a course on (clinic setting screening_valid_days)."""
        return {s.pk for s in self.screenings if s.expired(self.today)}

    @cached_property
    def courses(self) -> Sequence[tuple[object, object | None, int]]:
        """Each treatment course with its next open session and its session count."""
        out = []
        for course in self.patient.courses.prefetch_related("sessions"):
            sessions = list(course.sessions.all())
            upcoming = next((s for s in sessions
                             if s.status in ("planned", "in_progress", "discharged")), None)
            out.append((course, upcoming, len(sessions)))
        return out
