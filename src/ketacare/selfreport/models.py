"""Questionnaire requests, the links that open them, the answers, and the alerts they raise.

Nothing clinical is deleted or overwritten: a response is written once; an alert keeps who
acknowledged it and what was done, with times."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.ids import KeyText
from ketacare.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class Source(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled"
    MANUAL = "manual", "Sent by staff"
    KIOSK = "kiosk", "In clinic (kiosk)"


class ReportRequest(models.Model):
    """One questionnaire a patient is asked to answer, with its progress so far."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="report_requests")
    course = models.ForeignKey("treatment.Course", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    instrument = models.CharField(max_length=30)
    kind = models.CharField(max_length=30)  # schedule.Kind, "manual" or "kiosk"
    key = models.CharField(max_length=60, blank=True)  # schedule.Due.key
    session_number = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SCHEDULE)
    opens_on = models.DateField()
    closes_on = models.DateField()
    expires_at = models.DateTimeField()
    # Answers saved as the patient goes ({"1": 2, ...}); the response copies them on submit.
    progress = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # Every channel failed this many times in a row; send-due tries again at retry_at.
    delivery_failures = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "key", "instrument"], name="one_request_per_due",
                condition=models.Q(course__isnull=False) & ~models.Q(key=""),
            )
        ]
        indexes = [models.Index(fields=["clinic", "completed_at", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} {self.kind} ({self.opens_on})"

    @property
    def expired(self) -> bool:
        return self.completed_at is None and timezone.now() >= self.expires_at

    @property
    def status(self) -> str:
        """due (not sent yet), sent, completed, overdue (its window has passed; the link may
        still work for a grace period), expired (the link no longer works)."""
        if self.completed_at is not None:
            return "completed"
        if self.expired:
            return "expired"
        if self.clinic.today() > self.closes_on:
            return "overdue"
        return "sent" if self.sent_at is not None else "due"


class Link(models.Model):
    """A secret link to a request. Only the SHA-256 of the token is stored: a copy of the
    database cannot open a questionnaire. A reminder sends a new link; all stay valid until
    the request is completed or expires."""

    request = models.ForeignKey(ReportRequest, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=20, blank=True)  # email, sms, email+sms, kiosk
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"link {self.pk}"


class Delivery(models.Model):
    """One message sent (or failed): what the due/sent page and the reminder clock read."""

    request = models.ForeignKey(ReportRequest, on_delete=models.PROTECT,
                                related_name="deliveries")
    channel = models.CharField(max_length=10)  # email | sms
    reminder = models.BooleanField(default=False)
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.channel} {'reminder' if self.reminder else 'invite'}"


class Response(models.Model):
    request = models.OneToOneField(ReportRequest, on_delete=models.PROTECT,
                                   related_name="response")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="report_responses")
    instrument = models.CharField(max_length=30)
    values = models.JSONField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True)
    extras = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField()
    source = models.CharField(max_length=20, choices=Source.choices)
    # The sender's business identifier of an imported response (FHIR
    # QuestionnaireResponse.identifier): what a retried import is recognised by.
    identifier_system = models.CharField(max_length=255, blank=True)
    identifier_value = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["identifier_value"], name="response_identifier",
                                condition=~models.Q(identifier_value="")),
                   # The order of a clinic-wide FHIR search (date and _lastUpdated, then
                   # the id: the key's text, ids.KeyText).
                   models.Index(models.F("submitted_at"), KeyText("id"),
                                name="response_submitted_id_text")]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} on {self.submitted_at:%Y-%m-%d}"


class AlertKind(models.TextChoices):
    SUICIDAL_IDEATION = ("suicidal_ideation",
                         "Suicide item above 0 (PHQ-9 item 9, QIDS-SR16 item 12)")
    SUICIDE_RISK = "suicide_risk", "Positive ASQ screen"
    SUICIDE_RISK_ACUTE = "suicide_risk_acute", "Acute positive ASQ"
    SCORE_RISE = "score_rise", "Score rising from baseline"
    PSYCHOTIC_SYMPTOMS = "psychotic_symptoms", "BPRS positive subscale rising from baseline"
    DISSOCIATION = "dissociation", "CADSS above the clinic threshold"


class Alert(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="report_alerts")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    message = models.CharField(max_length=400)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)
    action_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    action_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "kind"], name="one_alert_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def critical(self) -> bool:
        return self.kind != AlertKind.SCORE_RISE

    @property
    def state(self) -> str:
        if self.action_at is not None:
            return "closed"
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "open"
