"""KetaCare's own production checks, registered as Django deployment checks: they run with
`ketacare check` (and Django's `check --deploy`)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning


@register(Tags.security, deploy=True)
def ketacare_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []

    def need(ok: bool, code: str, message: str, hint: str) -> None:
        if not ok:
            problems.append(CheckWarning(message, hint=hint, id=f"ketacare.W{code}"))

    need(bool(os.environ.get("KETACARE_SECRET_KEY")), "001",
         "KETACARE_SECRET_KEY is not set (a key kept in var/ is lost with the machine)",
         "Set KETACARE_SECRET_KEY to a long random value kept with your secrets.")
    need(settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE, "002",
         "cookies are sent over plain HTTP", "Serve over HTTPS and set "
         "KETACARE_SECURE_COOKIES=true.")
    need(not settings.DEBUG, "003", "KETACARE_DEBUG is on", "Set KETACARE_DEBUG=false.")
    need("console" not in settings.EMAIL_BACKEND and "locmem" not in settings.EMAIL_BACKEND,
         "004", f"email goes to {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}: invitations, "
         "password resets and self-report links never reach anyone",
         "Set KETACARE_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and "
         "KETACARE_EMAIL_HOST/PORT/USER/PASSWORD/TLS.")
    base = os.environ.get("KETACARE_BASE_URL", "")
    need(base.startswith("https://"), "005",
         "KETACARE_BASE_URL is not set to an https:// address" if base else
         "KETACARE_BASE_URL is not set (links in emails would point at localhost)",
         "Set KETACARE_BASE_URL=https://your-host.example.org")
    need(bool(settings.CSRF_TRUSTED_ORIGINS), "006",
         "KETACARE_CSRF_TRUSTED_ORIGINS is empty (forms fail behind an HTTPS proxy)",
         "Set KETACARE_CSRF_TRUSTED_ORIGINS=https://your-host.example.org")
    return problems
