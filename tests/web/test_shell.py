from __future__ import annotations

import pytest
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_health_needs_no_sign_in_and_checks_the_database(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", ["/", "/calculator/", "/clinic/staff/"])  # /admin/ is off
def test_pages_redirect_anonymous_visitors_to_sign_in(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_sign_in_and_out(client, clinician) -> None:
    response = client.post("/accounts/login/", {"username": "rhea", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Rhea Tester" in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, clinician) -> None:
    response = client.post("/accounts/login/", {"username": "rhea", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_passwords_are_hashed_with_argon2(clinician) -> None:
    assert clinician.password.startswith("argon2")


def test_pages_send_csp_and_no_third_party_assets(signed_in) -> None:
    response = signed_in.get("/calculator/phq9/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    body = response.content.decode()
    assert "https://" not in body and "http://" not in body


def test_static_assets_are_served_by_the_app(client) -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("ketacare/app.css")
    assert finders.find("django_htmx/htmx-2.min.js")


def test_models_and_migrations_agree() -> None:
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
