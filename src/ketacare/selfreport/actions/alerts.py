"""Alerts raised by answers: staff acknowledge them and record what was done; the ones
left unacknowledged too long are escalated to the clinic's admins."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record, record_patient
from ketacare.audit.models import Action

from .. import delivery
from ..config import Config, for_clinic
from ..models import Alert
from ._common import CLI_USER


@transaction.atomic
def acknowledge(staff: Staff, alert: Alert, *, request: HttpRequest | None = None) -> Alert:
    staff.require(Perm.ALERTS_ACT)
    staff.require_own(alert.patient.clinic_id)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = staff.user, timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
        record_patient(
            staff,
            Action.UPDATE,
            alert.patient.pk,
            alert,
            request=request,
            detail={"alert": "acknowledged"},
        )
    return alert


@transaction.atomic
def record_action(
    staff: Staff, alert: Alert, text: str, *, request: HttpRequest | None = None
) -> Alert:
    """What was done (called the patient, safety plan, ...). Acknowledges it if nobody has."""
    staff.require(Perm.ALERTS_ACT)
    staff.require_own(alert.patient.clinic_id)
    text = text.strip()
    if not text:
        raise ValidationError({"action_taken": "Say what was done."})
    if len(text) > 2000:
        raise ValidationError({"action_taken": "At most 2000 characters."})
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.action_at is not None:
        raise ValidationError("An action is already recorded for this alert.")
    now = timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = staff.user, now
    alert.action_taken, alert.action_by, alert.action_at = text, staff.user, now
    alert.save()
    record_patient(
        staff, Action.UPDATE, alert.patient.pk, alert, request=request, detail={"alert": "action"}
    )
    return alert


def escalation_due(clinic: Clinic, now: datetime, cfg: Config | None = None) -> list[Alert]:
    cfg = cfg or for_clinic(clinic)
    cutoff = now - timedelta(minutes=cfg.escalate_minutes)
    return list(
        Alert.objects.filter(
            clinic=clinic,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            created_at__lte=cutoff,
        )
    )


def escalate(clinic: Clinic, alerts: list[Alert], now: datetime) -> int:
    """Email the clinic's admins about unacknowledged alerts and mark them escalated. The
    email carries counts and a link to the inbox, never who the patient is."""
    if not alerts:
        return 0
    admins = Membership.objects.filter(clinic=clinic, role=Role.ADMIN, active=True).select_related(
        "user"
    )
    to = sorted({m.user.email for m in admins if m.user.email})
    inbox = f"{delivery_base()}{reverse('selfreport-alerts')}"
    minutes = for_clinic(clinic).escalate_minutes
    if to:
        delivery.send_mail_many(
            to,
            f"[{clinic.name}] {len(alerts)} patient alert(s) not acknowledged",
            f"{len(alerts)} self-report alert(s) at {clinic.name} have not been acknowledged "
            f"within {minutes} minutes.\n\nOpen the alert inbox: {inbox}\n",
        )
    with transaction.atomic():
        for alert in alerts:
            Alert.objects.filter(pk=alert.pk).update(escalated_at=now)
            record(
                Action.UPDATE,
                username=CLI_USER,
                clinic_id=clinic.pk,
                patient_id=alert.patient_id,
                obj=alert,
                detail={"alert": "escalated", "emailed": len(to)},
            )
    return len(alerts)


def delivery_base() -> str:
    from django.conf import settings

    return str(settings.KETACARE_BASE_URL).rstrip("/")
