"""Staff administration actions (clinic admins): invite, change role, deactivate, reset
two-factor, resend invite. One function per use case: permission, validation, one
transaction, an audit entry. The pages and `ketacare setup` call these, nothing else
writes memberships.

Rules:
- a person may belong to several clinics; an admin sees and changes only their own
  clinic's memberships (another clinic's member is "not found");
- a person's roles in a clinic are their active membership rows; rows are never deleted,
  so history keeps the name;
- the last active admin of a clinic cannot be demoted or deactivated;
- an email is sent inside the action's transaction: if it cannot be sent, nothing is
  created;
- deactivating ends the person's signed-in sessions at once; their API tokens are refused
  from the next request (token auth asks for an active membership and an active user).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import django_otp
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone

from ketacare.audit.log import record
from ketacare.audit.models import Action

from . import invites
from .models import Clinic, Membership, Role
from .permissions import Perm
from .staff import Staff

USERNAME_MAX = 150


@dataclass(frozen=True)
class Member:
    """One row of the staff page."""

    user: User
    roles: tuple[str, ...]
    active: bool
    last_login: datetime | None
    two_factor: bool
    invited: bool  # no password chosen yet

    @property
    def role_labels(self) -> str:
        return ", ".join(Role(r).label for r in self.roles)


def members(staff: Staff) -> list[Member]:
    staff.require(Perm.MANAGE_CLINIC)
    rows = (Membership.objects.filter(clinic=staff.clinic)
            .select_related("user").order_by("user__last_name", "user__first_name", "role"))
    by_user: dict[int, tuple[User, list[str], bool]] = {}
    for m in rows:
        user, roles, active = by_user.get(m.user_id, (m.user, [], False))
        if m.active:
            roles.append(m.role)
        by_user[m.user_id] = (user, roles, active or m.active)
    return [Member(user, tuple(roles), active, user.last_login,
                   bool(django_otp.user_has_device(user, confirmed=True)),
                   not user.has_usable_password())
            for user, roles, active in by_user.values()]


def member_of(staff: Staff, user_id: int) -> User:
    """A person with a membership (active or not) in the admin's clinic; anyone else is a
    404, like every foreign object."""
    staff.require(Perm.MANAGE_CLINIC)
    user = (User.objects.filter(pk=user_id, memberships__clinic=staff.clinic).distinct()
            .first())
    if user is None:
        raise Http404("No such member in this clinic.")
    return user


def _role(value: str) -> Role:
    if value not in Role.values:
        raise ValidationError({"role": f"{value!r} is not a role; choose one of: "
                                       f"{', '.join(Role.values)}."})
    return Role(value)


def active_roles(user: User, clinic: Clinic) -> set[str]:
    return set(Membership.objects.filter(user=user, clinic=clinic, active=True)
               .values_list("role", flat=True))


def _other_active_admins(clinic: Clinic, user: User) -> bool:
    return (Membership.objects.filter(clinic=clinic, role=Role.ADMIN, active=True,
                                      user__is_active=True)
            .exclude(user=user).exists())


def _guard_last_admin(clinic: Clinic, user: User, field: str) -> None:
    """Called inside the action's transaction. The clinic row is locked first, so two
    admins removing each other at once run one after the other and the second sees the
    first's change (SQLite serialises writers already)."""
    Clinic.objects.select_for_update().get(pk=clinic.pk)
    if Role.ADMIN in active_roles(user, clinic) and not _other_active_admins(clinic, user):
        raise ValidationError({field: f"{user.get_full_name() or user.username} is the last "
                                      f"active admin of {clinic}: make someone else an admin "
                                      "first."})


def _set_roles(user: User, clinic: Clinic, roles: set[str]) -> None:
    Membership.objects.filter(user=user, clinic=clinic).exclude(role__in=roles).update(
        active=False)
    for role in roles:
        Membership.objects.update_or_create(user=user, clinic=clinic, role=role,
                                            defaults={"active": True})


def _audit(staff: Staff, action: Action, user: User, request: HttpRequest | None,
           **detail: object) -> None:
    record(action, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, object_type="user", object_id=str(user.pk),
           detail={"member": user.get_username(), **detail})


def clean_username(username: str, email: str) -> str:
    username = (username or email).strip()
    if not username:
        raise ValidationError({"username": "Give a username."})
    if len(username) > USERNAME_MAX:
        raise ValidationError({"username": f"At most {USERNAME_MAX} characters."})
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    return username


def clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not an email address."}) from None
    return email


