"""Intake answers in FHIR R4: the intake form is the Questionnaire `ketacare-intake`, and
each submitted intake a QuestionnaireResponse `intake-N` that references it. They join the
FHIR facade's own Questionnaire and QuestionnaireResponse types (registry.extend), so
clinic scoping, search parameters, auth and read audit are the facade's.

These are the patient's own words as sent: what a clinician accepted into the chart is in
the chart's resources, not here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ketacare.accounts.staff import Staff
from ketacare.interop.fhir.common import (
    LOCAL_CODES,
    coding,
    instant,
    ints,
    meta,
    patient_ref,
    questionnaire_url,
    uuids,
)
from ketacare.interop.fhir.registry import Entry, Resource, Scope, extend

from . import intake
from .models import PatientLink, Purpose

QUESTIONNAIRE_ID = "ketacare-intake"
# The intake form's version: raise it when intake.py's questions change.
VERSION = "1"
ID_PREFIX = "intake-"
ANSWERS = f"{LOCAL_CODES}/intake-answer"
CODE = coding(f"{LOCAL_CODES}/instrument", QUESTIONNAIRE_ID, "Intake before the first visit")


@dataclass(frozen=True)
class Question:
    link_id: str
    text: str
    type: str  # FHIR item type: string, boolean, choice


def _sections() -> list[tuple[str, str, list[Question]]]:
    """The intake form's questions as intake.py asks them, in its order."""
    return [
        ("contacts", "How we reach you",
         [Question(f"contact:{k}", label, "string")
          for k, label in intake.CONTACT_FIELDS.items()]),
        ("medicines", "Medicines you take now",
         [Question(f"med:{k}", label, "string") for k, (label, _) in intake.MEDICINES.items()]),
        ("past-treatments", "Treatments you had before",
         [Question("treatment:antidepressant", "Antidepressants you tried before (names)",
                   "string")]
         + [Question(f"treatment:{k}", label, "boolean")
            for k, (label, _) in intake.PAST_TREATMENTS.items()]),
        ("history", "Your health",
         [Question(f"history:{k}", text, "choice") for k, text in intake.HISTORY.items()]),
    ]


def questionnaire() -> Resource:
    def item(q: Question) -> dict[str, Any]:
        out: dict[str, Any] = {"linkId": q.link_id, "text": q.text, "type": q.type}
        if q.type == "choice":
            out["answerOption"] = [{"valueCoding": coding(ANSWERS, code, label)}
                                   for code, label in intake.HISTORY_ANSWERS.items()]
        return out

    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": questionnaire_url(QUESTIONNAIRE_ID),
        "version": VERSION,
        "name": "KETACARE_INTAKE",
        "title": "Before your first visit",
        "status": "active",
        "subjectType": ["Patient"],
        "code": [CODE],
        "description": "What the patient tells the clinic through their intake link before "
                       "the first visit. A clinician reviews each answer before anything "
                       "reaches the chart.",
        "item": [{"linkId": link_id, "text": text, "type": "group",
                  "item": [item(q) for q in questions]}
                 for link_id, text, questions in _sections()],
    }


def _answer(q: Question, value: str) -> dict[str, Any] | None:
    if q.type == "boolean":
        return {"valueBoolean": True} if value == "yes" else None
    if q.type == "choice":
        label = intake.HISTORY_ANSWERS.get(value)
        return {"valueCoding": coding(ANSWERS, value, label)} if label else None
    return {"valueString": value} if value else None


def to_fhir(link: PatientLink) -> Resource:
    groups = []
    for link_id, text, questions in _sections():
        items = []
        for q in questions:
            answer = _answer(q, str(link.answers.get(q.link_id, "")))
            if answer is not None:
                items.append({"linkId": q.link_id, "text": q.text, "answer": [answer]})
        if items:
            groups.append({"linkId": link_id, "text": text, "item": items})
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"{ID_PREFIX}{link.pk}",
        "meta": meta(link.submitted_at),
        "questionnaire": f"{questionnaire_url(QUESTIONNAIRE_ID)}|{VERSION}",
        "status": "completed",
        "subject": patient_ref(link.patient_id),
        "authored": instant(link.submitted_at),
        "source": patient_ref(link.patient_id),  # the patient answered, through their link
    }
    if groups:
        resource["item"] = groups
    return resource


def responses(staff: Staff, scope: Scope) -> Iterator[Entry]:
    if scope.identifiers is not None:
        return  # intake answers carry no business identifier
    rows = PatientLink.objects.filter(clinic=staff.clinic, patient__clinic=staff.clinic,
                                      purpose=Purpose.INTAKE, submitted_at__isnull=False)
    pids = uuids(scope.patients)
    if pids is not None:
        rows = rows.filter(patient_id__in=pids)
    ids = ints(scope.ids, prefix=ID_PREFIX)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for link in rows.order_by("submitted_at", "id"):
        yield Entry(f"{ID_PREFIX}{link.pk}", to_fhir(link), str(link.patient_id),
                    link.submitted_at, link.submitted_at,
                    frozenset({(CODE["system"], CODE["code"])}))


def questionnaires(staff: Staff, scope: Scope) -> Iterator[Entry]:
    if scope.ids is None or QUESTIONNAIRE_ID in scope.ids:
        yield Entry(QUESTIONNAIRE_ID, questionnaire(), None, None, None,
                    frozenset({(CODE["system"], CODE["code"])}))


extend("QuestionnaireResponse", responses,
       "Submitted intake answers are QuestionnaireResponses too (id intake-N, questionnaire "
       f"{questionnaire_url(QUESTIONNAIRE_ID)}): the patient's words before review.")
extend("Questionnaire", questionnaires,
       f"{QUESTIONNAIRE_ID} is the intake form patients answer before their first visit.")
