"""Clinical alerts of the session day: raised by the step that found the problem (a
monitoring alert, a dosing hold, a discharge criterion still unmet past its due time, a
serious adverse event), addressed to the session's prescriber (the one who started the
course) and the clinic's on-duty prescriber (`Clinic.settings["on_duty_prescriber"]`, a
username), shown on their home page and nav badge until one of them acknowledges."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, staff_for
from ketacare.audit.models import Action

from ..models import ClinicalAlert, Session
from ._common import AlreadyDone, _audit, _clock

ON_DUTY_SETTING = "on_duty_prescriber"


def recipients(session: Session) -> list[User]:
    """The session's prescriber and the on-duty prescriber, if each still prescribes in
    the clinic."""
    clinic = session.course.patient.clinic
    people: list[User] = [session.course.started_by]
    on_duty = str(clinic.setting(ON_DUTY_SETTING, "") or "").strip()
    if on_duty:
        people += list(User.objects.filter(username=on_duty, is_active=True))
    out: list[User] = []
    for user in people:
        staff = staff_for(user, clinic)
        if staff is not None and staff.can(Perm.SIGN_ORDERS) and user not in out:
            out.append(user)
    return out


def raise_alert(staff: Staff, session: Session, kind: str, code: str, message: str, *,
                request: HttpRequest | None = None) -> ClinicalAlert:
    """Inside the caller's transaction: the alert exists exactly when its cause does."""
    alert = ClinicalAlert.objects.create(session=session, kind=kind, code=code[:40],
                                         message=message[:300], raised_at=timezone.now(),
                                         raised_by=staff.user)
    alert.recipients.set(recipients(session))
    _audit(staff, Action.CREATE, session, alert, request,
           {"alert": kind, "code": alert.code, "recipients": alert.recipients.count()})
    return alert


def open_for(user: User, clinic_id: int) -> list[ClinicalAlert]:
    """Unacknowledged alerts addressed to `user` in the clinic, oldest first."""
    return list(ClinicalAlert.objects.filter(
        recipients=user, acknowledged_at__isnull=True,
        session__course__patient__clinic_id=clinic_id,
    ).select_related("session__course__patient", "raised_by"))


def acknowledge(staff: Staff, alert: ClinicalAlert, *,
                request: HttpRequest | None = None) -> ClinicalAlert:
    """A prescriber of the clinic has seen it (any of them: the first who answers)."""
    staff.require(Perm.SIGN_ORDERS)
    staff.require_own(alert.session.course.patient.clinic_id)
    with transaction.atomic():
        alert = ClinicalAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            raise AlreadyDone(f"Already acknowledged by {alert.acknowledged_by} at "
                              f"{_clock(staff, alert.acknowledged_at)}.")
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), staff.user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _audit(staff, Action.UPDATE, alert.session, alert, request, {"step": "acknowledge"})
    return alert

