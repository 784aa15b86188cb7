"""Shared fixtures. Personas grow with the clinic model (issue #3); for now a signed-in
clinician and an anonymous visitor."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from a thread with a running loop unless told this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple"
CHROMIUM = os.environ.get("KETACARE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def clinician(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user(
        username="rhea", password=PASSWORD, first_name="Rhea", last_name="Okafor"
    )


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
