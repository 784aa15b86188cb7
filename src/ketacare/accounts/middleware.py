"""Per-request staff context and the session rules health data needs."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from . import two_factor
from .staff import Staff, resolve

SESSION_SIGNED_IN_AT = "ketacare_signed_in_at"
SESSION_TOUCHED_AT = "ketacare_touched_at"
IDLE_SETTING = "session_idle_minutes"  # clinic setting; default KETACARE_SESSION_IDLE_MIN


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


def idle_seconds(staff: Staff | None) -> int:
    """The active clinic's idle timeout (clinic setting `session_idle_minutes`), else the
    installation's default (KETACARE_SESSION_IDLE_MIN)."""
    default: int = settings.KETACARE_SESSION_IDLE_SECONDS
    if staff is None:
        return default
    return int(staff.clinic.setting(IDLE_SETTING, default // 60)) * 60


class SessionSafetyMiddleware:
    """Absolute session lifetime; the idle timeout (the active clinic's, counted from the
    session's last touch: a session is written at most once a
    KETACARE_SESSION_TOUCH_SECONDS, so a session idle for the timeout minus that at most
    ends); no caching of any page a signed-in person sees."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            signed_in_at = request.session.get(SESSION_SIGNED_IN_AT)
            touched_at = request.session.get(SESSION_TOUCHED_AT, 0)
            if signed_in_at is None:
                request.session[SESSION_SIGNED_IN_AT] = now
            elif (now - signed_in_at > settings.KETACARE_SESSION_ABSOLUTE_SECONDS
                  or (touched_at and now - touched_at
                      > idle_seconds(getattr(request, "staff", None)))):
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - touched_at >= settings.KETACARE_SESSION_TOUCH_SECONDS:
                # A change: the session is saved, with its expiry a full age from now.
                request.session[SESSION_TOUCHED_AT] = now
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)  # Cache-Control: no-store on patient pages
        return response


class TwoFactorMiddleware:
    """The two-factor gate, for every page at once (installed after OTPMiddleware, which
    says whether this session has passed a code check, and StaffMiddleware, which says
    which clinic is active).

    - A person with a confirmed device and an unverified session sees only the code page
      (and can sign out) until a code is accepted.
    - Where the active clinic requires two-factor sign-in (clinic setting
      `require_two_factor`), a person without a confirmed device sees only the set-up page
      (and can sign out or switch clinic) until they have one.

    Views marked `login_not_required` are left alone: health check, sign-in, the bearer-
    token API and FHIR, patients' questionnaire links. None of them acts as the session's
    user, so there is nothing for a second factor to protect there."""

    VERIFY_OPEN = frozenset({"logout", "two-factor-verify"})
    ENROL_OPEN = frozenset({"logout", "two-factor", "choose-clinic"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., HttpResponse],
                     view_args: object, view_kwargs: object) -> HttpResponse | None:
        if not request.user.is_authenticated or not getattr(view_func, "login_required", True):
            return None
        if two_factor.is_verified(request):
            return None
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        if two_factor.has_confirmed_device(request.user):
            return None if view_name in self.VERIFY_OPEN else _send_to(request,
                                                                       "two-factor-verify")
        staff = getattr(request, "staff", None)
        if staff is not None and two_factor.clinic_requires(staff.clinic):
            return None if view_name in self.ENROL_OPEN else _send_to(request, "two-factor")
        return None


def _send_to(request: HttpRequest, url_name: str) -> HttpResponse:
    """Redirect, keeping the page asked for (GET only: a form post cannot be replayed) as
    `next`. htmx requests get a full-page redirect, not a fragment swapped into the page."""
    url = reverse(url_name)
    if request.headers.get("HX-Request") == "true":
        return HttpResponseClientRedirect(url)
    if request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)
