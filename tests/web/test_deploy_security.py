"""Production settings: `ketacare check` (Django's deployment checks plus KetaCare's own)
passes with the environment documented in
docs/deployment-security.md (and fails without it), HSTS and the proxy's HTTPS header come
from the environment, and the 403 and 404 pages are in the site's layout."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

KETACARE = str(Path(sys.executable).with_name("ketacare"))
SRC = str(Path(__file__).resolve().parents[2] / "src")
# The production block of docs/deployment-security.md, verbatim.
PRODUCTION = {
    "KETACARE_SECRET_KEY": "a-long-random-production-secret-" + "k3y" * 20,
    "KETACARE_ALLOWED_HOSTS": "ketacare.example.org",
    "KETACARE_CSRF_TRUSTED_ORIGINS": "https://ketacare.example.org",
    "KETACARE_SECURE_COOKIES": "true",
    "KETACARE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "KETACARE_HSTS_PRELOAD": "true",
    "KETACARE_BASE_URL": "https://ketacare.example.org",
    "KETACARE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def _env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    # Nothing of the test run's own environment (conftest allows async-unsafe ORM calls).
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("KETACARE_", "DJANGO_ALLOW_ASYNC"))}
    return {**base, "PYTHONPATH": SRC, "KETACARE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra}


def test_documented_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    doc = (Path(SRC).parent / "docs" / "deployment-security.md").read_text()
    for name, value in PRODUCTION.items():
        if name != "KETACARE_SECRET_KEY":
            assert f"{name}={value}" in doc, name
    check = [KETACARE, "check"]
    passed = subprocess.run(check, env=_env(tmp_path, PRODUCTION), capture_output=True,
                            text=True, timeout=120)
    assert passed.returncode == 0, passed.stderr
    assert "OK: ready for production" in passed.stdout
    plain = subprocess.run(check, env=_env(tmp_path, {}), capture_output=True, text=True,
                           timeout=120)
    assert plain.returncode == 1 and "security.W004" in plain.stdout  # no HSTS without it


def test_hsts_and_proxy_header_come_from_the_environment(tmp_path: Path) -> None:
    show = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
            "s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER)")
    env = _env(tmp_path, {**PRODUCTION, "DJANGO_SETTINGS_MODULE": "ketacare.config.settings",
                          "KETACARE_HSTS_SECONDS": "600"})
    out = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout.strip()
    assert out == "600 True True ('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.django_db
def test_https_behind_the_proxy_gets_hsts(client, settings, clinician) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client.force_login(clinician)
    over_https = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert over_https["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/")  # plain HTTP: never


@pytest.mark.django_db
def test_403_and_404_pages_use_the_sites_layout(client, analyst_a, prescriber_a) -> None:
    client.force_login(analyst_a)
    refused = client.get("/patients/")
    body = refused.content.decode()
    assert refused.status_code == 403
    assert 'class="topbar"' in body and "Not allowed" in body and "Sign out" in body
    client.force_login(prescriber_a)
    missing = client.get(f"/patients/{uuid.uuid4()}/")
    body = missing.content.decode()
    assert missing.status_code == 404
    assert 'class="topbar"' in body and "Not found" in body and "Patients" in body
