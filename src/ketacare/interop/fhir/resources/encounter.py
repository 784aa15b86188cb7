"""Encounter: treatment sessions (planned, held, missed or cancelled)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

from ketacare.accounts.staff import Staff
from ketacare.treatment.access import sessions_of
from ketacare.treatment.models import Session, SessionStatus

from ..common import ACT_CODE, LOCAL_CODES, coding, day, instant, ints, meta, patient_ref, uuids
from ..registry import SUBJECT, Entry, Param, Resource, ResourceType, Scope, register

_STATUS = {
    SessionStatus.PLANNED: "planned",
    SessionStatus.IN_PROGRESS: "in-progress",
    SessionStatus.DISCHARGED: "finished",
    SessionStatus.SIGNED: "finished",
    SessionStatus.MISSED: "cancelled",
    SessionStatus.CANCELLED: "cancelled",
}


def when(s: Session) -> datetime:
    if s.checked_in_at is not None:
        return s.checked_in_at
    return timezone.make_aware(datetime.combine(s.planned_date, datetime.min.time()))


def last_updated(s: Session) -> datetime:
    stamps = [s.checked_in_at, s.override_at, s.discharged_at, s.signed_at,
              s.course.created_at]
    return max(t for t in stamps if t is not None)


def to_fhir(s: Session) -> Resource:
    course = s.course
    out: Resource = {
        "resourceType": "Encounter",
        "id": str(s.pk),
        "meta": meta(last_updated(s)),
        "status": _STATUS.get(s.status, "unknown"),  # type: ignore[call-overload]
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [{"coding": [coding(f"{LOCAL_CODES}/encounter-type", "ketamine-session",
                                    "Ketamine / esketamine treatment session")],
                  "text": f"{course.protocol_data.get('name', 'Treatment')} session {s.number}"}],
        "subject": patient_ref(course.patient_id),
        "reasonCode": [{"text": course.indication}] if course.indication else [],
    }
    if not out["reasonCode"]:
        del out["reasonCode"]
    if s.checked_in_at is not None:
        period = {"start": instant(s.checked_in_at)}
        if s.discharged_at is not None:
            period["end"] = instant(s.discharged_at)
        out["period"] = period
    else:
        out["period"] = {"start": day(s.planned_date)}
    return out


def collect(staff: Staff, scope: Scope) -> Iterator[Entry]:
    rows = sessions_of(staff).select_related("course")
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(course__patient_id__in=pids)
    ids = ints(scope.ids)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for s in rows.order_by("planned_date", "id"):
        yield Entry(str(s.pk), to_fhir(s), str(s.course.patient_id), when(s), last_updated(s))


register(ResourceType(
    name="Encounter", collect=collect,
    params=SUBJECT + (Param("date", "date", "Check-in time, else the planned day; prefixes "
                            "eq, lt, le, gt, ge."),),
    sorts=frozenset({"_id", "_lastUpdated", "date"}),
    documentation="Treatment sessions of a course.",
))
