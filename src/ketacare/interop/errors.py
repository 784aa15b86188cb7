"""Errors in the client's format on the machine interfaces: `/api/v1` answers
problem+json (RFC 9457), `/fhir` an OperationOutcome, whatever failed: an unknown path, a
wrong method, a bug (500) or a database that cannot be reached (503 with Retry-After).

The views format the errors they expect; this middleware sits outermost and rewrites
whatever else would reach the client as Django's HTML error page. It also marks every
`/api/v1` response `Cache-Control: no-store` (they carry patient data; FHIR responses are
marked by `fhir_response`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from .fhir.outcome import FHIR_JSON, fhir_response, outcome

API_PREFIX = "/api/v1/"
FHIR_PREFIX = "/fhir/"
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 30
UNREACHABLE = "The database cannot be reached; try again shortly."
# OperationOutcome issue codes (http://hl7.org/fhir/R4/valueset-issue-type.html) by status.
FHIR_CODES = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
              406: "not-supported", 415: "not-supported", 503: "transient"}
_FAILURE = "_ketacare_failure"


def problem(status: int, detail: str) -> HttpResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail}
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_JSON)
    response["Cache-Control"] = "no-store"
    return response


@receiver(got_request_exception)
def _remember_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django turns an uncaught exception into its 500 page before the middleware sees the
    response; keep the exception so an outage can be told from a bug."""
    if request is not None:
        setattr(request, _FAILURE, sys.exc_info()[1])


def _status_and_detail(request: HttpRequest, response: HttpResponse) -> tuple[int, str]:
    failure = getattr(request, _FAILURE, None)
    if isinstance(failure, OperationalError | InterfaceError):
        return 503, UNREACHABLE
    status = response.status_code
    if status == 404:
        return status, "No such endpoint."
    if status == 405:
        return status, (f"{request.method} is not allowed here; allowed: "
                        f"{response.get('Allow', '')}.")
    if status >= 500:
        return status, "Internal error; it is logged for the operator."
    return status, f"{HTTPStatus(status).phrase}."


class ClientFormatMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(API_PREFIX):
            if response.status_code >= 400 and not _is(response, PROBLEM_JSON):
                response = _rewritten(problem(*_status_and_detail(request, response)), response)
            response["Cache-Control"] = "no-store"
        elif path.startswith(FHIR_PREFIX) and response.status_code >= 400 \
                and not _is(response, FHIR_JSON):
            status, detail = _status_and_detail(request, response)
            code = FHIR_CODES.get(status, "exception" if status >= 500 else "invalid")
            response = _rewritten(fhir_response(outcome(code, detail), status=status), response)
        return response


def _is(response: HttpResponse, media_type: str) -> bool:
    return str(response.get("Content-Type", "")).startswith(media_type)


def _rewritten(new: HttpResponse, old: HttpResponse) -> HttpResponse:
    """`new` with the headers the stack put on `old` (security headers, Allow,
    WWW-Authenticate) except those that describe the old body."""
    for header, value in old.items():
        if header.lower() not in {"content-type", "content-length", "cache-control"}:
            new[header] = value
    if new.status_code == 503:
        new["Retry-After"] = str(RETRY_AFTER_S)
    return new
