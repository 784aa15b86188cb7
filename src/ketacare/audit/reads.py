"""One audit entry for every response that shows a patient's data, and one for every
refused attempt at a patient object.

The access helpers audit a read themselves. A helper called in write mode does not (the
write action audits itself), but when the write does not happen (an invalid form
re-rendered with status 400, a refused action) the response still shows the patient: the
helper marks the patient as touched, and this middleware writes the read entry for every
touched patient that no committed entry of this request names (`log.record` notes them in
memory: the check costs no query). A 403 or 404 on a URL that names an
object is written as `denied`, with the user and the id asked for."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse

from .log import collecting_named, record
from .models import Action


@dataclass
class _Reads:
    touched: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)


_current: ContextVar[_Reads | None] = ContextVar("ketacare_audit_reads", default=None)

# URL keyword -> object type of a denied entry; the last one a URL names is the object asked
# for (/patients/<patient_id>/weight/<entry_id>/error/ asks for the entry).
OBJECT_KWARGS = {
    "patient_id": "patient", "course_id": "course", "session_id": "session",
    "screening_id": "screening", "entry_id": "entry", "item_id": "stock_item",
    "pk": "alert", "resource_id": "fhir", "alert_id": "clinical_alert",
    "consent_id": "consent", "link_id": "intake", "enrollment_id": "rems_enrollment",
}


def touch(patient_id: uuid.UUID, object_type: str, object_id: str) -> None:
    """Called by an access helper before it audits (or leaves the audit to an action)."""
    reads = _current.get()
    if reads is None:  # not in a web request (CLI, actions called directly)
        return
    reads.touched.setdefault(patient_id, (object_type, object_id))


def _asked_for(request: HttpRequest) -> tuple[str, str, dict[str, str]] | None:
    match = request.resolver_match
    if match is None:
        return None
    ids = {k: str(v) for k, v in match.kwargs.items() if k in OBJECT_KWARGS}
    if not ids:
        return None
    last = list(ids)[-1]
    kind = match.kwargs.get("resource_type", OBJECT_KWARGS[last]) if last == "resource_id" \
        else OBJECT_KWARGS[last]
    return str(kind), ids[last], ids


class ReadAuditMiddleware:
    """After StaffMiddleware: it needs `request.staff` when the response comes back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reads = _Reads()
        token = _current.set(reads)
        try:
            with collecting_named() as named:
                response = self.get_response(request)
                self._finish(request, response, reads, named.patients())
        finally:
            _current.reset(token)
        return response

    def _finish(self, request: HttpRequest, response: HttpResponse, reads: _Reads,
                named: set[uuid.UUID]) -> None:
        # A bearer token (API, FHIR) sets request.staff without signing a session in.
        staff = getattr(request, "staff", None)
        user = staff.user if staff is not None else getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        status = response.status_code
        if status in (403, 404):
            asked = _asked_for(request)
            if asked is not None:
                kind, object_id, ids = asked
                record(Action.DENIED, request=request, user=user, object_type=kind,
                       object_id=object_id[:64],
                       detail={"status": status, "url": request.resolver_match.url_name
                               if request.resolver_match else "", "ids": ids})
            return
        if not reads.touched or 300 <= status < 400 or status >= 500 or status == 405:
            return
        for patient_id, (kind, object_id) in reads.touched.items():
            if patient_id in named:
                continue
            record(Action.VIEW, request=request, user=user, patient_id=patient_id,
                   object_type=kind,
                   object_id=object_id, detail={"status": status})
