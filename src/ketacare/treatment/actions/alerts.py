"""Clinical alerts of the session day: raised by the step that found the problem (a
monitoring alert, a dosing hold, a discharge criterion still unmet past its due time, a
serious adverse event), addressed to the session's prescriber (the one who started the
course) and the clinic's on-duty prescriber (`Clinic.settings["on_duty_prescriber"]`, a
username), shown on their home page and nav badge until one of them acknowledges.

Where the clinic chooses (`session_alert_delivery`), each recipient also gets an email (to
their address) and/or an SMS (to the mobile on their account page) once the alert is
committed, through the same backends as the patient messages (`EMAIL_BACKEND`,
`KETACARE_SMS_BACKEND`). Email and SMS are not private channels: the message names the
kind of alert, the time and the clinic, never the patient. A failed send is counted in
the audit entry and logged; the alert stays on the home page whatever happens."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from ketacare.accounts import personal
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, staff_for
from ketacare.audit.log import record
from ketacare.audit.models import Action

from ..models import ClinicalAlert, Session
from ._common import AlreadyDone, _audit, _clock

ON_DUTY_SETTING = "on_duty_prescriber"
DELIVERY_SETTING = "session_alert_delivery"  # "page" (default), "email", "sms", "email_sms"
log = logging.getLogger(__name__)


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
    how = str(session.course.patient.clinic.setting(DELIVERY_SETTING, "page"))
    if how != "page":
        transaction.on_commit(lambda: deliver(alert.pk, how))
    return alert


def deliver(alert_id: int, how: str) -> dict[str, int]:
    """Email and/or SMS each recipient of a committed alert; counts audited."""
    alert = ClinicalAlert.objects.select_related("session__course__patient__clinic").get(
        pk=alert_id)
    clinic = alert.session.course.patient.clinic
    at = f"{timezone.localtime(alert.raised_at, clinic.zone):%H:%M}"
    home = f"{str(settings.KETACARE_BASE_URL).rstrip('/')}/"
    what = f"{alert.get_kind_display()} at {at}"
    sent = {"email": 0, "sms": 0, "failed": 0, "no_contact": 0}
    for user in alert.recipients.all():
        targets = []
        if "email" in how and user.email:
            targets.append(("email", lambda u=user: send_mail(
                f"[{clinic.name}] Session alert: {what}",
                f"A session alert is waiting for you at {clinic.name}: {what}.\n\n"
                f"Open your KetaCare home page to see it and acknowledge it: {home}\n\n"
                "This message does not say who the patient is.\n",
                settings.DEFAULT_FROM_EMAIL, [u.email], fail_silently=False)))
        mobile = personal.of(user).alert_mobile if "sms" in how else ""
        if mobile:
            targets.append(("sms", lambda m=mobile: import_string(
                settings.KETACARE_SMS_BACKEND)().send(
                    m, f"{clinic.name}: session alert ({what}). Open KetaCare: {home}")))
        if not targets:
            sent["no_contact"] += 1
        for channel, send in targets:
            try:
                send()
                sent[channel] += 1
            except Exception:  # SMTP or SMS gateway down: counted, the alert stays on the page
                log.warning("session alert %s: %s delivery failed", alert.pk, channel,
                            exc_info=True)
                sent["failed"] += 1
    record(Action.UPDATE, user=alert.raised_by, clinic_id=clinic.pk,
           patient_id=alert.session.course.patient_id, obj=alert,
           detail={"alert": "delivered", **sent})
    return sent


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

