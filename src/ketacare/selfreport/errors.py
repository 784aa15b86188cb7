"""A patient never sees a bare "Server Error (500)": when anything on a public self-report
page (/r/...) fails (a bug, the database down or busy), they get a calm page that says the
answers already saved are kept, asks them to try again, and keeps the crisis text (the
clinic's own when it can still be read, else the default from settings)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger("ketacare.selfreport")
PUBLIC_PREFIX = "/r/"


def _clinic_crisis(request: HttpRequest) -> tuple[str, str, str]:
    """(clinic name, crisis text, phone) for the link in the path, or the defaults."""
    default = ("", str(settings.KETACARE_SELFREPORT_CRISIS_TEXT), "")
    token = request.path[len(PUBLIC_PREFIX):].split("/", 1)[0]
    try:
        from .actions import resolve_link
        from .config import for_clinic

        req = resolve_link(token).req
        if req is None:
            return default
        cfg = for_clinic(req.clinic)
        return req.clinic.name, cfg.crisis_text, cfg.phone
    except Exception:  # the database may be what failed: fall back, never fail again
        return default


def friendly(request: HttpRequest, status: int) -> HttpResponse:
    name, crisis_text, phone = _clinic_crisis(request)
    html = render_to_string("selfreport/error.html", {
        "clinic_name": name, "crisis_text": crisis_text, "phone": phone, "status": status})
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    if status == 503:
        response["Retry-After"] = "30"
    response._has_been_logged = True  # type: ignore[attr-defined]  # no token in the log
    return response


class PublicErrorMiddleware:
    """First in MIDDLEWARE, so it also sees 500s produced below it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (request.path.startswith(PUBLIC_PREFIX) and response.status_code >= 500
                and not getattr(response, "_ketacare_friendly", False)):
            return friendly(request, response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not request.path.startswith(PUBLIC_PREFIX):
            return None
        # The path holds the link's token: log the failure without it.
        log.error("self-report page failed: %s", type(exc).__name__, exc_info=exc)
        response = friendly(request, 503 if isinstance(exc, DatabaseError) else 500)
        response._ketacare_friendly = True  # type: ignore[attr-defined]
        return response
