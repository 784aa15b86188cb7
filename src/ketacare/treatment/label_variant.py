"""A clinic's choice of esketamine label (issue 14 item 8): the US prescribing
information or the EU SmPC. The shipped protocol of the chosen label is offered when a
course starts; the other's is kept, inactive (running courses keep their own copy)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical import protocols

from .actions import LABEL_SETTING, copy_shipped
from .models import ClinicProtocol


def label_of(clinic: Clinic) -> str:
    return str(clinic.setting(LABEL_SETTING, protocols.DEFAULT_LABEL_VARIANT))


@transaction.atomic
def set_esketamine_label(
    staff: Staff, variant: str, *, request: HttpRequest | None = None
) -> Clinic:
    staff.require(Perm.MANAGE_CLINIC)
    if variant not in protocols.LABEL_VARIANTS:
        raise ValidationError({"variant": "Choose one of: "
                               + ", ".join(protocols.LABEL_VARIANTS) + "."})
    clinic = Clinic.objects.select_for_update().get(pk=staff.clinic.pk)
    # The label's protocols exist in the clinic before their active flags are switched.
    copy_shipped(staff, copied_for="esketamine label", request=request)
    clinic.settings = {**clinic.settings, LABEL_SETTING: variant}
    clinic.save(update_fields=["settings"])
    for key in protocols.LABEL_PROTOCOLS:
        ClinicProtocol.objects.filter(clinic=clinic, key=key).update(
            active=protocols.shipped_active(key, variant))
    record(Action.UPDATE, request=request, user=staff.user, role=staff.role_label,
           clinic_id=clinic.pk, obj=clinic, detail={LABEL_SETTING: variant})
    return clinic
