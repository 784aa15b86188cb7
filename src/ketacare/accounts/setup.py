"""First run: a clinic and its first admin, in one transaction (`ketacare setup`)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from ketacare.audit.log import record
from ketacare.audit.models import Action

from . import invites
from .models import Clinic, Membership, Role, validate_time_zone
from .signals import clinic_created
from .staff_admin import clean_email, clean_username
from .two_factor import REQUIRE_SETTING


def _as_option(clean: Callable[[str], str], value: str, option: str) -> str:
    """The staff form's cleaning, with errors named after the setup option."""
    try:
        return clean(value)
    except ValidationError as exc:
        raise ValidationError({option: exc.messages}) from None


@transaction.atomic
def create_clinic(*, clinic_name: str, time_zone: str, admin: str, admin_email: str,
                  operator: str, first_name: str = "", last_name: str = "",
                  require_two_factor: bool = False) -> tuple[Clinic, User, str]:
    """Returns the clinic, the admin and their one-time set-password link. Any bad value
    raises ValidationError naming the option before anything is written. With
    `require_two_factor` the clinic's policy is on from the start, so the admin enrols an
    authenticator right after choosing a password."""
    name = clinic_name.strip()
    if not name:
        raise ValidationError({"clinic_name": "Give the clinic's name."})
    if len(name) > Clinic._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError({"clinic_name": "At most 200 characters."})
    if Clinic.objects.filter(name__iexact=name).exists():
        raise ValidationError({"clinic_name": f"a clinic named {name!r} already exists"})
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise ValidationError({"time_zone": exc.messages}) from None
    email = _as_option(clean_email, admin_email, "admin_email")
    username = _as_option(lambda value: clean_username(value, ""), admin, "admin")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"admin": f"a user named {username!r} already exists"})
    clinic = Clinic.objects.create(name=name, time_zone=time_zone, settings=(
        {REQUIRE_SETTING: True} if require_two_factor else {}))
    user = User(username=username, email=email, first_name=first_name.strip(),
                last_name=last_name.strip())
    invites.void_links(user)
    user.save()
    Membership.objects.create(user=user, clinic=clinic, role=Role.ADMIN)
    # Consent gives a clinic that goes live its documents from the start, so no first dose
    # is ever given without the patient's signed consent (consent.hooks).
    clinic_created.send(sender=Clinic, clinic=clinic)
    record(Action.CREATE, username=operator, clinic_id=clinic.pk, obj=clinic,
           detail={"setup": "clinic", "name": name, "time_zone": time_zone,
                   "admin": username, "require_two_factor": require_two_factor})
    return clinic, user, invites.set_password_link(user)
