"""The progress-letter page: a prescriber names the recipient, adds a comment if they wish,
and downloads the PDF. Thin over `letter` (what the letter says and how it is laid out)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.patients.access import patient_for


class LetterForm(forms.Form):
    recipient = forms.CharField(
        label="Recipient", max_length=120,
        help_text="The referring physician, e.g. Dr Alex Morgan",
        error_messages={"required": "Enter the name of the physician the letter is for."})
    practice = forms.CharField(
        label="Practice and address", max_length=400, required=False,
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Optional; printed under the name")
    comment = forms.CharField(
        label="Comment", max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Optional; printed above your signature")


@requires(Perm.SIGN_ORDERS)
@require_http_methods(["GET", "POST"])
def progress_letter(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    # A POST is audited once: as the export, or (an invalid form) as the read of the page.
    patient = patient_for(staff, patient_id, request=request, audit_as="progress_letter",
                          write=request.method == "POST")
    form = LetterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Here: fpdf2 and the chart renderer are loaded for a letter, not by every page.
        from .letter import filename, gather_letter, letter_pdf

        data = form.cleaned_data
        letter = gather_letter(patient, recipient=data["recipient"],
                               practice=data["practice"], comment=data["comment"],
                               author=staff.user, today=staff.clinic.today())
        response = HttpResponse(letter_pdf(letter), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename(letter)}"'
        response["Cache-Control"] = "no-store"
        # Which parts were filled in, never what they say.
        record(Action.EXPORT, request=request, patient_id=patient.pk,
               object_type="progress_letter", object_id=str(patient.pk), detail={
                   "format": "pdf", "fields": sorted(k for k, v in data.items() if v),
                   "instruments": [o.instrument.id for o in letter.outcomes],
                   "doses": len(letter.doses), "adverse_events": len(letter.events)})
        return response
    return render(request, "selfreport/letter_form.html", {"patient": patient, "form": form},
                  status=400 if request.method == "POST" else 200)
