"""Co-signatures: a second person confirms a step on someone else's device (the IV second
check, a waste or count witness, a prescriber's override on a nurse's tablet).

The second person authenticates on the spot: their own password or the co-signature PIN
they set on their account page (`personal`), plus a code from their authenticator app when
they have two-factor. `verify` checks it server-side and returns a
`Cosignature`; the actions accept only that, so a name picked from a list no longer counts.

Throttling, so a tablet cannot be used to guess a colleague's password or PIN:
- passwords and PINs: after `AXES_FAILURE_LIMIT` wrong co-signatures for one person within
  `AXES_COOLOFF_TIME` (django-axes' sign-in settings, 5 in 15 min by default), that
  person cannot co-sign until the window has passed. The failures are counted from the
  audit trail (each one is an entry), so the limit holds across processes and restarts;
  a correct co-signature starts the count again;
- codes: django-otp's own throttle on the person's device (`two_factor.check_code`).

`verify` writes its outcome to the audit trail in its own transaction: call it before the
action (a refused action rolls back its transaction, and a failed attempt must still
count). The action then calls `record` to put the co-signer's own entry next to the
first signer's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.audit.log import record as audit
from ketacare.audit.models import Action, AuditEvent

from . import personal, two_factor
from .permissions import Perm
from .staff import Staff, staff_for

AUDIT_TYPE = "cosign"
# A co-signature is for the step on screen now, not one kept for later.
VALID_FOR = timedelta(minutes=5)


class Purpose(enum.StrEnum):
    SECOND_CHECK = "second_check"  # IV dose: drawn-up dose checked by a second clinician
    DOSE_OVERRIDE = "dose_override"  # dose above the protocol's usual range
    HOLD_OVERRIDE = "hold_override"  # dosing despite a pre-dose BP hold
    WASTE_WITNESS = "waste_witness"
    COUNT_WITNESS = "count_witness"


# What the co-signer must be allowed to do themselves.
NEEDS: dict[Purpose, Perm] = {
    Purpose.SECOND_CHECK: Perm.RUN_SESSION,
    Purpose.DOSE_OVERRIDE: Perm.SIGN_ORDERS,
    Purpose.HOLD_OVERRIDE: Perm.SIGN_ORDERS,
    Purpose.WASTE_WITNESS: Perm.LEDGER_RECORD,
    Purpose.COUNT_WITNESS: Perm.LEDGER_RECORD,
}
LABEL: dict[Purpose, str] = {
    Purpose.SECOND_CHECK: "second check",
    Purpose.DOSE_OVERRIDE: "prescriber override",
    Purpose.HOLD_OVERRIDE: "prescriber override",
    Purpose.WASTE_WITNESS: "witness",
    Purpose.COUNT_WITNESS: "witness",
}


@dataclass(frozen=True)
class Cosignature:
    """Proof that `user` authenticated for `purpose` at `at`, next to `first_signer`.
    Made only by `verify`."""

    user: User
    clinic_id: int
    first_signer_id: int
    purpose: Purpose
    method: str  # "password" or "pin", "+totp" when they gave their authenticator code
    at: datetime
    _token: object = field(repr=False, compare=False)


_TOKEN = object()


class CosignError(ValidationError):
    """A refused co-signature; `field` is the form field the message belongs to."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__({field_name: message})


def _failures(user: User, now: datetime) -> int:
    window = settings.AXES_COOLOFF_TIME
    recent = AuditEvent.objects.filter(object_type=AUDIT_TYPE, object_id=str(user.pk),
                                       at__gte=now - window)
    last_ok = recent.filter(action=Action.SIGN_IN).order_by("-at").values_list(
        "at", flat=True).first()
    failed = recent.filter(action=Action.SIGN_IN_FAILED)
    if last_ok is not None:
        failed = failed.filter(at__gt=last_ok)
    return failed.count()


def _log(staff: Staff, user: User | None, purpose: Purpose, outcome: str,
         request: HttpRequest | None) -> None:
    """One entry per attempt, as the person named (the first signer when nobody matched:
    what was typed is never stored, it may be a mistyped password)."""
    with transaction.atomic():
        audit(Action.SIGN_IN if outcome == "ok" else Action.SIGN_IN_FAILED,
              request=request, user=user or staff.user, role="co-signer",
              clinic_id=staff.clinic.pk, object_type=AUDIT_TYPE,
              object_id=str(user.pk) if user else "",
              detail={"cosign": purpose.value, "result": outcome,
                      "first_signer": staff.user.get_username()})


