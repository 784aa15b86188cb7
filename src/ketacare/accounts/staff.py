"""Who is acting, for which clinic, with which permissions. Every clinic-scoped view,
API call and command works from a `Staff`, never from a bare user."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Clinic, Membership
from .permissions import Perm, perms_for

SESSION_CLINIC = "ketacare_clinic_id"


@dataclass(frozen=True)
class Staff:
    user: User
    clinic: Clinic
    roles: frozenset[str]

    @property
    def perms(self) -> frozenset[Perm]:
        return perms_for(self.roles)

    def can(self, perm: Perm) -> bool:
        return perm in self.perms

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied(f"Your role in {self.clinic} does not allow this.")

    def require_own(self, clinic_id: int) -> None:
        """Actions trust no caller: a record of another clinic is refused here too."""
        if clinic_id != self.clinic.pk:
            raise ValidationError("This patient is not in your active clinic.")

    @property
    def role_label(self) -> str:
        return ", ".join(sorted(self.roles))


def staff_of(request: HttpRequest) -> Staff:
    """The request's Staff, set by StaffMiddleware; views behind `requires` always have one."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    return staff


def _active_memberships(user: User) -> list[Membership]:
    return list(Membership.objects.filter(user=user, active=True).select_related("clinic"))


def clinics_of(user: User) -> dict[int, Clinic]:
    return {m.clinic_id: m.clinic for m in _active_memberships(user)}


def _staff_in(user: User, clinic: Clinic, memberships: Iterable[Membership]) -> Staff | None:
    """The user's roles in `clinic` among their active `memberships`; None without one."""
    roles = frozenset(m.role for m in memberships if m.clinic_id == clinic.pk)
    return Staff(user, clinic, roles) if roles else None


def staff_for(user: User, clinic: Clinic) -> Staff | None:
    return _staff_in(user, clinic,
                     Membership.objects.filter(user=user, clinic=clinic, active=True))


def resolve(request: HttpRequest) -> Staff | None:
    """The active clinic from the session; with a single clinic it is chosen for you."""
    user = request.user
    if not user.is_authenticated:
        return None
    # One read of the user's memberships gives both the clinics and the roles (this runs
    # on every request: issue 17).
    memberships = _active_memberships(user)
    clinics = {m.clinic_id: m.clinic for m in memberships}
    chosen = request.session.get(SESSION_CLINIC)
    if chosen not in clinics:
        if len(clinics) != 1:
            return None
        chosen = next(iter(clinics))
        request.session[SESSION_CLINIC] = chosen
    return _staff_in(user, clinics[chosen], memberships)


V = TypeVar("V", bound=Callable[..., HttpResponse])


def requires(perm: Perm) -> Callable[[V], V]:
    """View decorator: an active clinic in which the user holds `perm`, else the clinic
    picker (no clinic chosen yet) or 403 (role does not allow it)."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            staff = getattr(request, "staff", None)
            if staff is None:
                return redirect("choose-clinic")
            staff.require(perm)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
