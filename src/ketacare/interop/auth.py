"""Bearer tokens: create, revoke, and turn an Authorization header into a `Staff`.

The token is shown once (`create_token` returns it); only its SHA-256 is kept. Every token
expires (DEFAULT_EXPIRES_DAYS unless asked otherwise, at most MAX_EXPIRES_DAYS)."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta
from typing import Any, TypeAlias

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.expressions import Col
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


# Each role once, comma separated (roles are fixed names without commas).
_ROLES = {"postgresql": "string_agg(m.role, ',')", "sqlite": "group_concat(m.role, ',')"}
# Per model of the row: the model, its fields' attribute names, and per field the column
# and the converters the ORM would apply to its value.
_Part: TypeAlias = "tuple[type[Model], list[str], list[tuple[Col, list[Any]]]]"


def _part(model: type[Model], alias: str) -> _Part:
    fields = model._meta.concrete_fields
    cols = [f.get_col(alias) for f in fields]
    return model, [f.attname for f in fields], [
        (col, connection.ops.get_db_converters(col) + f.get_db_converters(connection))
        for f, col in zip(fields, cols, strict=True)]


@functools.cache
def _token_query(vendor: str) -> tuple[str, list[_Part]]:
    """The token, its user and clinic, and the user's active roles in that clinic: one
    statement. Every API and FHIR request starts here, and the ORM's Python work for the
    two queries it took before (the token with its user and clinic, then the roles) was
    about a third of an audited API read's cost (docs/audit.md)."""
    q = connection.ops.quote_name
    parts = [_part(ApiToken, "t"), _part(User, "u"), _part(Clinic, "c")]
    select = ", ".join(f"{col.alias}.{q(str(col.target.column))}"
                       for _, _, cols in parts for col, _ in cols)
    # Names from the models' metadata only; the token's hash is a parameter.
    sql = (
        f"SELECT {select}, (SELECT {_ROLES[vendor]} FROM {Membership._meta.db_table} m "  # noqa: S608
        "WHERE m.user_id = t.user_id AND m.clinic_id = t.clinic_id AND m.active) "
        f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
        f"JOIN {Clinic._meta.db_table} c ON c.id = t.clinic_id WHERE t.token_hash = %s")
    return sql, parts


def _live_token(secret: str) -> tuple[ApiToken, frozenset[str]] | None:
    """The token with its user and clinic loaded, and the roles; None if unknown."""
    sql, parts = _token_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash(secret)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    instances: list[Any] = []
    for model, names, cols in parts:
        converted = []
        for (col, converters), value in zip(cols, values, strict=False):
            for convert in converters:
                value = convert(value, col, connection)
            converted.append(value)
        instances.append(model.from_db(connection.alias, names, converted))
    token, token.user, token.clinic = instances
    roles = next(values) or ""
    return token, frozenset(filter(None, roles.split(",")))


def staff_for_token(secret: str) -> Staff:
    """The staff member a live token acts as; a revoked, expired or unknown token, or a
    person who no longer holds a role in the token's clinic, is refused alike."""
    found = _live_token(secret)
    if found is None:
        raise AuthError(REFUSED)
    token, roles = found
    if not token.active or not token.user.is_active or not roles:
        raise AuthError(REFUSED)
    staff = Staff(token.user, token.clinic, roles)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return staff


def authenticate(request: HttpRequest) -> Staff:
    return staff_for_token(bearer(request))
