"""Observation: self-report totals (LOINC 44261-6, 70274-6, 101698-9; local codes where
LOINC has none), PHQ-9 item 9 (44260-8), session vital signs, and body weight (29463-7).

Ids say where a value comes from: `sr-<response>-total`, `sr-<response>-item9`,
`vs-<vitals>-bp|hr|spo2|rr`, `wt-<weight>`."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.clinical.instruments import get
from ketacare.patients.access import patient_for, weights_of
from ketacare.patients.models import Weight
from ketacare.selfreport.access import responses_of
from ketacare.selfreport.models import Response
from ketacare.treatment.access import vitals_of
from ketacare.treatment.models import VitalSigns

from ... import actions
from ..common import (
    LOCAL_CODES,
    LOINC,
    OBS_CATEGORY,
    UCUM,
    coding,
    concept,
    identifier_in,
    identifier_out,
    identifier_pairs,
    identifier_q,
    instant,
    ints,
    meta,
    number,
    patient_ref,
    uuids,
)
from ..outcome import FhirError, from_validation
from ..registry import IDENTIFIER, SUBJECT, Entry, Param, Resource, ResourceType, Scope, register
from .questionnaire import answer_coding

WEIGHT = "29463-7"
PHQ9_ITEM9 = "44260-8"
# (LOINC, display, UCUM unit); BP is a panel with two components.
VITALS = {
    "hr": ("8867-4", "Heart rate", "/min", "beats/minute"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "%"),
    "rr": ("9279-1", "Respiratory rate", "/min", "breaths/minute"),
}
BP = ("85354-9", "Blood pressure panel with all children optional")
SBP = ("8480-6", "Systolic blood pressure")
DBP = ("8462-4", "Diastolic blood pressure")


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [coding(OBS_CATEGORY, code, display)]}]


def _codes(resource: Resource) -> frozenset[tuple[str, str]]:
    return frozenset((c["system"], c["code"]) for c in resource["code"]["coding"])


def _entry(resource: Resource, patient_id: Any, when: datetime, updated: datetime,
           identifiers: frozenset[tuple[str, str]] = frozenset()) -> Entry:
    return Entry(resource["id"], resource, str(patient_id), when, updated, _codes(resource),
                 identifiers)


def _qty(value: float | int, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


# --- self-report ---------------------------------------------------------------------

def total_code(instrument_id: str) -> dict[str, str]:
    instrument = get(instrument_id)
    if instrument.loinc_total:
        return coding(LOINC, instrument.loinc_total, f"{instrument.short_name} total score")
    return coding(f"{LOCAL_CODES}/instrument-total", instrument.id,
                  f"{instrument.short_name} total score")


def from_response(r: Response) -> Iterator[Entry]:
    instrument = get(r.instrument)
    base: Resource = {
        "resourceType": "Observation", "status": "final",
        "category": _category("survey", "Survey"),
        "subject": patient_ref(r.patient_id),
        "effectiveDateTime": instant(r.submitted_at),
        "meta": meta(r.submitted_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{r.pk}"}],
    }
    if r.total is not None:
        total: Resource = {**base, "id": f"sr-{r.pk}-total",
                           "code": {"coding": [total_code(r.instrument)],
                                    "text": f"{instrument.short_name} total score"},
                           "valueInteger": r.total}
        if r.severity:
            total["interpretation"] = [{"text": r.severity.replace("_", " ")}]
        yield _entry(total, r.patient_id, r.submitted_at, r.submitted_at)
    if r.instrument == "phq9" and len(r.values) >= 9:
        item = instrument.items[8]
        option = next(o for o in item.options if o.value == r.values[8])
        item9: Resource = {**base, "id": f"sr-{r.pk}-item9",
                           "code": {"coding": [coding(LOINC, PHQ9_ITEM9, item.label)],
                                    "text": "PHQ-9 item 9"},
                           "valueCodeableConcept": {
                               "coding": [answer_coding(instrument, option)],
                               "text": option.label}}
        yield _entry(item9, r.patient_id, r.submitted_at, r.submitted_at)


# --- vital signs and weight ------------------------------------------------------------

def from_vitals(v: VitalSigns) -> Iterator[Entry]:
    patient_id = v.session.course.patient_id
    base: Resource = {
        "resourceType": "Observation", "status": "final",
        "category": _category("vital-signs", "Vital Signs"),
        "subject": patient_ref(patient_id),
        "encounter": {"reference": f"Encounter/{v.session_id}"},
        "effectiveDateTime": instant(v.taken_at),
        "meta": meta(v.taken_at),
    }
    if v.sbp is not None or v.dbp is not None:
        components = []
        for value, (code, display) in ((v.sbp, SBP), (v.dbp, DBP)):
            if value is not None:
                components.append({"code": concept(LOINC, code, display),
                                   "valueQuantity": _qty(value, "mmHg", "mm[Hg]")})
        bp: Resource = {**base, "id": f"vs-{v.pk}-bp", "code": concept(LOINC, *BP),
                        "component": components}
        yield _entry(bp, patient_id, v.taken_at, v.taken_at)
    for field, (code, display, ucum, unit) in VITALS.items():
        value = getattr(v, field)
        if value is None:
            continue
        one: Resource = {**base, "id": f"vs-{v.pk}-{field}", "code": concept(LOINC, code, display),
                         "valueQuantity": _qty(value, unit, ucum)}
        yield _entry(one, patient_id, v.taken_at, v.taken_at)


def _start_of(day: date, zone: str) -> datetime:
    """A day matched by `date` as the clinic's day, like every other date search."""
    return datetime.combine(day, time.min, zoneinfo.ZoneInfo(zone))


