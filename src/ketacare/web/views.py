from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.accounts.permissions import Perm
from ketacare.audit.log import patient_ids, record
from ketacare.audit.models import PATIENT_IDS, Action
from ketacare.clinical import instruments
from ketacare.patients.access import screenings_of
from ketacare.patients.counts import status_counts
from ketacare.treatment.access import sessions_of
from ketacare.treatment.actions import open_alerts_for


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    staff = getattr(request, "staff", None)
    context: dict[str, object] = {"instruments": instruments.all_instruments()}
    if staff is not None and staff.can(Perm.VIEW_CHART):
        context["status_counts"] = status_counts(staff.clinic)
        # Screenings still waiting for a prescriber: the newest per patient and route.
        awaiting = list(
            screenings_of(staff).filter(status="needs_review", decisions__isnull=True)
            .select_related("patient", "screened_by").order_by("-screened_at")[:20]
        )
        context["awaiting"] = awaiting
        today_sessions = list(
            sessions_of(staff).filter(planned_date=staff.clinic.today())
            .exclude(status__in=["missed", "cancelled"])
            .select_related("course__patient", "dose").order_by("course__patient__family_name")
        )
        context["today_sessions"] = today_sessions
        if staff.can(Perm.SIGN_ORDERS):
            context["clinical_alerts"] = open_alerts_for(staff.user, staff.clinic.pk)
        if awaiting or today_sessions:
            record(Action.VIEW, request=request, object_type="worklist",
                   detail={"screenings_awaiting_decision": len(awaiting),
                           "sessions_today": len(today_sessions),
                           PATIENT_IDS: patient_ids(
                               [*(s.patient_id for s in awaiting),
                                *(s.course.patient_id for s in today_sessions)])})
    return render(request, "web/home.html", context)


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: the app answers and its database does too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
