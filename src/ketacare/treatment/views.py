"""Course and session-day pages: thin over `access` (scoped, audited reads) and `actions`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts import cosign
from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import Staff, requires, staff_of
from ketacare.charts import svg
from ketacare.charts.pk import concentration_chart
from ketacare.clinical import dosing, eligibility, pk, protocols, schedules
from ketacare.form_errors import apply_errors
from ketacare.patients.access import patient_for
from ketacare.patients.chart import Chart
from ketacare.rems.enrollment import dose_refusal

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
    return svg(concentration_chart, data, width=560, height=220)


def planned_dose(protocol: protocols.Protocol, chart: Chart,
                 today: date) -> tuple[float | None, str, float | None]:
    """The protocol's default dose for this patient through the dose calculator (its caps
    and its stale-weight check), with the first stocked strength: (mg, why not, weight)."""
    weight = chart.latest_weight
    strengths = protocol.dose.concentrations_mg_ml
    try:
        result = dosing.calculate_dose(
            protocol, weight_kg=float(weight.weight_kg) if weight else None,
            weight_measured_on=weight.measured_on if weight else None, today=today,
            concentration_mg_ml=strengths[0] if protocol.dose.concentration_required
            and strengths else None,
            max_weight_age_days=chart.weight_max_age_days)
    except dosing.DoseError as exc:
        return None, exc.message, None
    return result.dose_mg, "", result.weight_kg


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
    planned_mg, planned_note, weight_kg = planned_dose(protocol, Chart(patient, today), today)
    curve = None
    if planned_mg:
        curve = predicted_curve(protocol.route, planned_mg, weight_kg=weight_kg,
                                age=patient.age_on(today), infusion_min=protocol.infusion_min,
                                label=f"planned {planned_mg:.0f} mg")
    return render(request, "treatment/course_detail.html", {
        "course": course, "protocol": protocol, "patient": patient, "sessions": sessions,
        "adherence": summary, "today": today, "curve": curve, "planned_mg": planned_mg,
        "planned_note": planned_note,
        "can_run": staff.can(Perm.RUN_SESSION),
    })


def current_step(session: Session, discharge_ready: bool) -> str:
    """The step the page opens at: the first one still to do."""
    dose = getattr(session, "dose", None)
    if session.checked_in_at is None:
        return "checkin"
    if dose is None:
        has_predose = session.vitals.filter(phase="predose").exists()
        return "dose" if has_predose and session.hold_cleared else "vitals"
    if session.discharged_at is None:
        return "discharge" if discharge_ready else "monitoring"
    return "sign"


def _session_page(request: HttpRequest, session: Session,
                  bound: dict[str, BaseForm] | None = None, status: int = 200,
                  failed: BaseForm | None = None, preview: actions.DosePreview | None = None,
                  notice: str = "") -> HttpResponse:
    staff = staff_of(request)
    protocol = session.course.protocol()
    patient = session.course.patient
    dose = getattr(session, "dose", None)
    today = staff.clinic.today()
    forms: dict[str, BaseForm] = {
        "checkin": CheckInForm(), "vitals": VitalsForm(), "override": OverrideForm(),
        "dose": DoseForm(staff, protocol), "stop": ConfirmForm(), "sign": ConfirmForm(),
        "cadss": CadssForm(), "moaas": MoaasForm(),
        "event": AdverseEventForm(), "discharge": DischargeForm(initial={
            "escort_present": session.checkin.get("escort_present", False)}),
        "amend": AmendForm(),
    }
    forms.update(bound or {})
    vitals = list(session.vitals.select_related("recorded_by"))
    monitoring_due = []
    if dose is not None:
        taken = {v.minute for v in vitals if v.minute is not None}
        elapsed = (timezone.now() - dose.started_at).total_seconds() / 60
        for minute in protocol.vitals_minutes:
            done = any(abs(minute - m) <= 5 for m in taken)
            monitoring_due.append({"minute": minute, "done": done,
                                   "at": dose.started_at + timedelta(minutes=minute),
                                   "overdue": not done and elapsed > minute + 5})
    # A refused discharge shows the checklist with what was ticked on the form.
    posted = forms["discharge"].cleaned_data if forms["discharge"].is_bound and hasattr(
        forms["discharge"], "cleaned_data") else {}
    discharge = actions.discharge_status(
        session, dissociation_resolved=posted.get("dissociation_resolved"),
        escort_present=posted.get("escort_present"),
        sedation_judgement=posted.get("sedation_judgement")) if dose is not None else None
    curve = None
    if dose is not None:
        curve = predicted_curve(protocol.route, float(dose.dose_mg),
                                weight_kg=float(dose.weight_kg) if dose.weight_kg else None,
                                age=patient.age_on(today), infusion_min=protocol.infusion_min,
                                label=f"given {dose.dose_mg} mg")
    chart = Chart(patient, today)
    # A refusal the dose step panel already shows (REMS) is not repeated on the form.
    refusal = dose_refusal(session, today) if dose is None else None
    dose_errors = [e for e in forms["dose"].non_field_errors() if e != refusal]
    alerts = list(session.clinical_alerts.select_related("acknowledged_by", "raised_by")
                  .prefetch_related("recipients"))
    return render(request, "treatment/session.html", {
        "chart": chart, "preview": preview, "notice": notice, "alerts": alerts,
        "open_alerts": [a for a in alerts if a.acknowledged_at is None],
        "current": current_step(session, bool(discharge and discharge.ready)),
        "can_ack": staff.can(Perm.SIGN_ORDERS),
        "lots_on_hand": bool(forms["dose"].fields["source"].choices[1:]),  # type: ignore[attr-defined]
        "session": session, "course": session.course, "protocol": protocol,
        "patient": patient, "dose": dose, "vitals": vitals, "forms": forms,
        "ratings": list(session.ratings.select_related("recorded_by")),
        "events": list(session.adverse_events.select_related("recorded_by")),
        "amendments": list(session.amendments.select_related("author")),
        "monitoring_due": monitoring_due, "discharge": discharge, "curve": curve,
        "can_run": staff.can(Perm.RUN_SESSION), "can_override": staff.can(Perm.SIGN_ORDERS),
        "predose": [v for v in vitals if v.phase == "predose"],
        "age": patient.age_on(today), "drug_label": protocols.DRUGS[protocol.drug],
        "failed": failed, "dose_errors": dose_errors,
        "route_label": eligibility.ROUTES[protocol.route],
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
# The form each step shows its errors on.
FORM_KEY: dict[str, str] = {}


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
            session = Session.objects.get(pk=session.pk)
            here = current_step(session, _ready(session))
            return redirect(f"{reverse('session-day', args=[session.pk])}#{here}")
    session.refresh_from_db()
    return _session_page(request, session, {FORM_KEY.get(step, step): form}, status=status,
                         failed=form, preview=preview)


def _ready(session: Session) -> bool:
    return hasattr(session, "dose") and actions.discharge_status(session).ready


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

