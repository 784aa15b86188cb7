"""Own account: change password, set a password from a one-time link (invitation or
forgotten password), the co-signature PIN and the mobile for session alerts
(`personal`), recent sign-ins. Django's own password views underneath, with the
audit entry KetaCare adds to every change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.audit.log import record
from ketacare.audit.models import Action, AuditEvent
from ketacare.form_errors import apply_errors

from . import personal
from .invites import LINK_HOURS

RECENT_SIGN_INS = 20


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link's page. A used or expired link shows why and what to do."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        record(Action.UPDATE, request=self.request, user=form.user, object_type="user",
               object_id=str(form.user.pk), detail={"password": "set from link"})
        return response


class ChangePasswordView(auth_views.PasswordChangeView):
    template_name = "accounts/change_password.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        record(Action.UPDATE, request=self.request, object_type="user",
               object_id=str(self.request.user.pk), detail={"password": "changed"})
        return response


class ForgotPasswordView(auth_views.PasswordResetView):
    """Always the same answer, whether or not the address is known (no account probing).
    Only active people with a password get a message; the sign-in lockout is untouched."""

    template_name = "accounts/forgot_password.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    extra_email_context = {"hours": LINK_HOURS}


def _secret(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": autocomplete, "inputmode": "numeric"}
        if autocomplete == "off" else {"autocomplete": autocomplete}))


class PinForm(forms.Form):
    current_password = _secret("Your current password", "current-password")
    pin = _secret(f"New PIN ({personal.PIN_MIN} to {personal.PIN_MAX} digits)", "off")
    repeat = _secret("New PIN again", "off")
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)


class AlertMobileForm(forms.Form):
    alert_mobile = forms.CharField(label="Mobile number for session alerts by SMS",
                                   required=False, max_length=40)


def _account_page(request: HttpRequest, pin_form: PinForm | None = None,
                  mobile_form: AlertMobileForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    mine = personal.of(user)  # type: ignore[arg-type]
    sign_ins = (AuditEvent.objects
                .filter(Q(user_id=user.pk) | Q(username=user.get_username(), user_id=None),
                        action__in=[Action.SIGN_IN, Action.SIGN_IN_FAILED])
                .order_by("-id")[:RECENT_SIGN_INS])
    return render(request, "accounts/account.html", {
        "sign_ins": sign_ins, "personal": mine, "pin_form": pin_form or PinForm(),
        "mobile_form": mobile_form or AlertMobileForm(
            initial={"alert_mobile": mine.alert_mobile})}, status=status)


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@require_http_methods(["POST"])
def account_pin(request: HttpRequest) -> HttpResponse:
    form = PinForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if d["remove"]:
                personal.clear_pin(request.user, d["current_password"],  # type: ignore[arg-type]
                                   request=request)
                messages.success(request, "Co-signature PIN removed.")
            else:
                personal.set_pin(request.user, d["current_password"],  # type: ignore[arg-type]
                                 d["pin"], d["repeat"], request=request)
                messages.success(request, "Co-signature PIN set: use it instead of your "
                                          "password when you co-sign on a colleague's device.")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(f"{reverse('account')}#pin")
    return _account_page(request, pin_form=form, status=400)


@require_http_methods(["POST"])
def account_alert_mobile(request: HttpRequest) -> HttpResponse:
    form = AlertMobileForm(request.POST)
    if form.is_valid():
        try:
            personal.set_alert_mobile(request.user,  # type: ignore[arg-type]
                                      form.cleaned_data["alert_mobile"], request=request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Mobile number for session alerts saved.")
            return redirect(f"{reverse('account')}#alerts")
    return _account_page(request, mobile_form=form, status=400)
