"""Course and session-day pages: thin over `access` (scoped, audited reads) and `actions`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts import cosign
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires, staff_of
from ketacare.form_errors import apply_errors
from ketacare.page_forms import PageForms
from ketacare.patients.access import patient_for

from . import actions
from .access import alert_for, course_for, session_for
from .forms import (
    AdverseEventForm,
    AmendForm,
    CadssForm,
    CheckInForm,
    ConfirmForm,
    CourseForm,
    DischargeForm,
    DoseForm,
    MoaasForm,
    MoveForm,
    OverrideForm,
    SessionStatusForm,
    VitalsForm,
)
from .models import Session
from .read.course import course_page
from .read.session_day import next_step
from .read.session_day import session_day as session_day_page

# --- courses ---------------------------------------------------------------------------

@requires(Perm.SIGN_ORDERS)
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, request=request, write=request.method == "POST")
    form = CourseForm(staff, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            course = actions.start_course(
                staff, patient, data["protocol"], indication=data["indication"],
                start_date=data["start_date"], weekdays=frozenset(data["weekdays"]),
                sessions=data["sessions"], proceed_reason=data["proceed_reason"],
                request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("course-detail", course_id=course.pk)
    eligibility = [(name, *actions.eligibility_for(patient, protocol.route))
                   for name, protocol in form.options]
    return render(request, "treatment/course_new.html",
                  {"patient": patient, "form": form, "eligibility": eligibility})


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET"])
def course_detail(request: HttpRequest, course_id: str) -> HttpResponse:
    staff = staff_of(request)
    course = course_for(staff, course_id, request=request)
    return render(request, "treatment/course_detail.html", course_page(staff, course).context())


def _session_page(request: HttpRequest, session: Session,
                  bound: dict[str, BaseForm] | None = None, status: int = 200,
                  failed: BaseForm | None = None, preview: actions.DosePreview | None = None,
                  notice: str = "") -> HttpResponse:
    staff = staff_of(request)
    forms = PageForms({
        "checkin": CheckInForm, "vitals": VitalsForm, "override": OverrideForm,
        "dose": lambda: DoseForm(staff, session.course.protocol()), "stop": ConfirmForm,
        "sign": ConfirmForm, "cadss": CadssForm, "moaas": MoaasForm,
        "event": AdverseEventForm, "discharge": lambda: DischargeForm(initial={
            "escort_present": session.checkin.get("escort_present", False)}),
        "amend": AmendForm,
    }, bound)
    # A refused discharge shows the checklist with what was ticked on the form.
    posted = getattr(forms.bound("discharge"), "cleaned_data", {})
    page = session_day_page(staff, session, discharge_answers=posted)
    # A refusal the dose step panel already shows (REMS) is not repeated on the form.
    posted_dose = forms.bound("dose")
    dose_errors = [e for e in (posted_dose.non_field_errors() if posted_dose else [])
                   if e != page.dose_refusal]
    return render(request, "treatment/session.html", {
        **page.context(), "forms": forms, "preview": preview, "notice": notice,
        "failed": failed, "dose_errors": dose_errors,
    }, status=status)


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET"])
def session_day(request: HttpRequest, session_id: str) -> HttpResponse:
    session = session_for(staff_of(request), session_id, request=request)
    return _session_page(request, session)


Step = Callable[[Staff, Session, BaseForm, HttpRequest], object]


def _step_checkin(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    d = f.cleaned_data
    return actions.check_in(staff, s, escort_present=d["escort_present"],
                            no_driving_ack=d["no_driving_ack"],
                            npo_confirmed=d["npo_confirmed"], request=r)


def _step_vitals(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.record_vitals(staff, s, request=r, **f.cleaned_data)


def _step_override(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    signed = cosign.from_form(f, staff, cosign.Purpose.HOLD_OVERRIDE, "cosign", request=r)
    return actions.override_hold(staff, s, f.cleaned_data["reason"], cosigned=signed, request=r)


def _dose_args(f: BaseForm) -> dict[str, Any]:
    d = f.cleaned_data
    mg_per_kg = d.get("mg_per_kg")
    return {"mg_per_kg": float(mg_per_kg) if mg_per_kg is not None else None,
            "fixed_mg": d.get("fixed_mg"), "stock_item": d.get("stock_item"),
            "override_reason": d.get("override_reason", "")}


def _step_dose(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    d = f.cleaned_data
    checker = cosign.from_form(f, staff, cosign.Purpose.SECOND_CHECK, "second_check",
                               request=r) if "second_check_username" in f.fields else None
    approver = cosign.from_form(f, staff, cosign.Purpose.DOSE_OVERRIDE, "override", request=r)
    return actions.give_dose(staff, s, lot=d["lot"], expiry=d["expiry"],
                             second_check_by=checker, override_by=approver, request=r,
                             **_dose_args(f))


def _step_stop(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.stop_infusion(staff, s, request=r)


def _step_cadss(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    assert isinstance(f, CadssForm)
    return actions.record_rating(staff, s, "cadss6", f.values(), request=r)


def _step_moaas(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.record_rating(staff, s, "moaas", [f.cleaned_data["moaas"]], request=r)


def _step_event(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.record_adverse_event(staff, s, request=r, **f.cleaned_data)


def _step_discharge(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    d = {k: v for k, v in f.cleaned_data.items() if k != "confirm"}
    return actions.discharge(staff, s, request=r, **d)


def _step_sign(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.sign(staff, s, request=r)


def _step_amend(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.amend(staff, s, f.cleaned_data["text"], f.cleaned_data["reason"], request=r)


# step -> (form factory taking (staff, session, data), action, page anchor)
STEPS: dict[str, tuple[Callable[[Staff, Session, Any], BaseForm], Step, str]] = {
    "checkin": (lambda st, s, d: CheckInForm(d), _step_checkin, "checkin"),
    "vitals": (lambda st, s, d: VitalsForm(d), _step_vitals, "vitals"),
    "override": (lambda st, s, d: OverrideForm(d), _step_override, "vitals"),
    "dose": (lambda st, s, d: DoseForm(st, s.course.protocol(), d), _step_dose, "dose"),
    "stop": (lambda st, s, d: ConfirmForm(d), _step_stop, "dose"),
    "cadss": (lambda st, s, d: CadssForm(d), _step_cadss, "ratings"),
    "moaas": (lambda st, s, d: MoaasForm(d), _step_moaas, "ratings"),
    "event": (lambda st, s, d: AdverseEventForm(d), _step_event, "events"),
    "discharge": (lambda st, s, d: DischargeForm(d), _step_discharge, "discharge"),
    "sign": (lambda st, s, d: ConfirmForm(d), _step_sign, "sign"),
    "amend": (lambda st, s, d: AmendForm(d), _step_amend, "sign"),
}


@requires(Perm.RUN_SESSION)
@require_POST
def session_step(request: HttpRequest, session_id: str, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404("No such step")
    staff = staff_of(request)
    session = session_for(staff, session_id, write=True)
    make_form, act, anchor = STEPS[step]
    form = make_form(staff, session, request.POST)
    preview = None
    status = 400
    if form.is_valid():
        try:
            if step == "dose":
                # Nothing is recorded until the calculated dose has been seen and confirmed.
                preview = actions.preview_dose(staff, session, **_dose_args(form))
                if not form.cleaned_data.get("confirm"):
                    return _session_page(request, session, {"dose": form}, preview=preview)
            act(staff, session, form, request)
        except actions.AlreadyDone as exc:
            # A double click or a colleague was first: show what was done, no 5xx.
            session.refresh_from_db()
            return _session_page(request, session, status=409, notice=" ".join(exc.messages))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            here = next_step(Session.objects.get(pk=session.pk))
            return redirect(f"{reverse('session-day', args=[session.pk])}#{here}")
    session.refresh_from_db()
    return _session_page(request, session, {step: form}, status=status,
                         failed=form, preview=preview)


@requires(Perm.SIGN_ORDERS)
@require_POST
def alert_ack(request: HttpRequest, alert_id: str) -> HttpResponse:
    """A prescriber acknowledges a clinical alert (from their home page or the session)."""
    staff = staff_of(request)
    alert = alert_for(staff, alert_id)
    try:
        actions.acknowledge_alert(staff, alert, request=request)
    except actions.AlreadyDone as exc:
        messages.info(request, " ".join(exc.messages))
    back = request.POST.get("next", "")
    if back == "session":
        return redirect(f"{reverse('session-day', args=[alert.session_id])}#alerts")
    return redirect("home")


@requires(Perm.RUN_SESSION)
@require_POST
def session_plan(request: HttpRequest, session_id: str, change: str) -> HttpResponse:
    """Move a planned session, or mark it missed or cancelled."""
    staff = staff_of(request)
    session = session_for(staff, session_id, write=True)
    form: BaseForm = MoveForm(request.POST) if change == "move" else SessionStatusForm(
        request.POST)
    if change not in ("move", "status"):
        raise Http404("No such change")
    if form.is_valid():
        try:
            if isinstance(form, MoveForm):
                actions.move_session(staff, session, form.cleaned_data["new_date"],
                                     form.cleaned_data["reason"],
                                     proceed_reason=form.cleaned_data["proceed_reason"],
                                     request=request)
            else:
                actions.set_session_status(staff, session, form.cleaned_data["status"],
                                           form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
    if form.errors:
        course = session.course
        return render(request, "treatment/plan_error.html",
                      {"course": course, "session": session, "form": form,
                       "confirm_move": isinstance(form, MoveForm)
                       and "proceed_reason" in form.errors}, status=400)
    return redirect("course-detail", course_id=session.course_id)

