"""Staff pages: what is due and sent, the alert inbox, a patient's responses, kiosk entry.

Thin views: check access through `access`/`patient_for` (404 for another clinic, 403 for
a role without the permission), then call actions. Every read is audited."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.permissions import Perm
from ketacare.accounts.staff import requires, staff_of
from ketacare.audit.log import patient_ids, record
from ketacare.audit.models import PATIENT_IDS, Action
from ketacare.clinical.instruments import InstrumentInputError, get
from ketacare.clinical.measurement_schedule import KIND_LABELS
from ketacare.clinical.outcomes import OutcomeRules, classify
from ketacare.patients.access import patient_for
from ketacare.patients.models import Patient

from . import access, actions
from .config import for_clinic
from .models import Alert, ReportRequest, Response
from .trajectories import patient_trajectories

STATUSES = ("due", "sent", "overdue", "completed", "expired")
SELF_REPORT_INSTRUMENTS = ("phq9", "gad7", "pcl5", "qids-sr16", "asq")


@require_GET
@requires(Perm.SELFREPORT_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """Due, sent, overdue, completed and expired requests (last 30 days, or still open)."""
    staff = staff_of(request)
    since = staff.clinic.today() - timedelta(days=30)
    recent = Q(opens_on__gte=since) | Q(completed_at__isnull=True, closes_on__gte=since)
    rows = list(access.requests_of(staff).filter(recent).select_related("patient", "clinic")
                .order_by("-opens_on", "-id")[:500])
    counts = Counter(r.status for r in rows)
    show = request.GET.get("status", "")
    if show not in STATUSES:
        show = ""
    listed = [r for r in rows if not show or r.status == show]
    record(Action.VIEW, request=request, object_type="selfreport_requests",
           detail={"status": show or "all", "rows": len(listed),
                   PATIENT_IDS: patient_ids(r.patient_id for r in listed)})
    return render(request, "selfreport/home.html", {
        "rows": listed, "counts": [(s, counts.get(s, 0)) for s in STATUSES], "show": show,
        "kinds": KIND_LABELS, "failed": actions.failed_deliveries(staff.clinic),
        "today": staff.clinic.today(),
    })


@require_GET
@requires(Perm.SELFREPORT_VIEW)
def alerts(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    qs = access.alerts_of(staff).select_related(
        "patient", "response", "acknowledged_by", "action_by")
    open_alerts = list(qs.filter(action_at__isnull=True).order_by("created_at"))
    closed = list(qs.filter(action_at__isnull=False).order_by("-action_at")[:50])
    record(Action.VIEW, request=request, object_type="selfreport_alerts",
           detail={"open": len(open_alerts), PATIENT_IDS: patient_ids(
               a.patient_id for a in [*open_alerts, *closed])})
    return render(request, "selfreport/alerts.html", {
        "open_alerts": open_alerts, "closed": closed, "can_act": staff.can(Perm.ALERTS_ACT),
    })


@require_POST
@requires(Perm.ALERTS_ACT)
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    staff = staff_of(request)
    alert = access.alert_for(staff, pk)
    actions.acknowledge(staff, alert, request=request)
    messages.success(request, "Alert acknowledged. Record what was done when you have acted.")
    return redirect(f"{reverse('selfreport-alerts')}#alert-{alert.pk}")


@require_POST
@requires(Perm.ALERTS_ACT)
def act(request: HttpRequest, pk: int) -> HttpResponse:
    staff = staff_of(request)
    alert = access.alert_for(staff, pk)
    try:
        actions.record_action(staff, alert, request.POST.get("action_taken", ""),
                              request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('selfreport-alerts')}#alert-{alert.pk}")
    messages.success(request, "Action recorded; the alert is closed.")
    return redirect("selfreport-alerts")


def _history(patient: Patient, responses: list[Response],
             rules: OutcomeRules) -> list[dict[str, Any]]:
    """Each response with its change from the baseline and the outcome category (by the
    clinic's `rules`). The baseline is the one the alert rules use
    (`actions.baseline_response`, the clinical core's rule); without one the row says
    there is no valid baseline."""
    course = actions.latest_course(patient)
    baselines: dict[str, Response | None] = {}
    rows: list[dict[str, Any]] = []
    for response in responses:
        instrument = get(response.instrument)
        if response.instrument not in baselines:
            baselines[response.instrument] = actions.baseline_response(
                patient, response.instrument, course)
        base = baselines[response.instrument]
        row: dict[str, Any] = {"response": response, "instrument": instrument, "band": None,
                               "change": None, "outcome": None, "baseline": None,
                               "is_baseline": base is not None and base.pk == response.pk,
                               "no_baseline": base is None}
        if response.total is not None:
            row["band"] = instrument.band_for(response.total)
        if (response.total is not None and base is not None and base.total is not None
                and not row["is_baseline"] and response.submitted_at > base.submitted_at):
            row["baseline"] = base.total
            row["change"] = response.total - base.total
            try:
                row["outcome"] = classify(instrument, base.total, response.total, rules)
            except InstrumentInputError:
                row["outcome"] = None
        rows.append(row)
    return rows


@require_GET
@requires(Perm.SELFREPORT_VIEW)
def patient_page(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, request=request, audit_as="selfreport")
    responses = list(Response.objects.filter(patient=patient).select_related("request")
                     .prefetch_related("alerts"))
    pending = list(ReportRequest.objects.filter(patient=patient, completed_at__isnull=True)
                   .select_related("clinic").order_by("-opens_on")[:20])
    default = actions.instruments_for(staff.clinic, patient)[0]
    rules = for_clinic(staff.clinic).outcome_rules
    return render(request, "selfreport/patient.html", {
        "trajectories": patient_trajectories(patient, responses),
        "patient": patient, "rows": _history(patient, responses, rules), "pending": pending,
        "outcome_rules": rules,
        "instruments": [get(i) for i in SELF_REPORT_INSTRUMENTS], "default": default,
        "can_manage": staff.can(Perm.SELFREPORT_MANAGE),
        "channels": actions.contact_channels(patient), "kinds": KIND_LABELS,
        "alerts": list(Alert.objects.filter(patient=patient, action_at__isnull=True)),
    })


@require_POST
@requires(Perm.SELFREPORT_MANAGE)
def send_now(request: HttpRequest, patient_id: str) -> HttpResponse:
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    try:
        _, sent = actions.request_now(staff, patient, request.POST.get("instrument", ""),
                                      request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        how = " and ".join(k if k == "email" else "text message" for k, n in sent.items() if n)
        if how:
            messages.success(request, f"Questionnaire link sent by {how}.")
        else:
            messages.error(request, "The link could not be sent; see the due/sent page.")
    return redirect("selfreport-responses", patient_id=patient.pk)


@require_POST
@requires(Perm.SELFREPORT_MANAGE)
def kiosk(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Hand the device to the patient: sign the staff member out (the device locks back
    to the sign-in page) and open the questionnaire in kiosk mode."""
    staff = staff_of(request)
    patient = patient_for(staff, patient_id, write=True)
    try:
        token = actions.start_kiosk(staff, patient, request.POST.get("instrument", ""),
                                    request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("selfreport-responses", patient_id=patient.pk)
    logout(request)
    return redirect("selfreport-link", token=token)
