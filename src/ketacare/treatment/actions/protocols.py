"""Protocol actions: the shipped defaults and a clinic's edited copies."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical import protocols

from ..models import (
    ClinicProtocol,
)
from ._common import _core_error

# Clinic setting: which esketamine label the shipped protocols follow ("us" or "eu").
LABEL_SETTING = "esketamine_label"


def ensure_default_protocols(clinic: Clinic) -> list[ClinicProtocol]:
    """The shipped protocols, copied into the clinic the first time it needs them; a
    shipped esketamine label variant the clinic does not use is copied inactive."""
    variant = str(clinic.setting(LABEL_SETTING, protocols.DEFAULT_LABEL_VARIANT))
    for key, protocol in protocols.DEFAULT_PROTOCOLS.items():
        ClinicProtocol.objects.get_or_create(
            clinic=clinic,
            key=key,
            defaults={"name": protocol.name, "data": protocol.as_dict(), "based_on": key,
                      "active": protocols.shipped_active(key, variant)},
        )
    return list(ClinicProtocol.objects.filter(clinic=clinic, active=True))


@transaction.atomic
def save_protocol(
    staff: Staff,
    data: dict[str, Any],
    *,
    existing: ClinicProtocol | None = None,
    based_on: str = "",
    request: HttpRequest | None = None,
) -> ClinicProtocol:
    """Create or edit a clinic protocol (admins). Courses keep the version they started
    with, so an edit never changes a running course. `based_on`: the protocol a new one
    was copied from, written with it (and in its audit entry)."""
    staff.require(Perm.MANAGE_CLINIC)
    try:
        protocol = protocols.Protocol.from_dict(data)
    except protocols.ProtocolError as exc:
        raise _core_error(exc) from None
    if existing is not None:
        if existing.clinic_id != staff.clinic.pk:
            raise ValidationError("This protocol is not in your active clinic.")
        if protocol.id != existing.key:
            raise ValidationError({"id": "The id of an existing protocol cannot change."})
        existing.data, existing.name = protocol.as_dict(), protocol.name
        existing.version += 1
        existing.updated_by = staff.user
        existing.save()
        saved = existing
    else:
        if ClinicProtocol.objects.filter(clinic=staff.clinic, key=protocol.id).exists():
            raise ValidationError({"id": f"A protocol with id {protocol.id!r} already exists."})
        saved = ClinicProtocol.objects.create(
            clinic=staff.clinic,
            key=protocol.id,
            name=protocol.name,
            data=protocol.as_dict(),
            based_on=based_on,
            updated_by=staff.user,
        )
    record(
        Action.UPDATE if existing else Action.CREATE,
        request=request,
        user=staff.user,
        role=staff.role_label,
        clinic_id=staff.clinic.pk,
        obj=saved,
        detail={"version": saved.version, "based_on": saved.based_on},
    )
    return saved
