"""Protocols a clinic uses, treatment courses and their sessions, and everything recorded
on a session day. A signed session is locked: later changes are `Amendment` rows with an
author and a reason. Times are set by the server, stored UTC."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest

from ketacare.accounts.models import Clinic
from ketacare.clinical import protocols
from ketacare.ids import KeyText
from ketacare.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class ClinicProtocol(models.Model):
    """A clinic's protocol: a shipped default or an admin's edited copy (data validated by
    `ketacare.clinical.protocols.Protocol.from_dict`)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="protocols")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    data = models.JSONField()
    based_on = models.CharField(max_length=60, blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="protocol_key_per_clinic")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def protocol(self) -> protocols.Protocol:
        return protocols.stored(self.data)


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class Course(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    clinic_protocol = models.ForeignKey(ClinicProtocol, on_delete=models.PROTECT)
    # The protocol as it was when the course started: later edits never change a course.
    protocol_data = models.JSONField()
    indication = models.CharField(max_length=120)
    start_date = models.DateField()
    weekdays = models.JSONField(help_text="0 = Monday ... 6 = Sunday")
    status = models.CharField(max_length=20, choices=CourseStatus.choices,
                              default=CourseStatus.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The end-of-induction decision (`ketacare.clinical.induction_review`): "" until a
    # prescriber records "continue" or "stop".
    induction_review = models.CharField(
        max_length=10, blank=True,
        choices=[("continue", "Continue into maintenance"), ("stop", "Stop after induction")])
    induction_review_reason = models.TextField(blank=True)
    induction_review_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+")
    induction_review_at = models.DateTimeField(null=True, blank=True)
    # Plan warnings the prescriber overrode at the start, and why (schedules.plan_warnings).
    start_warnings = models.JSONField(default=list, blank=True)
    start_override_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return f"{self.protocol_data.get('name', 'course')} from {self.start_date}"

    def protocol(self) -> protocols.Protocol:
        return protocols.stored(self.protocol_data)


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DISCHARGED = "discharged", "Discharged, not signed"
    SIGNED = "signed", "Signed"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


# When a session last changed (its FHIR Encounter's _lastUpdated): the latest of its
# creation, check-in, override, discharge and signature. The order of a clinic-wide
# search, so indexed (every term on the session's own row for that).
SESSION_UPDATED = Greatest(*(Coalesce(stamp, "created_at") for stamp in (
    "checked_in_at", "override_at", "discharged_at", "signed_at")), "created_at")


class Session(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveIntegerField()
    planned_date = models.DateField()
    phase = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=SessionStatus.choices,
                              default=SessionStatus.PLANNED)
    status_reason = models.CharField(max_length=300, blank=True)
    moved_from = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Check-in
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")
    checkin = models.JSONField(default=dict, blank=True)
    # Pre-dose hold and its override
    hold = models.BooleanField(default=False)
    hold_reasons = models.JSONField(default=list, blank=True)
    override_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    override_reason = models.CharField(max_length=300, blank=True)
    override_at = models.DateTimeField(null=True, blank=True)
    # Discharge and signature
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")
    discharge = models.JSONField(default=dict, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_number_in_course")
        ]
        indexes = [models.Index(SESSION_UPDATED, name="session_updated")]
        ordering = ["course", "number"]

    def __str__(self) -> str:
        return f"session {self.number} on {self.planned_date}"

    @property
    def locked(self) -> bool:
        return self.signed_at is not None

    @property
    def hold_cleared(self) -> bool:
        return not self.hold or bool(self.override_reason)


# When a dose last changed (its FHIR MedicationAdministration's _lastUpdated): the order of
# a clinic-wide search, so indexed.
DOSE_UPDATED = Coalesce("stopped_at", "started_at")


class Dose(models.Model):
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="dose")
    drug = models.CharField(max_length=30)
    route = models.CharField(max_length=20)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    prescribed_mg = models.DecimalField(max_digits=7, decimal_places=2)
    mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    concentration_mg_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True,
                                              blank=True)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    devices = models.PositiveSmallIntegerField(null=True, blank=True)
    lot = models.CharField(max_length=40)
    expiry = models.DateField()
    override_reason = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    second_check_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    # The prescriber who approved a dose above the usual range (signed in, or co-signing
    # on the nurse's device); with `override_reason`.
    override_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    ledger_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(DOSE_UPDATED, name="dose_updated")]

    def __str__(self) -> str:
        return f"{self.dose_mg} mg {self.drug} {self.route}"


class VitalsPhase(models.TextChoices):
    PREDOSE = "predose", "Pre-dose"
    MONITORING = "monitoring", "Monitoring"


class VitalSigns(models.Model):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="vitals")
    phase = models.CharField(max_length=20, choices=VitalsPhase.choices)
    taken_at = models.DateTimeField()
    minute = models.IntegerField(null=True, blank=True, help_text="minutes since dose start")
    sbp = models.PositiveSmallIntegerField("SBP (mmHg)", null=True, blank=True)
    dbp = models.PositiveSmallIntegerField("DBP (mmHg)", null=True, blank=True)
    hr = models.PositiveSmallIntegerField("HR (/min)", null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True)
    rr = models.PositiveSmallIntegerField("RR (/min)", null=True, blank=True)
    alerts = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["taken_at", "id"]
        # The order of a clinic-wide FHIR Observation search (date and _lastUpdated, then
        # the id: the key's text, ids.KeyText).
        indexes = [models.Index(F("taken_at"), KeyText("id"), name="vitals_taken_id_text")]

    def __str__(self) -> str:
        return f"{self.sbp}/{self.dbp} at {self.taken_at:%H:%M}"


class RatingKind(models.TextChoices):
    CADSS6 = "cadss6", "CADSS-6 (dissociation)"
    MOAAS = "moaas", "MOAA/S (sedation)"


class Rating(models.Model):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="ratings")
    kind = models.CharField(max_length=10, choices=RatingKind.choices)
    values = models.JSONField()
    total = models.PositiveSmallIntegerField()
    taken_at = models.DateTimeField()
    minute = models.IntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["taken_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.total}"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEvent(models.Model):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="adverse_events")
    term = models.CharField(max_length=120)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(default=False)
    action = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.term} ({self.severity})"


class AlertKind(models.TextChoices):
    VITALS = "vitals", "Monitoring alert"
    HOLD = "hold", "Dosing hold"
    DISCHARGE = "discharge", "Discharge criterion unmet past due time"
    SERIOUS_EVENT = "serious_event", "Serious adverse event"


class ClinicalAlert(models.Model):
    """Something on a session day the prescriber must hear about now, addressed to the
    session's prescriber (and the clinic's on-duty prescriber), until one acknowledges.
    Never deleted: the note and the REMS form show it with its times."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT,
                                related_name="clinical_alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    code = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recipients: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, related_name="clinical_alerts_received")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")

    class Meta:
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class Amendment(models.Model):
    """A change to a signed session: the note stays as signed, this row says what changed,
    who changed it and why."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="amendments")
    text = models.TextField()
    reason = models.CharField(max_length=300)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"amendment by {self.author} on {self.created_at:%Y-%m-%d}"


def jsonable(value: Any) -> Any:
    """Dates and decimals as strings, for the JSON fields above."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
