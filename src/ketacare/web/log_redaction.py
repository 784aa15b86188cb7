"""Secrets in paths never reach a log: a patient's link `/r/<token>` (self-report) or
`/p/<token>` (intake, consent, aftercare) is written as `/r/#<6 hash chars>`, and a staff
member's one-time `/set-password/<uid>/<token>/` link keeps its uid but not its token.

The six characters are the start of the token's SHA-256, the value the database stores, so
an operator can still find the link a log line is about (`Link.token_hash` and
`PatientLink.token_hash` start with them) while the line itself opens nothing. Used by
gunicorn's access and error logs (`ketacare serve`, web/management/commands/serve.py) and,
as a logging filter on the console handler, by Django's request logging
(settings.LOGGING)."""

from __future__ import annotations

import logging
import re

from ketacare.selfreport.tokens import digest

_SEGMENT = r"[^/?#\s\"]+"
# Any segment after /r/ or /p/ (a guessed or mangled token must not be logged either).
_LINK = re.compile(rf"/([rp])/({_SEGMENT})")
# Django's own placeholder after it moved the token into the session is not a secret.
_SET_PASSWORD = re.compile(
    rf"(/set-password/{_SEGMENT}/)(?!set-password(?:[/?#\s\"]|$))({_SEGMENT})")


def _hashed(secret: str) -> str:
    return f"#{digest(secret)[:6]}"


def redact(text: str) -> str:
    text = _LINK.sub(lambda m: f"/{m.group(1)}/{_hashed(m.group(2))}", text)
    return _SET_PASSWORD.sub(lambda m: m.group(1) + _hashed(m.group(2)), text)


class RedactLinks(logging.Filter):
    """Rewrites the message and its arguments of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
