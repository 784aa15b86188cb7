"""The JSON API (/api/v1): the app's own resources, read-only, clinic-scoped by the bearer
token, audited like page views. Every status code an endpoint can return is declared, so
the OpenAPI document is the contract (schemathesis checks it in the test suite). Errors
are problem+json (RFC 9457); `errors.ClientFormatMiddleware` covers the ones raised
outside these handlers (unknown path, wrong method, 500, database down: 503).

No endpoint writes, so there is nothing for an `Idempotency-Key` to make safe yet; the
first write endpoint takes one (see docs/interop.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Path, Query, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer
from pydantic import Field

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_reads
from ketacare.audit.models import Action
from ketacare.ids import MAX_ID
from ketacare.ledger.access import entries_of
from ketacare.ledger.access import entry_for as ledger_entry_for
from ketacare.ledger.models import LedgerEntry
from ketacare.patients.access import patient_for, patients_of
from ketacare.patients.counts import clinic_total
from ketacare.selfreport.access import alerts_of
from ketacare.selfreport.models import Response
from ketacare.treatment.access import course_for, session_for
from ketacare.treatment.models import Course, Session

from .auth import AuthError, staff_for_token
from .errors import PROBLEM_JSON, problem
from .paging import told_by_page

T = TypeVar("T")
# Anything larger than a row id is refused here (422), not passed to the database.
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="record id")]


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Staff | None:
        try:
            staff = staff_for_token(token)
        except AuthError:
            return None
        request.staff = staff  # type: ignore[attr-defined]
        return staff


class KetaCareAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        """Error responses documented as what they are: application/problem+json."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for code, response in operation["responses"].items():
                    if int(code) >= 400 and "content" in response:
                        response["content"] = {PROBLEM_JSON: next(
                            iter(response["content"].values()))}
        return schema


api = KetaCareAPI(
    title="KetaCare API", version="1", urls_namespace="api-v1", auth=TokenAuth(),
    description="Read-only JSON API for a clinic's own records. Authenticate with "
                "`Authorization: Bearer TOKEN` (`ketacare api-token create --user NAME`).",
)


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


# 503: the database cannot be reached (the client may retry after Retry-After seconds).
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 422: Problem, 503: Problem}
ONE_ERRORS: dict[int, Any] = {**ERRORS, 404: Problem}


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    parts = []
    for err in exc.errors:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in {"query", "path"})
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return problem(422, "; ".join(parts) or "invalid input")


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(401, "Unknown, revoked or missing API token.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(403, str(exc) or "Not allowed.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, str(exc) or "Not found.")


class Paging(Schema):
    limit: int = Field(50, ge=1, le=500, description="page size (1-500)")
    offset: int = Field(0, ge=0, le=1_000_000, description="items to skip")


def _staff(request: HttpRequest) -> Staff:
    staff: Staff = request.auth  # type: ignore[attr-defined]
    return staff


def _page(rows: QuerySet[Any], paging: Paging,
          total: Callable[[], int] | None = None) -> tuple[list[Any], int]:
    """The page and how many rows there are in all: told by the page when it ends them (one
    row more is read than shown), else counted, by `total` when the caller has a cheaper
    count (never fewer than the rows the page shows there are)."""
    found = list(rows[paging.offset:paging.offset + paging.limit + 1])
    shown = found[:paging.limit]
    told = told_by_page(len(found), paging.limit, paging.offset)
    if told is not None:
        return shown, told
    if total is None:
        return shown, rows.count()
    return shown, max(total(), paging.offset + len(found))


def _audit_list(request: HttpRequest, staff: Staff, object_type: str,
                patient_ids: list[Any], detail: dict[str, Any]) -> None:
    record_reads(staff, Action.SEARCH, request, object_type,
                 [(p, "") for p in patient_ids], {"via": "api", **detail})


# --- schemas -----------------------------------------------------------------------------

class PatientOut(Schema):
    id: uuid.UUID
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex_at_birth: str
    status: str
    primary_condition: str
    updated_at: datetime


class CourseOut(Schema):
    id: int
    patient_id: uuid.UUID
    protocol: str
    indication: str
    start_date: date
    status: str
    created_at: datetime


class DoseOut(Schema):
    drug: str
    route: str
    dose_mg: float
    mg_per_kg: float | None
    started_at: datetime
    stopped_at: datetime | None


