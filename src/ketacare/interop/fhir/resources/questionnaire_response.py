"""QuestionnaireResponse: self-report answers. Create accepts our own Questionnaires and
the HL7 shape other systems send for PHQ-9 and GAD-7 (LOINC linkIds such as `/44250-9`,
LOINC answer codes LA6568-5 ...); either is scored on arrival and yields Observations."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest

from ketacare.accounts.staff import Staff
from ketacare.clinical.instruments import Instrument, InstrumentInputError, all_instruments
from ketacare.patients.access import patient_for
from ketacare.selfreport.access import responses_of
from ketacare.selfreport.models import Response

from ... import actions
from ..common import (
    LOINC,
    code_by,
    identifier_in,
    identifier_out,
    instant,
    meta,
    patient_ref,
    questionnaire_url,
)
from ..outcome import FhirError, from_validation
from ..registry import IDENTIFIER, SUBJECT, Entry, Param, Resource, ResourceType, Source, register
from .questionnaire import answer_coding, panel_code


def to_fhir(r: Response) -> Resource:
    from ketacare.clinical.instruments import get

    instrument = get(r.instrument)
    items = []
    for item, value in zip(instrument.items, r.values, strict=False):
        option = next(o for o in item.options if o.value == value)
        items.append({"linkId": str(item.number), "text": item.label,
                      "answer": [{"valueCoding": answer_coding(instrument, option)}]})
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(r.pk),
        "meta": meta(r.submitted_at),
    }
    if r.identifier_value:
        resource["identifier"] = identifier_out(r.identifier_system, r.identifier_value)
    return resource | {
        "questionnaire": questionnaire_url(instrument.id),
        "status": "completed",
        "subject": patient_ref(r.patient_id),
        "authored": instant(r.submitted_at),
        "item": items,
    }


def entry(r: Response) -> Entry:
    return Entry(str(r.pk), to_fhir(r), str(r.patient_id))


def panel_codes() -> dict[str, tuple[str, str]]:
    """Each instrument's questionnaire code, by the instrument column's value."""
    return {i.id: (panel_code(i)["system"], panel_code(i)["code"]) for i in all_instruments()}


# --- create / import ----------------------------------------------------------------

def _invalid(message: str, expression: str) -> FhirError:
    return FhirError(422, "invalid", message, expression)


def _instrument_for(body: Resource) -> Instrument:
    canonical = str(body.get("questionnaire") or "").split("|", 1)[0].rstrip("/")
    for instrument in all_instruments():
        if canonical == questionnaire_url(instrument.id) or canonical.endswith(
                f"/Questionnaire/{instrument.id}"):
            return instrument
        panel = instrument.loinc_panel
        # LOINC's own form (http://loinc.org/q/44249-1) and HL7 examples that name the panel.
        if panel and (canonical.endswith(f"/{panel}") or canonical.endswith(f"-{panel}")):
            return instrument
    # No canonical we know: recognise the instrument by its LOINC item codes.
    link_ids = {_bare(i.get("linkId", "")) for i in _flatten(body.get("item") or [])}
    for instrument in all_instruments():
        codes = {i.loinc for i in instrument.items if i.loinc}
        if codes and codes <= link_ids:
            return instrument
    raise _invalid(f"QuestionnaireResponse.questionnaire {canonical!r} is not a "
                   "questionnaire this server scores (our Questionnaire URLs, or LOINC PHQ-9 "
                   "44249-1 / GAD-7 69737-5 with LOINC linkIds).", "QuestionnaireResponse."
                   "questionnaire")


def _bare(link_id: str) -> str:
    return str(link_id).rsplit("/", 1)[-1]


def _flatten(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _flatten(item.get("item") or [])
        for answer in item.get("answer") or []:
            yield from _flatten(answer.get("item") or [])


def _value(instrument: Instrument, number: int, answer: dict[str, Any]) -> int:
    item = instrument.items[number - 1]
    where = f"QuestionnaireResponse.item.where(linkId='{item.loinc or number}')"
    if "valueCoding" in answer:
        code = str(answer["valueCoding"].get("code", ""))
        for option in item.options:
            if code == option.loinc_answer or (not answer["valueCoding"].get("system", "")
                                               .startswith(LOINC) and code == str(option.value)):
                return option.value
        allowed = ", ".join(o.loinc_answer or str(o.value) for o in item.options)
        raise _invalid(f"{instrument.short_name} item {number}: answer code {code!r} is not "
                       f"allowed; allowed codes are {allowed}", where)
    if "valueInteger" in answer:
        return int(answer["valueInteger"])
    raise _invalid(f"{instrument.short_name} item {number}: give valueCoding (LOINC answer "
                   "code) or valueInteger", where)


def values_of(instrument: Instrument, body: Resource) -> list[int]:
    by_number: dict[int, int] = {}
    for qi in _flatten(body.get("item") or []):
        link = _bare(qi.get("linkId", ""))
        match = next((i for i in instrument.items
                      if link == str(i.number) or (i.loinc and link == i.loinc)), None)
        if match is None or not qi.get("answer"):
            continue  # totals and headings carried by other systems are re-computed here
        by_number[match.number] = _value(instrument, match.number, qi["answer"][0])
    values: list[int] = []
    for item in instrument.items:
        if item.number not in by_number:
            if item.optional:
                break
            raise _invalid(f"{instrument.short_name} item {item.number} "
                           f"({item.loinc or 'linkId ' + str(item.number)}) has no answer; "
                           "a response with a missing scored item cannot be scored.",
                           "QuestionnaireResponse.item")
        values.append(by_number[item.number])
    return values


def _authored(staff: Staff, raw: Any) -> datetime | None:
    """A full dateTime keeps its zone; a bare date (FHIR allows it) is the start of that day
    at the clinic."""
    if not raw:
        return None
    text = str(raw)
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            return datetime.combine(day, time.min, zoneinfo.ZoneInfo(staff.clinic.time_zone))
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise _invalid(f"authored {text!r} must be a date, or a dateTime with a time zone.",
                       "QuestionnaireResponse.authored")
    return when


def create(staff: Staff, body: Resource, request: HttpRequest) -> Entry:
    if body.get("status") not in {"completed", "amended"}:
        raise _invalid("Only a completed QuestionnaireResponse can be scored "
                       f"(status is {body.get('status')!r}).", "QuestionnaireResponse.status")
    reference = str((body.get("subject") or {}).get("reference") or "")
    kind, _, pid = reference.rpartition("/")
    if kind.rsplit("/", 1)[-1] != "Patient" or not pid:
        raise _invalid("subject must reference a Patient of your clinic (Patient/ID).",
                       "QuestionnaireResponse.subject")
    try:
        patient = patient_for(staff, pid, write=True, request=request)
    except (Http404, PermissionDenied):
        raise _invalid(f"subject {reference!r} is not a patient of your clinic.",
                       "QuestionnaireResponse.subject") from None
    instrument = _instrument_for(body)
    values = values_of(instrument, body)
    authored = _authored(staff, body.get("authored"))
    identifier = identifier_in(body.get("identifier"), "QuestionnaireResponse.identifier")
    try:
        response = actions.import_response(staff, patient, instrument.id, values,
                                           authored=authored, identifier=identifier,
                                           request=request)
    except InstrumentInputError as exc:
        raise _invalid(str(exc), "QuestionnaireResponse.item") from None
    except ValidationError as exc:
        raise from_validation(exc, {"submitted_at": "QuestionnaireResponse.authored"},
                              "QuestionnaireResponse") from None
    return entry(response)


register(ResourceType(
    name="QuestionnaireResponse", create=create,
    sources=(Source(rows=responses_of, build=entry, patient="patient_id", when="submitted_at",
                    updated="submitted_at", codes=code_by("instrument", panel_codes()),
                    identifier=True, order=("submitted_at", "pk")),),
    params=SUBJECT + (
        IDENTIFIER,
        Param("date", "date", "When the answers were authored; prefixes eq, lt, le, gt, ge."),
        Param("code", "token", "The questionnaire's code (e.g. http://loinc.org|44249-1)."),
    ),
    sorts=frozenset({"_id", "_lastUpdated", "date"}),
    documentation="Self-report answers. Create scores the answers with the instrument "
                  "library and produces the total (and PHQ-9 item 9) Observations; HL7 "
                  "PHQ-9 / GAD-7 responses with LOINC linkIds and answer codes are accepted. "
                  "Send If-None-Exist: identifier=SYSTEM|VALUE so a retry stores nothing "
                  "twice.",
))
