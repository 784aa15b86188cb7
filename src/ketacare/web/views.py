from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.audit import reads
from ketacare.audit.log import record
from ketacare.audit.models import Action
from ketacare.clinical import instruments
from ketacare.patients.models import Screening, Status
from ketacare.treatment.actions import open_alerts_for
from ketacare.treatment.models import Session

# The home page's patients-by-status panel counts the whole clinic (100k rows at network
# scale): counted at most once a minute per clinic. Aggregates only, nothing identifying.
STATUS_COUNTS_SECONDS = 60


def status_counts(clinic: Clinic) -> list[tuple[str, int]]:
    """(label, patients) for every status, at most STATUS_COUNTS_SECONDS old."""
    key = f"status-counts:{clinic.pk}"
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        counts = dict(clinic.patients.values_list("status").annotate(n=Count("id")).order_by())
        cache.set(key, counts, STATUS_COUNTS_SECONDS)
    return [(s.label, counts.get(s.value, 0)) for s in Status]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    staff = getattr(request, "staff", None)
    context: dict[str, object] = {"instruments": instruments.all_instruments()}
    if staff is not None and staff.can(Perm.VIEW_CHART):
        context["status_counts"] = status_counts(staff.clinic)
        # Screenings still waiting for a prescriber: the newest per patient and route.
        awaiting = list(
            Screening.objects.filter(
                patient__clinic=staff.clinic, status="needs_review", decisions__isnull=True
            ).select_related("patient", "screened_by").order_by("-screened_at")[:20]
        )
        context["awaiting"] = awaiting
        today_sessions = list(
            Session.objects.filter(course__patient__clinic=staff.clinic,
                                   planned_date=staff.clinic.today())
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
                           "patient_ids": reads.patient_ids(
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
