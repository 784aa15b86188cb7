"""Personas and helpers for the audit tests: an admin, prescriber, nurse and analyst of
clinic A, an admin of clinic B, and a patient in each clinic with the same MRN (MRNs are
unique per clinic only)."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from types import ModuleType, SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from ketacare.accounts.models import Clinic, Membership
from ketacare.audit.log import record
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Patient

PASSWORD = "correct-horse-battery-staple"
MRN = "A-1001"

# Migration modules start with a digit: imported by name. Tests reuse its exact SQL.
append_only: ModuleType = importlib.import_module("ketacare.audit.migrations.0002_append_only")


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Argon2 is slow on purpose; these tests create many users and test no hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_staff(username: str, clinic: Clinic, role: str) -> Any:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(user=user, clinic=clinic, role=role)
    return user


@pytest.fixture
def clinic_a(db: None) -> Clinic:
    return Clinic.objects.create(name="Audit Clinic A", time_zone="America/New_York")


@pytest.fixture
def clinic_b(db: None) -> Clinic:
    return Clinic.objects.create(name="Audit Clinic B", time_zone="Europe/London")


@pytest.fixture
def admin_a(clinic_a: Clinic) -> Any:
    return make_staff("audit-admin-a", clinic_a, "admin")


@pytest.fixture
def prescriber_a(clinic_a: Clinic) -> Any:
    return make_staff("audit-prescriber-a", clinic_a, "prescriber")


@pytest.fixture
def nurse_a(clinic_a: Clinic) -> Any:
    return make_staff("audit-nurse-a", clinic_a, "nurse")


@pytest.fixture
def analyst_a(clinic_a: Clinic) -> Any:
    return make_staff("audit-analyst-a", clinic_a, "analyst")


@pytest.fixture
def admin_b(clinic_b: Clinic) -> Any:
    return make_staff("audit-admin-b", clinic_b, "admin")


def _patient(clinic: Clinic, given: str, family: str) -> Patient:
    return Patient.objects.create(clinic=clinic, mrn=MRN, given_name=given, family_name=family,
                                  date_of_birth=date(1980, 5, 17), sex_at_birth="female")


@pytest.fixture
def patient_a(clinic_a: Clinic) -> Patient:
    return _patient(clinic_a, "Marisol", "Quintero")


@pytest.fixture
def patient_b(clinic_b: Clinic) -> Patient:
    return _patient(clinic_b, "Tobias", "Lindqvist")


class Helpers:
    """Shared helpers, handed to tests as the `audit` fixture (test modules here are not a
    package, so they cannot import from this file)."""

    password = PASSWORD
    mrn = MRN
    migration = append_only

    @staticmethod
    def sign_in(client: Client, user: Any) -> Client:
        """Signed in, with the active clinic chosen (each persona has exactly one, which
        the staff middleware picks on the first request)."""
        client.force_login(user)
        client.get(reverse("home"))
        return client

    @staticmethod
    def record_at(when: datetime, action: str, **fields: Any) -> AuditEvent:
        """An entry as if written at `when`."""
        with mock.patch("django.utils.timezone.now", return_value=when):
            return record(action, **fields)

    @staticmethod
    def execute(sql: str, params: list[Any] | None = None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)  # None: a '%' in `sql` is not a placeholder
            return cursor.rowcount

    @classmethod
    def tamper(cls, sql: str, params: list[Any] | None = None) -> int:
        """Run `sql` the way someone with owner rights would: with the append-only guard
        lifted for that one statement. Returns the rows affected."""
        if connection.vendor == "postgresql":
            # Superuser: ordinary triggers do not fire in a replica session.
            cls.execute("SET LOCAL session_replication_role = replica")
            try:
                return cls.execute(sql, params)
            finally:
                cls.execute("SET LOCAL session_replication_role = DEFAULT")
        for statement in append_only.SQLITE_REMOVE:
            cls.execute(statement)
        try:
            return cls.execute(sql, params)
        finally:
            for statement in append_only.SQLITE_INSTALL:
                cls.execute(statement)

    @classmethod
    def schema_editor(cls) -> SimpleNamespace:
        """Enough of a schema editor for the migration's RunPython functions, inside the
        test's transaction (SQLite's real schema editor refuses to run in one)."""
        return SimpleNamespace(connection=connection,
                               execute=lambda sql, params=None: cls.execute(sql, params))


@pytest.fixture
def audit(db: None) -> type[Helpers]:
    return Helpers
