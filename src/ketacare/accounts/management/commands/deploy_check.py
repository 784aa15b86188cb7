"""`ketacare check`: Django's deployment checks plus KetaCare's own (secret key, HTTPS,
email, base URL; accounts/deploy_checks.py). Prints one line per problem and exits 1 when
there is any, 0 when the installation is ready for production."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Check the installation is configured for production; exit 1 with a list if not."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        found = [m for m in checks.run_checks(include_deployment_checks=True)
                 if m.level >= checks.WARNING and not m.is_silenced()]
        if not found:
            self.stdout.write("OK: ready for production")
            return
        self.stdout.write(f"{len(found)} problem(s) to fix before going live:")
        for m in sorted(found, key=lambda m: m.id or ""):
            hint = f" ({m.hint})" if m.hint else ""
            self.stdout.write(f"- {m.id}: {m.msg}{hint}")
        raise SystemExit(1)
