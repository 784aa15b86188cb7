"""Shared by the analytics commands: one-line usage errors with exit status 2."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser


def usage(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _fail(prog: str, message: str) -> NoReturn:
    print(f"error: {prog}: {message}", file=sys.stderr)
    raise SystemExit(2)


class OneLineErrors(BaseCommand):
    """argparse errors (unknown option, missing value) as one stderr line, exit 2."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = lambda message: _fail(subcommand, message)  # type: ignore[method-assign]
        return parser


def int_option(value: Any, option: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise usage(f"{option} must be an integer from {low} to {high}, got {value!r}") from None
    if not low <= number <= high:
        raise usage(f"{option} must be an integer from {low} to {high}, got {number}")
    return number


def choice_option(value: str, option: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise usage(f"{option} must be one of {'|'.join(allowed)}, got {value!r}")
    return value
