"""Bearer tokens: create, revoke, and turn an Authorization header into a `Staff`.

The token is shown once (`create_token` returns it); only its SHA-256 is kept. Every token
expires (DEFAULT_EXPIRES_DAYS unless asked otherwise, at most MAX_EXPIRES_DAYS)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership
from ketacare.accounts.staff import Staff, staff_for
from ketacare.audit.log import record
from ketacare.audit.models import Action

from .models import ApiToken

# last_used_at is a hint for admins, not an audit record: write it at most this often.
_TOUCH_EVERY = timedelta(minutes=1)
DEFAULT_EXPIRES_DAYS = 365
MAX_EXPIRES_DAYS = 3 * 365


class AuthError(Exception):
    """No usable token: always answered with 401."""


REFUSED = "Unknown, expired or revoked API token."


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_token(user: User, clinic: Clinic, name: str = "", *,
                 expires_days: int = DEFAULT_EXPIRES_DAYS) -> tuple[ApiToken, str]:
    """A new token for a staff member of `clinic`; returns the row and the secret."""
    if staff_for(user, clinic) is None:
        raise ValidationError(f"{user.get_username()} has no active role in {clinic}.")
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ValidationError({"expires_days": (
            f"--expires-days must be 1-{MAX_EXPIRES_DAYS}, got {expires_days}")})
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, clinic=clinic, name=name[:100], token_hash=token_hash(secret),
        expires_at=timezone.now() + timedelta(days=expires_days))
    record(Action.CREATE, user=user, clinic_id=clinic.pk, obj=token,
           detail={"name": token.name, "expires_days": expires_days})
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, request: HttpRequest | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(Action.UPDATE, request=request, user=token.user, clinic_id=token.clinic_id,
               obj=token, detail={"revoked": True})
    return token


def bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("Send an API token as 'Authorization: Bearer TOKEN'.")
    return value.strip()


def staff_for_token(secret: str) -> Staff:
    """The staff member a live token acts as; a revoked, expired or unknown token, or a
    person who no longer holds a role in the token's clinic, is refused alike."""
    try:
        token = ApiToken.objects.select_related("user", "clinic").get(
            token_hash=token_hash(secret))
    except ApiToken.DoesNotExist:
        raise AuthError(REFUSED) from None
    if not token.active or not token.user.is_active:
        raise AuthError(REFUSED)
    # The roles by ids, with no join or ordering: every API and FHIR request starts here,
    # and the ORM's work per query is most of its cost (a single query with a subquery per
    # role measured three times slower than these two).
    roles = frozenset(Membership.objects.filter(
        user_id=token.user_id, clinic_id=token.clinic_id, active=True).order_by()
        .values_list("role", flat=True))
    if not roles:
        raise AuthError(REFUSED)
    staff = Staff(token.user, token.clinic, roles)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return staff


def authenticate(request: HttpRequest) -> Staff:
    return staff_for_token(bearer(request))
