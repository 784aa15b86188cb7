"""What the consent, education and chart pages show, gathered in one place (the views only
render): clinic-scoped reads, audited where they open a patient's record."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest

from ketacare.accounts.models import Clinic
from ketacare.accounts.naming import People
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record_patient
from ketacare.audit.models import Action
from ketacare.clinical.eligibility import ROUTES
from ketacare.clinical.protocols import DEFAULT_PROTOCOLS, Protocol
from ketacare.compiled_reads import CompiledRead
from ketacare.ids import int_id
from ketacare.patients.models import Patient
from ketacare.treatment.models import ClinicProtocol, Course

from . import actions, education, shipped
from .models import Consent, ConsentDocument, EducationParagraph, PatientLink

# The chart's consent panel reads these on every chart page (ketacare.compiled_reads).
_courses = CompiledRead(lambda patient_id: Course.objects.filter(patient_id=patient_id))
_documents = CompiledRead(
    lambda clinic_id: ConsentDocument.objects.filter(clinic_id=clinic_id))
_consents = CompiledRead(lambda patient_id: Consent.objects.filter(patient_id=patient_id))


def consent_for(staff: Staff, consent_id: object, *, request: HttpRequest | None = None,
                write: bool = False) -> Consent:
    staff.require(Perm.EDIT_PATIENT if write else Perm.VIEW_CHART)
    try:
        consent = Consent.objects.select_related("patient__clinic", "document").get(
            pk=int_id(consent_id), patient__clinic=staff.clinic)
    except Consent.DoesNotExist:
        raise Http404("No such consent") from None
    if not write:
        record_patient(staff, Action.VIEW, consent.patient_id, consent, request=request)
    return consent


def intake_for(staff: Staff, link_id: object) -> PatientLink:
    staff.require(Perm.VIEW_CHART)
    try:
        return PatientLink.objects.select_related("patient__clinic").get(
            pk=int_id(link_id), clinic=staff.clinic, purpose="intake")
    except PatientLink.DoesNotExist:
        raise Http404("No such intake") from None


@dataclass(frozen=True)
class ChartConsents:
    statuses: list[actions.Status]
    consents: list[Consent]
    intakes: list[PatientLink]
    documents: list[ConsentDocument]


def chart_consents(patient: Patient, *, page: bool = False) -> ChartConsents:
    """Every consent of the patient, where they stand for each route of their courses, and
    the clinic's current documents (to take a consent before any course exists). Three
    reads besides the courses: the clinic's documents, the patient's consents and, for the
    consent page (`page`), the intake links; each route's status is the dose gate's rule
    (`actions.status_from`) over them. The chart's panel names no one and lists no intake
    link, so it reads neither the staff who recorded, witnessed or withdrew nor the links;
    each consent's document is taken from the documents already read."""
    routes = sorted({c.protocol().route for c in _courses(patient.pk)})
    documents = _documents(patient.clinic_id)
    by_id = {d.pk: d for d in documents}
    consents = _consents(patient.pk)
    for consent in consents:
        consent.document = by_id.get(consent.document_id) or consent.document
    if page:
        People().add(consents, "recorded_by", "witness", "withdrawn_by").read()
    statuses = [actions.status_from(r, documents, consents) for r in routes]
    return ChartConsents(
        statuses=[s for s in statuses if s.document is not None],
        consents=consents,
        intakes=list(PatientLink.objects.filter(patient=patient, purpose="intake")) if page
        else [],
        documents=[d for d in (actions.newest_document(documents, k)
                               for k in shipped.DOCUMENTS) if d is not None],
    )


def protocol_for_route(clinic: Clinic, route: str) -> Protocol | None:
    """The clinic's active protocol for the route (its first), else the shipped one."""
    for cp in ClinicProtocol.objects.filter(clinic=clinic, active=True).order_by("key"):
        protocol = cp.protocol()
        if protocol.route == route:
            return protocol
    return next((p for p in DEFAULT_PROTOCOLS.values() if p.route == route), None)


@dataclass(frozen=True)
class EducationPage:
    clinic: Clinic
    route: str
    route_label: str
    protocol: Protocol | None
    sections: list[education.Section]
    timeline: list[education.Step]
    clinic_paragraph: str
    version: str = education.EDUCATION_VERSION


def education_page(clinic: Clinic, route: str) -> EducationPage:
    if route not in ROUTES:
        raise Http404("No such route")
    protocol = protocol_for_route(clinic, route)
    paragraph = EducationParagraph.objects.filter(clinic=clinic, route=route).first()
    return EducationPage(
        clinic=clinic, route=route, route_label=ROUTES[route], protocol=protocol,
        sections=education.sections(route, protocol),
        timeline=education.timeline(protocol) if protocol else [],
        clinic_paragraph=paragraph.text if paragraph else "")


def clinic_by_id(clinic_id: object) -> Clinic:
    try:
        return Clinic.objects.get(pk=int_id(clinic_id))
    except Clinic.DoesNotExist:
        raise Http404("No such clinic") from None
