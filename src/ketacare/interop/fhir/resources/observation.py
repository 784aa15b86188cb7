"""Observation: self-report totals (LOINC 44261-6, 70274-6, 101698-9; local codes where
LOINC has none), PHQ-9 item 9 (44260-8), session vital signs, and body weight (29463-7).

Ids say where a value comes from: `sr-<response>-total`, `sr-<response>-item9`,
`vs-<vitals>-bp|hr|spo2|rr`, `wt-<weight>`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.clinical.instruments import all_instruments, get
from ketacare.patients.access import patient_for, weights_of
from ketacare.patients.models import WEIGHT_UPDATED, Weight
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
    LocalMidnight,
    code_by,
    coding,
    concept,
    fixed_code,
    identifier_in,
    identifier_out,
    instant,
    meta,
    number,
    patient_ref,
)
from ..outcome import FhirError, from_validation
from ..registry import (
    IDENTIFIER,
    SUBJECT,
    Entry,
    Param,
    Resource,
    ResourceType,
    Source,
    Token,
    register,
)
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


def _entry(resource: Resource, patient_id: Any) -> Entry:
    return Entry(resource["id"], resource, str(patient_id))


def _qty(value: float | int, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


# --- self-report ---------------------------------------------------------------------

def total_code(instrument_id: str) -> dict[str, str]:
    instrument = get(instrument_id)
    if instrument.loinc_total:
        return coding(LOINC, instrument.loinc_total, f"{instrument.short_name} total score")
    return coding(f"{LOCAL_CODES}/instrument-total", instrument.id,
                  f"{instrument.short_name} total score")


def _survey(r: Response) -> Resource:
    return {
        "resourceType": "Observation", "status": "final",
        "category": _category("survey", "Survey"),
        "subject": patient_ref(r.patient_id),
        "effectiveDateTime": instant(r.submitted_at),
        "meta": meta(r.submitted_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{r.pk}"}],
    }


def total(r: Response) -> Entry:
    """A scored response's total."""
    short = get(r.instrument).short_name
    resource: Resource = {**_survey(r), "id": f"sr-{r.pk}-total",
                          "code": {"coding": [total_code(r.instrument)],
                                   "text": f"{short} total score"},
                          "valueInteger": r.total}
    if r.severity:
        resource["interpretation"] = [{"text": r.severity.replace("_", " ")}]
    return _entry(resource, r.patient_id)


def item9(r: Response) -> Entry:
    """PHQ-9 item 9 (items 1-9 are required, so every PHQ-9 response has it)."""
    instrument = get(r.instrument)
    item = instrument.items[8]
    option = next(o for o in item.options if o.value == r.values[8])
    resource: Resource = {**_survey(r), "id": f"sr-{r.pk}-item9",
                          "code": {"coding": [coding(LOINC, PHQ9_ITEM9, item.label)],
                                   "text": "PHQ-9 item 9"},
                          "valueCodeableConcept": {
                              "coding": [answer_coding(instrument, option)],
                              "text": option.label}}
    return _entry(resource, r.patient_id)


# --- vital signs and weight ------------------------------------------------------------

def _vital(v: VitalSigns, suffix: str, code: dict[str, Any]) -> Resource:
    return {
        "resourceType": "Observation", "id": f"vs-{v.pk}-{suffix}", "status": "final",
        "category": _category("vital-signs", "Vital Signs"),
        "subject": patient_ref(v.session.course.patient_id),
        "encounter": {"reference": f"Encounter/{v.session_id}"},
        "effectiveDateTime": instant(v.taken_at),
        "meta": meta(v.taken_at),
        "code": code,
    }


def blood_pressure(v: VitalSigns) -> Entry:
    components = []
    for value, (code, display) in ((v.sbp, SBP), (v.dbp, DBP)):
        if value is not None:
            components.append({"code": concept(LOINC, code, display),
                               "valueQuantity": _qty(value, "mmHg", "mm[Hg]")})
    resource = {**_vital(v, "bp", concept(LOINC, *BP)), "component": components}
    return _entry(resource, v.session.course.patient_id)


def vital(field: str) -> Callable[[VitalSigns], Entry]:
    """The builder of one of VITALS."""
    code, display, ucum, unit = VITALS[field]

    def build(v: VitalSigns) -> Entry:
        resource = {**_vital(v, field, concept(LOINC, code, display)),
                    "valueQuantity": _qty(getattr(v, field), unit, ucum)}
        return _entry(resource, v.session.course.patient_id)

    return build


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
        "effectiveDateTime": w.measured_on.isoformat(),
        "issued": instant(w.recorded_at),
        "valueQuantity": _qty(number(w.weight_kg), "kg", "kg"),
    }
    return _entry(resource, w.patient_id)


def _responses(build: Callable[[Response], Entry], suffix: str, where: Q,
               codes: Callable[[list[Token]], Q | None]) -> Source:
    return Source(rows=responses_of, build=build, patient="patient_id", where=where,
                  prefix="sr-", suffix=suffix, when="submitted_at", updated="submitted_at",
                  codes=codes, order=("submitted_at", "pk"))


def _vitals(build: Callable[[VitalSigns], Entry], suffix: str, where: Q, code: str) -> Source:
    return Source(rows=vitals_of, build=build, patient="session__course__patient_id",
                  where=where, prefix="vs-", suffix=f"-{suffix}", when="taken_at",
                  updated="taken_at", codes=fixed_code(LOINC, code), order=("taken_at", "pk"),
                  related=("session__course",), reads=("session__course__patient_id",))


SOURCES = (
    _responses(total, "-total", Q(total__isnull=False), code_by("instrument", {
        i.id: (total_code(i.id)["system"], total_code(i.id)["code"])
        for i in all_instruments()})),
    _responses(item9, "-item9", Q(instrument="phq9"), fixed_code(LOINC, PHQ9_ITEM9)),
    _vitals(blood_pressure, "bp", Q(sbp__isnull=False) | Q(dbp__isnull=False), BP[0]),
    *(_vitals(vital(f), f, Q(**{f"{f}__isnull": False}), VITALS[f][0]) for f in VITALS),
    # A weight's `date` is the start of the day it was measured on, in the clinic's zone.
    Source(rows=weights_of, build=from_weight, patient="patient_id", prefix="wt-",
           when=lambda staff: LocalMidnight("measured_on", staff.clinic.time_zone),
           updated=lambda staff: WEIGHT_UPDATED,
           codes=fixed_code(LOINC, WEIGHT), identifier=True,
           order=("-measured_on", "-recorded_at", "pk")),
)


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
    name="Observation", create=create, sources=SOURCES,
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
