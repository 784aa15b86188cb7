"""`ketacare setup`: create a clinic and its first admin, then print the admin's one-time
set-password link (24 h). Asks for anything not given as an option when run at a
terminal; without a terminal every option is required.

    ketacare setup --clinic-name "Lakeside Clinic" --time-zone America/Chicago \
        --admin alex --admin-email alex@example.org [--require-two-factor]

Bad input (existing clinic or username, unknown time zone, invalid email) exits 2 with
one line on stderr, and nothing is written."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandParser

from ketacare.accounts.setup import create_clinic
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.common import fail, os_user

OPTIONS = (
    ("clinic_name", "Clinic name"),
    ("time_zone", "Time zone (e.g. America/New_York)"),
    ("admin", "Admin username"),
    ("admin_email", "Admin email"),
)


class Command(KetaCareCommand):
    help = "Create a clinic and its first admin; prints a one-time set-password link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic-name", metavar="NAME")
        parser.add_argument("--time-zone", metavar="AREA/CITY")
        parser.add_argument("--admin", metavar="USERNAME")
        parser.add_argument("--admin-email", metavar="EMAIL")
        parser.add_argument("--admin-first-name", default="", metavar="NAME")
        parser.add_argument("--admin-last-name", default="", metavar="NAME")
        parser.add_argument("--require-two-factor", action="store_true",
                            help="every member (the first admin too) must sign in with an "
                                 "authenticator app; changeable later on the settings page")

    def handle(self, *args: Any, **options: Any) -> None:
        values: dict[str, str] = {}
        for key, prompt in OPTIONS:
            value = options.get(key)
            if not value:
                if not sys.stdin.isatty():
                    fail(f"setup: --{key.replace('_', '-')} is required")
                value = input(f"{prompt}: ").strip()
            values[key] = value
        try:
            clinic, user, link = create_clinic(
                **values, first_name=options["admin_first_name"],
                last_name=options["admin_last_name"], operator=f"cli:{os_user()}",
                require_two_factor=options["require_two_factor"])
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            fail(f"setup: --{field.replace('_', '-')}: {' '.join(messages)}")
        policy = (" The clinic requires two-factor sign-in: after choosing a password "
                  f"{user.username} sets up an authenticator app." if
                  options["require_two_factor"] else "")
        self.stdout.write(
            f"Created clinic {clinic.name} ({clinic.time_zone}) with admin {user.username}."
            f"{policy}\n"
            f"{user.username} sets their password here (works once, expires in 24 hours):\n"
            f"{link}")
