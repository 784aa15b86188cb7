"""What every `ketacare` subcommand shares: one-line errors with exit status 2, JSON output,
the operator's name for the audit trail. Django-free: the clinical commands load only this
(management commands build on it in `command.py`)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any, NoReturn

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input from the user: reported as one line on stderr, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage dump, no traceback)."""

    def error(self, message: str) -> NoReturn:
        fail(f"{self.prog}: {message}")


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(USAGE_ERROR)


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def os_user() -> str:
    """Who ran the command, for the audit trail (`cli:NAME`)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"
