"""MedicationAdministration: ketamine and esketamine doses given in a session.

RxNorm ingredient codes: ketamine 6130, esketamine 2103181 [check: confirm against the
current RxNorm release; not verified from a primary source while writing this]."""

from __future__ import annotations

from ketacare.treatment.access import doses_of
from ketacare.treatment.models import DOSE_UPDATED, Dose

from ..common import (
    RXNORM,
    SNOMED,
    UCUM,
    code_by,
    concept,
    instant,
    meta,
    number,
    patient_ref,
)
from ..registry import SUBJECT, Entry, Param, Resource, ResourceType, Source, register

DRUGS = {
    "racemic_ketamine": ("6130", "ketamine"),
    "esketamine": ("2103181", "esketamine"),
}
# SNOMED CT route of administration.
ROUTES = {
    "iv": ("47625008", "Intravenous route"),
    "im": ("78421000", "Intramuscular route"),
    "sc": ("34206005", "Subcutaneous route"),
    "oral": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
    "esketamine_nasal": ("46713006", "Nasal route"),
}


def to_fhir(d: Dose) -> Resource:
    session = d.session
    rx = DRUGS.get(d.drug)
    medication = (concept(RXNORM, rx[0], rx[1]) if rx else {"text": d.drug})
    period = {"start": instant(d.started_at)}
    if d.stopped_at is not None:
        period["end"] = instant(d.stopped_at)
    # An infusion still running has no stop time yet.
    running = d.route == "iv" and d.stopped_at is None
    dosage: Resource = {"dose": {"value": number(d.dose_mg), "unit": "mg", "system": UCUM,
                                 "code": "mg"}}
    if d.route in ROUTES:
        dosage["route"] = concept(SNOMED, *ROUTES[d.route])
    text = f"{number(d.dose_mg)} mg {rx[1] if rx else d.drug}"
    if d.mg_per_kg is not None and d.weight_kg is not None:
        text += f" ({number(d.mg_per_kg)} mg/kg x {number(d.weight_kg)} kg)"
    dosage["text"] = text
    out: Resource = {
        "resourceType": "MedicationAdministration",
        "id": str(d.pk),
        "meta": meta(d.stopped_at or d.started_at),
        "status": "in-progress" if running else "completed",
        "medicationCodeableConcept": medication,
        "subject": patient_ref(session.course.patient_id),
        "context": {"reference": f"Encounter/{session.pk}"},
        "effectivePeriod": period,
        "dosage": dosage,
    }
    if d.lot:
        out["note"] = [{"text": f"lot {d.lot}, expiry {d.expiry.isoformat()}"}]
    return out


def entry(d: Dose) -> Entry:
    return Entry(str(d.pk), to_fhir(d), str(d.session.course.patient_id))


register(ResourceType(
    name="MedicationAdministration",
    sources=(Source(rows=doses_of, build=entry, patient="session__course__patient_id",
                    when="started_at", updated=lambda staff: DOSE_UPDATED,
                    codes=code_by("drug", {k: (RXNORM, code) for k, (code, _) in DRUGS.items()}),
                    order=("started_at", "pk"), related=("session__course",),
                    reads=("session__course__patient_id",)),),
    params=SUBJECT + (
        Param("code", "token", "RxNorm ingredient: "
              "http://www.nlm.nih.gov/research/umls/rxnorm|6130 (ketamine) or |2103181 "
              "(esketamine)."),
        Param("date", "date", "When the dose started (effective-time); prefixes eq, lt, le, "
              "gt, ge."),
    ),
    sorts=frozenset({"_id", "_lastUpdated", "date"}),
    documentation="Ketamine and esketamine doses, with dose, route and period.",
))
