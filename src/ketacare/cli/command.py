"""The base of every `ketacare` management command: bad input is one line on stderr,
`error: COMMAND: message`, and exit status 2, whether argparse finds it (unknown option,
missing value, in a subcommand too) or the command does (`raise usage(...)`). Called
in-process (`call_command`), the same errors are a CommandError with returncode 2."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .common import USAGE_ERROR, fail


def usage(message: str) -> CommandError:
    """Bad input from the operator: `raise usage("--out: ...")`, naming the option."""
    return CommandError(message, returncode=USAGE_ERROR)


class Command(BaseCommand):
    name = ""  # as the operator types it (api-token), set when the parser is made
    _called_from_command_line = False  # Django's: True when run from the shell (run_from_argv)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.name = subcommand.replace("_", "-")
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        self._one_line_errors(parser)
        return parser

    def _one_line_errors(self, parser: argparse.ArgumentParser) -> None:
        def error(message: str) -> NoReturn:
            if self._called_from_command_line:
                fail(f"{self.name}: {message}")  # not argparse's usage block, then the error
            raise usage(message)

        parser.error = error  # type: ignore[method-assign]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    self._one_line_errors(sub)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if (exc.returncode != USAGE_ERROR or not self._called_from_command_line
                    or options.get("traceback")):
                raise
            fail(f"{self.name}: {exc}")


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
