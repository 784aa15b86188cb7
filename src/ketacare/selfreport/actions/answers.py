"""Answering: saving progress, submitting once, the baseline a response is compared with,
and answers imported from another system. Scoring is the instrument library's and the
alert rules are the clinical core's (`ketacare.clinical.answer_alerts`)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical import answer_alerts, baseline
from ketacare.clinical.instruments import InstrumentInputError, ScoreResult, get
from ketacare.patients.models import Patient
from ketacare.treatment.models import Course, Dose

from ..config import for_clinic
from ..models import Alert, ReportRequest, Response, Source
from ._common import audit_link, end_of_day

# How far ahead of this server's clock another system's timestamp may run (clock skew).
CLOCK_SKEW = timedelta(minutes=5)


def _clean_answers(req: ReportRequest, raw: Mapping[str, Any]) -> dict[str, int]:
    """Only known items with allowed values; anything else is dropped, not stored."""
    instrument = get(req.instrument)
    out: dict[str, int] = {}
    for item in instrument.items:
        value = raw.get(f"item_{item.number}")
        if value in (None, ""):
            continue
        try:
            number = int(str(value))
        except ValueError:
            continue
        if number in item.allowed:
            out[str(item.number)] = number
    return out


@transaction.atomic
def save_progress(
    req: ReportRequest, raw: Mapping[str, Any], *, request: HttpRequest | None = None
) -> ReportRequest:
    """Merge answers into the saved progress (a dropped connection loses nothing saved).
    Audited when the progress changed; the caller audits a page it shows otherwise."""
    locked = ReportRequest.objects.select_for_update().get(pk=req.pk)
    if locked.completed_at is not None:
        return locked
    answers = _clean_answers(locked, raw)
    if answers and {**locked.progress, **answers} != locked.progress:
        locked.progress = {**locked.progress, **answers}
        locked.save(update_fields=["progress"])
        audit_link(Action.UPDATE, locked, request, {"saved_items": sorted(answers, key=int)})
    return locked


def ordered_values(req: ReportRequest) -> list[int]:
    """Saved answers in item order, stopping at the first unanswered optional item."""
    out: list[int] = []
    for item in get(req.instrument).items:
        value = req.progress.get(str(item.number))
        if value is None:
            if item.optional:
                break
            raise InstrumentInputError(req.instrument, "please answer this question", item.number)
        out.append(int(value))
    return out


def first_dose_start(course: Course | None) -> datetime | None:
    """When dosing started in the course's first session (None before any dose)."""
    if course is None:
        return None
    return (Dose.objects.filter(session__course=course).order_by("started_at")
            .values_list("started_at", flat=True).first())


def baseline_response(
    patient: Patient, instrument: str, course: Course | None, before: datetime | None = None
) -> Response | None:
    """The course's baseline score by the clinical core's rule (clinical.baseline: the
    latest at or before the first dose, no older than 30 days), or None: then there is no
    valid baseline. Without a course, the patient's latest course is used."""
    course = course or latest_course(patient)
    start = first_dose_start(course)
    if start is None:
        return None
    low, high = baseline.window(start)
    done = Response.objects.filter(patient=patient, instrument=instrument, total__isnull=False,
                                   submitted_at__gte=low, submitted_at__lte=high)
    if before is not None:
        done = done.filter(submitted_at__lt=before)
    return baseline.choose(done, start, at=lambda r: r.submitted_at,
                           total=lambda r: int(r.total or 0))


def baseline_total(
    patient: Patient, instrument: str, course: Course | None, before: datetime | None = None
) -> int | None:
    found = baseline_response(patient, instrument, course, before)
    return found.total if found is not None else None


def latest_course(patient: Patient) -> Course | None:
    return Course.objects.filter(patient=patient).order_by("-start_date", "-id").first()


def check_submitted_at(patient: Patient, when: datetime, now: datetime) -> datetime:
    """When answers given elsewhere (an import) were authored: not in the future beyond
    clock skew, not before the patient was born. Returns the time to store, never after
    `now`. Raises ValidationError on `submitted_at`."""
    if when > now + CLOCK_SKEW:
        raise ValidationError({"submitted_at": "The answers cannot be dated in the future."})
    born = datetime.combine(patient.date_of_birth, time.min,
                            zoneinfo.ZoneInfo(patient.clinic.time_zone))
    if when < born:
        raise ValidationError(
            {"submitted_at": "The answers cannot be dated before the patient's date of birth."}
        )
    return min(when, now)


