"""`ketacare two-factor reset --user USERNAME`: remove a person's two-factor devices (a lost
or replaced phone). They then sign in with their password alone, or are sent to set up a
new device where their clinic requires it. Audited as the operator's (OS user's) action.

Bad input (unknown user, missing option) exits 2 with one line on stderr."""

from __future__ import annotations

import getpass
import sys
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketacare.accounts import two_factor


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


class Command(BaseCommand):
    help = "Reset a staff member's two-factor sign-in (removes their authenticator devices)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        from_shell = bool(getattr(self, "_called_from_command_line", False))

        def one_line(message: str) -> NoReturn:
            if not from_shell:
                raise _usage(message)
            print(f"error: two-factor: {message}", file=sys.stderr)
            raise SystemExit(2)

        # argparse would print the usage block, then the error: one line is the convention.
        for p in (parser, *self._subparsers):
            p.error = one_line  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{reset}")
        reset = sub.add_parser("reset", help="remove every two-factor device of a user")
        reset.add_argument("--user", required=True, metavar="USERNAME")
        self._subparsers = [reset]

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["user"]
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise _usage(f"--user: no user named {username!r}") from None
        removed = two_factor.reset(user, operator=f"cli:{_os_user()}")
        if removed:
            self.stdout.write(f"two-factor sign-in reset for {username}: {removed} device(s) "
                              "removed; they sign in with their password alone until they "
                              "set it up again")
        else:
            self.stdout.write(f"{username} had no two-factor device: nothing to reset")
