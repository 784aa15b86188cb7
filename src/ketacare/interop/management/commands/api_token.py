"""`ketacare api-token create|revoke|list`: bearer tokens for the FHIR and JSON APIs.

`create` prints the token alone on stdout (so `TOKEN=$(ketacare api-token create ...)`
works); it is never shown again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandParser

from ketacare.accounts.clinic_option import add_clinic_argument, clinic_from_option
from ketacare.accounts.staff import clinics_of
from ketacare.cli.command import Command as KetaCareCommand
from ketacare.cli.command import usage
from ketacare.interop.auth import DEFAULT_EXPIRES_DAYS, create_token, revoke_token
from ketacare.interop.models import ApiToken


class Command(KetaCareCommand):
    help = "Create, revoke or list API tokens (FHIR /fhir and JSON /api/v1)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token; prints it alone")
        create.add_argument("--user", required=True, help="username of the staff member")
        add_clinic_argument(create, "needed if the user works in several")
        create.add_argument("--name", default="", help="what the token is for")
        create.add_argument("--expires-days", type=int, default=DEFAULT_EXPIRES_DAYS,
                            help=f"days until it stops working (default "
                                 f"{DEFAULT_EXPIRES_DAYS})")
        revoke = sub.add_parser("revoke", help="revoke a token by id")
        revoke.add_argument("id", type=int)
        sub.add_parser("list", help="list tokens (never the secrets)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["user"], options.get("clinic"), options["name"],
                         options["expires_days"])
        elif action == "revoke":
            try:
                token = ApiToken.objects.get(pk=options["id"])
            except ApiToken.DoesNotExist:
                raise usage(f"no API token with id {options['id']}") from None
            revoke_token(token)
            self.stderr.write(f"revoked token {token.pk}")
        else:
            for t in ApiToken.objects.select_related("user", "clinic"):
                used = t.last_used_at.isoformat() if t.last_used_at else "never"
                self.stdout.write(f"{t.pk}\t{t.state}\t{t.user.get_username()}\t"
                                  f"{t.clinic.name}\t{t.name}\tcreated {t.created_at:%Y-%m-%d}"
                                  f"\texpires {t.expires_at:%Y-%m-%d}\tlast used {used}")

    def _create(self, username: str, clinic: str | None, name: str,
                expires_days: int) -> None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise usage(f"--user: no user named {username!r}") from None
        clinics = clinics_of(user).values()
        if not clinics:
            raise usage(f"--user: {username} has no active role in any clinic")
        chosen = clinic_from_option(clinic, clinics, scope=f"clinics {username} works in")
        try:
            _, secret = create_token(user, chosen, name, expires_days=expires_days)
        except ValidationError as exc:
            raise usage("; ".join(exc.messages)) from None
        self.stdout.write(secret)
