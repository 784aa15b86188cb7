"""Code systems, references and formatting shared by the resource modules."""

from __future__ import annotations

import operator
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db.models import DateTimeField, Func, Q, Value
from django.utils import timezone

from .outcome import FhirError

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# Our own canonical base: stable whatever host serves the API.
KETACARE = "https://ketacare.org/fhir"
LOCAL_CODES = f"{KETACARE}/CodeSystem/ketacare"
MRN_SYSTEM = f"{KETACARE}/sid/mrn"
IDENTIFIER_CHARS = 255  # the width of the identifier columns


def questionnaire_url(instrument_id: str) -> str:
    return f"{KETACARE}/Questionnaire/{instrument_id}"


def instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def patient_ref(patient_id: Any) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if display:
        out["text"] = display
    return out


def number(value: Decimal | float | int) -> float | int:
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def meta(last_updated: datetime | None) -> dict[str, Any]:
    return {"lastUpdated": instant(last_updated)} if last_updated is not None else {}


def uuids(values: Iterable[str] | None) -> list[uuid.UUID] | None:
    """Ids that are valid UUIDs; anything else matches nothing (never an error)."""
    if values is None:
        return None
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out


def canonical_uuids(values: set[str]) -> list[uuid.UUID]:
    """The values that are a UUID as we write it (lower-case, with dashes): an id matches
    as a string, so another spelling of the same UUID matches nothing."""
    return [u for u in uuids(values) or [] if str(u) in values]


def has_token(wanted: list[tuple[str | None, str]], have: Iterable[tuple[str, str]]) -> bool:
    """Token search: `system|value` matches that pair, a bare value any system."""
    pairs = set(have)
    return any((system is None and value in {v for _, v in pairs}) or (system, value) in pairs
               for system, value in wanted)


def fixed_code(system: str, code: str) -> Callable[[list[tuple[str | None, str]]], Q | None]:
    """`Source.codes` of resources that all carry one code."""
    return lambda tokens: Q() if has_token(tokens, {(system, code)}) else None


def code_by(column: str, codes: dict[str, tuple[str, str]],
            ) -> Callable[[list[tuple[str | None, str]]], Q | None]:
    """`Source.codes` of resources whose code follows from a column (value -> code)."""
    def rows(tokens: list[tuple[str | None, str]]) -> Q | None:
        values = [v for v, pair in codes.items() if has_token(tokens, {pair})]
        return Q(**{f"{column}__in": values}) if values else None
    return rows


class LocalMidnight(Func):
    """The instant a date column's day starts in a time zone (`datetime.combine(day,
    time.min, zone)` in the database)."""

    output_field = DateTimeField()

    def __init__(self, day: str, zone: str) -> None:
        super().__init__(day, Value(zone))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        (day, day_params), (zone, zone_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        return f"(({day})::timestamp AT TIME ZONE {zone})", [*day_params, *zone_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        connection.ensure_connection()
        connection.connection.create_function("ketacare_local_midnight", 2, _local_midnight,
                                              deterministic=True)
        return self.as_sql(compiler, connection, function="ketacare_local_midnight", **extra)


def _local_midnight(day: str | None, zone: str) -> str | None:
    """SQLite's LocalMidnight, as Django stores an instant there (UTC, no zone)."""
    if day is None:
        return None
    start = datetime.combine(date.fromisoformat(day), time.min, zoneinfo.ZoneInfo(zone))
    return start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


# --- business identifiers (identifier_system / identifier_value columns) ----------------

def identifier_in(raw: Any, element: str) -> tuple[str, str]:
    """The (system, value) to store from an Identifier the sender gave (the structure was
    validated already); ("", "") for none or one without a value."""
    if not isinstance(raw, dict) or not raw.get("value"):
        return ("", "")
    system, value = str(raw.get("system") or ""), str(raw["value"])
    if len(system) > IDENTIFIER_CHARS or len(value) > IDENTIFIER_CHARS:
        raise FhirError(422, "invalid", f"{element}: system and value may have at most "
                        f"{IDENTIFIER_CHARS} characters each.", element)
    return (system, value)


def identifier_out(system: str, value: str) -> dict[str, str]:
    return {"system": system, "value": value} if system else {"value": value}


def identifier_q(tokens: list[tuple[str | None, str]]) -> Q:
    """Rows whose stored identifier matches any token (a bare value: any system)."""
    return reduce(operator.or_, (
        Q(identifier_value=value) if system is None
        else Q(identifier_system=system, identifier_value=value)
        for system, value in tokens))
