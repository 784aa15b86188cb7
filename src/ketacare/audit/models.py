"""The audit trail: append-only, hash-chained. Rows are written by `log.record` only and
never updated or deleted (PostgreSQL refuses both by trigger, see migrations)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.db.models import Q

# The detail key of an entry that names several patients (a list page, an API list, a FHIR
# search): their ids, sorted. "Who saw this patient" finds it as it finds `patient_id`
# (`names`); on PostgreSQL through the index of migration 0007.
PATIENT_IDS = "patient_ids"


class Action(models.TextChoices):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    SEARCH = "search"
    EXPORT = "export"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    DENIED = "denied"  # a 403/404 on a URL naming a patient object (audit/reads.py)


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    # Plain values, not foreign keys: the trail must outlive and never block any change
    # to the rows it describes.
    user_id = models.BigIntegerField(null=True)
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=100, blank=True)
    clinic_id = models.BigIntegerField(null=True, db_index=True)
    patient_id = models.UUIDField(null=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict, blank=True)
    # Which chain the entry belongs to (chain.py): concurrent writers take different lanes.
    lane = models.PositiveSmallIntegerField(default=0)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["lane", "-id"], name="audit_lane_head")]

    def __str__(self) -> str:
        return f"audit #{self.pk}: {self.action} by {self.username or 'unknown'}"

    def patients(self) -> list[uuid.UUID]:
        """Every patient the entry names: its `patient_id` and those listed in its detail."""
        listed = self.detail.get(PATIENT_IDS, []) if isinstance(self.detail, dict) else []
        named = [self.patient_id] if self.patient_id is not None else []
        return named + [uuid.UUID(str(p)) for p in listed if str(p) != str(self.patient_id)]

    @staticmethod
    def names(patient_ids: Iterable[uuid.UUID | str]) -> Q:
        """The entries naming any of the patients, in `patient_id` or in the detail's list:
        on PostgreSQL the list's containment (`@>`), through the partial index of migration
        0007 (whose condition, the key's presence, is asked for too); SQLite has no JSON
        containment, so the list's text is searched for the id (a whole UUID, which matches
        nothing but itself)."""
        ids = [str(p) for p in patient_ids]
        listed = Q()
        for pid in ids:
            listed |= (Q(**{f"detail__{PATIENT_IDS}__contains": [pid]})
                       if connection.vendor == "postgresql"
                       else Q(**{f"detail__{PATIENT_IDS}__icontains": pid}))
        return Q(patient_id__in=ids) | (Q(detail__has_key=PATIENT_IDS) & listed)

    def chained_fields(self) -> dict[str, Any]:
        """What the hash covers: everything but the row id and the hashes themselves."""
        return {
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "username": self.username,
            "role": self.role,
            "clinic_id": self.clinic_id,
            "patient_id": str(self.patient_id) if self.patient_id else None,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "ip": self.ip,
            "detail": self.detail,
        }
