"""Two-factor sign-in for staff: TOTP devices (django-otp), the clinic policy, and the
actions the pages and the CLI share.

One TOTP device per person. A device starts unconfirmed (the key is shown for the
authenticator app) and counts only once a code from it has been accepted. Every code
check goes through `check_code`, inside a transaction with the device row locked, so
django-otp's throttling (1, 2, 4, 8 ... seconds after successive wrong codes) and its
no-reuse rule (a code is accepted once) hold under concurrent requests. The audit trail
gets every outcome, never the key or the code typed.
"""

from __future__ import annotations

import base64
import enum
import math
from dataclasses import dataclass
from typing import Any

import django_otp
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.audit.log import record
from ketacare.audit.models import Action

from .models import Clinic
from .staff import clinics_of

# Clinic setting (Clinic.settings JSON); the product default is "not required".
REQUIRE_SETTING = "require_two_factor"
REQUIRE_DEFAULT = False
DEVICE_NAME = "Authenticator app"
CODE_DIGITS = 6
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODES = 10
RECOVERY_LENGTH = 8  # django-otp's StaticToken.random_token: 8 base32 characters


def clinic_requires(clinic: Clinic) -> bool:
    """Only a real JSON true turns the policy on: a stray "false" string must not."""
    return clinic.setting(REQUIRE_SETTING, REQUIRE_DEFAULT) is True


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_confirmed_device(user: User) -> bool:
    # django-otp's own check: any confirmed device of any installed plugin.
    return bool(django_otp.user_has_device(user, confirmed=True))


def is_verified(request: HttpRequest) -> bool:
    """Set by OTPMiddleware: this session has passed a code check."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def _audit(action: Action, request: HttpRequest, event: str, *, user: User,
           device: TOTPDevice, **detail: Any) -> None:
    record(action, request=request, user=user, obj=device,
           detail={"two_factor": event, **detail})


def pending_device(request: HttpRequest, user: User) -> TOTPDevice:
    """The person's unconfirmed device, created (and audited) on first use. The same key
    is shown until it is confirmed, so reloading the page never invalidates a scan."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
            _audit(Action.CREATE, request, "enrol", user=user, device=device)
    return device


def key_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def key_groups(device: TOTPDevice) -> str:
    """The key as authenticator apps accept it typed: base32 in groups of four."""
    key = key_base32(device)
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as inline SVG markup: no image URL, no data: URI, no inline style,
    so the page's Content-Security-Policy needs no exception."""
    import segno  # only the set-up page draws one; not loaded by every command's start-up

    qr = segno.make(device.config_url, error="m")
    svg: str = qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=True,
                             svgclass="qr", lineclass=None,
                             title="QR code for your authenticator app")
    return svg


class Outcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong_code"
    THROTTLED = "throttled"
    NOT_A_CODE = "not_a_code"


@dataclass(frozen=True)
class Check:
    outcome: Outcome
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def message(self) -> str:
        if self.outcome is Outcome.THROTTLED:
            unit = "second" if self.wait_seconds == 1 else "seconds"
            return (f"Too many wrong codes: wait {self.wait_seconds} {unit} before trying "
                    "again, then enter the code your app shows now.")
        if self.outcome is Outcome.NOT_A_CODE:
            return f"Enter the {CODE_DIGITS}-digit code your authenticator app shows."
        if self.outcome is Outcome.WRONG:
            return ("That code is not right. Enter the code your app shows now (codes change "
                    "every 30 seconds; each code works once), and check your phone's clock.")
        return ""


def normalise_code(raw: str) -> str | None:
    code = "".join(raw.split())  # apps show "123 456"
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


def check_code(device: TOTPDevice, raw: str) -> Check:
    """Throttling first (a throttled attempt is refused without being counted), then the
    code; the device row is locked so two requests cannot both use one code."""
    code = normalise_code(raw)
    if code is None:
        return Check(Outcome.NOT_A_CODE)
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, info = locked.verify_is_allowed()
        if not allowed:
            left = (info or {}).get("locked_until", timezone.now()) - timezone.now()
            return Check(Outcome.THROTTLED, max(1, math.ceil(left.total_seconds())))
        ok = locked.verify_token(code)
    device.refresh_from_db()
    return Check(Outcome.OK if ok else Outcome.WRONG)


