"""Clinic administration pages under /clinic/ (clinic admins only): staff and settings.
Views validate, check access and call the actions in `staff_admin` / `clinic_settings`."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.form_errors import apply_errors

from . import clinic_settings, staff_admin
from .models import Role
from .permissions import Perm
from .staff import Staff, requires, staff_of


class InviteForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.NURSE)
    username = forms.CharField(max_length=150, required=False,
                               help_text="Left blank: the email address. To add someone who "
                                         "already works in another clinic, give their "
                                         "username and email.")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def _render_staff(request: HttpRequest, form: InviteForm | None = None,
                  status: int = 200) -> HttpResponse:
    staff = staff_of(request)
    return render(request, "accounts/staff.html", {
        "members": staff_admin.members(staff), "form": form or InviteForm(),
        "role_form": RoleForm(), "clinic": staff.clinic}, status=status)


@requires(Perm.MANAGE_CLINIC)
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    return _render_staff(request)


@requires(Perm.MANAGE_CLINIC)
@require_POST
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            user = staff_admin.invite(staff_of(request), request=request, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{user.get_full_name() or user.username} invited: an "
                                      f"email with a link to choose a password went to "
                                      f"{user.email}.")
            return redirect("clinic-staff")
    return _render_staff(request, form, status=400)


MemberAction = Callable[[Staff, User, HttpRequest], str]


def _role(staff: Staff, user: User, request: HttpRequest) -> str:
    role = str(request.POST.get("role", ""))
    staff_admin.change_role(staff, user, role, request=request)
    return f"{user.username} is now {Role(role).label}."


def _deactivate(staff: Staff, user: User, request: HttpRequest) -> str:
    staff_admin.deactivate(staff, user, request=request)
    return f"{user.username} deactivated: signed out everywhere, API tokens refused."


def _reset_two_factor(staff: Staff, user: User, request: HttpRequest) -> str:
    staff_admin.reset_two_factor(staff, user, request=request)
    return f"Two-factor sign-in reset for {user.username}."


def _resend(staff: Staff, user: User, request: HttpRequest) -> str:
    staff_admin.resend_invite(staff, user, request=request)
    return f"A new invitation went to {user.email}; older links no longer work."


MEMBER_ACTIONS: dict[str, MemberAction] = {
    "role": _role, "deactivate": _deactivate, "reset-two-factor": _reset_two_factor,
    "resend-invite": _resend,
}


@requires(Perm.MANAGE_CLINIC)
@require_POST
def member_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    staff = staff_of(request)
    user = staff_admin.member_of(staff, user_id)
    do = MEMBER_ACTIONS.get(action)
    if do is None:
        return _render_staff_error(request, f"Unknown action {action!r}.")
    try:
        done = do(staff, user, request)
    except ValidationError as exc:
        return _render_staff_error(request, " ".join(exc.messages))
    messages.success(request, done)
    return redirect("clinic-staff")


def _render_staff_error(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return _render_staff(request, status=400)


@requires(Perm.MANAGE_CLINIC)
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    form = clinic_settings.form_for(staff.clinic, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                changes = clinic_settings.update(staff, form.cleaned_data, request=request)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                labels = [clinic_settings.BY_KEY[k].label for k in changes]
                messages.success(request, ("Saved: " + ", ".join(labels) + ".") if labels
                                 else "Nothing changed.")
                return redirect("clinic-settings")
        return render(request, "accounts/clinic_settings.html", {"form": form}, status=400)
    return render(request, "accounts/clinic_settings.html", {"form": form})
