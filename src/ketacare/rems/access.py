"""Clinic-scoped, audited reads of REMS forms: one session's form (404 for another clinic's
session, a session that is not esketamine, or one without a dose) and the due list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit import reads
from ketacare.audit.log import patient_ids, record
from ketacare.audit.models import PATIENT_IDS, Action
from ketacare.clinical.routes import ESKETAMINE_ROUTE
from ketacare.ids import int_id
from ketacare.treatment.models import Session

from . import fields
from .models import RemsForm, due_date
from .prefill import treatment_date


def rems_session_for(staff: Staff, session_id: object, *, write: bool = False,
                     request: HttpRequest | None = None) -> Session:
    staff.require(Perm.VIEW_CHART)
    try:
        session = Session.objects.select_related(
            "course__patient__clinic", "dose__given_by").get(
            pk=int_id(session_id), course__patient__clinic=staff.clinic,
            dose__route=ESKETAMINE_ROUTE)
    except (Session.DoesNotExist, ValueError):
        raise Http404("No such esketamine session") from None
    reads.touch(session.course.patient_id, "rems_form", str(session.pk))
    if not write:
        form = RemsForm.objects.filter(session=session).first()
        record(Action.VIEW, request=request, user=staff.user, role=staff.role_label,
               clinic_id=staff.clinic.pk, patient_id=session.course.patient_id,
               obj=form or session, detail={"rems": True})
    return session


def days_text(days_left: int) -> str:
    if days_left < 0:
        return f"{-days_left} day{'s' if days_left != -1 else ''} overdue"
    if days_left == 0:
        return "due today"
    return f"{days_left} day{'s' if days_left != 1 else ''} left"


def can_see_due_list(staff: Staff) -> bool:
    return staff.can(Perm.MANAGE_CLINIC) or staff.can(Perm.SIGN_ORDERS)


@dataclass(frozen=True)
class Due:
    session: Session
    form: RemsForm | None
    treatment_date: date
    due: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_text(self) -> str:
        return days_text(self.days_left)

    @property
    def status(self) -> str:
        if self.form is None:
            return "not started"
        return "complete, unsigned" if self.form.completed else "draft"

    @property
    def missing(self) -> int:
        return len(fields.missing(self.form.data)) if self.form else len(fields.FIELDS)


def due_list(staff: Staff, *, request: HttpRequest | None = None) -> list[Due]:
    """Esketamine sessions of the clinic with a dose and no signed form, most urgent first."""
    if not can_see_due_list(staff):
        raise PermissionDenied(f"Your role in {staff.clinic} does not allow this.")
    today = staff.clinic.today()
    sessions = (Session.objects.filter(course__patient__clinic=staff.clinic,
                                       dose__route=ESKETAMINE_ROUTE)
                .exclude(rems_form__signed_at__isnull=False)
                .select_related("course__patient__clinic", "dose", "rems_form"))
    rows = []
    for session in sessions:
        day = treatment_date(session)
        due = due_date(day)
        rows.append(Due(session=session, form=getattr(session, "rems_form", None),
                        treatment_date=day, due=due, days_left=(due - today).days))
    rows.sort(key=lambda r: (r.due, r.session.pk))
    record(Action.VIEW, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, object_type="rems_due_list",
           detail={"rows": len(rows), "overdue": sum(r.overdue for r in rows),
                   PATIENT_IDS: patient_ids(r.session.course.patient_id for r in rows)})
    return rows
