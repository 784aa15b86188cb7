"""Mounted at /api/v1/ by config/urls.py: `path("api/v1/", include("ketacare.interop.api_urls"))`.

Token-authenticated: exempt from the login redirect (LoginRequiredMiddleware) and from CSRF
(no cookie is ever used).

The routes are listed here rather than taken from `api.urls`: building the NinjaAPI imports
django-ninja and pydantic and builds every schema (~0.3 s, more than the rest of start-up),
and the URL configuration is imported by every `ketacare` command (the system checks, any
reverse()). Each view loads the API on the first request that needs it.
tests/interop/test_api_urls.py checks ROUTES against the routes django-ninja generates."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

NAMESPACE = "api-v1"  # the NinjaAPI's urls_namespace: reverse("api-v1:...") as ninja expects

# (route, name) in the order django-ninja generates them from api.py.
ROUTES = [
    ("openapi.json", "openapi-json"),
    ("docs", "openapi-view"),
    ("patients", "list_patients"),
    ("patients/<patient_id>", "get_patient"),
    ("patients/<patient_id>/courses", "patient_courses"),
    ("courses/<course_id>", "get_course"),
    ("courses/<course_id>/sessions", "course_sessions"),
    ("sessions/<session_id>", "get_session"),
    ("patients/<patient_id>/assessments", "patient_assessments"),
    ("alerts", "list_alerts"),
    ("ledger/entries", "list_ledger_entries"),
    ("ledger/entries/<entry_id>", "get_ledger_entry"),
    ("", "api-root"),
]

View = Callable[..., HttpResponse]
_patterns: tuple[URLPattern, ...] = ()
_lock = threading.Lock()  # `api.urls` may be read once only (ninja refuses a second read)


def ninja_patterns() -> tuple[URLPattern, ...]:
    """The URL patterns django-ninja generates for the API, built on first use."""
    global _patterns
    if not _patterns:
        with _lock:
            if not _patterns:
                from .api import api

                urls, _, _ = api.urls
                _patterns = tuple(p for p in urls if isinstance(p, URLPattern))
    return _patterns


@functools.cache
def _ninja_view(name: str) -> View:
    return next(p.callback for p in ninja_patterns() if p.name == name)


def _view(name: str) -> View:
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _ninja_view(name)(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    return login_not_required(csrf_exempt(view))


app_name = NAMESPACE
urlpatterns = [path(route, _view(name), name=name) for route, name in ROUTES]
