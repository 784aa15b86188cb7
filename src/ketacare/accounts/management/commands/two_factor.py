"""`ketacare two-factor reset --user USERNAME`: remove a person's two-factor devices (a lost
or replaced phone). They then sign in with their password alone, or are sent to set up a
new device where their clinic requires it. Audited as the operator's (OS user's) action.

Bad input (unknown user, missing option) exits 2 with one line on stderr."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from ketacare.accounts import two_factor
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.command import usage
from ketacare.cli.common import os_user


class Command(KetaCareCommand):
    help = "Reset a staff member's two-factor sign-in (removes their authenticator devices)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{reset}")
        reset = sub.add_parser("reset", help="remove every two-factor device of a user")
        reset.add_argument("--user", required=True, metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["user"]
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise usage(f"--user: no user named {username!r}") from None
        removed = two_factor.reset(user, operator=f"cli:{os_user()}")
        if removed:
            self.stdout.write(f"two-factor sign-in reset for {username}: {removed} device(s) "
                              "removed; they sign in with their password alone until they "
                              "set it up again")
        else:
            self.stdout.write(f"{username} had no two-factor device: nothing to reset")
