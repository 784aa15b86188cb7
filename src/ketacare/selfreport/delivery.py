"""Sending links: email through Django's email backend (SMTP in production, console or
file in demo, locmem in tests) and SMS through a small pluggable backend chosen by
`KETACARE_SMS_BACKEND` (console by default, or a file per message).

Messages carry the patient's first name at most, the clinic's name and the link: nothing
clinical, since email and SMS are not private channels."""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

from ketacare.accounts.models import Clinic


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None: ...


class ConsoleSmsBackend:
    """Prints each message (demo and development)."""

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"--- SMS to {to}\n{body}\n---\n")
        sys.stdout.flush()


class FileSmsBackend:
    """One file per message under KETACARE_SMS_FILE_PATH (tests, offline demos)."""

    _lock = threading.Lock()
    _count = 0

    def send(self, to: str, body: str) -> None:
        folder = Path(settings.KETACARE_SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            FileSmsBackend._count += 1
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{FileSmsBackend._count}.txt"
        (folder / name).write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.KETACARE_SMS_BACKEND)()
    return backend


def link_url(token: str) -> str:
    return f"{settings.KETACARE_BASE_URL.rstrip('/')}/r/{token}/"


def message(clinic: Clinic, first_name: str, url: str, expires: datetime,
            reminder: bool) -> tuple[str, str, str]:
    """(email subject, email body, SMS body)."""
    until = timezone.localtime(expires).strftime("%b %d")
    subject = (f"Reminder: a short questionnaire from {clinic.name}" if reminder
               else f"A short questionnaire from {clinic.name}")
    lead = "A reminder: " if reminder else ""
    body = (
        f"Hello {first_name},\n\n{lead}{clinic.name} asks you to answer a short questionnaire "
        f"about how you have been feeling. It takes a minute or two.\n\n{url}\n\n"
        f"The link works until {until}. Please do not forward it.\n"
        f"If you are in crisis, do not wait for this questionnaire: "
        f"{crisis_text(clinic)}\n"
    )
    sms = f"{clinic.name}: {lead}please answer a short questionnaire (until {until}): {url}"
    return subject, body, sms


def send_email(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def crisis_text(clinic: Clinic) -> str:
    from .config import for_clinic

    return for_clinic(clinic).crisis_text


def send_mail_many(to: list[str], subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
