"""The demo clinics and their staff. Idempotent: a re-run resets the demo users' password
and changes nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from faker import Faker

from ketacare.accounts.models import Clinic, Membership
from ketacare.accounts.staff import Staff

from .profiles import DEMO, OTHER, SEED, USERS, ClinicSpec

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def build(encoded_password: str) -> tuple[dict[str, Clinic], dict[str, User]]:
    """The clinics by name and the users by username, with `encoded_password` set."""
    names = Faker("en_US")
    names.seed_instance(SEED - 1)
    clinics = {spec.name: _clinic(spec, names) for spec in (DEMO, OTHER)}
    users: dict[str, User] = {}
    for username, spec, role in USERS:
        users[username] = _user(username, names, encoded_password)
        Membership.objects.get_or_create(
            user=users[username], clinic=clinics[spec.name], role=role)
    return clinics, users


def as_staff(users: dict[str, User], clinic: Clinic, username: str) -> Staff:
    role = next(role for name, _, role in USERS if name == username)
    return Staff(users[username], clinic, frozenset({role}))


def _clinic(spec: ClinicSpec, names: Faker) -> Clinic:
    address = (f"{names.building_number()} {names.street_name()}, Suite "
               f"{names.random_int(100, 450)}\n{names.city()}, {spec.state} "
               f"{names.zipcode_in_state(spec.state)}")
    clinic, _ = Clinic.objects.get_or_create(
        name=spec.name, defaults={"time_zone": spec.time_zone, "address": address})
    return clinic


def _user(username: str, names: Faker, encoded_password: str) -> User:
    # Drawn whether or not the user exists, so every run sees the same names.
    first, last = names.first_name(), names.last_name()
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last,
                                     "email": f"{username}@example.org"})
    user.password = encoded_password
    user.save(update_fields=["password"])
    return user
