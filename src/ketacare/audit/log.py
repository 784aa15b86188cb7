"""`record`: the one way to write the audit trail."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from .chain import GENESIS, entry_hash
from .models import Action, AuditEvent

if TYPE_CHECKING:
    from ketacare.accounts.staff import Staff

# Any constant: serialises writers on PostgreSQL so two entries never share a parent.
_CHAIN_LOCK = 7_260_519


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR in the form the database stores it (IPv6 compressed, as Django's
    GenericIPAddressField and PostgreSQL's inet do): the hash is computed before the row is
    written, so a value the database rewrites would read back as tampering. Anything that
    is not an address (a misconfigured proxy) is dropped rather than failing the action."""
    if request is None:
        return None
    addr = str(request.META.get("REMOTE_ADDR") or "")
    try:
        validate_ipv46_address(addr)
    except ValidationError:
        return None
    return clean_ipv6_address(addr) if ":" in addr else addr


def record(
    action: Action | str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str = "",
    role: str = "",
    clinic_id: int | None = None,
    patient_id: uuid.UUID | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry. Inside the caller's transaction when there is one, so an action
    and its audit entry are written together or not at all."""
    staff = getattr(request, "staff", None) if request is not None else None
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if staff is not None:
        role = role or staff.role_label
        clinic_id = clinic_id or staff.clinic.pk
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            at=timezone.now(),
            user_id=user.pk if user is not None else None,
            username=username or (user.get_username() if user is not None else ""),
            role=role,
            clinic_id=clinic_id,
            # A UUID as read back (lower-case), whatever form the caller passed.
            patient_id=uuid.UUID(str(patient_id)) if patient_id is not None else None,
            action=str(action),
            object_type=object_type,
            object_id=object_id,
            ip=client_ip(request),
            detail=detail or {},
            prev_hash=last or GENESIS,
        )
        event.hash = entry_hash(event.prev_hash, event.chained_fields())
        event.save()
    return event


def record_patient(staff: Staff, action: Action | str, patient_id: uuid.UUID, obj: Any, *,
                   request: HttpRequest | None = None,
                   detail: dict[str, Any] | None = None) -> AuditEvent:
    """A staff member's action on one patient's record."""
    return record(action, request=request, user=staff.user, role=staff.role_label,
                  clinic_id=staff.clinic.pk, patient_id=patient_id, obj=obj, detail=detail)