@transaction.atomic
def invite(staff: Staff, *, first_name: str, last_name: str, email: str, role: str,
           username: str = "", request: HttpRequest | None = None) -> User:
    """A new person gets an account without a password and an emailed set-password link.
    An existing person (same username and email) is given the role in this clinic and told
    by email; their password is not touched."""
    staff.require(Perm.MANAGE_CLINIC)
    email = clean_email(email)
    chosen = _role(role)
    username = clean_username(username, email)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name:
        raise ValidationError({"first_name": "Give the person's first name."})
    existing = User.objects.filter(username__iexact=username).first()
    inviter = staff.user.get_full_name() or staff.user.username
    if existing is not None:
        if existing.email.lower() != email.lower():
            raise ValidationError({"username": f"The username {username!r} is taken. "
                                               "Choose another (or give that person's "
                                               "email address to add them to this clinic)."})
        if active_roles(existing, staff.clinic):
            raise ValidationError({"username": f"{username} is already a member of "
                                               f"{staff.clinic}: change their role instead."})
        if not existing.is_active:
            existing.is_active = True
            existing.save(update_fields=["is_active"])
        _set_roles(existing, staff.clinic, {chosen})
        _audit(staff, Action.CREATE, existing, request, staff_change="add_member",
               role=chosen.value, existing_account=True)
        invites.send_added(existing, staff.clinic, chosen.label, invited_by=inviter)
        return existing
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    invites.void_links(user)
    user.save()
    _set_roles(user, staff.clinic, {chosen})
    _audit(staff, Action.CREATE, user, request, staff_change="invite", role=chosen.value,
           email=email)
    invites.send_invite(user, staff.clinic, chosen.label, invited_by=inviter)
    return user


@transaction.atomic
def resend_invite(staff: Staff, user: User, *, request: HttpRequest | None = None) -> None:
    """A fresh link for someone who has not chosen a password yet; older links die."""
    staff.require(Perm.MANAGE_CLINIC)
    roles = active_roles(user, staff.clinic)
    if not roles:
        raise ValidationError({"user": "Only active members can be sent an invitation."})
    if user.has_usable_password():
        raise ValidationError({"user": f"{user.username} has already chosen a password: they "
                                       "can use 'Forgot password' on the sign-in page."})
    invites.void_links(user)
    user.save(update_fields=["password"])
    _audit(staff, Action.UPDATE, user, request, staff_change="resend_invite")
    label = ", ".join(Role(r).label for r in sorted(roles))
    inviter = staff.user.get_full_name() or staff.user.username
    invites.send_invite(user, staff.clinic, label, invited_by=inviter)


@transaction.atomic
def change_role(staff: Staff, user: User, role: str, *,
                request: HttpRequest | None = None) -> None:
    staff.require(Perm.MANAGE_CLINIC)
    chosen = _role(role)
    before = active_roles(user, staff.clinic)
    if not before:
        raise ValidationError({"role": "This person is not an active member: invite them "
                                       "again to give them a role."})
    if before == {chosen.value}:
        raise ValidationError({"role": f"{user.username} already has exactly this role."})
    if chosen != Role.ADMIN:
        _guard_last_admin(staff.clinic, user, "role")
    _set_roles(user, staff.clinic, {chosen.value})
    _audit(staff, Action.UPDATE, user, request, staff_change="role",
           old=sorted(before), new=[chosen.value])


def end_sessions(user: User) -> int:
    """Delete every signed-in session of `user` (database sessions)."""
    ended = [s.pk for s in Session.objects.filter(expire_date__gt=timezone.now())
             if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def deactivate(staff: Staff, user: User, *, request: HttpRequest | None = None) -> None:
    staff.require(Perm.MANAGE_CLINIC)
    before = active_roles(user, staff.clinic)
    if not before:
        raise ValidationError({"user": f"{user.username} is not an active member."})
    _guard_last_admin(staff.clinic, user, "user")
    Membership.objects.filter(user=user, clinic=staff.clinic).update(active=False)
    # Someone with no clinic left cannot sign in at all (and their tokens are refused).
    if not Membership.objects.filter(user=user, active=True).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
    ended = end_sessions(user)
    _audit(staff, Action.UPDATE, user, request, staff_change="deactivate",
           old=sorted(before), new=[], sessions_ended=ended)


@transaction.atomic
def reset_two_factor(staff: Staff, user: User, *, request: HttpRequest | None = None) -> int:
    """Lost phone: every device (authenticator and recovery codes) goes."""
    staff.require(Perm.MANAGE_CLINIC)
    if not active_roles(user, staff.clinic):
        raise ValidationError({"user": f"{user.username} is not an active member."})
    removed = 0
    for device in list(django_otp.devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    if not removed:
        raise ValidationError({"user": f"{user.username} has no two-factor sign-in to reset."})
    _audit(staff, Action.UPDATE, user, request, staff_change="reset_two_factor",
           devices_removed=removed)
    return removed
