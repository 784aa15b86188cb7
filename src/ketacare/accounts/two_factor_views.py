"""Two-factor pages: set up / turn off (any signed-in staff member) and the code step
after the password. The rules about who must see which page live in
`middleware.TwoFactorMiddleware`; these views only do their page's job."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from . import two_factor
from .staff import Staff

NEXT = "next"


class CodeForm(forms.Form):
    # Markup in _code_field.html (numeric keypad, one-time-code autofill).
    code = forms.CharField(label="6-digit code", max_length=20, strip=True)


def safe_next(request: HttpRequest, value: str | None) -> str | None:
    """A same-site path, or None: never another host, scheme or a protocol-relative
    URL (`//evil.example`), so the code page cannot be used as an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if not url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return None
    return value


def _next_from(request: HttpRequest) -> str | None:
    return safe_next(request, request.POST.get(NEXT) or request.GET.get(NEXT))


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]  # signed in: LoginRequiredMiddleware
    return user


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up (QR code, typed key, confirm with a code) or, when it is on, turn it off
    with a current code."""
    user = _user(request)
    staff: Staff | None = getattr(request, "staff", None)
    required = staff is not None and two_factor.clinic_requires(staff.clinic)
    next_url = _next_from(request)
    device = two_factor.confirmed_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    error = ""

    if device is not None:
        if request.method == "POST" and form.is_valid():
            result = two_factor.disable(request, user, device, form.cleaned_data["code"])
            if result.ok:
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("two-factor")
            error = result.message
        return render(request, "accounts/two_factor_on.html", {
            "device": device, "form": form, "error": error, "required": required,
            "staff": staff, "recovery_left": two_factor.recovery_codes_left(user),
            "has_recovery": two_factor.recovery_device(user) is not None,
        })

    pending = two_factor.pending_device(request, user)
    if request.method == "POST" and form.is_valid():
        result = two_factor.confirm(request, user, pending, form.cleaned_data["code"])
        if result.ok:
            if next_url:
                return redirect(next_url)
            messages.success(request, "Done. From your next sign-in on, you will be asked "
                                      "for a code after your password.")
            return redirect("two-factor")
        error = result.message
    return render(request, "accounts/two_factor_setup.html", {
        "qr_svg": two_factor.qr_svg(pending), "key": two_factor.key_groups(pending),
        "form": form, "error": error, "required": required, "staff": staff,
        "next": next_url or "",
    })


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code step after the password, for people with a confirmed device."""
    user = _user(request)
    next_url = _next_from(request)
    done = next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
    device = two_factor.confirmed_device(user)
    if device is None or two_factor.is_verified(request):
        return redirect(done)  # nothing to verify
    form = CodeForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify(request, user, device, form.cleaned_data["code"])
        if result.ok:
            return redirect(done)
        error = result.message
    return render(request, "accounts/two_factor_verify.html", {
        "form": form, "error": error, "next": next_url or "",
        "action": reverse("two-factor-verify"),
    })


@require_http_methods(["POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A new set of recovery codes, shown on this response only."""
    user = _user(request)
    try:
        codes = two_factor.new_recovery_codes(request, user)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("two-factor")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})
