"""The `ketacare` command.

Framework-free commands (scoring, outcomes, pharmacokinetics) run without loading Django so
they start fast and work as a plain library tool; every other word is handed to Django's
management commands (`ketacare migrate`, `ketacare serve`, `ketacare createsuperuser`, ...).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

from .common import UsageError, fail

Command = Callable[[list[str]], int]

# name -> (summary, "module:function"); imported on use so each command loads only itself.
PURE_COMMANDS = {
    "score": ("score an instrument: ketacare score phq9 1 2 0 ...", "score:run_score"),
    "outcome": ("classify change: ketacare outcome phq9 BASELINE CURRENT", "score:run_outcome"),
    "instruments": ("list the instrument library", "score:run_instruments"),
    "pk": ("pharmacokinetic simulator: ketacare pk simulate|summary|population", "pk:run"),
}


def _load(target: str) -> Command:
    module, function = target.split(":")
    command: Command = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return command


def _help() -> None:
    print("usage: ketacare COMMAND [ARGS]\n\nClinical tools (no database needed):")
    for name, (summary, _) in PURE_COMMANDS.items():
        print(f"  {name:<12} {summary}")
    print("\nApp commands (Django): setup, serve, check, backup, restore, migrate, demo, ...;")
    print("`ketacare help` lists them all, `ketacare help COMMAND` explains one.")


def _django_name(word: str) -> str:
    # `ketacare check` is the production check (Django's deploy checks and KetaCare's own).
    name = word.replace("-", "_")
    return "deploy_check" if name == "check" else name


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        _help()
        return 0
    if args[0] in PURE_COMMANDS:
        try:
            return _load(PURE_COMMANDS[args[0]][1])(args[1:])
        except UsageError as exc:
            fail(str(exc))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
    from django.core.management import execute_from_command_line

    # `ketacare api-token` reads better than Django's module name `api_token`; the same for
    # the command named after `help`.
    name = _django_name(args[0])
    rest = [_django_name(args[1]), *args[2:]] if name == "help" and args[1:] else args[1:]
    execute_from_command_line(["ketacare", name, *rest])
    return 0
