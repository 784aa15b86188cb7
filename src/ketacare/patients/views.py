"""Patient pages: thin over `access` (scoped, audited reads) and `actions` (writes)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.forms import BaseForm, ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of
from ketacare.audit.log import patient_ids, record
from ketacare.audit.models import PATIENT_IDS, Action
from ketacare.clinical import eligibility, routes
from ketacare.form_errors import apply_errors
from ketacare.page_forms import PageForms

from . import actions, counts
from .access import entry_for, patient_for, patients_of, screening_for
from .chart import Chart
from .forms import (
    DecisionForm,
    DiagnosisForm,
    ListFilterForm,
    MedicationForm,
    PatientEditForm,
    PatientForm,
    PriorTreatmentForm,
    ReasonForm,
    ScreeningForm,
    StopForm,
    WeightForm,
)
from .interactions import patient_interactions
from .models import Diagnosis, Medication, Patient, PriorTreatment, Weight

PAGE_SIZE = 50
ENTRY_FORMS: dict[str, type[ModelForm]] = {
    "weight": WeightForm,
    "diagnosis": DiagnosisForm,
    "treatment": PriorTreatmentForm,
    "medication": MedicationForm,
}


def entry_form(kind: str, data: Any = None) -> ModelForm:
    """The add form of one kind of chart entry; its fields' ids carry the kind, so the
    chart's forms (two on the summary tab) never share an id and each label names its
    field."""
    return ENTRY_FORMS[kind](data, auto_id=f"{kind}-%s")


ENTRY_MODELS: dict[str, type[Weight | Diagnosis | PriorTreatment | Medication]] = {
    "weight": Weight, "diagnosis": Diagnosis, "treatment": PriorTreatment,
                "medication": Medication}
ENTRY_TAB = {"weight": "summary", "diagnosis": "summary", "treatment": "history",
             "medication": "medications"}
TABS = ("summary", "screening", "treatment", "history", "medications")


_DOB_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")


def _as_date(text: str) -> date | None:
    for fmt in _DOB_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search(patients: QuerySet[Patient], q: str) -> QuerySet[Patient]:
    """Name (any order, prefix), MRN, or date of birth; matches ordered by name, case-blind.

    That order is one no index holds, on purpose: ordered like the list, the first page
    of a common surname late in the alphabet was read by walking the list's name index
    from "A" (65-90 ms at 100,000 patients, issue 17). Now the prefix indexes find the
    matches and only they are sorted."""
    q = q.strip()
    if not q:
        return patients
    dob = _as_date(q)
    if dob is not None:
        return patients.filter(date_of_birth=dob)
    terms = [t for t in re.split(r"[\s,]+", q) if t]
    by_name = Q()
    for term in terms:
        by_name &= Q(family_name__istartswith=term) | Q(given_name__istartswith=term)
    return (patients.filter(by_name | Q(mrn__iexact=q) | Q(mrn__istartswith=q))
            .order_by(Lower("family_name"), Lower("given_name"), "pk"))


@dataclass(frozen=True)
class ListPage:
    """One page of the list, read without counting what matches: at 100,000 patients a
    COUNT was a fifth of the page's cost (issue 17). One row more than a page is read to
    know whether there is a next page."""

    patients: list[Patient]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def matches(self) -> int | None:
        """How many match, when it is known without counting: all fit on page 1."""
        return len(self.patients) if self.number == 1 and not self.has_next else None


def list_page(patients: QuerySet[Patient], number: int) -> ListPage:
    start = (number - 1) * PAGE_SIZE
    rows = list(patients[start : start + PAGE_SIZE + 1])
    return ListPage(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET", "POST"])
def patient_list(request: HttpRequest) -> HttpResponse:
    """Search by POST so names, MRNs and birth dates stay out of URLs and logs."""
    staff = staff_of(request)
    form = ListFilterForm(request.POST if request.method == "POST" else None)
    patients = patients_of(staff).only(
        "id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth", "status",
        "primary_condition",
    )
    page_number = 1
    filtered = False
    if form.is_valid():
        data = form.cleaned_data
        patients = search(patients, data["q"])
        if data["condition"]:
            patients = patients.filter(primary_condition=data["condition"])
        if data["status"]:
            patients = patients.filter(status=data["status"])
        page_number = data["page"] or 1
        filtered = bool(data["q"].strip() or data["condition"] or data["status"])
    page = list_page(patients, page_number)
    # A list shows names: it is a read of patient data like any other. The search text
    # itself is not kept (it may be a name); who was shown is.
    searched = form.is_valid() and bool(form.cleaned_data["q"])
    record(Action.SEARCH if searched else Action.VIEW, request=request,
           object_type="patient_list",
           detail={"shown": len(page.patients), "page": page.number, "more": page.has_next,
                   PATIENT_IDS: patient_ids(p.pk for p in page.patients)})
    return render(request, "patients/list.html", {
        "form": form, "page": page,
        "clinic_total": None if filtered else counts.clinic_total(staff.clinic),
        "today": timezone.localdate(),
        "can_edit": staff.can(Perm.EDIT_PATIENT),
    })


@requires(Perm.EDIT_PATIENT)
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            confirmed = bool(data.pop("confirm_duplicate", False))
            patient = actions.create_patient(staff, data, confirm_duplicate=confirmed,
                                             request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("patient-chart", patient_id=patient.pk)
    return render(request, "patients/form.html", {"form": form, "patient": None})


@requires(Perm.EDIT_PATIENT)
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, request=request,
                          write=request.method == "POST")
    form = PatientEditForm(request.POST or None, instance=Patient.objects.get(pk=patient.pk))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            actions.update_patient(staff, patient, data, reason=form.cleaned_data["reason"],
                                   request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("patient-chart", patient_id=patient.pk)
    return render(request, "patients/form.html", {"form": form, "patient": patient})


def _render_chart(request: HttpRequest, patient: Patient, tab: str,
                  forms: dict[str, BaseForm] | None = None, status: int = 200,
                  extra: dict[str, Any] | None = None) -> HttpResponse:
    staff = staff_of(request)
    chart = Chart(patient, today=timezone.localdate()).name_people()
    entry_forms = PageForms({kind: partial(entry_form, kind) for kind in ENTRY_FORMS}, forms)
    return render(request, "patients/chart.html", {
        "patient": patient, "chart": chart, "tab": tab, "tabs": TABS, "forms": entry_forms,
        "routes": routes.ROUTES,
        "can_edit": staff.can(Perm.EDIT_PATIENT), "can_screen": staff.can(Perm.SCREEN),
        "can_decide": staff.can(Perm.DECIDE_ELIGIBILITY),
        "can_order": staff.can(Perm.SIGN_ORDERS),
        **(extra or {}),
    }, status=status)


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET"])
def patient_chart(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = patient_for(staff_of(request), patient_id, request=request)
    tab = request.GET.get("tab", "summary")
    if tab not in TABS:
        tab = "summary"
    return _render_chart(request, patient, tab)


def _chart_url(patient: Patient, tab: str) -> str:
    return f"{reverse('patient-chart', args=[patient.pk])}?tab={tab}"


@requires(Perm.EDIT_PATIENT)
@require_POST
def entry_add(request: HttpRequest, patient_id: str, kind: str) -> HttpResponse:
    if kind not in ENTRY_FORMS:
        raise Http404("No such record type")
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    form = entry_form(kind, request.POST)
    if form.is_valid():
        try:
            actions.add_entry(staff, patient, form.save(commit=False), request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(_chart_url(patient, ENTRY_TAB[kind]))
    return _render_chart(request, patient, ENTRY_TAB[kind], {kind: form}, status=400)


@requires(Perm.EDIT_PATIENT)
@require_POST
def entry_error(request: HttpRequest, patient_id: str, kind: str, entry_id: str) -> HttpResponse:
    if kind not in ENTRY_MODELS:
        raise Http404("No such record type")
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    entry = entry_for(staff, ENTRY_MODELS[kind], entry_id)
    if entry.patient_id != patient.pk:
        raise Http404("No such record")
    form = ReasonForm(request.POST)
    if form.is_valid():
        # Already marked: the chart shows it as such, nothing more to do.
        with contextlib.suppress(ValidationError):
            actions.mark_entered_in_error(staff, entry, form.cleaned_data["reason"],
                                          request=request)
    return redirect(_chart_url(patient, ENTRY_TAB[kind]))


@requires(Perm.EDIT_PATIENT)
@require_POST
def medication_stop(request: HttpRequest, patient_id: str, entry_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    medication = entry_for(staff, Medication, entry_id)
    if medication.patient_id != patient.pk:
        raise Http404("No such record")
    form = StopForm(request.POST)
    if form.is_valid():
        # Already stopped, or a date before the start: nothing changes.
        with contextlib.suppress(ValidationError):
            actions.stop_medication(staff, medication, form.cleaned_data["stopped_on"],
                                    request=request)
    return redirect(_chart_url(patient, "medications"))


@requires(Perm.SCREEN)
@require_http_methods(["GET", "POST"])
def screening_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    route = request.GET.get("route", "")
    if route not in routes.ROUTES:
        raise Http404("Unknown route")
    patient = patient_for(staff, patient_id, request=request, write=request.method == "POST")
    form = ScreeningForm(route, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            facts = form.facts(patient.age_on(timezone.localdate()))
            actions.record_screening(staff, patient, route, form.answers(), facts,
                                     request=request)
        except eligibility.EligibilityInputError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(_chart_url(patient, "screening"))
    return render(request, "patients/screening_form.html", {
        "patient": patient, "form": form, "route": route,
        "route_label": routes.ROUTES[route],
        "interactions": patient_interactions(patient, staff.clinic.today()),
    })


@requires(Perm.DECIDE_ELIGIBILITY)
@require_POST
def screening_decide(request: HttpRequest, patient_id: str, screening_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    screening = screening_for(staff, screening_id)
    if screening.patient_id != patient.pk:
        raise Http404("No such screening")
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.decide_eligibility(staff, screening, form.cleaned_data["decision"],
                                       form.cleaned_data["rationale"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(_chart_url(patient, "screening"))
    return _render_chart(request, patient, "screening", status=400,
                         extra={"decision_errors": {screening.pk: form}})
