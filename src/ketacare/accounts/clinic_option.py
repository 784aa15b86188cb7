"""`--clinic` in every `ketacare` command: a clinic's id or its exact name."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.base import CommandParser

from ketacare.cli.command import usage

from .models import Clinic

LISTED = 20  # an error lists at most this many clinics


def add_clinic_argument(parser: CommandParser, help: str) -> None:
    parser.add_argument("--clinic", metavar="ID|NAME", help=f"clinic id or exact name: {help}")


def _listing(clinics: list[Clinic]) -> str:
    shown = ", ".join(f"{c.pk} {c.name!r}" for c in clinics[:LISTED])
    rest = len(clinics) - LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown or "none"


def clinic_from_option(value: str | None, among: Iterable[Clinic] | None = None, *,
                       scope: str = "clinics") -> Clinic:
    """The clinic `--clinic VALUE` names by id or exact name, among `among` (every clinic
    when None); without a value, the only one there is. A usage error (exit 2) listing the
    clinics when the value names none, names two (one's id, another's name), or is missing
    where there are several."""
    clinics = sorted(Clinic.objects.all() if among is None else among, key=lambda c: c.pk)
    if value is None:
        if len(clinics) == 1:
            return clinics[0]
        raise usage(f"--clinic: choose one of the {scope}: {_listing(clinics)}" if clinics
                    else f"--clinic: there are no {scope}")
    matches = [c for c in clinics
               if c.name == value or (value.isascii() and value.isdigit() and c.pk == int(value))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise usage(f"--clinic: {value!r} is one clinic's id and another's name: "
                    f"{_listing(matches)}; give the id")
    raise usage(f"--clinic: no clinic with id or name {value!r} among the {scope}: "
                f"{_listing(clinics)}")
