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


def _variant(clinic: Clinic) -> str:
    return str(clinic.setting(LABEL_SETTING, protocols.DEFAULT_LABEL_VARIANT))


def _copy_shipped(clinic: Clinic) -> list[ClinicProtocol]:
    """Copy the shipped protocols the clinic lacks; the ones copied now."""
    variant, created = _variant(clinic), []
    for key, protocol in protocols.DEFAULT_PROTOCOLS.items():
        row, new = ClinicProtocol.objects.get_or_create(
            clinic=clinic,
            key=key,
            defaults={"name": protocol.name, "data": protocol.as_dict(), "based_on": key,
                      "active": protocols.shipped_active(key, variant)},
        )
        if new:
            created.append(row)
    return created


def ensure_default_protocols(clinic: Clinic) -> list[ClinicProtocol]:
    """The shipped protocols, copied into the clinic the first time it needs them; a
    shipped esketamine label variant the clinic does not use is copied inactive. For the
    demo builder and test set-up; a person's action copies through `copy_shipped`."""
    _copy_shipped(clinic)
    return list(ClinicProtocol.objects.filter(clinic=clinic, active=True))


def copy_shipped(staff: Staff, *, copied_for: str,
                 request: HttpRequest | None = None) -> list[ClinicProtocol]:
    """Copy the shipped protocols the clinic lacks, each copy audited with why
    (`copied_for`). Runs inside the calling action's transaction."""
    created = _copy_shipped(staff.clinic)
    for row in created:
        record(Action.CREATE, request=request, user=staff.user, role=staff.role_label,
               clinic_id=staff.clinic.pk, obj=row,
               detail={"version": row.version, "based_on": row.based_on,
                       "copied_for": copied_for})
    return created


def shipped_for_first_course(clinic: Clinic) -> list[protocols.Protocol]:
    """What a clinic with no protocols of its own yet is offered for its first course:
    the shipped protocols in use for its esketamine label (reads only)."""
    if ClinicProtocol.objects.filter(clinic=clinic).exists():
        return []
    variant = _variant(clinic)
    return [p for key, p in protocols.DEFAULT_PROTOCOLS.items()
            if protocols.shipped_active(key, variant)]


def adopt_shipped_for_first_course(
    staff: Staff, key: str, *, request: HttpRequest | None = None
) -> ClinicProtocol:
    """The first course of a clinic with no protocols yet: copy the shipped ones into it
    (each audited) and return the copy of `key`. Runs inside the caller's transaction
    (`start_course`), so a course that is refused copies nothing."""
    if key not in {p.id for p in shipped_for_first_course(staff.clinic)}:
        raise ValidationError({"protocol": "Choose one of your clinic's protocols (the list "
                                           "changed since the page was opened)."})
    copy_shipped(staff, copied_for="first course", request=request)
    return ClinicProtocol.objects.get(clinic=staff.clinic, key=key)


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