def from_weight(w: Weight) -> Entry:
    updated = max(t for t in (w.recorded_at, w.error_at) if t is not None)
    resource: Resource = {
        "resourceType": "Observation", "id": f"wt-{w.pk}",
        "meta": meta(updated),
    }
    if w.identifier_value:
        resource["identifier"] = [identifier_out(w.identifier_system, w.identifier_value)]
    resource |= {
        "status": "entered-in-error" if w.entered_in_error else "final",
        "category": _category("vital-signs", "Vital Signs"),
        "code": concept(LOINC, WEIGHT, "Body weight"),
        "subject": patient_ref(w.patient_id),
        "effectiveDateTime": day_iso(w.measured_on),
        "issued": instant(w.recorded_at),
        "valueQuantity": _qty(number(w.weight_kg), "kg", "kg"),
    }
    when = _start_of(w.measured_on, w.patient.clinic.time_zone)
    return _entry(resource, w.patient_id, when, updated,
                  identifier_pairs(w.identifier_system, w.identifier_value))


def day_iso(value: date) -> str:
    return value.isoformat()


def collect(staff: Staff, scope: Scope) -> Iterator[Entry]:
    pids = uuids(scope.patients)
    wanted = scope.ids
    prefixes = {i.split("-", 1)[0] for i in wanted} if wanted is not None else None

    def want(prefix: str) -> bool:
        if scope.identifiers is not None and prefix != "wt":
            return False  # only weights carry a sender's identifier
        return prefixes is None or prefix in prefixes

    def rid(prefix: str) -> list[int] | None:
        if wanted is None:
            return None
        return ints(i.split("-")[1] for i in wanted
                    if i.startswith(prefix + "-") and i.count("-") >= 1)

    if want("sr"):
        rows = responses_of(staff)
        if pids is not None:
            rows = rows.filter(patient_id__in=pids)
        if (ids := rid("sr")) is not None:
            rows = rows.filter(pk__in=ids)
        for r in rows.order_by("submitted_at", "id"):
            yield from from_response(r)
    if want("vs"):
        vitals = vitals_of(staff)
        if pids is not None:
            vitals = vitals.filter(session__course__patient_id__in=pids)
        if (ids := rid("vs")) is not None:
            vitals = vitals.filter(pk__in=ids)
        for v in vitals.select_related("session__course"):
            yield from from_vitals(v)
    if want("wt"):
        weights = weights_of(staff).select_related("patient__clinic")
        if pids is not None:
            weights = weights.filter(patient_id__in=pids)
        if wanted is not None:
            weights = weights.filter(Q(pk__in=ints(wanted, "wt-") or []))
        if scope.identifiers is not None:
            weights = weights.filter(identifier_q(scope.identifiers))
        for w in weights:
            yield from_weight(w)


