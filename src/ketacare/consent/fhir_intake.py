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

from django.db.models import QuerySet

from ketacare.accounts.staff import Staff
from ketacare.interop.fhir.common import (
    LOCAL_CODES,
    coding,
    fixed_code,
    instant,
    meta,
    patient_ref,
    questionnaire_url,
)
from ketacare.interop.fhir.registry import Entry, Resource, Scope, Source, extend

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


def submitted_intakes(staff: Staff) -> QuerySet[PatientLink]:
    return PatientLink.objects.filter(clinic=staff.clinic, patient__clinic=staff.clinic,
                                      purpose=Purpose.INTAKE, submitted_at__isnull=False)


def entry(link: PatientLink) -> Entry:
    return Entry(f"{ID_PREFIX}{link.pk}", to_fhir(link), str(link.patient_id))


def questionnaires(staff: Staff, scope: Scope) -> Iterator[Entry]:
    if scope.ids is None or QUESTIONNAIRE_ID in scope.ids:
        yield Entry(QUESTIONNAIRE_ID, questionnaire(), None,
                    frozenset({(CODE["system"], CODE["code"])}))


extend("QuestionnaireResponse",
       Source(rows=submitted_intakes, build=entry, patient="patient_id", prefix=ID_PREFIX,
              when="submitted_at", updated="submitted_at",
              codes=fixed_code(CODE["system"], CODE["code"]), order=("submitted_at", "pk")),
       "Submitted intake answers are QuestionnaireResponses too (id intake-N, questionnaire "
       f"{questionnaire_url(QUESTIONNAIRE_ID)}): the patient's words before review.")
extend("Questionnaire", questionnaires,
       f"{QUESTIONNAIRE_ID} is the intake form patients answer before their first visit.")
