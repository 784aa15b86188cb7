"""What every `ketacare` management command shares (cli/command.py, accounts/clinic_option):
`--clinic` is a clinic's id or exact name everywhere, and bad input is one line on stderr
with exit status 2, from argparse or from the command."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from ketacare.accounts.models import Clinic
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.cli import main
from ketacare.interop.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch) -> None:
    """A command run as from the shell closes every connection when it ends; on PostgreSQL
    that would end the test's transaction."""
    monkeypatch.setattr(connections, "close_all", lambda: None)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def usage_error(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode == 2
    return str(caught.value)


@pytest.mark.parametrize("by", ["id", "name"])
def test_every_clinic_option_takes_an_id_or_a_name(by, clinic_a, clinic_b, prescriber_a,
                                                    tmp_path) -> None:
    clinic = str(clinic_a.pk) if by == "id" else clinic_a.name
    assert "Clinic A" in run("export", "research", "--out", str(tmp_path / "x"),
                             "--clinic", clinic)
    record(Action.VIEW, username="cli:test", clinic_id=clinic_b.pk, object_type="test")
    exported = run("audit", "export", "--clinic", clinic)
    assert f'"clinic_id": {clinic_b.pk}' not in exported
    prescriber_a.memberships.create(clinic=clinic_b, role="prescriber")
    run("api_token", "create", "--user", prescriber_a.username, "--clinic", clinic)
    assert ApiToken.objects.get().clinic == clinic_a


def test_an_unknown_or_missing_clinic_lists_the_clinics(clinic_a, clinic_b, tmp_path) -> None:
    listing = f"{clinic_a.pk} 'Clinic A', {clinic_b.pk} 'Clinic B'"
    for command in (["export", "research", "--out", str(tmp_path / "x")], ["audit", "export"]):
        assert usage_error(*command, "--clinic", "Clinic C") == (
            f"--clinic: no clinic with id or name 'Clinic C' among the clinics: {listing}")
    assert usage_error("export", "research", "--out", str(tmp_path / "x")) == (
        f"--clinic: choose one of the clinics: {listing}")


def test_a_value_that_is_one_clinics_id_and_anothers_name_is_refused(clinic_a,
                                                                     tmp_path) -> None:
    named = Clinic.objects.create(name=str(clinic_a.pk), time_zone="UTC")
    message = usage_error("audit", "export", "--clinic", str(clinic_a.pk))
    assert message == (f"--clinic: '{clinic_a.pk}' is one clinic's id and another's name: "
                       f"{clinic_a.pk} 'Clinic A', {named.pk} '{named.name}'; give the id")
    assert "Clinic A" in run("export", "research", "--out", str(tmp_path / "x"),
                             "--clinic", "Clinic A")


def test_the_clinic_of_an_api_token_is_among_the_users_clinics(prescriber_a, clinic_b) -> None:
    message = usage_error("api_token", "create", "--user", "priya", "--clinic", "Clinic B")
    assert message.startswith("--clinic: no clinic with id or name 'Clinic B' among the "
                              "clinics priya works in:")


@pytest.mark.parametrize(("args", "line"), [
    (["audit", "export", "--bogus"], "error: audit: unrecognized arguments: --bogus"),
    (["api-token", "create"], "error: api-token: the following arguments are required: --user"),
    (["export", "research"], "error: export: the following arguments are required: --out"),
    (["ledger"], "error: ledger: the following arguments are required: {verify}"),
    (["audit", "export", "--clinic", "Nowhere"],
     "error: audit: --clinic: no clinic with id or name 'Nowhere' among the clinics: none"),
])
def test_bad_input_from_the_shell_is_one_line_and_exit_2(args, line, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == line
