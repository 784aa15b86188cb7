from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .staff import SESSION_CLINIC, clinics_of


@require_http_methods(["GET", "POST"])
def choose_clinic(request: HttpRequest) -> HttpResponse:
    """Pick the active clinic (people who work in several). Chosen by POST: the clinic id
    stays out of URLs and logs."""
    clinics = clinics_of(request.user)  # type: ignore[arg-type]  # login required
    if request.method == "POST":
        try:
            chosen = int(request.POST.get("clinic", ""))
        except ValueError:
            chosen = -1
        if chosen in clinics:
            request.session[SESSION_CLINIC] = chosen
            return redirect("home")
    return render(request, "accounts/choose_clinic.html", {
        "clinics": clinics.values(), "active": getattr(request, "staff", None),
    })
