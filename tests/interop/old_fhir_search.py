"""The in-memory FHIR search as it was before every type was searched in the database
(interop/fhir/engine.py and the `collect` functions of the resource modules at 6c2ed76),
kept to compare the database search against: each type's rows are collected, turned into
resources, filtered, sorted and sliced in Python. One change: the missing/present split
of the sort is done in one pass (it was quadratic before 6c2ed76); the order is the same."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.http import urlencode

from ketacare.accounts.staff import Staff
from ketacare.clinical.instruments import get
from ketacare.consent import fhir as consent_fhir
from ketacare.consent import fhir_intake
from ketacare.consent.models import PatientLink, Purpose
from ketacare.ids import MAX_ID
from ketacare.interop.fhir.common import identifier_q, uuids
from ketacare.interop.fhir.resources import encounter, medication_administration, observation
from ketacare.interop.fhir.resources import questionnaire_response as qr
from ketacare.interop.fhir.resources.questionnaire import panel_code
from ketacare.interop.fhir.search import SearchParams
from ketacare.patients.access import weights_of
from ketacare.selfreport.access import responses_of
from ketacare.treatment.access import doses_of, sessions_of, vitals_of


@dataclass(frozen=True)
class Entry:
    """One resource as the in-memory search saw it."""

    id: str
    resource: dict[str, Any]
    patient_id: str | None
    when: datetime | None
    last_updated: datetime | None
    codes: frozenset[tuple[str, str]] = frozenset()
    identifiers: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Scope:
    ids: set[str] | None = None
    patients: set[str] | None = None
    identifiers: list[tuple[str | None, str]] | None = None


Collect = Callable[[Staff, Scope], Iterable[Entry]]


def identifier_pairs(system: str, value: str) -> frozenset[tuple[str, str]]:
    return frozenset({(system, value)}) if value else frozenset()


def ints(values: Iterable[str] | None, prefix: str = "") -> list[int] | None:
    if values is None:
        return None
    out = []
    for value in values:
        if prefix:
            if not value.startswith(prefix):
                continue
            value = value[len(prefix):]
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            out.append(int(value))
    return out


# --- the collect functions -------------------------------------------------------------

def encounters(staff: Staff, scope: Scope) -> Iterator[Entry]:
    rows = sessions_of(staff).select_related("course")
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(course__patient_id__in=pids)
    ids = ints(scope.ids)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for s in rows.order_by("planned_date", "id"):
        when = s.checked_in_at or timezone.make_aware(
            datetime.combine(s.planned_date, datetime.min.time()))
        yield Entry(str(s.pk), encounter.to_fhir(s), str(s.course.patient_id), when,
                    encounter.last_updated(s))


def doses(staff: Staff, scope: Scope) -> Iterator[Entry]:
    rows = doses_of(staff).select_related("session__course")
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(session__course__patient_id__in=pids)
    ids = ints(scope.ids)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for d in rows.order_by("started_at", "id"):
        resource = medication_administration.to_fhir(d)
        codes = frozenset((c["system"], c["code"])
                          for c in resource["medicationCodeableConcept"].get("coding", []))
        yield Entry(str(d.pk), resource, str(d.session.course.patient_id), d.started_at,
                    d.stopped_at or d.started_at, codes)


def observations(staff: Staff, scope: Scope) -> Iterator[Entry]:
    pids = uuids(scope.patients)
    wanted = scope.ids
    prefixes = {i.split("-", 1)[0] for i in wanted} if wanted is not None else None

    def want(prefix: str) -> bool:
        if scope.identifiers is not None and prefix != "wt":
            return False
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
            yield from old_from_response(r)
    if want("vs"):
        vitals = vitals_of(staff)
        if pids is not None:
            vitals = vitals.filter(session__course__patient_id__in=pids)
        if (ids := rid("vs")) is not None:
            vitals = vitals.filter(pk__in=ids)
        for v in vitals.select_related("session__course"):
            yield from old_from_vitals(v)
    if want("wt"):
        weights = weights_of(staff).select_related("patient__clinic")
        if pids is not None:
            weights = weights.filter(patient_id__in=pids)
        if wanted is not None:
            weights = weights.filter(Q(pk__in=ints(wanted, "wt-") or []))
        if scope.identifiers is not None:
            weights = weights.filter(identifier_q(scope.identifiers))
        # The order of weights of one day recorded at one instant was the database's.
        for w in weights.order_by("-measured_on", "-recorded_at", "pk"):
            yield old_from_weight(w)


def _as_entry(new: Any, when: datetime, updated: datetime,
              identifiers: frozenset[tuple[str, str]] = frozenset()) -> Entry:
    codes = frozenset((c["system"], c["code"]) for c in new.resource["code"]["coding"])
    return Entry(new.id, new.resource, new.patient_id, when, updated, codes, identifiers)


def old_from_response(r: Any) -> Iterator[Entry]:
    if r.total is not None:
        yield _as_entry(observation.total(r), r.submitted_at, r.submitted_at)
    if r.instrument == "phq9" and len(r.values) >= 9:
        yield _as_entry(observation.item9(r), r.submitted_at, r.submitted_at)


def old_from_vitals(v: Any) -> Iterator[Entry]:
    if v.sbp is not None or v.dbp is not None:
        yield _as_entry(observation.blood_pressure(v), v.taken_at, v.taken_at)
    for field in observation.VITALS:
        if getattr(v, field) is not None:
            yield _as_entry(observation.vital(field)(v), v.taken_at, v.taken_at)


def old_from_weight(w: Any) -> Entry:
    when = datetime.combine(w.measured_on, time.min, zoneinfo.ZoneInfo(w.patient.clinic.time_zone))
    updated = max(t for t in (w.recorded_at, w.error_at) if t is not None)
    return _as_entry(observation.from_weight(w), when, updated,
                     identifier_pairs(w.identifier_system, w.identifier_value))


def responses(staff: Staff, scope: Scope) -> Iterator[Entry]:
    rows = responses_of(staff).order_by("submitted_at", "id")
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(patient_id__in=pids)
    if scope.identifiers is not None:
        rows = rows.filter(identifier_q(scope.identifiers))
    ids = ints(scope.ids)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for r in rows:
        code = panel_code(get(r.instrument))
        yield Entry(str(r.pk), qr.to_fhir(r), str(r.patient_id), r.submitted_at,
                    r.submitted_at, frozenset({(code["system"], code["code"])}),
                    identifier_pairs(r.identifier_system, r.identifier_value))
    yield from intakes(staff, scope)


def intakes(staff: Staff, scope: Scope) -> Iterator[Entry]:
    if scope.identifiers is not None:
        return
    rows = PatientLink.objects.filter(clinic=staff.clinic, patient__clinic=staff.clinic,
                                      purpose=Purpose.INTAKE, submitted_at__isnull=False)
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(patient_id__in=pids)
    ids = ints(scope.ids, prefix=fhir_intake.ID_PREFIX)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for link in rows.order_by("submitted_at", "id"):
        yield Entry(f"{fhir_intake.ID_PREFIX}{link.pk}", fhir_intake.to_fhir(link),
                    str(link.patient_id), link.submitted_at, link.submitted_at,
                    frozenset({(fhir_intake.CODE["system"], fhir_intake.CODE["code"])}))


def consents(staff: Staff, scope: Scope) -> Iterator[Entry]:
    from ketacare.consent.models import Consent

    rows = Consent.objects.filter(patient__clinic=staff.clinic).select_related("document")
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(patient_id__in=pids)
    ids = ints(scope.ids)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for c in rows.order_by("signed_at", "id"):
        yield Entry(str(c.pk), consent_fhir.to_fhir(c), str(c.patient_id), c.signed_at,
                    consent_fhir.last_updated(c))


COLLECT: dict[str, Collect] = {
    "Encounter": encounters, "MedicationAdministration": doses,
    "Observation": observations, "QuestionnaireResponse": responses, "Consent": consents,
}


# --- the engine ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OldPage:
    entries: list[Entry]
    total: int


def _has_token(wanted: list[tuple[str | None, str]], have: frozenset[tuple[str, str]]) -> bool:
    return any((system is None and value in {v for _, v in have}) or (system, value) in have
               for system, value in wanted)


def _matches(entry: Entry, params: SearchParams) -> bool:
    if params.ids is not None and entry.id not in params.ids:
        return False
    if params.patients is not None and entry.patient_id not in params.patients:
        return False
    if params.codes is not None and not _has_token(params.codes, entry.codes):
        return False
    if params.identifiers is not None and not _has_token(params.identifiers, entry.identifiers):
        return False
    if not all(f.matches(entry.when) for f in params.dates):
        return False
    return all(f.matches(entry.last_updated) for f in params.last_updated)


def _sort_key(key: str, entry: Entry) -> tuple[int, object]:
    if key == "_id":
        return (0, (0, len(entry.id), entry.id) if entry.id.isdigit() else (1, 0, entry.id))
    value = entry.when if key == "date" else entry.last_updated
    return (0, value.timestamp()) if value is not None else (1, 0)


def run(collect: Collect, staff: Staff, params: SearchParams) -> OldPage:
    scope = Scope(ids=params.ids, patients=params.patients, identifiers=params.identifiers)
    found = [e for e in collect(staff, scope) if _matches(e, params)]
    for key, desc in reversed(params.sort or [("_lastUpdated", False), ("_id", False)]):
        present = [e for e in found if key == "_id" or _sort_key(key, e)[0] == 0]
        missing = [e for e in found if not (key == "_id" or _sort_key(key, e)[0] == 0)]
        present.sort(key=lambda e, k=key: _sort_key(k, e), reverse=desc)  # type: ignore[misc]
        found = present + missing
    return OldPage(found[params.offset:params.offset + params.count], len(found))


def bundle(base: str, name: str, page: OldPage, params: SearchParams,
           query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    kept = [(k, v) for k, v in query if k != "_offset"]

    def link(relation: str, offset: int) -> dict[str, str]:
        qs = urlencode([*kept, ("_offset", str(offset))] if offset else kept)
        return {"relation": relation, "url": f"{base}{name}" + (f"?{qs}" if qs else "")}

    links = [link("self", params.offset)]
    if params.count and params.offset + params.count < page.total:
        links.append(link("next", params.offset + params.count))
    if params.offset > 0:
        links.append(link("previous", max(0, params.offset - max(params.count, 1))))
    return {"resourceType": "Bundle", "type": "searchset", "total": page.total,
            "link": links,
            "entry": [{"fullUrl": f"{base}{name}/{e.id}", "resource": e.resource,
                       "search": {"mode": "match"}} for e in page.entries]}
