"""Shared fixtures, with the personas every clinic-scoped test uses: an admin, a prescriber,
a nurse and an analyst of clinic A, and a prescriber of clinic B who must see nothing of
clinic A."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.backends.signals import connection_created

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from a thread with a running loop unless told this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple"


def _allow_test_flush(sender: object, connection: Any, **kwargs: object) -> None:
    """Django empties the test database with TRUNCATE after transactional and browser
    tests; the audit trigger allows that only to a session that asks (audit migration 0002)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET ketacare.audit_truncate = 'allow'")


connection_created.connect(_allow_test_flush)
CHROMIUM = os.environ.get("KETACARE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def clinic_a(db):  # type: ignore[no-untyped-def]
    from ketacare.accounts.models import Clinic

    return Clinic.objects.create(name="Clinic A", time_zone="America/New_York")


@pytest.fixture
def clinic_b(db):  # type: ignore[no-untyped-def]
    from ketacare.accounts.models import Clinic

    return Clinic.objects.create(name="Clinic B", time_zone="America/Los_Angeles")


def _password_hash() -> str:
    """Computed once per hasher list: tests/audit switches to a fast hasher, and a hash made
    there must not be reused where only Argon2 checks passwords (it failed every later
    co-signature when tests/audit ran first)."""
    from django.conf import settings

    return _hash_for(tuple(settings.PASSWORD_HASHERS))


@functools.cache
def _hash_for(hashers: tuple[str, ...]) -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def make_staff(username: str, clinic, *roles: str):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from ketacare.accounts.models import Membership

    user = get_user_model().objects.create_user(
        username=username, password=None, first_name=username.capitalize(),
        last_name="Tester",
    )
    user.password = _password_hash()  # the real Argon2 hash, computed once per run
    user.save(update_fields=["password"])
    for role in roles:
        Membership.objects.create(user=user, clinic=clinic, role=role)
    return user


@pytest.fixture
def admin_a(clinic_a):  # type: ignore[no-untyped-def]
    return make_staff("ada", clinic_a, "admin")


@pytest.fixture
def prescriber_a(clinic_a):  # type: ignore[no-untyped-def]
    return make_staff("priya", clinic_a, "prescriber")


@pytest.fixture
def nurse_a(clinic_a):  # type: ignore[no-untyped-def]
    return make_staff("noah", clinic_a, "nurse")


@pytest.fixture
def analyst_a(clinic_a):  # type: ignore[no-untyped-def]
    return make_staff("anya", clinic_a, "analyst")


@pytest.fixture
def prescriber_b(clinic_b):  # type: ignore[no-untyped-def]
    return make_staff("bert", clinic_b, "prescriber")


@pytest.fixture
def clinician(clinic_a):  # type: ignore[no-untyped-def]
    """A prescriber with a full name, for pages that show it."""
    return make_staff("rhea", clinic_a, "prescriber")


@pytest.fixture
def patient_a(clinic_a, prescriber_a):  # type: ignore[no-untyped-def]
    """A patient of clinic A, created through the real action."""
    from datetime import date

    from ketacare.accounts.staff import staff_for
    from ketacare.patients import actions

    staff = staff_for(prescriber_a, clinic_a)
    return actions.create_patient(staff, {
        "mrn": "A-0001", "given_name": "Jordan", "family_name": "Rivera",
        "date_of_birth": date(1985, 4, 12), "sex_at_birth": "female",
    })


@pytest.fixture
def signed_in(client, clinician):  # type: ignore[no-untyped-def]
    client.force_login(clinician)
    return client


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Real Chromium from Debian. Missing Chromium is a failure, never a skip: CI must
    prove the pages work in a browser."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (installs it) "
                    "or set KETACARE_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _browser_pages_closed(request) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """After a browser test, close what it left open. An open page keeps its connections
    to the live server alive, and with them a server thread and its database connection:
    PostgreSQL then cannot drop the test database, and on SQLite the thread fails when it
    closes the shared connection after the live server has stopped sharing it."""
    yield
    if "chromium" in request.fixturenames:
        for context in request.getfixturevalue("chromium").contexts:
            context.close()


@pytest.fixture
def sign_in(live_server, clinician) -> Callable[[object], None]:  # type: ignore[no-untyped-def]
    """Sign in through the real login form, as a person would."""

    def _sign_in(page) -> None:  # type: ignore[no-untyped-def]
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", clinician.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

    return _sign_in


def click_and_load(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Press a button or link that loads a new page and wait for that page.
    Playwright's click does not wait for the navigation it starts, so the next step could
    act on the page being left (a reload racing a vitals post failed CI once)."""
    with page.expect_navigation():
        page.click(selector)


def cosigned(staff, user, purpose: str):  # type: ignore[no-untyped-def]
    """`user` co-signs `staff`'s step with their real password, as on the tablet."""
    from ketacare.accounts import cosign

    return cosign.verify(staff, cosign.Purpose(purpose), username=user.username,
                         password=PASSWORD)



@pytest.fixture(scope="session")
def demo_build(django_db_setup, django_db_blocker) -> list[tuple[Any, list[Any]]]:  # type: ignore[no-untyped-def]
    """`ketacare demo` run once per test session, kept as model instances (every table the
    demo writes) and rolled back, so the database stays empty for every other test. Not a
    dumpdata fixture: JSON keeps datetimes to the millisecond, which breaks the audit
    chain's hashes."""
    import io

    from django.apps import apps
    from django.core.management import call_command
    from django.db import transaction

    skip = {"contenttypes", "auth.permission", "sessions"}
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", stdout=io.StringIO())
        rows = [(model, list(model._base_manager.order_by("pk")))
                for model in apps.get_models(include_auto_created=True)
                if model._meta.managed and not model._meta.proxy
                and not {model._meta.app_label, model._meta.label_lower} & skip]
        transaction.set_rollback(True)
    return [(model, objs) for model, objs in rows if objs]


@pytest.fixture
def demo(db, demo_build):  # type: ignore[no-untyped-def]
    """The demo clinics by name, inserted into this test's transaction from the session's
    one build: exact rows (raw inserts skip auto_now), foreign keys checked at commit."""
    from ketacare.accounts.models import Clinic

    insert_demo(demo_build)
    return {c.name: c for c in Clinic.objects.all()}


def insert_demo(demo_build: list[tuple[Any, list[Any]]]) -> None:
    """In one transaction: foreign keys are checked at its end, so table order is free.
    Rows go in with their ids, so each table's id sequence is then set past them, as
    `loaddata` does. A PostgreSQL sequence can stand below the build's ids (pg_restore in
    the backup tests sets sequences from its dump): in one CI run the next audit entry
    took an id a demo row held."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    with transaction.atomic():
        for model, objs in demo_build:
            fields = model._meta.local_concrete_fields
            for start in range(0, len(objs), 500):
                model._base_manager._insert(objs[start:start + 500], fields=fields, raw=True)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(),
                                                         [m for m, _ in demo_build]):
                cursor.execute(sql)


@pytest.fixture(autouse=True)
def _empty_caches() -> None:
    """Every test starts with empty caches (chart pictures, home-page counts): keys such as
    a clinic's id can repeat between tests."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
