"""Patient: demographics of the clinic's patients."""

from __future__ import annotations

from django.db.models import Q

from ketacare.patients.access import patients_of
from ketacare.patients.models import Patient, Sex

from ..common import MRN_SYSTEM, canonical_uuids, day, meta
from ..registry import Entry, Resource, ResourceType, Source, register

_GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.INTERSEX: "other",
           Sex.UNKNOWN: "unknown"}


def to_fhir(p: Patient) -> Resource:
    telecom = []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if p.mobile:
        telecom.append({"system": "phone", "value": p.mobile, "use": "mobile"})
    out: Resource = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "meta": {**meta(p.updated_at), "versionId": str(p.version)},
        "identifier": [{
            "use": "usual",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                 "code": "MR"}], "text": "MRN"},
            "system": MRN_SYSTEM, "value": p.mrn,
        }],
        "active": p.status != "discharged",
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        # Sex at birth is what the chart records; FHIR gender is the nearest field.
        "gender": _GENDER.get(p.sex_at_birth, "unknown"),  # type: ignore[call-overload]
        "birthDate": day(p.date_of_birth),
    }
    if telecom:
        out["telecom"] = telecom
    return out


def entry(p: Patient) -> Entry:
    return Entry(str(p.pk), to_fhir(p), str(p.pk))


def with_ids(values: set[str]) -> Q:
    return Q(pk__in=canonical_uuids(values))


register(ResourceType(
    name="Patient",
    sources=(Source(rows=patients_of, build=entry, ids=with_ids, patient="pk",
                    updated="updated_at", order=("family_name", "given_name", "pk")),),
    documentation="Patients of the token's clinic. `_id` and `_lastUpdated` search.",
))
