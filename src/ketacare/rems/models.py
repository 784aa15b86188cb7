"""One Spravato REMS Patient Monitoring Form per esketamine session with a dose.

`data` holds what the clinician confirmed (prefilled values they kept or changed, and the
ones only they can answer); `prefill` keeps what the session suggested and where each value
came from, so a reviewer can see both. A signed form is locked: a correction is a
`RemsAmendment` row (field, old and new value, reason, author), never an overwrite."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models

from ketacare.patients.models import Patient
from ketacare.treatment.models import Session

from . import fields

USER = settings.AUTH_USER_MODEL
# "Due within 7 days of each session" (clinical reference s.4).
DUE_DAYS = 7


def due_date(treatment_date: date) -> date:
    return treatment_date + timedelta(days=DUE_DAYS)


class RemsForm(models.Model):
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="rems_form")
    data = models.JSONField(default=dict, blank=True)
    prefill = models.JSONField(default=dict, blank=True,
                               help_text="key -> {value, source} as suggested at the last save")
    completed = models.BooleanField(default=False)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    signed_role = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped on every save and amendment: a stale page cannot overwrite a newer draft.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(signed_at__isnull=True)
                                   | models.Q(completed=True),
                                   name="rems_signed_forms_are_complete"),
        ]

    def __str__(self) -> str:
        return f"REMS form for session {self.session_id}"

    @property
    def locked(self) -> bool:
        return self.signed_at is not None

    def effective(self) -> dict[str, Any]:
        """The signed values with every later amendment applied in order."""
        values = dict(self.data)
        for amendment in self.amendments.all():
            values[amendment.field] = amendment.new_value
        return values

    def missing(self) -> list[fields.Field]:
        return fields.missing(self.data)


class RemsAmendment(models.Model):
    form = models.ForeignKey(RemsForm, on_delete=models.PROTECT, related_name="amendments")
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    reason = models.CharField(max_length=300)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.field} amended by {self.author} on {self.created_at:%Y-%m-%d}"

    @property
    def label(self) -> str:
        spec = fields.BY_KEY.get(self.field)
        return spec.label if spec else self.field

    def shown(self, value: Any) -> str:
        spec = fields.BY_KEY.get(self.field)
        return spec.display(value) if spec else str(value or "")

    @property
    def old_shown(self) -> str:
        return self.shown(self.old_value)

    @property
    def new_shown(self) -> str:
        return self.shown(self.new_value)


class RemsEnrollment(models.Model):
    """A patient's enrollment in the Spravato REMS (outpatient settings enroll the patient
    before the first treatment: clinical reference s.8). Never deleted: an enrollment
    recorded in error is marked so, with the reason, and a new one recorded."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="rems_enrollments")
    enrolled_on = models.DateField()
    # The REMS program's patient identifier, when the clinic has one to record.
    rems_patient_id = models.CharField("REMS patient ID", max_length=40, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-enrolled_on", "-id"]

    def __str__(self) -> str:
        return f"REMS enrollment on {self.enrolled_on}"
