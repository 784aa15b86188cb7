from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.clinical import instruments


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"instruments": instruments.all_instruments()})


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: the app answers and its database does too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": database})