# --- create: body weight ------------------------------------------------------------------

def _invalid(message: str, expression: str) -> FhirError:
    return FhirError(422, "invalid", message, expression)


LB_KG = Decimal("0.45359237")  # the international avoirdupois pound, exactly
WEIGHT_ELEMENTS = {"weight_kg": "Observation.valueQuantity.value",
                   "measured_on": "Observation.effectiveDateTime"}


def _tenths(kg: Decimal) -> Decimal:
    """Rounded to the chart's 0.1 kg; a value too large to round is left for the action's
    range check to refuse."""
    try:
        return kg.quantize(Decimal("0.1"))
    except InvalidOperation:
        return kg


def create(staff: Staff, body: Resource, request: HttpRequest) -> Entry:
    codes = {(c.get("system"), c.get("code")) for c in (body.get("code") or {}).get("coding", [])}
    if (LOINC, WEIGHT) not in codes:
        raise _invalid("Only body weight (http://loinc.org|29463-7) can be created; "
                       "questionnaire totals are created by posting the "
                       "QuestionnaireResponse.", "Observation.code")
    reference = str((body.get("subject") or {}).get("reference") or "")
    kind, _, pid = reference.rpartition("/")
    if kind.rsplit("/", 1)[-1] != "Patient" or not pid:
        raise _invalid("subject must reference a Patient (Patient/ID).", "Observation.subject")
    try:
        patient = patient_for(staff, pid, write=True, request=request)
    except (Http404, PermissionDenied):
        raise _invalid(f"subject {reference!r} is not a patient of your clinic.",
                       "Observation.subject") from None
    qty = body.get("valueQuantity") or {}
    unit = qty.get("code") or qty.get("unit")
    if unit not in {"kg", "[lb_av]", "lb"}:
        raise _invalid("valueQuantity must be in kg (UCUM kg) or pounds ([lb_av]).",
                       "Observation.valueQuantity")
    try:
        value = Decimal(str(qty.get("value")))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or isinstance(qty.get("value"), bool):
        raise _invalid("valueQuantity.value must be a number.",
                       "Observation.valueQuantity.value")
    kg = value if unit == "kg" else value * LB_KG
    effective = body.get("effectiveDateTime")
    try:
        measured = (date.fromisoformat(str(effective)[:10]) if effective
                    else staff.clinic.today())
    except ValueError:
        raise _invalid("effectiveDateTime must be a date.", "Observation.effectiveDateTime") \
            from None
    given = [identifier_in(raw, "Observation.identifier") for raw in body.get("identifier") or []]
    identifier = next((pair for pair in given if pair[1]), actions.NO_IDENTIFIER)
    try:
        weight = actions.add_weight(staff, patient, _tenths(kg), measured,
                                    identifier=identifier, request=request)
    except ValidationError as exc:
        raise from_validation(exc, WEIGHT_ELEMENTS, "Observation.valueQuantity") from None
    return from_weight(weight)


register(ResourceType(
    name="Observation", collect=collect, create=create,
    params=SUBJECT + (
        IDENTIFIER,
        Param("code", "token", "system|code, e.g. http://loinc.org|44261-6 (PHQ-9 total), "
              "44260-8 (PHQ-9 item 9), 85354-9, 8867-4, 59408-5, 9279-1, 29463-7."),
        Param("date", "date", "effective time; prefixes eq, lt, le, gt, ge."),
    ),
    sorts=frozenset({"_id", "_lastUpdated", "date"}),
    create_perm=Perm.EDIT_PATIENT,
    documentation="Self-report totals and PHQ-9 item 9, vital signs, body weight. Create "
                  "accepts body weight only; send If-None-Exist: identifier=SYSTEM|VALUE so a "
                  "retry stores nothing twice.",
))
