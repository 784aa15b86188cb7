"""Link tokens never reach a log: a `/r/<token>` path is written as `/r/#<6 hash chars>`.

The six characters are the start of the token's SHA-256, the value the database stores, so
an operator can still find the link a log line is about (`Link.token_hash` starts with
them) while the line itself opens nothing. Used by gunicorn's access log (`ketacare
serve`, web/management/commands/serve.py) and, as a logging filter on the console
handler, by Django's request logging (settings.LOGGING)."""

from __future__ import annotations

import logging
import re

from ketacare.selfreport.tokens import digest

# Any segment after /r/ (a guessed or mangled token must not be logged either).
_LINK = re.compile(r"/r/([^/?#\s\"]+)")


def redact(text: str) -> str:
    return _LINK.sub(lambda m: f"/r/#{digest(m.group(1))[:6]}", text)


class RedactLinks(logging.Filter):
    """Rewrites the message and its arguments of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