class SessionOut(Schema):
    id: int
    course_id: int
    patient_id: uuid.UUID
    number: int
    planned_date: date
    phase: str
    status: str
    checked_in_at: datetime | None
    discharged_at: datetime | None
    signed_at: datetime | None
    dose: DoseOut | None


class AssessmentOut(Schema):
    id: int
    patient_id: uuid.UUID
    instrument: str
    values: list[int]
    total: int | None
    severity: str
    flags: list[str]
    submitted_at: datetime
    source: str


class AlertOut(Schema):
    id: int
    patient_id: uuid.UUID
    response_id: int
    kind: str
    message: str
    state: str
    created_at: datetime
    acknowledged_at: datetime | None
    action_at: datetime | None


class LedgerEntryOut(Schema):
    id: int
    stock_item_id: int
    drug: str
    seq: int
    kind: str
    delta_ml: float | None
    balance_after_ml: float | None
    delta_devices: int | None
    balance_after_devices: int | None
    lot: str
    patient_id: uuid.UUID | None
    reason: str
    recorded_at: datetime


def _list(item: type[Schema]) -> type[Schema]:
    return type(f"{item.__name__}List", (Schema,), {
        "__annotations__": {"count": int, "items": list[item]},  # type: ignore[valid-type]
    })


PatientList = _list(PatientOut)
CourseList = _list(CourseOut)
SessionList = _list(SessionOut)
AssessmentList = _list(AssessmentOut)
AlertList = _list(AlertOut)
LedgerEntryList = _list(LedgerEntryOut)


def _f(value: Any) -> float | None:
    return float(value) if value is not None else None


def course_out(c: Course) -> dict[str, Any]:
    return {"id": c.pk, "patient_id": c.patient_id,
            "protocol": str(c.protocol_data.get("name", "")), "indication": c.indication,
            "start_date": c.start_date, "status": c.status, "created_at": c.created_at}


def session_out(s: Session) -> dict[str, Any]:
    dose = getattr(s, "dose", None) if hasattr(s, "dose") else None
    return {
        "id": s.pk, "course_id": s.course_id, "patient_id": s.course.patient_id,
        "number": s.number, "planned_date": s.planned_date, "phase": s.phase,
        "status": s.status, "checked_in_at": s.checked_in_at,
        "discharged_at": s.discharged_at, "signed_at": s.signed_at,
        "dose": None if dose is None else {
            "drug": dose.drug, "route": dose.route, "dose_mg": float(dose.dose_mg),
            "mg_per_kg": _f(dose.mg_per_kg), "started_at": dose.started_at,
            "stopped_at": dose.stopped_at},
    }


def assessment_out(r: Response) -> dict[str, Any]:
    return {"id": r.pk, "patient_id": r.patient_id, "instrument": r.instrument,
            "values": list(r.values), "total": r.total, "severity": r.severity,
            "flags": list(r.flags), "submitted_at": r.submitted_at, "source": r.source}


def ledger_out(e: LedgerEntry) -> dict[str, Any]:
    return {"id": e.pk, "stock_item_id": e.stock_item_id, "drug": e.stock_item.drug,
            "seq": e.seq, "kind": e.kind, "delta_ml": _f(e.delta_ml),
            "balance_after_ml": _f(e.balance_after_ml), "delta_devices": e.delta_devices,
            "balance_after_devices": e.balance_after_devices, "lot": e.lot,
            "patient_id": e.patient_id, "reason": e.reason, "recorded_at": e.recorded_at}


def alert_out(a: Any) -> dict[str, Any]:
    return {"id": a.pk, "patient_id": a.patient_id, "response_id": a.response_id,
            "kind": a.kind, "message": a.message, "state": a.state,
            "created_at": a.created_at, "acknowledged_at": a.acknowledged_at,
            "action_at": a.action_at}


# --- endpoints -----------------------------------------------------------------------------

