"""Code systems, references and formatting shared by the resource modules."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ketacare.ids import MAX_ID

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
    return value.astimezone(timezone.get_fixed_timezone(0)).isoformat().replace("+00:00", "Z")


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


def ints(values: Iterable[str] | None, prefix: str = "") -> list[int] | None:
    if values is None:
        return None
    out = []
    for value in values:
        if prefix:
            if not value.startswith(prefix):
                continue
            value = value[len(prefix):]
        # a number larger than a row id matches nothing
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            out.append(int(value))
    return out


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


def identifier_pairs(system: str, value: str) -> frozenset[tuple[str, str]]:
    return frozenset({(system, value)}) if value else frozenset()


def identifier_q(tokens: list[tuple[str | None, str]]) -> Q:
    """Rows whose stored identifier matches any token (a bare value: any system)."""
    return reduce(operator.or_, (
        Q(identifier_value=value) if system is None
        else Q(identifier_system=system, identifier_value=value)
        for system, value in tokens))
