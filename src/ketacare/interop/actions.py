"""Writes that arrive through the FHIR API: an answered questionnaire from another system,
and a body weight. Each is one transaction with its audit entry, under the token's staff.

`import_response` stores through selfreport's `import_response` action (score, store, raise
alerts against the baseline) like the patient's submit, but keeps the time the answers were
authored and audits the staff member who sent them, where `submit` audits the patient's
link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest

from ketacare.accounts.staff import Staff
from ketacare.patients import actions as patient_actions
from ketacare.patients.models import Patient, Weight
from ketacare.selfreport import actions as selfreport
from ketacare.selfreport.models import Response

KIND = "fhir-import"
# The sender's business identifier (system, value): ("", "") when it gave none.
Identifier = tuple[str, str]
NO_IDENTIFIER: Identifier = ("", "")


def import_response(staff: Staff, patient: Patient, instrument_id: str,
                    values: Sequence[int], *, authored: datetime | None = None,
                    identifier: Identifier = NO_IDENTIFIER,
                    request: HttpRequest | None = None) -> Response:
    """Score `values` with the instrument library and store them as a completed response
    of `patient`; raises InstrumentInputError for answers the instrument refuses and
    ValidationError (`submitted_at`) for an authored time in the future or before birth."""
    return selfreport.import_response(staff, patient, instrument_id, values, kind=KIND,
                                      via="fhir", authored=authored, identifier=identifier,
                                      request=request)


def add_weight(staff: Staff, patient: Patient, weight_kg: Decimal, measured_on: date, *,
               identifier: Identifier = NO_IDENTIFIER,
               request: HttpRequest | None = None) -> Weight:
    weight = Weight(weight_kg=weight_kg, measured_on=measured_on,
                    identifier_system=identifier[0], identifier_value=identifier[1])
    entry = patient_actions.add_entry(staff, patient, weight, request=request)
    assert isinstance(entry, Weight)
    return entry
