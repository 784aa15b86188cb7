"""Bench only: `ketacare serve` with the audit write switched off, the "same endpoint
without the audit write" baseline of `harness.py --audit-throughput`.

Production has no such switch: this module lives in bench/ (not part of the installed
package), replaces the audit append in its own process only, and refuses to start unless
the harness asked for it (KETACARE_BENCH_NO_AUDIT) on one of the harness's throwaway
databases (a PostgreSQL database named PREFIX_..., or an SQLite file in a ketacare-load-
temporary directory).

    python -m bench.load.noaudit --host 127.0.0.1 --port PORT
"""

from __future__ import annotations

import os
import sys
from typing import Any

from bench.load.harness import NO_AUDIT_CONFIRM, PG_PREFIX


def refusal(environ: dict[str, str], pg_prefix: str = PG_PREFIX) -> str:
    """Why this server must not start here; empty when it may."""
    if environ.get("KETACARE_BENCH_NO_AUDIT") != NO_AUDIT_CONFIRM:
        return f"set KETACARE_BENCH_NO_AUDIT={NO_AUDIT_CONFIRM} (the load harness does)"
    url = environ.get("DATABASE_URL", "")
    name = url.rsplit("/", 1)[-1]
    throwaway = (url.startswith("postgres") and name.startswith(f"{pg_prefix}_")) or (
        url.startswith("sqlite:///") and "/ketacare-load-" in url)
    if not throwaway:
        return "DATABASE_URL is not a database the load harness created for itself"
    return ""


def switch_off(log: Any) -> None:
    """Replace the audit trail's one write path (`audit.log.write`, behind `record` and
    `record_reads`) with nothing: no lane lock, no chain lookup, no insert."""

    def no_write(events: list[Any]) -> list[Any]:
        return events

    log.write = no_write


def main() -> int:
    why = refusal(dict(os.environ))
    if why:
        print(f"bench.load.noaudit refuses to start: {why}", file=sys.stderr)
        return 2
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
    django.setup()
    from ketacare.audit import log

    switch_off(log)  # gunicorn forks its workers from this process
    from django.core.management import call_command

    call_command("serve", *sys.argv[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
