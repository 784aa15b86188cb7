"""OperationOutcome: the body of every FHIR error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse

FHIR_JSON = "application/fhir+json"


class FhirError(Exception):
    """An error a FHIR client should see: HTTP status, issue code, and a message that names
    the parameter or element at fault (`expression`)."""

    def __init__(self, status: int, code: str, diagnostics: str,
                 expression: str | None = None) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression


def outcome(code: str, diagnostics: str, *, severity: str = "error",
            expression: str | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(body: dict[str, Any], status: int = 200,
                  headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body, separators=(",", ":")), status=status,
                            content_type=f"{FHIR_JSON}; charset=utf-8")
    response["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(outcome(error.code, error.diagnostics, expression=error.expression),
                         status=error.status)


def from_validation(exc: ValidationError, elements: Mapping[str, str],
                    default: str) -> FhirError:
    """An action's ValidationError as a 422 naming the element of the field at fault
    (`elements` maps model fields to FHIRPath)."""
    if not hasattr(exc, "error_dict"):
        return FhirError(422, "invalid", "; ".join(exc.messages), default)
    fields = exc.message_dict
    message = "; ".join(f"{elements.get(name, default)}: {' '.join(messages)}"
                        for name, messages in fields.items())
    return FhirError(422, "invalid", message, elements.get(next(iter(fields)), default))
