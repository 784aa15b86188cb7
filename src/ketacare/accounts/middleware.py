"""Per-request staff context and the session rules health data needs."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from .staff import resolve

SESSION_SIGNED_IN_AT = "ketacare_signed_in_at"


class StaffMiddleware:
    """Sets `request.staff`: the active clinic and roles, or None."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        staff = resolve(request)
        request.staff = staff  # type: ignore[attr-defined]
        if staff is None:
            return self.get_response(request)
        # Times on every page are shown in the clinic's zone (stored UTC).
        with timezone.override(zoneinfo.ZoneInfo(staff.clinic.time_zone)):
            return self.get_response(request)


class SessionSafetyMiddleware:
    """Absolute session lifetime (the idle timeout is the session cookie age, renewed on
    every request), and no caching of any page a signed-in person sees."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SESSION_SIGNED_IN_AT)
            if signed_in_at is None:
                request.session[SESSION_SIGNED_IN_AT] = time.time()
            elif time.time() - signed_in_at > settings.KETACARE_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)  # Cache-Control: no-store on patient pages
        return response