def store_response(
    req: ReportRequest,
    result: ScoreResult,
    values: list[int],
    *,
    submitted_at: datetime,
    baseline: int | None,
) -> tuple[Response, list[answer_alerts.AlertSpec]]:
    """The scored response and the alerts its answers raise: shared by the patient's
    submit and by responses imported from other systems (FHIR)."""
    response = Response.objects.create(
        request=req,
        patient=req.patient,
        instrument=req.instrument,
        values=values,
        total=result.total,
        severity=result.severity or "",
        flags=[f.code for f in result.flags],
        extras=dict(result.extras),
        submitted_at=submitted_at,
        source=req.source,
    )
    cfg = for_clinic(req.clinic)
    specs = list(answer_alerts.alerts_for(result, baseline, cfg.rise_points,
                                  psychosis_rise_points=cfg.psychosis_rise_points,
                                  dissociation_above=cfg.dissociation_above))
    for spec in specs:
        Alert.objects.create(
            clinic=req.clinic,
            patient=req.patient,
            response=response,
            kind=spec.kind,
            message=spec.message[:400],
            created_at=timezone.now(),
        )
    return response, specs


@transaction.atomic
def submit(
    req: ReportRequest, raw: Mapping[str, Any] | None = None, *, request: HttpRequest | None = None
) -> Response:
    """Score and store once. A repeat (double click, retry after a dropped response)
    returns the response already stored; raises InstrumentInputError when answers are
    missing."""
    locked = (
        ReportRequest.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "course")
        .get(pk=req.pk)
    )
    if locked.completed_at is not None:
        return locked.response
    if raw:
        answers = _clean_answers(locked, raw)
        locked.progress = {**locked.progress, **answers}
        locked.save(update_fields=["progress"])
    values = ordered_values(locked)
    result = get(locked.instrument).score(values)
    now = timezone.now()
    baseline = baseline_total(locked.patient, locked.instrument, locked.course, before=now)
    try:
        with transaction.atomic():  # a savepoint: the unique request is the last guard
            response, specs = store_response(
                locked, result, values, submitted_at=now, baseline=baseline
            )
    except IntegrityError:  # a database without row locks (SQLite) let a twin through
        return Response.objects.get(request=locked)
    locked.completed_at = now
    locked.save(update_fields=["completed_at"])
    audit_link(
        Action.CREATE,
        locked,
        request,
        {"instrument": locked.instrument, "alerts": [s.kind for s in specs]},
    )
    return response


@transaction.atomic
def import_response(staff: Staff, patient: Patient, instrument_id: str, values: Sequence[int],
                    *, kind: str, via: str, authored: datetime | None = None,
                    identifier: tuple[str, str] = ("", ""),
                    request: HttpRequest | None = None) -> Response:
    """Answers given in another system, stored as a completed request of `kind` and its
    response: scored with the instrument library, alerts raised against the baseline like
    the patient's submit, but dated when the answers were authored and audited as the
    staff member who sent them (`via` names the interface). `identifier` is the sender's
    (system, value), ("", "") when none. Raises InstrumentInputError for answers the
    instrument refuses and ValidationError (`submitted_at`) for an authored time in the
    future or before birth."""
    staff.require(Perm.SELFREPORT_MANAGE)
    if patient.clinic_id != staff.clinic.pk:
        raise ValidationError("This patient is not in your active clinic.")
    instrument = get(instrument_id)
    result = instrument.score(values)
    now = timezone.now()
    when = check_submitted_at(patient, authored, now) if authored is not None else now
    clinic = staff.clinic
    day = timezone.localtime(when, timezone=zoneinfo.ZoneInfo(clinic.time_zone)).date()
    course = latest_course(patient)
    req = ReportRequest.objects.create(
        clinic=clinic, patient=patient, course=None, instrument=instrument.id, kind=kind,
        key="", source=Source.MANUAL, opens_on=day, closes_on=day,
        expires_at=end_of_day(clinic, day), created_by=staff.user, sent_at=None,
        completed_at=now, progress={str(i): v for i, v in enumerate(values, start=1)},
    )
    baseline = baseline_total(patient, instrument.id, course, before=when)
    response, specs = store_response(req, result, list(values), submitted_at=when,
                                     baseline=baseline)
    if identifier != ("", ""):
        response.identifier_system, response.identifier_value = identifier
        response.save(update_fields=["identifier_system", "identifier_value"])
    record(Action.CREATE, request=request, user=staff.user, role=staff.role_label,
           clinic_id=clinic.pk, patient_id=patient.pk, obj=response,
           detail={"instrument": instrument.id, "via": via,
                   "alerts": [s.kind for s in specs]})
    return response