def verify(staff: Staff, purpose: Purpose, *, username: str, password: str, code: str = "",
           request: HttpRequest | None = None, prefix: str = "cosign") -> Cosignature:
    """The co-signer's credentials checked now, or a `CosignError` naming the field
    (`<prefix>_username`, `_password` or `_code`). `password` is their password or their
    co-signature PIN."""
    f_user, f_pass, f_code = (f"{prefix}_username", f"{prefix}_password", f"{prefix}_code")
    label = LABEL[purpose]
    username = (username or "").strip()
    if not username:
        raise CosignError(f_user, f"The {label} signs here: enter their username.")
    user = User.objects.filter(username=username, is_active=True).first()
    other = staff_for(user, staff.clinic) if user is not None else None
    if user is None or other is None:
        _log(staff, None, purpose, "unknown_user", request)
        raise CosignError(f_user, f"No active staff member of {staff.clinic} with that "
                                  "username.")
    if user.pk == staff.user.pk:
        raise CosignError(f_user, f"The {label} must be a second person, not you.")
    if not other.can(NEEDS[purpose]):
        raise CosignError(f_user, f"{user.get_full_name() or username} cannot sign as "
                                  f"{label}: their role does not allow it.")
    now = timezone.now()
    limit = settings.AXES_FAILURE_LIMIT
    if _failures(user, now) >= limit:
        _log(staff, user, purpose, "throttled", request)
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        raise CosignError(f_pass, f"Too many wrong co-signatures for {username}: they can "
                                  f"co-sign again after {minutes} min without a failure.")
    if password and personal.pin_matches(user, password):
        method = "pin"
    elif password and user.check_password(password):
        method = "password"
    else:
        _log(staff, user, purpose, "wrong_password", request)
        raise CosignError(f_pass, "Password or PIN not right for that username.")
    device = two_factor.confirmed_device(user)
    if device is not None:
        check = two_factor.check_code(device, code or "")
        if not check.ok:
            _log(staff, user, purpose, check.outcome.value, request)
            raise CosignError(f_code, check.message)
        method += "+totp"
    _log(staff, user, purpose, "ok", request)
    return Cosignature(user=user, clinic_id=staff.clinic.pk, first_signer_id=staff.user.pk,
                       purpose=purpose, method=method, at=now, _token=_TOKEN)


def require(staff: Staff, cosignature: object, purpose: Purpose, *, field_name: str,
            message: str) -> Cosignature:
    """For actions: a fresh co-signature made by `verify` for this step and this first
    signer, else a ValidationError on `field_name` (`message` when there is none)."""
    if cosignature is None:
        raise ValidationError({field_name: message})
    if not isinstance(cosignature, Cosignature) or cosignature._token is not _TOKEN:
        raise ValidationError({field_name: "The co-signer must confirm with their password "
                                           "or PIN."})
    if (cosignature.purpose != purpose or cosignature.clinic_id != staff.clinic.pk
            or cosignature.first_signer_id != staff.user.pk):
        raise ValidationError({field_name: "This co-signature was given for another step."})
    if cosignature.user.pk == staff.user.pk:
        raise ValidationError({field_name: "The co-signer must be a second person."})
    if timezone.now() - cosignature.at > VALID_FOR:
        raise ValidationError({field_name: "The co-signature has expired: sign again."})
    return cosignature


def record(cosignature: Cosignature, action: Action, obj: Any, *,
           patient_id: Any = None, request: HttpRequest | None = None,
           detail: dict[str, Any] | None = None) -> None:
    """The co-signer's own audit entry for the record just written (inside the action's
    transaction, so it exists exactly when the record does)."""
    audit(action, request=request, user=cosignature.user, role="co-signer",
          clinic_id=cosignature.clinic_id, patient_id=patient_id, obj=obj,
          detail={"cosign": cosignature.purpose.value, "method": cosignature.method,
                  **(detail or {})})


# --- forms: the same three fields wherever a second person signs -------------------------


def add_fields(form: forms.BaseForm, prefix: str, who: str, *, required: bool) -> None:
    """`<prefix>_username`, `_password`, `_code` on `form`. The password field never shows
    a value back and asks the browser not to fill in or save the tablet owner's own."""
    need = "" if required else " (optional)"
    form.fields[f"{prefix}_username"] = forms.CharField(
        label=f"{who}: username{need}", max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false"}))
    form.fields[f"{prefix}_password"] = forms.CharField(
        label=f"{who}: password or PIN", required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    form.fields[f"{prefix}_code"] = forms.CharField(
        label=f"{who}: authenticator code (if they use two-factor)", required=False,
        max_length=12, widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                     "inputmode": "numeric"}))


def from_form(form: forms.BaseForm, staff: Staff, purpose: Purpose, prefix: str, *,
              request: HttpRequest | None) -> Cosignature | None:
    """The co-signature typed into a valid `form`, None when its username is empty (the
    action decides whether one was needed); a refused one raises `CosignError`, keyed by
    the form's field name."""
    data = form.cleaned_data
    if not (data.get(f"{prefix}_username") or "").strip():
        return None
    return verify(staff, purpose, username=data[f"{prefix}_username"],
                  password=data.get(f"{prefix}_password") or "",
                  code=data.get(f"{prefix}_code") or "", request=request, prefix=prefix)
