"""The instrument library. Each module here defines one `INSTRUMENT`; this registry finds
them, so adding an instrument is adding a file."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .base import Instrument, InstrumentInputError, ScoreResult

__all__ = ["Instrument", "InstrumentInputError", "ScoreResult", "all_instruments", "get"]

_NOT_INSTRUMENTS = {"base"}


@cache
def _registry() -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name in _NOT_INSTRUMENTS:
            continue
        instrument = importlib.import_module(f"{__name__}.{module.name}").INSTRUMENT
        found[instrument.id] = instrument
    return dict(sorted(found.items()))


def all_instruments() -> list[Instrument]:
    return list(_registry().values())


def short_name(instrument_id: str) -> str:
    """"phq9" -> "PHQ-9"; an unknown id is shown as it is (pages, PDFs)."""
    try:
        return get(instrument_id).short_name
    except InstrumentInputError:
        return instrument_id


def get(instrument_id: str) -> Instrument:
    try:
        return _registry()[instrument_id]
    except KeyError:
        known = ", ".join(_registry())
        raise InstrumentInputError(
            instrument_id, f"unknown instrument; known instruments are {known}"
        ) from None