@api.get("/patients", response={200: PatientList, **ERRORS}, tags=["patients"])
def list_patients(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    staff = _staff(request)
    # A full page's count is the clinic's total as the home page counts it (at most a
    # minute old): counting 100,000 patients was a third of the request (docs/interop.md).
    rows, count = _page(patients_of(staff).order_by("family_name", "given_name", "id"), paging,
                        total=lambda: clinic_total(staff.clinic))
    _audit_list(request, staff, "patient", [p.pk for p in rows], {"count": len(rows)})
    return {"count": count, "items": rows}


@api.get("/patients/{patient_id}", response={200: PatientOut, **ONE_ERRORS}, tags=["patients"])
def get_patient(request: HttpRequest, patient_id: str) -> Any:
    return patient_for(_staff(request), patient_id, request=request)


@api.get("/patients/{patient_id}/courses", response={200: CourseList, **ONE_ERRORS},
         tags=["courses"])
def patient_courses(request: HttpRequest, patient_id: str,
                    paging: Query[Paging]) -> dict[str, Any]:
    staff = _staff(request)
    patient = patient_for(staff, patient_id, request=request, audit_as="courses")
    rows, count = _page(Course.objects.filter(patient=patient).order_by("-start_date", "-id"),
                        paging)
    return {"count": count, "items": [course_out(c) for c in rows]}


@api.get("/courses/{course_id}", response={200: CourseOut, **ONE_ERRORS}, tags=["courses"])
def get_course(request: HttpRequest, course_id: RowId) -> dict[str, Any]:
    return course_out(course_for(_staff(request), course_id, request=request))


@api.get("/courses/{course_id}/sessions", response={200: SessionList, **ONE_ERRORS},
         tags=["sessions"])
def course_sessions(request: HttpRequest, course_id: RowId,
                    paging: Query[Paging]) -> dict[str, Any]:
    course = course_for(_staff(request), course_id, request=request)
    rows, count = _page(course.sessions.select_related("course", "dose").order_by("number"),
                        paging)
    return {"count": count, "items": [session_out(s) for s in rows]}


@api.get("/sessions/{session_id}", response={200: SessionOut, **ONE_ERRORS},
         tags=["sessions"])
def get_session(request: HttpRequest, session_id: RowId) -> dict[str, Any]:
    return session_out(session_for(_staff(request), session_id, request=request))


@api.get("/patients/{patient_id}/assessments", response={200: AssessmentList, **ONE_ERRORS},
         tags=["assessments"])
def patient_assessments(request: HttpRequest, patient_id: str, paging: Query[Paging],
                        instrument: str | None = Query(
                            None, pattern="^[a-z0-9-]{1,30}$",
                            description="instrument id, e.g. phq9")) -> dict[str, Any]:
    staff = _staff(request)
    staff.require(Perm.SELFREPORT_VIEW)
    patient = patient_for(staff, patient_id, request=request, audit_as="assessments")
    rows_qs = Response.objects.filter(patient=patient).order_by("-submitted_at", "-id")
    if instrument:
        rows_qs = rows_qs.filter(instrument=instrument)
    rows, count = _page(rows_qs, paging)
    return {"count": count, "items": [assessment_out(r) for r in rows]}


class AlertFilter(Paging):
    state: str | None = Field(None, pattern="^(open|acknowledged|closed)$",
                              description="open, acknowledged or closed")


@api.get("/alerts", response={200: AlertList, **ERRORS}, tags=["alerts"])
def list_alerts(request: HttpRequest, filters: Query[AlertFilter]) -> dict[str, Any]:
    staff = _staff(request)
    rows_qs = alerts_of(staff).order_by("-created_at", "-id")
    if filters.state == "open":
        rows_qs = rows_qs.filter(acknowledged_at__isnull=True, action_at__isnull=True)
    elif filters.state == "acknowledged":
        rows_qs = rows_qs.filter(acknowledged_at__isnull=False, action_at__isnull=True)
    elif filters.state == "closed":
        rows_qs = rows_qs.filter(action_at__isnull=False)
    rows, count = _page(rows_qs, filters)
    _audit_list(request, staff, "alert", [a.patient_id for a in rows], {"count": len(rows)})
    return {"count": count, "items": [alert_out(a) for a in rows]}


@api.get("/ledger/entries", response={200: LedgerEntryList, **ERRORS}, tags=["ledger"])
def list_ledger_entries(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    staff = _staff(request)
    staff.require(Perm.LEDGER_VIEW)
    rows_qs = entries_of(staff).select_related("stock_item").order_by("-recorded_at", "-id")
    rows, count = _page(rows_qs, paging)
    _audit_list(request, staff, "ledgerentry", [e.patient_id for e in rows],
                {"count": len(rows)})
    return {"count": count, "items": [ledger_out(e) for e in rows]}


@api.get("/ledger/entries/{entry_id}", response={200: LedgerEntryOut, **ONE_ERRORS},
         tags=["ledger"])
def get_ledger_entry(request: HttpRequest, entry_id: RowId) -> dict[str, Any]:
    staff = _staff(request)
    return ledger_out(ledger_entry_for(staff, entry_id, request=request,
                                       detail={"via": "api"}))
