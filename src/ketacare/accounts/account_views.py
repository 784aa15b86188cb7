"""Own account: change password, set a password from a one-time link (invitation or
forgotten password), recent sign-ins. Django's own password views underneath, with the
audit entry KetaCare adds to every change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from ketacare.audit.log import record
from ketacare.audit.models import Action, AuditEvent

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


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    sign_ins = (AuditEvent.objects
                .filter(Q(user_id=user.pk) | Q(username=user.get_username(), user_id=None),
                        action__in=[Action.SIGN_IN, Action.SIGN_IN_FAILED])
                .order_by("-id")[:RECENT_SIGN_INS])
    return render(request, "accounts/account.html", {"sign_ins": sign_ins})
