"""Save, sign, lock and amend through the actions; the PDF; the due list's rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from ketacare.accounts.staff import staff_for
from ketacare.audit.models import AuditEvent
from ketacare.rems import actions, pdf, prefill
from ketacare.rems.access import due_list
from ketacare.rems.models import RemsForm

from .conftest import esketamine_session, move_back

pytestmark = pytest.mark.django_db


def _prefilled(session) -> dict:
    return prefill.values(prefill.build(session))


def test_not_signable_while_incomplete_names_the_missing_fields(nurse, done_session) -> None:
    s = done_session
    actions.save_draft(nurse, s, _prefilled(s))  # everything the session knew, nothing else
    with pytest.raises(ValidationError) as err:
        actions.sign(nurse, s)
    messages = err.value.message_dict
    assert messages["ready_minutes"] == ["Answer this before signing."]
    assert "Not signable yet: unanswered: Minutes until the patient would have been ready to " \
           "leave." in messages["__all__"][0]
    form = RemsForm.objects.get(session=s)
    assert not form.completed and not form.locked


def test_not_signable_before_discharge(nurse, prescriber, rems_patient, clinic_a,
                                       stock) -> None:
    s = esketamine_session(nurse, prescriber, rems_patient, clinic_a, stock, discharge=False)
    actions.save_draft(nurse, s, {**_prefilled(s), "ready_minutes": 110, "total_minutes": 121,
                                  "vitals_ok_completion": "yes"})
    with pytest.raises(ValidationError, match="the patient has not been discharged"):
        actions.sign(prescriber, s)


def test_sign_when_complete_then_locked_and_amended(nurse, prescriber, nurse_a,
                                                    done_session) -> None:
    s = done_session
    values = {**_prefilled(s), "ready_minutes": "105", "sedation": "no"}
    form = actions.save_draft(nurse, s, values)
    assert form.completed and form.data["ready_minutes"] == 105
    assert form.data["sedation"] == "no"  # the clinician's answer, not the suggestion
    assert form.prefill["sedation"]["value"] == "yes"  # the suggestion is kept beside it
    form = actions.sign(nurse, s)
    assert form.locked and form.signed_by == nurse_a and form.signed_role == "nurse"
    signed = dict(form.data)
    with pytest.raises(ValidationError, match="signed and locked"):
        actions.save_draft(nurse, s, {**values, "ready_minutes": 90})
    with pytest.raises(ValidationError, match="already signed"):
        actions.sign(prescriber, s)
    with pytest.raises(ValidationError) as err:
        actions.amend(prescriber, s, "ready_minutes", "90", " ")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError, match="already the answer"):
        actions.amend(prescriber, s, "ready_minutes", "105", "typo")
    amendment = actions.amend(prescriber, s, "ready_minutes", "90", "Misread the clock")
    form.refresh_from_db()
    assert form.data == signed  # never overwritten
    assert amendment.old_value == 105 and amendment.new_value == 90
    assert form.effective()["ready_minutes"] == 90
    assert form.version == 3  # created 1, signed 2, amended 3
    # A signed form that is incomplete cannot exist, even written directly.
    with pytest.raises(IntegrityError), transaction.atomic():
        RemsForm.objects.filter(pk=form.pk).update(completed=False)


def test_field_errors_and_stale_versions(nurse, done_session) -> None:
    s = done_session
    with pytest.raises(ValidationError) as err:
        actions.save_draft(nurse, s, {**_prefilled(s), "bp_40min": "92/148",
                                      "ready_minutes": "lots"})
    assert "swapped" in err.value.message_dict["bp_40min"][0]
    assert "whole number from 0 to 1440" in err.value.message_dict["ready_minutes"][0]
    assert not RemsForm.objects.filter(session=s).exists()  # nothing half-written
    form = actions.save_draft(nurse, s, _prefilled(s))
    actions.save_draft(nurse, s, _prefilled(s), version=form.version)
    with pytest.raises(ValidationError, match="Someone else saved this form"):
        actions.save_draft(nurse, s, _prefilled(s), version=form.version)


def test_permissions_and_other_clinics(done_session, clinic_a, admin_a, analyst_a,
                                       prescriber_b, clinic_b) -> None:
    s = done_session
    with pytest.raises(PermissionDenied):
        actions.save_draft(staff_for(admin_a, clinic_a), s, _prefilled(s))
    with pytest.raises(PermissionDenied):
        actions.sign(staff_for(analyst_a, clinic_a), s)
    with pytest.raises(ValidationError, match="not in your active clinic"):
        actions.save_draft(staff_for(prescriber_b, clinic_b), s, _prefilled(s))


def test_writes_are_audited(nurse, done_session) -> None:
    s = done_session
    actions.save_draft(nurse, s, {**_prefilled(s), "ready_minutes": 100})
    actions.sign(nurse, s)
    events = AuditEvent.objects.filter(object_type="remsform").order_by("id")
    assert [(e.action, e.detail.get("step")) for e in events] == [
        ("create", "rems_draft"), ("update", "rems_sign")]
    assert events[0].patient_id == s.course.patient_id
    assert events[0].detail["changed_from_prefill"] == []


def test_pdf_has_every_field_the_lot_and_the_signature(nurse, done_session) -> None:
    s = done_session
    actions.save_draft(nurse, s, {**_prefilled(s), "ready_minutes": 100})
    form = actions.sign(nurse, s)
    body = pdf.render(form, generated_by="Ada Tester")
    assert body.startswith(b"%PDF")
    text_of = body.replace(b"\\(", b"(").replace(b"\\)", b")")  # PDF string escapes
    for text in (b"ES-77", b"56 mg", b"Jordan Rivera", b"124/78 mmHg", b"148/92 mmHg",
                 b"128/80 mmHg", b"121 min", b"100 min", b"Clinic A, 12 Harbor Street",
                 b"vasovagal syncope", b"Signed electronically by Noah Tester (nurse)",
                 b"Spravato REMS portal", b"Signature of the monitoring healthcare provider"):
        assert text in text_of, text
    assert len(re.findall(rb"/Type /Page(?!s)", body)) == 1  # one page
    assert pdf.filename(form) == f"rems-session-{s.pk}.pdf"


def test_due_list_rows(nurse, prescriber, done_session, rems_patient, clinic_a,
                       stock) -> None:
    s = done_session
    move_back(s, 10)  # ten days ago: three days overdue
    rows = due_list(prescriber)
    assert [(r.session.pk, r.status, r.overdue, r.days_text) for r in rows] == [
        (s.pk, "not started", True, "3 days overdue")]
    actions.save_draft(nurse, s, _prefilled(s))
    assert due_list(prescriber)[0].status == "draft"
    actions.save_draft(nurse, s, {**_prefilled(s), "ready_minutes": 100})
    assert due_list(prescriber)[0].status == "complete, unsigned"
    actions.sign(nurse, s)
    assert due_list(prescriber) == []  # signed forms drop off
    with pytest.raises(PermissionDenied):
        due_list(nurse)
    assert rows[0].due == rows[0].treatment_date + timedelta(days=7)
