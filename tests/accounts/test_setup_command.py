"""`ketacare setup`: a clinic and its first admin with a one-time set-password link;
bad input exits 2 with one line and writes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from ketacare.accounts.models import Clinic, Membership
from ketacare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ARGS = ["--clinic-name", "Lakeside Clinic", "--time-zone", "America/Chicago",
        "--admin", "alex", "--admin-email", "alex@example.org"]


def _setup(capsys, *args: str) -> tuple[int, str, str]:
    try:
        call_command("setup", *args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_setup_creates_clinic_admin_and_link(client, capsys) -> None:
    code, out, _ = _setup(capsys, *ARGS)
    assert code == 0
    clinic = Clinic.objects.get(name="Lakeside Clinic")
    alex = User.objects.get(username="alex")
    assert clinic.time_zone == "America/Chicago"
    assert Membership.objects.get(user=alex, clinic=clinic).role == "admin"
    assert not alex.has_usable_password()
    link = re.search(r"http\S+/accounts/set-password/\S+/", out)
    assert link, out
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    assert "Choose your password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "quiet-river-stone-42",
                                                    "new_password2": "quiet-river-stone-42"})
    assert done.status_code == 302
    assert AuditEvent.objects.filter(clinic_id=clinic.pk, detail__setup="clinic").exists()
    # Consent documents come with the clinic: the dose gate applies from the first course.
    from ketacare.consent.actions import document_for_route

    assert all(document_for_route(clinic, route) is not None
               for route in ("iv", "im", "oral", "esketamine_nasal"))
    # Another clinic on the same installation, with its own admin.
    code, _, _ = _setup(capsys, "--clinic-name", "Hillside", "--time-zone", "Europe/Oslo",
                        "--admin", "hanne", "--admin-email", "hanne@example.org")
    assert code == 0 and Clinic.objects.count() == 2


@pytest.mark.parametrize(("change", "message"), [
    ({"--clinic-name": "lakeside clinic"}, "--clinic-name: a clinic named"),
    ({"--admin": "ALEX"}, "--admin: a user named"),
    ({"--time-zone": "Mars/Olympus"}, "--time-zone: 'Mars/Olympus' is not an IANA time zone"),
    ({"--admin-email": "alex-at-example"}, "--admin-email: 'alex-at-example' is not an email"),
])
def test_setup_bad_input_exits_2_and_writes_nothing(capsys, change, message) -> None:
    assert _setup(capsys, *ARGS)[0] == 0
    counts = (Clinic.objects.count(), User.objects.count(), AuditEvent.objects.count())
    args = list(ARGS)
    if "--clinic-name" not in change:
        args[1] = "Another Clinic"
    if "--admin" not in change:
        args[5] = "sam"
    for key, value in change.items():
        args[args.index(key) + 1] = value
    code, _, err = _setup(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and message in err, err
    assert (Clinic.objects.count(), User.objects.count(),
            AuditEvent.objects.count()) == counts


def test_setup_without_a_terminal_needs_every_option(tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "KETACARE_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "from ketacare.cli import main; raise SystemExit(main())",
                             "setup", "--admin", "x"],
                            env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: setup: --clinic-name is required"


def test_setup_can_require_two_factor_from_the_start(client, capsys) -> None:
    """--require-two-factor: the new clinic's policy is on, so the first admin enrols an
    authenticator right after choosing a password, before any other page."""
    code, out, _ = _setup(capsys, *ARGS, "--require-two-factor")
    assert code == 0 and "requires two-factor sign-in" in out
    clinic = Clinic.objects.get(name="Lakeside Clinic")
    assert clinic.settings["require_two_factor"] is True
    entry = AuditEvent.objects.get(detail__setup="clinic")
    assert entry.detail["require_two_factor"] is True
    link = re.search(r"http\S+(/accounts/set-password/\S+/)", out)
    assert link
    form = client.get(link.group(1), follow=True)
    password = "quiet-river-stone-42"
    client.post(form.redirect_chain[-1][0], {"new_password1": password,
                                             "new_password2": password})
    assert client.post("/accounts/login/", {"username": "alex",
                                            "password": password}).status_code == 302
    response = client.get("/clinic/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")