def _mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key at the privilege change, as Django does at password sign-in.
    request.session.cycle_key()
    django_otp.login(request, device)


def confirm(request: HttpRequest, user: User, device: TOTPDevice, raw: str) -> Check:
    """First code from a new device: the device counts from now on, and this session is
    verified with it. Any other unconfirmed device is dropped."""
    result = check_code(device, raw)
    if not result.ok:
        _audit(Action.SIGN_IN_FAILED, request, "confirm", user=user, device=device,
               result=result.outcome.value)
        return result
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        _audit(Action.UPDATE, request, "confirm", user=user, device=device)
    _mark_verified(request, device)
    return result


def verify(request: HttpRequest, user: User, device: TOTPDevice, raw: str) -> Check:
    """The second sign-in step: a code from the app, or one of the recovery codes."""
    recovery = recovery_device(user)
    if recovery is not None and normalise_recovery(raw) is not None:
        return _use_recovery_code(request, user, recovery, raw)
    result = check_code(device, raw)
    if result.ok:
        _audit(Action.SIGN_IN, request, "verify", user=user, device=device)
        _mark_verified(request, device)
    else:
        _audit(Action.SIGN_IN_FAILED, request, "verify", user=user, device=device,
               result=result.outcome.value)
    return result


def disable(request: HttpRequest, user: User, device: TOTPDevice, raw: str) -> Check:
    """Turning it off takes a current code: a session left open is not enough."""
    result = check_code(device, raw)
    if not result.ok:
        _audit(Action.SIGN_IN_FAILED, request, "disable", user=user, device=device,
               result=result.outcome.value)
        return result
    with transaction.atomic():
        _audit(Action.UPDATE, request, "disable", user=user, device=device)
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    return result


def reset(user: User, *, operator: str) -> int:
    """Operator's reset for a lost phone: every device of the person goes; they sign in
    with the password alone (or are sent to enrol, where their clinic requires it)."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        clinics = list(clinics_of(user))
        record(Action.UPDATE, username=operator, object_type="user", object_id=str(user.pk),
               clinic_id=clinics[0] if len(clinics) == 1 else None,
               detail={"two_factor": "reset", "user": user.get_username(),
                       "devices_removed": removed})
    return removed


# --- recovery codes (django-otp static device) ------------------------------------------


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: User) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device is not None else 0


def normalise_recovery(raw: str) -> str | None:
    code = "".join(ch for ch in raw.lower() if ch.isalnum())  # "abcd efgh", "abcd-efgh"
    if len(code) != RECOVERY_LENGTH or not code.isascii() or code.isdigit():
        return None
    return code


def new_recovery_codes(request: HttpRequest, user: User) -> list[str]:
    """A new set of single-use codes, shown once; the old set stops working. Only with
    an authenticator app already on (the codes stand in for the phone)."""
    totp = confirmed_device(user)
    if totp is None:
        raise ValueError("Turn on two-factor sign-in first.")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        _audit(Action.CREATE, request, "recovery_codes", user=user, device=totp,
               count=len(codes))
    return codes


def _use_recovery_code(request: HttpRequest, user: User, device: StaticDevice,
                       raw: str) -> Check:
    """Throttled like app codes; django-otp deletes the code it accepts (each works once)."""
    code = normalise_recovery(raw)
    with transaction.atomic():
        locked = StaticDevice.objects.select_for_update().get(pk=device.pk)
        allowed, info = locked.verify_is_allowed()
        if not allowed:
            left = (info or {}).get("locked_until", timezone.now()) - timezone.now()
            result = Check(Outcome.THROTTLED, max(1, math.ceil(left.total_seconds())))
        else:
            result = Check(Outcome.OK if code and locked.verify_token(code) else Outcome.WRONG)
        remaining = locked.token_set.count()
    if result.ok:
        record(Action.SIGN_IN, request=request, user=user, obj=device,
               detail={"two_factor": "recovery_code", "codes_left": remaining})
        _mark_verified(request, device)
    else:
        record(Action.SIGN_IN_FAILED, request=request, user=user, obj=device,
               detail={"two_factor": "recovery_code", "result": result.outcome.value})
    return result
