"""Patients and their history. Nothing here is deleted or overwritten: demographics keep
every version (`PatientRevision`), history entries are marked entered-in-error with a
reason and an author instead of being removed."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.clinical import eligibility, routes
from ketacare.ids import KeyText

# Clinic setting: days a screening result holds ([clinic default] 90; issue 14 item 5).
SCREENING_VALID_SETTING = "screening_valid_days"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"


class Status(models.TextChoices):
    REFERRED = "referred", "Referred"
    SCREENING = "screening", "Screening"
    ACTIVE = "active", "In treatment"
    MAINTENANCE = "maintenance", "Maintenance"
    DISCHARGED = "discharged", "Discharged"


class Condition(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    PTSD = "ptsd", "PTSD"
    ANXIETY = "anxiety", "Anxiety"
    OTHER = "other", "Other"


def condition_name(code: str) -> str:
    """"ptsd" -> "PTSD", "all" -> "All conditions", nothing -> "Not recorded" (pages, PDFs)."""
    if code == "all":
        return "All conditions"
    if code == "unspecified":
        return "Not recorded"
    return str(dict(Condition.choices).get(code, code or "Not recorded"))


class Patient(models.Model):
    # Random ids: URLs carry no identifier and cannot be enumerated.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=40)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100, db_index=True)
    date_of_birth = models.DateField(db_index=True)
    sex_at_birth = models.CharField(max_length=10, choices=Sex.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    mobile = models.CharField(max_length=30, blank=True)
    escort_name = models.CharField("escort / emergency contact", max_length=120, blank=True)
    escort_phone = models.CharField("escort phone", max_length=30, blank=True)
    escort_relationship = models.CharField(max_length=60, blank=True)
    height_cm = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(250)],
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REFERRED)
    # Kept in step with the primary diagnosis by the actions, for fast list filters.
    primary_condition = models.CharField(
        max_length=20, choices=Condition.choices, blank=True, db_index=True
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="mrn_unique_in_clinic")
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"]),
            # FHIR Patient search's default order (_lastUpdated, then _id) within a clinic.
            models.Index(fields=["clinic", "updated_at", "id"], name="patient_clinic_updated"),
        ]
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class PatientRevision(models.Model):
    """Each saved version of a patient's demographics, with who changed it and why."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    reason = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="one_row_per_version")
        ]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"version {self.version}"


class HistoryEntry(models.Model):
    """Shared shape of chart entries: who recorded it, and the correction trail."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=300, blank=True)
    error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


# When a weight last changed (its FHIR Observation's _lastUpdated: recorded, or marked
# entered in error): the order of a clinic-wide search, so indexed.
WEIGHT_UPDATED = Greatest("recorded_at", Coalesce("error_at", "recorded_at"))


class Weight(HistoryEntry):
    weight_kg = models.DecimalField(
        max_digits=5, decimal_places=1,
        validators=[MinValueValidator(20), MaxValueValidator(300)],
    )
    measured_on = models.DateField()
    # The sender's business identifier of a weight that came from another system (FHIR
    # Observation.identifier): what a retried import is recognised by.
    identifier_system = models.CharField(max_length=255, blank=True)
    identifier_value = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-measured_on", "-recorded_at"]
        indexes = [models.Index(fields=["identifier_value"], name="weight_identifier",
                                condition=~models.Q(identifier_value="")),
                   models.Index(WEIGHT_UPDATED, KeyText("id"), name="weight_updated_id_text")]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_on}"


class Diagnosis(HistoryEntry):
    icd10_code = models.CharField("ICD-10-CM code", max_length=10)
    description = models.CharField(max_length=200)
    primary = models.BooleanField(default=False)
    condition = models.CharField(max_length=20, choices=Condition.choices)

    class Meta:
        ordering = ["-primary", "icd10_code"]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"


class TreatmentKind(models.TextChoices):
    ANTIDEPRESSANT = "antidepressant", "Antidepressant trial"
    AUGMENTATION = "augmentation", "Augmentation"
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
    ECT = "ect", "ECT"
    TMS = "tms", "TMS"
    KETAMINE = "ketamine", "Ketamine / esketamine"
    OTHER = "other", "Other"


class PriorTreatment(HistoryEntry):
    kind = models.CharField(max_length=20, choices=TreatmentKind.choices)
    name = models.CharField(max_length=120, help_text="drug or modality, e.g. sertraline, CBT")
    detail = models.CharField(max_length=200, blank=True, help_text="dose, sessions")
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    # For antidepressant trials: adequate dose for an adequate time (counts toward TRD).
    adequate = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, blank=True,
        choices=[("none", "No response"), ("partial", "Partial response"),
                 ("response", "Response"), ("intolerant", "Not tolerated")],
    )

    class Meta:
        ordering = ["-started_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class MedicationCategory(models.TextChoices):
    # The first five are asked on the Spravato REMS monitoring form (reference s.4 and
    # s.8: opioids are named in the manufacturer's walkthrough) and drive the interaction
    # warnings (`ketacare.clinical.interactions`, Spravato label section 7).
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    HYPNOTIC = "hypnotic", "Non-benzodiazepine hypnotic"
    OPIOID = "opioid", "Opioid"
    PSYCHOSTIMULANT = "psychostimulant", "Psychostimulant"
    MAOI = "maoi", "MAOI"
    ANTIDEPRESSANT = "antidepressant", "Antidepressant"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic"
    MOOD_STABILISER = "mood_stabiliser", "Mood stabiliser"
    OTHER = "other", "Other"


class Medication(HistoryEntry):
    name = models.CharField(max_length=120)
    dose = models.CharField(max_length=120, blank=True, help_text="e.g. 50 mg once daily")
    category = models.CharField(max_length=20, choices=MedicationCategory.choices)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["stopped_on", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()


class EligibilityStatus(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NEEDS_REVIEW = "needs_review", "Needs prescriber review"
    INELIGIBLE = "ineligible", "Ineligible"


class Screening(models.Model):
    """One structured screening for one route; a re-screen is a new row."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    route = models.CharField(max_length=20, choices=list(routes.ROUTES.items()))
    answers = models.JSONField()
    facts = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=EligibilityStatus.choices)
    reasons = models.JSONField(default=list)
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    screened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-screened_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_route_display()}: {self.get_status_display()}"

    @property
    def screened_on(self) -> date:
        """The day of the screening in the clinic's zone."""
        return timezone.localdate(self.screened_at, self.patient.clinic.zone)

    @property
    def valid_days(self) -> int:
        return int(self.patient.clinic.setting(SCREENING_VALID_SETTING,
                                               eligibility.SCREENING_VALID_DAYS))

    def expired(self, today: date) -> bool:
        """Too old to start a course on (issue 14 item 5; clinic setting)."""
        return eligibility.screening_expired(self.screened_on, today, self.valid_days)


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved for treatment"
    DECLINED = "declined", "Not approved"


class EligibilityDecision(models.Model):
    """A prescriber's decision on a screening; a changed mind is a new row."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    rationale = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return self.get_decision_display()
