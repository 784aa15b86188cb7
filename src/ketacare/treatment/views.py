"""Course and session-day pages: thin over `access` (scoped, audited reads) and `actions`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires, staff_of
from ketacare.charts import to_svg
from ketacare.charts.pk import concentration_chart
from ketacare.clinical import eligibility, pk, protocols, schedules
from ketacare.patients.access import patient_for
from ketacare.patients.chart import Chart
from ketacare.patients.views import _apply_errors

from . import actions
from .access import course_for, session_for
from .forms import (
    AdverseEventForm,
    AmendForm,
    CadssForm,
    CheckInForm,
    CourseForm,
    DischargeForm,
    DoseForm,
    MoaasForm,
    MoveForm,
    ReasonForm,
    SessionStatusForm,
    VitalsForm,
)
from .models import Session, SessionStatus

# The simulator's route and model for each treatment route (issue #6 item 4).
PK_ROUTE = {"iv": "iv", "im": "im", "sc": "sc", "oral": "oral", "sublingual": "sublingual",
            "esketamine_nasal": "intranasal"}


def predicted_curve(route: str, dose_mg: float, *, weight_kg: float | None, age: int,
                    infusion_min: int | None, label: str) -> str | None:
    """SVG of the predicted plasma curve for one dose, or None when it cannot be drawn
    (e.g. no weight for a weight-scaled model)."""
    model = "perez-ruixo-2021" if route == "esketamine_nasal" else "domino"
    scenario = pk.Scenario(model=model, route=PK_ROUTE[route], dose_mg=dose_mg,
                           weight_kg=weight_kg, age_y=max(18, min(age, 100)),
                           infusion_min=float(infusion_min or 0), label=label)
    try:
        data = pk.compare_scenarios([scenario], until_min=240)
    except pk.PKInputError:
        return None
    return to_svg(concentration_chart(data, width=560, height=220))


# --- courses ---------------------------------------------------------------------------

@requires(Perm.SIGN_ORDERS)
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, request=request, write=request.method == "POST")
    actions.ensure_default_protocols(staff.clinic)
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
            _apply_errors(form, exc)
        else:
            return redirect("course-detail", course_id=course.pk)
    eligibility = {p.pk: actions.eligibility_for(patient, p.protocol().route)
                   for p in form.fields["protocol"].queryset}  # type: ignore[attr-defined]
    return render(request, "treatment/course_new.html",
                  {"patient": patient, "form": form, "eligibility": eligibility})


@requires(Perm.VIEW_CHART)
@require_http_methods(["GET"])
def course_detail(request: HttpRequest, course_id: str) -> HttpResponse:
    staff = staff_of(request)
    course = course_for(staff, course_id, request=request)
    protocol = course.protocol()
    sessions = list(course.sessions.select_related("dose"))
    today = staff.clinic.today()
    done = [s.planned_date for s in sessions if s.status == SessionStatus.SIGNED]
    summary = schedules.adherence(
        [s.planned_date for s in sessions], done,
        missed=[s.planned_date for s in sessions if s.status == SessionStatus.MISSED],
        cancelled=[s.planned_date for s in sessions if s.status == SessionStatus.CANCELLED],
        today=today,
    )
    patient = course.patient
    weight = patient.weight_set.filter(entered_in_error=False).first()
    rule = protocol.dose
    planned_mg = (float(rule.default_mg) if rule.basis == "fixed_mg" and rule.default_mg
                  else (float(rule.default_mg_per_kg or 0) * float(weight.weight_kg)
                        if weight else None))
    curve = None
    if planned_mg:
        curve = predicted_curve(protocol.route, planned_mg,
                                weight_kg=float(weight.weight_kg) if weight else None,
                                age=patient.age_on(today), infusion_min=protocol.infusion_min,
                                label=f"planned {planned_mg:.0f} mg")
    return render(request, "treatment/course_detail.html", {
        "course": course, "protocol": protocol, "patient": patient, "sessions": sessions,
        "adherence": summary, "today": today, "curve": curve, "planned_mg": planned_mg,
        "can_run": staff.can(Perm.RUN_SESSION),
    })


def _session_page(request: HttpRequest, session: Session,
                  bound: dict[str, BaseForm] | None = None, status: int = 200,
                  failed: BaseForm | None = None) -> HttpResponse:
    staff = staff_of(request)
    protocol = session.course.protocol()
    patient = session.course.patient
    dose = getattr(session, "dose", None)
    today = staff.clinic.today()
    forms: dict[str, BaseForm] = {
        "checkin": CheckInForm(), "vitals": VitalsForm(), "override": ReasonForm(),
        "dose": DoseForm(staff, protocol), "cadss": CadssForm(), "moaas": MoaasForm(),
        "event": AdverseEventForm(), "discharge": DischargeForm(initial={
            "escort_present": session.checkin.get("escort_present", False)}),
        "amend": AmendForm(),
    }
    forms.update(bound or {})
    vitals = list(session.vitals.all())
    monitoring_due = []
    if dose is not None:
        taken = {v.minute for v in vitals if v.minute is not None}
        elapsed = (timezone.now() - dose.started_at).total_seconds() / 60
        for minute in protocol.vitals_minutes:
            done = any(abs(minute - m) <= 5 for m in taken)
            monitoring_due.append({"minute": minute, "done": done,
                                   "at": dose.started_at + timedelta(minutes=minute),
                                   "overdue": not done and elapsed > minute + 5})
    discharge = actions.discharge_status(session) if dose is not None else None
    curve = None
    if dose is not None:
        curve = predicted_curve(protocol.route, float(dose.dose_mg),
                                weight_kg=float(dose.weight_kg) if dose.weight_kg else None,
                                age=patient.age_on(today), infusion_min=protocol.infusion_min,
                                label=f"given {dose.dose_mg} mg")
    chart = Chart(patient, today)
    return render(request, "treatment/session.html", {
        "chart": chart,
        "session": session, "course": session.course, "protocol": protocol,
        "patient": patient, "dose": dose, "vitals": vitals, "forms": forms,
        "ratings": list(session.ratings.all()), "events": list(session.adverse_events.all()),
        "amendments": list(session.amendments.select_related("author")),
        "monitoring_due": monitoring_due, "discharge": discharge, "curve": curve,
        "can_run": staff.can(Perm.RUN_SESSION), "can_override": staff.can(Perm.SIGN_ORDERS),
        "predose": [v for v in vitals if v.phase == "predose"],
        "age": patient.age_on(today), "drug_label": protocols.DRUGS[protocol.drug],
        "failed": failed, "route_label": eligibility.ROUTES[protocol.route],
        "monitoring": [v for v in vitals if v.phase == "monitoring"],
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
    return actions.override_hold(staff, s, f.cleaned_data["reason"], request=r)


def _step_dose(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    d = f.cleaned_data
    mg_per_kg = d.get("mg_per_kg")
    return actions.give_dose(
        staff, s, mg_per_kg=float(mg_per_kg) if mg_per_kg is not None else None,
        fixed_mg=d.get("fixed_mg"), stock_item=d["stock_item"], lot=d["lot"],
        expiry=d["expiry"], second_check_by=d.get("second_check_by"),
        override_reason=d.get("override_reason", ""), request=r)


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
    return actions.discharge(staff, s, request=r, **f.cleaned_data)


def _step_sign(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.sign(staff, s, request=r)


def _step_amend(staff: Staff, s: Session, f: BaseForm, r: HttpRequest) -> object:
    return actions.amend(staff, s, f.cleaned_data["text"], f.cleaned_data["reason"], request=r)


def _no_form(*args: Any, **kwargs: Any) -> BaseForm:
    from django import forms

    form = forms.Form(*args[:1])
    return form


# step -> (form factory taking (staff, session, data), action, page anchor)
STEPS: dict[str, tuple[Callable[[Staff, Session, Any], BaseForm], Step, str]] = {
    "checkin": (lambda st, s, d: CheckInForm(d), _step_checkin, "checkin"),
    "vitals": (lambda st, s, d: VitalsForm(d), _step_vitals, "vitals"),
    "override": (lambda st, s, d: ReasonForm(d), _step_override, "vitals"),
    "dose": (lambda st, s, d: DoseForm(st, s.course.protocol(), d), _step_dose, "dose"),
    "stop": (lambda st, s, d: _no_form(d), _step_stop, "dose"),
    "cadss": (lambda st, s, d: CadssForm(d), _step_cadss, "ratings"),
    "moaas": (lambda st, s, d: MoaasForm(d), _step_moaas, "ratings"),
    "event": (lambda st, s, d: AdverseEventForm(d), _step_event, "events"),
    "discharge": (lambda st, s, d: DischargeForm(d), _step_discharge, "discharge"),
    "sign": (lambda st, s, d: _no_form(d), _step_sign, "sign"),
    "amend": (lambda st, s, d: AmendForm(d), _step_amend, "sign"),
}
# The form each step shows its errors on (the override shares the vitals section).
FORM_KEY = {"stop": "dose", "sign": "amend"}


@requires(Perm.RUN_SESSION)
@require_POST
def session_step(request: HttpRequest, session_id: str, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404("No such step")
    staff = staff_of(request)
    session = session_for(staff, session_id, write=True)
    make_form, act, anchor = STEPS[step]
    form = make_form(staff, session, request.POST)
    if form.is_valid():
        try:
            act(staff, session, form, request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect(f"{reverse('session-day', args=[session.pk])}#{anchor}")
    session.refresh_from_db()
    key = FORM_KEY.get(step, step)
    return _session_page(request, session, {key: form}, status=400, failed=form)


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
                                     form.cleaned_data["reason"], request=request)
            else:
                actions.set_session_status(staff, session, form.cleaned_data["status"],
                                           form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        course = session.course
        return render(request, "treatment/plan_error.html",
                      {"course": course, "session": session, "form": form}, status=400)
    return redirect("course-detail", course_id=session.course_id)

