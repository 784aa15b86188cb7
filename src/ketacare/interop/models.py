"""API tokens: a bearer secret tied to one staff member in one clinic.

Only the SHA-256 of the token is stored, so a copy of the database cannot call the API.
A token is revoked, never deleted, so the audit trail can always name it; it expires
(default a year after creation) so a forgotten one does not work for ever."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="api_tokens")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"token {self.pk} ({self.name or 'unnamed'}) for {self.user} at {self.clinic}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and timezone.now() < self.expires_at

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.active else "expired"
