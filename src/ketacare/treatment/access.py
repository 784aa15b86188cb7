"""Clinic-scoped, audited access to courses and sessions (404 for anything else)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit import reads
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.compiled_reads import CompiledRead
from ketacare.ids import int_id

from .models import ClinicalAlert, ClinicProtocol, Course, Dose, Session, VitalSigns


def sessions_of(staff: Staff) -> QuerySet[Session]:
    staff.require(Perm.VIEW_CHART)
    return Session.objects.filter(course__patient__clinic=staff.clinic)


def doses_of(staff: Staff) -> QuerySet[Dose]:
    staff.require(Perm.VIEW_CHART)
    return Dose.objects.filter(session__course__patient__clinic=staff.clinic)


def vitals_of(staff: Staff) -> QuerySet[VitalSigns]:
    staff.require(Perm.VIEW_CHART)
    return VitalSigns.objects.filter(session__course__patient__clinic=staff.clinic)


def course_for(staff: Staff, course_id: object, *, write: bool = False,
               request: HttpRequest | None = None) -> Course:
    staff.require(Perm.VIEW_CHART)
    try:
        course = Course.objects.select_related("patient", "clinic_protocol").get(
            pk=int_id(course_id), patient__clinic=staff.clinic)
    except Course.DoesNotExist:
        raise Http404("No such course") from None
    reads.touch(course.patient_id, "course", str(course.pk))
    if not write:
        record(Action.VIEW, request=request, user=staff.user, role=staff.role_label,
               clinic_id=staff.clinic.pk, patient_id=course.patient_id, obj=course)
    return course


def _in_clinic(clinic_id: int, session_id: int) -> QuerySet[Session]:
    return Session.objects.select_related("course__patient").filter(
        pk=session_id, course__patient__clinic_id=clinic_id).order_by()


# Every session page reads its session this way (ketacare.compiled_reads).
_to_read = CompiledRead(lambda clinic_id, session_id: _in_clinic(
    clinic_id, session_id).select_related("dose"))
_to_write = CompiledRead(_in_clinic)


def session_for(staff: Staff, session_id: object, *, write: bool = False,
                request: HttpRequest | None = None) -> Session:
    staff.require(Perm.RUN_SESSION if write else Perm.VIEW_CHART)
    # A write never joins the dose: an action that gives it would find "no dose" cached.
    found = (_to_write if write else _to_read)(staff.clinic.pk, int_id(session_id))
    if not found:
        raise Http404("No such session")
    session = found[0]
    session.course.patient.clinic = staff.clinic  # read in that clinic: not joined again
    reads.touch(session.course.patient_id, "session", str(session.pk))
    if not write:
        record(Action.VIEW, request=request, user=staff.user, role=staff.role_label,
               clinic_id=staff.clinic.pk, patient_id=session.course.patient_id, obj=session)
    return session


def protocol_for(staff: Staff, protocol_id: object) -> ClinicProtocol:
    try:
        return ClinicProtocol.objects.get(pk=int_id(protocol_id), clinic=staff.clinic)
    except ClinicProtocol.DoesNotExist:
        raise Http404("No such protocol") from None


def alert_for(staff: Staff, alert_id: object) -> ClinicalAlert:
    """A clinical alert of the staff member's clinic (404 otherwise)."""
    staff.require(Perm.VIEW_CHART)
    try:
        return ClinicalAlert.objects.select_related("session").get(
            pk=int_id(alert_id), session__course__patient__clinic=staff.clinic)
    except ClinicalAlert.DoesNotExist:
        raise Http404("No such alert") from None
