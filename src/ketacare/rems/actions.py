"""REMS form actions: save a draft, sign, amend. Each checks the permission and the clinic,
writes in one transaction and audits (the treatment actions' pattern)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.treatment.models import Session

from . import fields, prefill
from .models import RemsAmendment, RemsForm


def can_sign(staff: Staff) -> bool:
    return staff.can(Perm.RUN_SESSION) or staff.can(Perm.SIGN_ORDERS)


def _require_clinician(staff: Staff) -> None:
    if not can_sign(staff):
        raise PermissionDenied(f"Your role in {staff.clinic} does not allow this.")


def _check(staff: Staff, session: Session) -> None:
    if session.course.patient.clinic_id != staff.clinic.pk:
        raise ValidationError("This session is not in your active clinic.")
    if not prefill.is_rems_session(session):
        raise ValidationError("REMS monitoring forms are for esketamine sessions with a dose.")


def _audit(staff: Staff, action: Action, session: Session, obj: Any,
           request: HttpRequest | None, detail: dict[str, Any] | None = None) -> None:
    record(action, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, patient_id=session.course.patient_id, obj=obj,
           detail=detail)


def form_of(session: Session) -> RemsForm | None:
    return RemsForm.objects.filter(session=session).first()


def is_complete(session: Session, values: dict[str, Any]) -> bool:
    return session.discharged_at is not None and not fields.missing(values)


def clean_values(raw: dict[str, Any]) -> dict[str, Any]:
    """Typed values from what was entered; ValidationError by field for bad ones. A field
    that is not asked (e.g. other dose when 56 mg is chosen) is stored empty."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields.FIELDS:
        try:
            values[field.key] = fields.clean(field, raw.get(field.key))
        except ValueError as exc:
            errors[field.key] = str(exc)
    if errors:
        raise ValidationError(errors)
    for field in fields.FIELDS:
        if not fields.asked(field, values):
            values[field.key] = None
    return values


@transaction.atomic
def save_draft(staff: Staff, session: Session, raw: dict[str, Any], *,
               version: int | None = None, request: HttpRequest | None = None) -> RemsForm:
    """Store what the clinician confirmed. Blank answers are allowed in a draft."""
    staff.require(Perm.RUN_SESSION)
    _check(staff, session)
    form = RemsForm.objects.select_for_update().filter(session=session).first()
    if form is not None and form.locked:
        raise ValidationError("This REMS form is signed and locked; add an amendment instead.")
    if form is not None and version is not None and version != form.version:
        raise ValidationError(
            f"Someone else saved this form at {timezone.localtime(form.updated_at):%H:%M} "
            "after you opened it. Reload the page to see their answers.")
    values = clean_values(raw)
    suggested = prefill.build(session)
    complete = is_complete(session, values)
    changed = sorted(k for k, v in values.items()
                     if suggested[k].value is not None and v != suggested[k].value)
    stored = {k: p.as_dict() for k, p in suggested.items()}
    if form is None:
        form = RemsForm.objects.create(session=session, data=values, prefill=stored,
                                       completed=complete, created_by=staff.user,
                                       updated_by=staff.user)
        action = Action.CREATE
    else:
        form.data, form.prefill, form.completed = values, stored, complete
        form.updated_by = staff.user
        form.version += 1
        form.save()
        action = Action.UPDATE
    _audit(staff, action, session, form, request, {
        "step": "rems_draft", "version": form.version,
        "missing": [f.key for f in fields.missing(values)],
        "changed_from_prefill": changed,
    })
    return form


@transaction.atomic
def sign(staff: Staff, session: Session, *, request: HttpRequest | None = None) -> RemsForm:
    """Sign the saved form. Refused, naming what is missing, until every field is answered
    and the patient has been discharged."""
    _require_clinician(staff)
    _check(staff, session)
    form = RemsForm.objects.select_for_update().filter(session=session).first()
    if form is None:
        raise ValidationError("Save the form before signing it.")
    if form.locked:
        raise ValidationError("This REMS form is already signed.")
    session.refresh_from_db(fields=["discharged_at"])
    errors: dict[str, list[str]] = {}
    problems = []
    if session.discharged_at is None:
        problems.append("the patient has not been discharged")
    missing = form.missing()
    if missing:
        problems.append("unanswered: " + "; ".join(f.label for f in missing))
        for f in missing:
            errors[f.key] = ["Answer this before signing."]
    if problems:
        errors[NON_FIELD_ERRORS] = ["Not signable yet: " + "; and ".join(problems) + "."]
        raise ValidationError(errors)
    form.completed = True
    form.signed_at, form.signed_by = timezone.now(), staff.user
    form.signed_role = staff.role_label
    form.version += 1
    form.save()
    _audit(staff, Action.UPDATE, session, form, request,
           {"step": "rems_sign", "version": form.version})
    return form


@transaction.atomic
def amend(staff: Staff, session: Session, field: str, raw: Any, reason: str, *,
          request: HttpRequest | None = None) -> RemsAmendment:
    """Correct one answer of a signed form: the signed value stays, this row records the
    new one with its author and reason."""
    _require_clinician(staff)
    _check(staff, session)
    form = RemsForm.objects.select_for_update().filter(session=session).first()
    if form is None or not form.locked:
        raise ValidationError("The form is not signed yet: edit it directly.")
    errors: dict[str, str] = {}
    spec = fields.BY_KEY.get(field)
    value = None
    if spec is None:
        errors["field"] = "Choose the answer to correct."
    else:
        try:
            value = fields.clean(spec, raw)
        except ValueError as exc:
            errors["value"] = str(exc)
        else:
            current = form.effective().get(field)
            if value is None:
                errors["value"] = "Enter the corrected answer."
            elif value == current:
                errors["value"] = "That is already the answer on the form."
    if not reason.strip():
        errors["reason"] = "Give the reason for the correction."
    if errors:
        raise ValidationError(errors)
    amendment = RemsAmendment.objects.create(
        form=form, field=field, old_value=form.effective().get(field), new_value=value,
        reason=reason.strip()[:300], author=staff.user)
    form.version += 1
    form.save(update_fields=["version", "updated_at"])
    _audit(staff, Action.CREATE, session, amendment, request,
           {"step": "rems_amend", "field": field})
    return amendment
