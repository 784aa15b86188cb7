"""Encounter: treatment sessions (planned, held, missed or cancelled)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import DateTimeField
from django.db.models.functions import Cast, Coalesce

from ketacare.accounts.staff import Staff
from ketacare.treatment.access import sessions_of
from ketacare.treatment.models import SESSION_UPDATED, Session, SessionStatus

from ..common import ACT_CODE, LOCAL_CODES, coding, day, instant, meta, patient_ref
from ..registry import SUBJECT, Entry, Param, Resource, ResourceType, Source, register

_STATUS = {
    SessionStatus.PLANNED: "planned",
    SessionStatus.IN_PROGRESS: "in-progress",
    SessionStatus.DISCHARGED: "finished",
    SessionStatus.SIGNED: "finished",
    SessionStatus.MISSED: "cancelled",
    SessionStatus.CANCELLED: "cancelled",
}


def last_updated(s: Session) -> datetime:
    stamps = [s.checked_in_at, s.override_at, s.discharged_at, s.signed_at, s.created_at]
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


def entry(s: Session) -> Entry:
    return Entry(str(s.pk), to_fhir(s), str(s.course.patient_id))


def when(staff: Staff) -> Any:
    """Check-in time, else the planned day's start (TIME_ZONE, UTC)."""
    return Coalesce("checked_in_at", Cast("planned_date", DateTimeField()))


register(ResourceType(
    name="Encounter",
    sources=(Source(rows=sessions_of, build=entry, patient="course__patient_id", when=when,
                    updated=lambda staff: SESSION_UPDATED, order=("planned_date", "pk"),
                    related=("course",),
                    reads=("course__protocol_data", "course__indication",
                           "course__patient_id")),),
    params=SUBJECT + (Param("date", "date", "Check-in time, else the planned day; prefixes "
                            "eq, lt, le, gt, ge."),),
    sorts=frozenset({"_id", "_lastUpdated", "date"}),
    documentation="Treatment sessions of a course.",
))
