"""REMS pages: the form of one esketamine session (prefilled, saved as a draft, signed,
amended), its PDF, and the clinic's due list. Thin over `access` and `actions`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.form_errors import apply_errors

from . import actions, fields, prefill
from .access import can_see_due_list, days_text, due_list, rems_session_for
from .forms import AmendForm, RemsFormForm
from .models import RemsForm, due_date


def _shown(stored: dict[str, Any] | None, suggested: dict[str, prefill.Prefill]) -> dict[str, Any]:
    """What the page shows: the clinician's saved answer, or the session's suggestion where
    nothing is saved yet (e.g. total minutes once the patient is discharged)."""
    out = {}
    for f in fields.FIELDS:
        saved = (stored or {}).get(f.key)
        out[f.key] = suggested[f.key].value if fields.blank(saved) else saved
    return out


def _page(request: HttpRequest, session: Any, form_obj: RemsForm | None,
          bound: RemsFormForm | None = None, amend_form: AmendForm | None = None,
          status: int = 200) -> HttpResponse:
    staff = staff_of(request)
    suggested = prefill.build(session)
    shown = _shown(form_obj.data if form_obj else None, suggested)
    if form_obj is not None and form_obj.locked:
        shown = form_obj.effective()
    form = bound or RemsFormForm(initial={**{k: ("" if v is None else v)
                                             for k, v in shown.items()},
                                          "version": form_obj.version if form_obj else ""})
    values_now: Mapping[str, Any] = bound.data if bound is not None else shown
    rows: list[dict[str, Any]] = []
    for spec in fields.FIELDS:
        p = suggested[spec.key]
        current = shown.get(spec.key)
        rows.append({
            "spec": spec, "field": form[spec.key], "source": p.source,
            "prefilled": p.value is not None,
            "changed": p.value is not None and not fields.blank(current)
            and str(current) != str(p.value),
            "suggested": spec.display(p.value),
            "value": spec.display(current),
            "asked": fields.asked(spec, values_now),
            "only_if": spec.only_if,
        })
    sections = [(name, [r for r in rows if r["spec"].section == name])
                for name in fields.SECTIONS]
    day = prefill.treatment_date(session)
    due = due_date(day)
    missing = fields.missing(shown)
    return render(request, "rems/form.html", {
        "session": session, "patient": session.course.patient, "dose": session.dose,
        "form_obj": form_obj, "form": form, "sections": sections,
        "treatment_date": day, "due": due, "days_left": (due - staff.clinic.today()).days,
        "days_text": days_text((due - staff.clinic.today()).days),
        "missing": missing, "discharged": session.discharged_at is not None,
        "can_edit": staff.can(Perm.RUN_SESSION), "can_sign": actions.can_sign(staff),
        "amend_form": amend_form or AmendForm(),
        "amendments": list(form_obj.amendments.select_related("author")) if form_obj else [],
        "note": fields.NOTE,
    }, status=status)


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET", "POST"])
def form_page(request: HttpRequest, session_id: str) -> HttpResponse:
    staff = staff_of(request)
    if request.method == "GET":
        session = rems_session_for(staff, session_id, request=request)
        return _page(request, session, actions.form_of(session))
    staff.require(Perm.RUN_SESSION)
    session = rems_session_for(staff, session_id, write=True)
    bound = RemsFormForm(request.POST)
    intent = request.POST.get("intent", "save")
    if intent == "sign" and not actions.can_sign(staff):
        raise PermissionDenied("Your role does not allow signing.")
    if bound.is_valid():
        version = bound.cleaned_data.get("version")
        try:
            actions.save_draft(staff, session, bound.raw(), version=version, request=request)
        except ValidationError as exc:
            apply_errors(bound, exc)
        else:
            if intent != "sign":
                messages.success(request, "Draft saved.")
                return redirect(reverse("rems-form", args=[session.pk]))
            try:
                actions.sign(staff, session, request=request)
            except ValidationError as exc:
                # The draft is saved; show what still blocks the signature.
                saved = actions.form_of(session)
                data = request.POST.copy()
                data["version"] = str(saved.version if saved else "")
                bound = RemsFormForm(data)
                bound.is_valid()
                apply_errors(bound, exc)
                return _page(request, session, saved, bound=bound, status=400)
            messages.success(request, "Signed and locked.")
            return redirect(reverse("rems-form", args=[session.pk]))
    return _page(request, session, actions.form_of(session), bound=bound, status=400)


@requires(Perm.VIEW_CHART)
@require_POST
def amend(request: HttpRequest, session_id: str) -> HttpResponse:
    staff = staff_of(request)
    session = rems_session_for(staff, session_id, write=True)
    form = AmendForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.amend(staff, session, d["field"], d["value"], d["reason"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Amendment added.")
            return redirect(reverse("rems-form", args=[session.pk]) + "#amendments")
    return _page(request, session, actions.form_of(session), amend_form=form, status=400)


@requires(Perm.VIEW_CHART)
@require_GET
def form_pdf(request: HttpRequest, session_id: str) -> HttpResponse:
    staff = staff_of(request)
    session = rems_session_for(staff, session_id, write=True)
    form = actions.form_of(session)
    if form is None:
        messages.error(request, "Save the form before downloading it.")
        return redirect(reverse("rems-form", args=[session.pk]))
    from . import pdf  # fpdf2 loaded for a PDF only

    body = pdf.render(form, generated_by=prefill.person(staff.user))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(form)}"'
    response["Cache-Control"] = "no-store"
    record(Action.EXPORT, request=request, user=staff.user, role=staff.role_label,
           clinic_id=staff.clinic.pk, patient_id=session.course.patient_id, obj=form,
           detail={"format": "pdf", "signed": form.locked, "version": form.version})
    return response


@requires(Perm.VIEW_CHART)
@require_GET
def due(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    if not can_see_due_list(staff):
        raise PermissionDenied("Your role does not allow this.")
    rows = due_list(staff, request=request)
    return render(request, "rems/due.html", {
        "rows": rows, "today": staff.clinic.today(),
        "overdue": sum(r.overdue for r in rows),
    })
