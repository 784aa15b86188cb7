"""Sign-in, failed sign-in and sign-out go to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from ketacare.audit.log import record
from ketacare.audit.models import Action

from .staff import clinics_of


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # With one clinic the sign-in belongs to it, so its admin sees it on the audit page.
    clinics = list(clinics_of(user))
    record(Action.SIGN_IN, request=request, user=user,
           clinic_id=clinics[0] if len(clinics) == 1 else None)


@receiver(user_logged_out)
def _signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(Action.SIGN_OUT, request=request, user=user)


@receiver(user_login_failed)
def _failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
            **kwargs: Any) -> None:
    # The username tried, never the password.
    record(Action.SIGN_IN_FAILED, request=request,
           username=str(credentials.get("username", ""))[:150])
