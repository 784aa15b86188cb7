"""`ketacare demo`: a demo login for a fresh install. Idempotent: re-running resets the
demo password and changes nothing else."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_USERS = (
    ("demo-prescriber", "Dr Robin", "Avery"),
    ("demo-nurse", "Sam", "Okafor"),
)


class Command(BaseCommand):
    help = "Create or refresh the demo logins and print their password."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("KETACARE_DEMO_PASSWORD") or secrets.token_urlsafe(12)
        User = get_user_model()
        for username, first, last in DEMO_USERS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            user.set_password(password)
            user.save()
        names = ", ".join(u for u, _, _ in DEMO_USERS)
        self.stdout.write(f"Demo logins: {names}")
        self.stdout.write(f"Password:    {password}")
