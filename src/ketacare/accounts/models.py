"""Clinics and who works in them. A person may hold several roles in several clinics;
what each role may do lives in `permissions.py`, nowhere else."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone, e.g. America/New_York")


class Role(models.TextChoices):
    ADMIN = "admin", "Clinic admin"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    ANALYST = "analyst", "Analyst"


def default_clinic_settings() -> dict[str, Any]:
    return {}


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    address = models.TextField(blank=True)
    # Clinic defaults that differ from the product's (e.g. weight_max_age_days); read
    # through Clinic.setting so a missing key falls back to the product default.
    settings = models.JSONField(default=default_clinic_settings, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def setting(self, key: str, default: Any) -> Any:
        return self.settings.get(key, default)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> date:
        """The date at the clinic now: what "today" means for its doses and schedules,
        whatever zone the server or the request runs in."""
        return timezone.localdate(timezone=self.zone)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="one_membership_per_role"
            )
        ]
        ordering = ["clinic__name", "role"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.clinic}"


class PersonalSettings(models.Model):
    """What a member of staff sets for themselves on their account page: a short PIN to
    co-sign with on a colleague's device (stored hashed, like a password) and a mobile
    number for session alerts by SMS."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="personal")
    cosign_pin = models.CharField(max_length=128, blank=True)
    cosign_pin_set_at = models.DateTimeField(null=True, blank=True)
    alert_mobile = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"personal settings of {self.user}"
