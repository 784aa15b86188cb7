"""What a member of staff sets for themselves on their account page (issue 13): a short
co-signature PIN, and a mobile number for session alerts by SMS.

The PIN is an alternative to the password when co-signing on a colleague's device
(`cosign.verify`): typed in front of the patient, a short number is quicker and shows less
than the person's sign-in password. It is hashed like a password, never shown or logged,
and setting or removing it needs the current password. It adds no second factor: people
with two-factor sign-in still give their authenticator code after it, and wrong PINs count
towards the same co-signature throttle as wrong passwords.
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.audit.log import record
from ketacare.audit.models import Action

from .models import PersonalSettings

# [product default] 6 to 8 digits: with the throttle (5 wrong tries per 15 min) a 6-digit
# PIN would take years to guess; runs and repeats are refused as the first ones tried.
PIN_MIN, PIN_MAX = 6, 8
MOBILE = re.compile(r"^\+?[0-9][0-9 ()-]{6,28}$")


def pin_problem(pin: str) -> str | None:
    """Why `pin` may not be a PIN, or None."""
    if not pin.isdigit() or not PIN_MIN <= len(pin) <= PIN_MAX:
        return f"A PIN is {PIN_MIN} to {PIN_MAX} digits."
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({0}, {1}, {-1}):
        return "Not a repeated digit or a run (like 111111 or 123456): too easy to guess."
    return None


def _mine(user: User) -> PersonalSettings:
    mine, _ = PersonalSettings.objects.select_for_update().get_or_create(user=user)
    return mine


def _audit(user: User, request: HttpRequest | None, what: str) -> None:
    record(Action.UPDATE, request=request, user=user, object_type="user",
           object_id=str(user.pk), detail={"personal": what})


def _require_password(user: User, current_password: str) -> None:
    if not user.check_password(current_password or ""):
        raise ValidationError({"current_password": "Your current password is not right."})


def set_pin(user: User, current_password: str, pin: str, repeat: str, *,
            request: HttpRequest | None = None) -> None:
    _require_password(user, current_password)
    pin = (pin or "").strip()
    problem = pin_problem(pin)
    if problem:
        raise ValidationError({"pin": problem})
    if pin != (repeat or "").strip():
        raise ValidationError({"repeat": "The two PINs are not the same."})
    if user.check_password(pin):
        raise ValidationError({"pin": "Not your password: choose a separate PIN."})
    with transaction.atomic():
        mine = _mine(user)
        mine.cosign_pin, mine.cosign_pin_set_at = make_password(pin), timezone.now()
        mine.save(update_fields=["cosign_pin", "cosign_pin_set_at"])
        _audit(user, request, "co-signature PIN set")


def clear_pin(user: User, current_password: str, *, request: HttpRequest | None = None) -> None:
    _require_password(user, current_password)
    with transaction.atomic():
        mine = _mine(user)
        mine.cosign_pin, mine.cosign_pin_set_at = "", None
        mine.save(update_fields=["cosign_pin", "cosign_pin_set_at"])
        _audit(user, request, "co-signature PIN removed")


def set_alert_mobile(user: User, mobile: str, *, request: HttpRequest | None = None) -> None:
    mobile = (mobile or "").strip()
    if mobile and not MOBILE.match(mobile):
        raise ValidationError({"alert_mobile": "A phone number: digits, spaces, ( ) - and "
                                               "an optional leading +."})
    with transaction.atomic():
        mine = _mine(user)
        mine.alert_mobile = mobile
        mine.save(update_fields=["alert_mobile"])
        _audit(user, request, "alert mobile " + ("set" if mobile else "removed"))


def of(user: User) -> PersonalSettings:
    """The person's settings (unsaved defaults when they never set any)."""
    return PersonalSettings.objects.filter(user=user).first() or PersonalSettings(user=user)


def pin_matches(user: User, typed: str) -> bool:
    hashed = of(user).cosign_pin
    return bool(hashed) and check_password(typed, hashed)
