"""The REMS enrollment page of a patient (issue 14 item 7): its status, the form to
record the enrollment, and marking a wrong record entered in error."""

from __future__ import annotations

import contextlib

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of
from ketacare.form_errors import apply_errors
from ketacare.ids import int_id
from ketacare.patients.access import patient_for

from . import enrollment
from .actions import can_sign
from .models import RemsEnrollment


class EnrollForm(forms.Form):
    enrolled_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                                  label="Enrolled in the Spravato REMS on")
    rems_patient_id = forms.CharField(max_length=40, required=False,
                                      label="REMS patient ID (optional)")


class ErrorForm(forms.Form):
    reason = forms.CharField(max_length=300)


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET", "POST"])
def enrollment_page(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    posting = request.method == "POST"
    patient = patient_for(staff, patient_id, request=request, write=posting)
    form = EnrollForm(request.POST or None,
                      initial={"enrolled_on": staff.clinic.today()})
    if posting and form.is_valid():
        try:
            enrollment.enroll(staff, patient, enrolled_on=form.cleaned_data["enrolled_on"],
                              rems_patient_id=form.cleaned_data["rems_patient_id"],
                              request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("rems-enrollment", patient_id=patient.pk)
    return render(request, "rems/enrollment.html", {
        "patient": patient, "form": form, "current": enrollment.enrollment_of(patient),
        "history": RemsEnrollment.objects.filter(patient=patient).select_related("recorded_by"),
        "can_record": can_sign(staff), "error_form": ErrorForm(),
    }, status=400 if posting else 200)


@requires(Perm.VIEW_CHART)
@require_POST
def enrollment_error(request: HttpRequest, patient_id: str, enrollment_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    try:
        row = RemsEnrollment.objects.get(pk=int_id(enrollment_id), patient=patient)
    except (RemsEnrollment.DoesNotExist, ValueError):
        raise Http404("No such enrollment") from None
    form = ErrorForm(request.POST)
    if form.is_valid():
        # Already marked: the page shows the record as it is.
        with contextlib.suppress(ValidationError):
            enrollment.mark_in_error(staff, row, form.cleaned_data["reason"], request=request)
    return redirect("rems-enrollment", patient_id=patient.pk)
