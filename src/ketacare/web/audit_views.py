"""The audit page: a clinic admin reads their own clinic's trail.

Filters travel by POST (a patient is chosen by MRN, which must stay out of URLs and logs),
page turns included. A search fixes the newest entry it shows (`upto`), so turning pages
is stable while new entries keep arriving; opening or re-filtering the page is itself
recorded, page turns are not.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires
from ketacare.audit.log import record
from ketacare.audit.models import Action, AuditEvent
from ketacare.patients.access import patients_of
from ketacare.patients.models import Patient

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", required=False, max_length=40)
    username = forms.CharField(label="User", required=False, max_length=150)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *Action.choices]
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(required=False, min_value=1)
    upto = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, clinic_patients: QuerySet[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic_patients = clinic_patients
        self.patient_ids: list[uuid.UUID] = []

    def clean_mrn(self) -> str:
        mrn: str = self.cleaned_data["mrn"].strip()
        if mrn:
            self.patient_ids = list(
                self.clinic_patients.filter(mrn__iexact=mrn).values_list("pk", flat=True)
            )
            if not self.patient_ids:
                raise forms.ValidationError(f"No patient with MRN {mrn} in this clinic.")
        return mrn

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def _day_start(day: date) -> datetime:
    """Midnight of `day` in the clinic's zone (activated by the staff middleware)."""
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def _filtered(events: QuerySet[AuditEvent], form: AuditFilterForm) -> QuerySet[AuditEvent]:
    data = form.cleaned_data
    if form.patient_ids:
        events = events.filter(AuditEvent.names(form.patient_ids))
    if data["username"]:
        events = events.filter(username__iexact=data["username"].strip())
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["date_from"]:
        events = events.filter(at__gte=_day_start(data["date_from"]))
    if data["date_to"]:
        events = events.filter(at__lt=_day_start(data["date_to"] + timedelta(days=1)))
    return events


@requires(Perm.VIEW_AUDIT)
@require_http_methods(["GET", "POST"])
def audit_list(request: HttpRequest) -> HttpResponse:
    staff: Staff = request.staff  # type: ignore[attr-defined]
    clinic_patients = patients_of(staff)  # MRN lookups stay in-clinic
    form = AuditFilterForm(request.POST if request.method == "POST" else None,
                           clinic_patients=clinic_patients)
    events = AuditEvent.objects.filter(clinic_id=staff.clinic.pk).order_by("-id")
    page_number, upto, fresh = 1, None, False
    if form.is_bound and not form.is_valid():
        events = events.none()
    else:
        if form.is_bound:
            events = _filtered(events, form)
            page_number = form.cleaned_data["page"] or 1
            upto = form.cleaned_data["upto"]
        fresh = upto is None  # a new search, not a page turn
        if upto is None:
            upto = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
        events = events.filter(id__lte=upto)
    page = Paginator(events, PAGE_SIZE).get_page(page_number)
    named = {event.pk: event.patients() for event in page}
    mrns = dict(clinic_patients.filter(pk__in={p for ps in named.values() for p in ps})
                .values_list("pk", "mrn"))
    rows = [(event, _mrns(named[event.pk], mrns, form.patient_ids)) for event in page]
    if fresh:
        _record_search(request, form)
    return render(request, "audit/list.html", {
        "form": form, "page": page, "rows": rows, "upto": upto,
        "zone": timezone.get_current_timezone_name(),
    })


SHOWN_MRNS = 3


def _mrns(patients: list[uuid.UUID], mrns: dict[uuid.UUID, str],
          wanted: list[uuid.UUID]) -> str:
    """The entry's patients by MRN, the one filtered for first; an entry naming many (a list
    page, a search) shows the first few and how many more."""
    ordered = sorted(patients, key=lambda p: (p not in wanted, mrns.get(p, "")))
    known = [mrns[p] for p in ordered if p in mrns]
    more = len(patients) - SHOWN_MRNS
    return ", ".join(known[:SHOWN_MRNS]) + (f" +{more} more" if more > 0 else "")


def _record_search(request: HttpRequest, form: AuditFilterForm) -> None:
    data = form.cleaned_data if form.is_bound else {}
    filters = {key: str(data[key]) for key in ("username", "action", "date_from", "date_to")
               if data.get(key)}
    record(
        Action.SEARCH, request=request, object_type="auditevent",
        # One patient's access history was looked at: that is on their trail too.
        patient_id=form.patient_ids[0] if len(form.patient_ids) == 1 else None,
        detail={"filters": filters, "by_patient": bool(form.patient_ids)},
    )
